"""Publishing form versions, their media, open/closed state, and the `chumchon forms` commands."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.core.forms import form_media, publishing
from server.core.ground.errors import BadRequest, Conflict, InvalidXlsForm, NotFound
from server.core.ground.services import Services
from server.core.models import AuditEvent, Form, FormVersion, Project
from tests.helpers import FIXTURES

KITCHEN = (FIXTURES / "kitchen_sink.md").read_bytes()

EXTERNAL = b"""
| survey |
| | type | name | label | choice_filter |
| | select_one provinces | province | Province | |
| | select_one_external cities | city | City | province=${province} |
| | select_one_from_file villages.csv | village | Village | |
| choices |
| | list_name | name | label |
| | provinces | 10 | Bangkok |
| external_choices |
| | list_name | name | label | province |
| | cities | 1001 | Phra Nakhon | 10 |
| settings |
| | form_id | version |
| | cascade | 1 |
"""


def publish(
    services: Services, source: bytes = KITCHEN, filename: str = "kitchen_sink.md", **kw: object
) -> FormVersion:
    with services.db.session() as session:
        return publishing.publish_form(session, services.blobs, 1, source, filename, **kw)  # type: ignore[arg-type]


def test_publish_stores_the_xform_blob_schema_and_makes_it_current(
    services: Services, project: Project
) -> None:
    version = publish(services)
    xform = services.blobs.read_bytes(version.xform_sha256)
    assert hashlib.md5(xform).hexdigest() == version.xform_md5
    assert services.blobs.read_bytes(version.source_sha256 or "") == KITCHEN
    with services.db.session() as session:
        form = publishing.get_form(session, project.id, "kitchen_sink")
        assert form.state == "open"
        assert form.current_version_id == version.id
        assert form.current_version is not None
        assert form.current_version.title == "แบบทดสอบครบทุกชนิดคำถาม"
        assert form.current_version.field_schema["form_id"] == "kitchen_sink"
        assert [(m.name, m.media_type, m.expected, m.blob_sha256) for m in form.current_version.media] == [
            ("logo.png", "image", True, None)
        ]
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "form.publish" in actions


def test_publishing_the_same_version_again_is_a_no_op(services: Services, project: Project) -> None:
    first = publish(services)
    again = publish(services)
    assert again.id == first.id
    with services.db.session() as session:
        assert session.scalar(select(Form).where(Form.xml_form_id == "kitchen_sink")) is not None
        assert len(session.scalars(select(FormVersion)).all()) == 1


def test_same_version_with_different_content_asks_for_a_new_version(
    services: Services, project: Project
) -> None:
    publish(services)
    changed = KITCHEN.replace("บ้านเลขที่".encode(), "เลขที่บ้าน".encode())
    with pytest.raises(Conflict) as err:
        publish(services, changed)
    assert "bump the version" in err.value.message


def test_a_new_version_becomes_current_and_keeps_media_by_name(services: Services, project: Project) -> None:
    first = publish(services, media={"logo.png": b"\x89PNG logo"})
    second = publish(services, KITCHEN.replace(b"2026112301", b"2026112302"))
    assert second.id != first.id and second.version == "2026112302"
    with services.db.session() as session:
        form = publishing.get_form(session, project.id, "kitchen_sink")
        assert form.current_version_id == second.id
        logo = form_media.get_media_file(publishing.current_version(form), "logo.png")
        assert logo.md5 == hashlib.md5(b"\x89PNG logo").hexdigest()
        # The old version is untouched.
        assert session.get(FormVersion, first.id).version == "2026112301"  # type: ignore[union-attr]


def test_supplied_media_replace_the_copied_ones(services: Services, project: Project) -> None:
    publish(services, media={"logo.png": b"old"})
    second = publish(services, KITCHEN.replace(b"2026112301", b"2026112302"), media={"logo.png": b"new"})
    assert services.blobs.read_bytes(second.media[0].blob_sha256 or "") == b"new"


def test_itemsets_csv_is_attached_automatically(services: Services, project: Project) -> None:
    version = publish(services, EXTERNAL, "cascade.md")
    media = {m.name: m for m in version.media}
    assert set(media) == {"villages.csv", "itemsets.csv"}
    assert media["villages.csv"].blob_sha256 is None
    itemsets = services.blobs.read_bytes(media["itemsets.csv"].blob_sha256 or "")
    assert itemsets.startswith(b'"list_name","name","label","province"')
    assert media["itemsets.csv"].content_type == "text/csv"


def test_media_the_form_does_not_use_are_refused(services: Services, project: Project) -> None:
    with pytest.raises(BadRequest) as err:
        publish(services, media={"other.png": b"x"})
    assert "other.png" in err.value.message


def test_broken_xlsform_leaves_nothing_behind(services: Services, project: Project) -> None:
    with pytest.raises(InvalidXlsForm):
        publish(services, (FIXTURES / "broken_unknown_type.md").read_bytes(), "broken.md")
    with services.db.session() as session:
        assert session.scalars(select(Form)).all() == []


def test_unknown_project_is_not_found(services: Services, project: Project) -> None:
    with services.db.session() as session, pytest.raises(NotFound):
        publishing.publish_form(session, services.blobs, 99, KITCHEN, "kitchen_sink.md")


def test_get_form_raises_not_found_for_an_unknown_id(services: Services, project: Project) -> None:
    with services.db.session() as session, pytest.raises(NotFound) as err:
        publishing.get_form(session, project.id, "nope")
    assert "nope" in err.value.message


def test_open_and_close_a_form_with_audit_events(services: Services, project: Project) -> None:
    publish(services)
    with services.db.session() as session:
        form = publishing.get_form(session, project.id, "kitchen_sink")
        publishing.set_form_state(session, form, "closed")
        assert publishing.downloadable_forms(session, project.id) == []
        assert [f.xml_form_id for f in publishing.list_forms(session, project.id)] == ["kitchen_sink"]
        publishing.set_form_state(session, form, "closing")  # Central's word; still closed
        publishing.set_form_state(session, form, "open")
        assert [f.xml_form_id for f in publishing.downloadable_forms(session, project.id)] == ["kitchen_sink"]
        with pytest.raises(BadRequest):
            publishing.set_form_state(session, form, "archived")
        states = session.scalars(select(AuditEvent).where(AuditEvent.action == "form.update.state")).all()
        assert [(e.details["from"], e.details["to"]) for e in states] == [
            ("open", "closed"),
            ("closed", "open"),
        ]


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a/b.png", "a\\b.png", ".hidden.png", "logo.png\x00.jpg", "", "..", " logo.png"]
)
def test_media_names_with_path_tricks_are_refused(services: Services, project: Project, name: str) -> None:
    publish(services)
    with services.db.session() as session:
        version = publishing.current_version(publishing.get_form(session, project.id, "kitchen_sink"))
        with pytest.raises(BadRequest):
            form_media.attach_media(session, services.blobs, version, name, b"x", "image/png")


def test_attach_media_stores_the_file_and_refuses_unexpected_names(
    services: Services, project: Project
) -> None:
    publish(services)
    with services.db.session() as session:
        version = publishing.current_version(publishing.get_form(session, project.id, "kitchen_sink"))
        media = form_media.attach_media(session, services.blobs, version, "logo.png", b"PNGDATA", None)
        assert (media.md5, media.size, media.content_type) == (
            hashlib.md5(b"PNGDATA").hexdigest(),
            7,
            "image/png",
        )
        with pytest.raises(NotFound) as err:
            form_media.attach_media(session, services.blobs, version, "unused.png", b"x", None)
        assert "logo.png" in err.value.message


# --- the `chumchon forms` commands -----------------------------------------------------------------


def run(settings_env: dict[str, str], *args: str) -> tuple[int, str]:
    # Imported here so the core tests above do not depend on every CLI area importing cleanly.
    from server.cli import main

    result = CliRunner().invoke(main, ["forms", *args], env=settings_env)
    return result.exit_code, result.output


def test_cli_publishes_with_media_folder_and_reports_missing_files(
    tmp_path: Path, settings_env: dict[str, str], services: Services, project: Project
) -> None:
    (tmp_path / "kitchen_sink.md").write_bytes(KITCHEN)
    (tmp_path / "cascade.md").write_bytes(EXTERNAL)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logo.png").write_bytes(b"PNG")
    (tmp_path / "media" / "unrelated.csv").write_bytes(b"a,b")
    code, out = run(settings_env, "publish", str(tmp_path / "kitchen_sink.md"), str(tmp_path / "cascade.md"))
    assert code == 0, out
    assert "kitchen_sink  version 2026112301  แบบทดสอบครบทุกชนิดคำถาม" in out
    assert "missing media / ยังไม่มีไฟล์: villages.csv" in out
    with services.db.session() as session:
        version = publishing.current_version(publishing.get_form(session, project.id, "kitchen_sink"))
        assert form_media.get_media_file(version, "logo.png").size == 3


def test_cli_keeps_going_after_a_broken_form_and_fails_at_the_end(
    tmp_path: Path, settings_env: dict[str, str], services: Services, project: Project
) -> None:
    broken = tmp_path / "broken.md"
    broken.write_bytes((FIXTURES / "broken_missing_calculation.md").read_bytes())
    good = tmp_path / "kitchen_sink.md"
    good.write_bytes(KITCHEN)
    code, out = run(settings_env, "publish", str(broken), str(good))
    assert code == 1
    assert "[row : 3]" in out and "1 form(s) failed: broken.md" in out
    assert "kitchen_sink  version 2026112301" in out
    assert "Traceback" not in out


def test_cli_list_close_open_attach_and_sensitive(
    tmp_path: Path, settings_env: dict[str, str], services: Services, project: Project
) -> None:
    publish(services)
    code, out = run(settings_env, "list")
    assert code == 0 and "kitchen_sink\topen\t2026112301" in out and "missing media: logo.png" in out
    assert run(settings_env, "close", "kitchen_sink") == (0, "kitchen_sink: closed\n")
    assert "kitchen_sink\tclosed" in run(settings_env, "list")[1]
    assert run(settings_env, "open", "kitchen_sink")[1] == "kitchen_sink: open\n"
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"PNG")
    code, out = run(settings_env, "attach", "kitchen_sink", str(logo))
    assert code == 0 and f"logo.png  md5:{hashlib.md5(b'PNG').hexdigest()}" in out
    code, out = run(settings_env, "sensitive")
    assert code == 0
    assert "kitchen_sink: 2 sensitive field(s)" in out
    assert "/data/members/citizen_id\ttext\tเลขประจำตัวประชาชน" in out
    code, out = run(settings_env, "close", "nope")
    assert code == 1 and "nope" in out
