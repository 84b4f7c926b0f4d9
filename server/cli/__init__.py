"""The `chumchon` command line: one group, one module per area registering its commands."""

from __future__ import annotations

import click

from server.cli import backup, data, entities, forms, reports, review, run, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Chumchon (ชุมชน): field data collection server for community development work."""


for area in (run, forms, users, data, review, reports, backup, entities):
    area.register(main)
