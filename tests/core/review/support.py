"""A small household form with place fields, a geopoint, start/end and sensitive answers, published
for real, and submissions sent through intake (edits with deprecatedID) and processed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.accounts import users
from server.core.forms.publishing import publish_form
from server.core.ground.services import Services
from server.core.models import Form, Submission, SubmissionVersion, User
from server.core.submissions import intake
from server.core.submissions.processing import process_submission_version
from tests.helpers import FIXTURES, PASSWORD

FORM_ID = "review_household"
VALID_CID = "1101700207030"
OTHER_CID = "3100600123450"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 08:00 in Thailand


@dataclass(frozen=True)
class Place:
    province: str
    district: str
    subdistrict: str
    village: str


PHRA_NAKHON = Place("10", "1001", "100101", "10010101")
DUSIT = Place("10", "1002", "100201", "10020103")
CHATURAT = Place("36", "3606", "360610", "36061003")


def publish(services: Services, project_id: int) -> Form:
    with services.db.session() as session:
        path = FIXTURES / "review_household.md"
        version = publish_form(session, services.blobs, project_id, path.read_bytes(), path.name)
        return version.form


def household_xml(
    instance_id: str,
    *,
    place: Place = PHRA_NAKHON,
    name: str = "สมชาย ใจดี",
    members: tuple[tuple[str, str], ...] = (("สมชาย", VALID_CID), ("สมหญิง", OTHER_CID)),
    rooms: int = 3,
    religion: str = "พุทธ",
    minutes: float | None = 20,
    point: tuple[float, float] | None = (13.7563, 100.5018),
    deprecated_id: str | None = None,
) -> bytes:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    times = ""
    if minutes is not None:
        end = start + timedelta(minutes=minutes)
        times = f"<start>{start.isoformat()}</start><end>{end.isoformat()}</end>"
    location = f"<location>{point[0]} {point[1]} 10 5</location>" if point else "<location/>"
    people = "".join(f"<members><first_name>{n}</first_name><nid>{c}</nid></members>" for n, c in members)
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        f'<data id="{FORM_ID}" version="1">{times}'
        f"<province>{place.province}</province><district>{place.district}</district>"
        f"<subdistrict>{place.subdistrict}</subdistrict><village>{place.village}</village>"
        f"<respondent_name>{name}</respondent_name>{location}<rooms>{rooms}</rooms>"
        f"<religion>{religion}</religion>{people}"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}</meta></data>"
    ).encode()


def submit(
    services: Services,
    project_id: int,
    user: User,
    xml: bytes,
    *,
    created_at: datetime | None = None,
) -> int:
    """Send like Collect, process like the worker; returns the submission id."""
    with services.db.session() as session:
        result = intake.accept_submission(
            session, services.blobs, project_id, xml, [], user=session.get(User, user.id)
        )
        session.commit()
        process_submission_version(session, services.blobs, result.version_id)
        if created_at is not None:
            session.execute(
                update(Submission).where(Submission.id == result.submission_id).values(created_at=created_at)
            )
        return result.submission_id


def make_user(
    services: Services,
    username: str,
    role: str,
    project_id: int | None,
    area_code: str | None = None,
) -> User:
    with services.db.session() as session:
        return users.create_user(
            session,
            username,
            role,
            password=PASSWORD,
            project_id=project_id if role != "admin" else None,
            area_code=area_code,
        )


def current_version(session: Session, submission_id: int) -> SubmissionVersion:
    version = session.scalar(
        select(SubmissionVersion)
        .join(Submission, Submission.current_version_id == SubmissionVersion.id)
        .where(Submission.id == submission_id)
    )
    assert version is not None
    return version
