"""The schema, one module per concern; import models from here."""

from server.core.models.accounts import ROLES, ApiSession, DigestNonce, RoleGrant, User
from server.core.models.base import Base, utcnow
from server.core.models.derived import QualityFlag, Record, RepeatRow
from server.core.models.forms import Form, FormMedia, FormVersion, Project
from server.core.models.jobs import AuditEvent, Export
from server.core.models.submissions import Attachment, Submission, SubmissionVersion

__all__ = [
    "ROLES",
    "ApiSession",
    "Attachment",
    "AuditEvent",
    "Base",
    "DigestNonce",
    "Export",
    "Form",
    "FormMedia",
    "FormVersion",
    "Project",
    "QualityFlag",
    "Record",
    "RepeatRow",
    "RoleGrant",
    "Submission",
    "SubmissionVersion",
    "User",
    "utcnow",
]
