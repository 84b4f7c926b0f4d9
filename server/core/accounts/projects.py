"""Projects: the default project, creation and lookup."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.ground.cache import LookupCache
from server.core.ground.errors import BadRequest, NotFound
from server.core.models import AuditEvent, Project, utcnow

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


def _checked(name: str, description: str | None) -> tuple[str, str | None]:
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
    return name, description


def create_project(session: Session, name: str, description: str | None = None) -> Project:
    name, description = _checked(name, description)
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    return project


def get_project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None or project.deleted_at is not None:
        raise NotFound(f"ไม่พบโครงการ {project_id} / Project {project_id} not found.")
    return project


def list_projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).where(Project.deleted_at.is_(None)).order_by(Project.id)))


def update_project(
    session: Session,
    project: Project,
    *,
    name: str | None = None,
    description: str | None = None,
    archived: bool | None = None,
    actor_id: int | None = None,
) -> Project:
    """Change what was given (ODK Central's PATCH /projects/ID); the caller commits."""
    new_name, new_description = _checked(
        project.name if name is None else name, project.description if description is None else description
    )
    project.name, project.description = new_name, new_description
    if archived is not None:
        project.archived = archived
    project.updated_at = utcnow()
    session.add(AuditEvent(actor_id=actor_id, action="project.update", target=f"project:{project.id}", details={}))
    session.flush()
    return project


def delete_project(session: Session, project: Project, *, actor_id: int | None = None) -> None:
    """Soft delete, as ODK Central: the rows stay, the project answers 404 from now on."""
    project.deleted_at = utcnow()
    session.add(AuditEvent(actor_id=actor_id, action="project.delete", target=f"project:{project.id}", details={}))
    session.flush()


def cached_default_project_id(session: Session, cache: LookupCache) -> int:
    pid = cache.get(session, ("default_project",), lambda s: s.scalar(select(func.min(Project.id))))
    if pid is None:
        raise NotFound("ยังไม่มีโครงการ / No project exists yet.")
    return int(pid)


def require_project(session: Session, cache: LookupCache, project_id: int) -> int:
    """project_id if that project exists (cached per process), else NotFound."""
    def load(s: Session) -> int | None:
        project = s.get(Project, project_id)
        return project_id if project is not None and project.deleted_at is None else None

    found = cache.get(session, ("project", project_id), load)
    if found is None:
        raise NotFound(f"ไม่พบโครงการ {project_id} / Project {project_id} not found.")
    return project_id
