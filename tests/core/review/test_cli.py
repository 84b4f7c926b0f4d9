"""`chumchon review` and `chumchon users create --area` as an operator runs them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.cli import main
from server.core.ground.services import Services
from server.core.models import RoleGrant, Submission, User
from tests.core.review.conftest import World
from tests.core.review.support import household_xml, submit


@pytest.fixture
def env(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)


def test_review_command_applies_the_same_rules(env: None, services: Services, world: World) -> None:
    submit(services, world.project.id, world.collector, household_xml("uuid:a"))
    runner = CliRunner()
    refused = runner.invoke(main, ["review", "review_household", "uuid:a", "rejected", "--as", "supervisor"])
    assert refused.exit_code == 1 and "ต้องเขียนความเห็น" in refused.output
    viewer = runner.invoke(main, ["review", "review_household", "uuid:a", "approved", "--as", "viewer"])
    assert viewer.exit_code == 1 and "ไม่มีสิทธิ์" in viewer.output
    ok = runner.invoke(
        main, ["review", "review_household", "uuid:a", "rejected", "--as", "supervisor", "--comment", "ซ้ำ"]
    )
    assert ok.exit_code == 0, ok.output
    with services.db.session() as session:
        assert session.scalar(select(Submission.review_state)) == "rejected"


def test_users_create_with_an_area(env: None, services: Services, world: World) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["users", "create", "sup36", "--role", "supervisor", "--area", "36", "--password", "long-enough-pw"],
    )
    assert made.exit_code == 0, made.output
    bad = runner.invoke(main, ["users", "create", "col36", "--role", "collector", "--area", "36"])
    assert bad.exit_code == 1 and "Only supervisor and viewer" in bad.output
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.username == "sup36"))
        assert user is not None
        grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id))
        assert grant is not None and grant.area_code == "36"
        assert session.scalar(select(User).where(User.username == "col36")) is None
    listed = runner.invoke(main, ["users", "list"])
    assert "supervisor@1[36]" in listed.output
