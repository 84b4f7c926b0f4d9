"""Regenerate every shipped XLSForm in forms/ from the Python definitions in tools/forms/defs/.

The generated .xlsx files are committed; a form designer then edits them in Excel. Run this only to
start over from the definitions (it overwrites the .xlsx files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # allow `python tools/forms/build_forms.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.forms.defs import (
    community_forum,
    community_group,
    community_project,
    household_followup,
    household_survey,
    nomination_scoring,
    standard_assessment,
    welfare_registration,
    welfare_verification,
)
from tools.forms.xlsform import FormDef, write_xlsform

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"

BUILDERS: dict[str, Callable[[], FormDef]] = {
    "household_survey": household_survey.build,
    "welfare_registration": welfare_registration.build,
    "community_group": community_group.build,
    "community_project": community_project.build,
    "community_forum": community_forum.build,
    "standard_assessment": standard_assessment.build,
    "nomination_scoring": nomination_scoring.build,
    "welfare_verification": welfare_verification.build,
    "household_followup": household_followup.build,
}


def build_all(out_dir: Path = FORMS_DIR, only: list[str] | None = None) -> list[Path]:
    """Write the selected forms (all by default) as ``<form_id>.xlsx`` into ``out_dir``."""
    written = []
    for form_id, builder in BUILDERS.items():
        if only and form_id not in only:
            continue
        form = builder()
        if form.form_id != form_id:
            raise ValueError(f"{form_id}: definition declares form_id {form.form_id!r}")
        written.append(write_xlsform(form, out_dir / f"{form_id}.xlsx"))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("forms", nargs="*", help="form ids to build (default: all)")
    parser.add_argument("--out", type=Path, default=FORMS_DIR)
    args = parser.parse_args(argv)
    for path in build_all(args.out, args.forms or None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
