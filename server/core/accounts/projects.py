"""Projects: the default project, creation and lookup."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.ground.cache import LookupCache
from server.core.ground.errors import BadRequest, NotFound
from server.core.models import Project

DEFAULT_PROJECT_NAME = "โครงการเริ่มต้น (Default project)"
MAX_NAME_LENGTH = 255  # the column's width
MAX_DESCRIPTION_LENGTH = 10_000


def default_project_id(session: Session) -> int:
    """The project behind the bare server URL: the first one, created on first start."""
    pid = session.scalar(select(func.min(Project.id)))
    if pid is None:
        raise NotFound("ยังไม่มีโครงการ / No project exists yet.")
    return int(pid)


def ensure_default_project(session: Session) -> Project:
    project = session.scalar(select(Project).order_by(Project.id).limit(1))
    if project is None:
        project = Project(name=DEFAULT_PROJECT_NAME)
        session.add(project)
        session.flush()
    return project


def create_project(session: Session, name: str, description: str | None = None) -> Project:
    name = name.strip()
    if not name:
        raise BadRequest("ต้องระบุชื่อโครงการ / A project needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise BadRequest(
            f"ชื่อโครงการยาวเกิน {MAX_NAME_LENGTH} ตัวอักษร / A project name may have at most "
            f"{MAX_NAME_LENGTH} characters."
        )
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise BadRequest(
            f"คำอธิบายยาวเกิน {MAX_DESCRIPTION_LENGTH} ตัวอักษร / A description may have at most "
            f"{MAX_DESCRIPTION_LENGTH} characters."
        )
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    return project


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"ไม่พบโครงการ {project_id} / Project {project_id} not found.")
    return project


def cached_default_project_id(session: Session, cache: LookupCache) -> int:
    pid = cache.get(session, ("default_project",), lambda s: s.scalar(select(func.min(Project.id))))
    if pid is None:
        raise NotFound("ยังไม่มีโครงการ / No project exists yet.")
    return int(pid)


def require_project(session: Session, cache: LookupCache, project_id: int) -> int:
    """project_id if that project exists (cached per process), else NotFound."""
    found = cache.get(session, ("project", project_id), lambda s: s.get(Project, project_id) and project_id)
    if found is None:
        raise NotFound(f"ไม่พบโครงการ {project_id} / Project {project_id} not found.")
    return project_id
