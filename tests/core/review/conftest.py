"""A published household form with place fields and the people who review it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.core.ground.services import Services
from server.core.models import Form, Project, User
from tests.core.review.support import make_user, publish


@dataclass
class World:
    project: Project
    form: Form
    admin: User
    manager: User
    supervisor: User
    district_supervisor: User  # limited to district 1001 (Phra Nakhon)
    viewer: User
    district_viewer: User  # limited to province 36 (Chaiyaphum)
    collector: User


@pytest.fixture
def world(services: Services, project: Project) -> World:
    form = publish(services, project.id)
    return World(
        project=project,
        form=form,
        admin=make_user(services, "admin", "admin", None),
        manager=make_user(services, "manager", "manager", project.id),
        supervisor=make_user(services, "supervisor", "supervisor", project.id),
        district_supervisor=make_user(services, "sup1001", "supervisor", project.id, "1001"),
        viewer=make_user(services, "viewer", "viewer", project.id),
        district_viewer=make_user(services, "viewer36", "viewer", project.id, "36"),
        collector=make_user(services, "somchai", "collector", project.id),
    )
