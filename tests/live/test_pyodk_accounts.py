"""pyodk itself against a real `chumchon serve`: projects.create_app_users with form assignment, as
an office that scripts ODK Central would run it; the new app user's token then lists exactly that form
in ODK Collect's form list."""

from __future__ import annotations

from pathlib import Path

from pyodk._endpoints.project_app_users import ProjectAppUserService
from pyodk.client import Client

from tests.live.harness import LiveServer

SIMPLE = """| survey |
| | type | name | label |
| | text | name | ชื่อ |
| settings |
| | form_id | version | form_title |
| | simple | 1 | แบบง่าย |
""".encode()
OTHER = SIMPLE.replace(b"| simple | 1 |", b"| other | 1 |")


def _client(live: LiveServer, tmp_path: Path) -> Client:
    config = tmp_path / "pyodk_config.toml"
    config.write_text(
        "[central]\n"
        f'base_url = "{live.url}"\n'
        'username = "admin"\n'
        f'password = "{live.admin_password}"\n'
        "default_project_id = 1\n",
        encoding="utf-8",
    )
    return Client(config_path=str(config), cache_path=str(tmp_path / "pyodk_cache.toml"))


def test_pyodk_creates_app_users_and_assigns_a_form(live: LiveServer, tmp_path: Path) -> None:
    api = live.api()
    for source in (SIMPLE, OTHER):
        resp = api.post(f"{live.url}/v1/projects/1/forms", data=source, headers={"Content-Type": "text/markdown"})
        assert resp.status_code == 200, resp.text
    with _client(live, tmp_path) as client:
        created = list(client.projects.create_app_users(display_names=["อาสา 1", "อาสา 2"], forms=["simple"]))
        assert [u.displayName for u in created] == ["อาสา 1", "อาสา 2"]
        assert all(u.token and u.projectId == 1 for u in created)
        # Running it again creates nobody: pyodk skips display names that already have a token.
        assert list(client.projects.create_app_users(display_names=["อาสา 1"])) == []
        app_users = ProjectAppUserService(session=client.session, default_project_id=1)
        listed = {u.displayName for u in app_users.list() if u.token}
        assert {"อาสา 1", "อาสา 2"} <= listed
    form_list = api.get(f"{live.url}/key/{created[0].token}/projects/1/formList")
    assert form_list.status_code == 200
    assert "<formID>simple</formID>" in form_list.text and "<formID>other</formID>" not in form_list.text
    assignments = api.get(f"{live.url}/v1/projects/1/forms/simple/assignments").json()
    assert {a["actorId"] for a in assignments} == {u.id for u in created}
