"""`chumchon review`: set a submission's review state from the shell, as a named account (the same
rules as the API: permissions, area, a comment for hasIssues and rejected, the audit trail)."""

from __future__ import annotations

import click

from server.cli.context import cli_services
from server.core.accounts import projects, users
from server.core.forms import publishing
from server.core.ground.errors import NotFound
from server.core.review import states


def register(group: click.Group) -> None:
    @group.command("review")
    @click.argument("xml_form_id")
    @click.argument("instance_id")
    @click.argument("state", type=click.Choice(states.SETTABLE_STATES))
    @click.option("--comment", default=None, help="Required for hasIssues, needsCorrection and rejected.")
    @click.option("--as", "username", required=True, help="The account doing the review (for the audit log).")
    @click.option("--project", "project_id", type=int, default=None, help="Project id (default: the first).")
    def review(
        xml_form_id: str,
        instance_id: str,
        state: str,
        comment: str | None,
        username: str,
        project_id: int | None,
    ) -> None:
        """ตั้งสถานะการตรวจ / Set the review state of one submission."""
        with cli_services() as svc, svc.db.session() as session:
            user = users.find_user(session, username)
            if user is None:
                raise NotFound(f"ไม่พบผู้ใช้ {username} / No active user named {username}.")
            pid = project_id if project_id is not None else projects.default_project_id(session)
            form = publishing.get_form(session, pid, xml_form_id)
            states.set_review_state(session, user, form, instance_id, state, comment)
            click.echo(f"{instance_id}: {state}")
