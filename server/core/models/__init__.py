"""The schema, one module per concern; import models from here."""

from server.core.models.accounts import ROLES, ApiSession, LoginFailure, RoleGrant, User, WebSession
from server.core.models.base import Base, utcnow
from server.core.models.derived import QualityFlag, Record, RepeatRow
from server.core.models.forms import Form, FormMedia, FormVersion, Project
from server.core.models.jobs import AuditEvent, Export
from server.core.models.review import Comment, SubmissionSearch
from server.core.models.submissions import Attachment, Submission, SubmissionVersion

__all__ = [
    "ROLES",
    "ApiSession",
    "Attachment",
    "AuditEvent",
    "Base",
    "Comment",
    "Export",
    "Form",
    "FormMedia",
    "FormVersion",
    "LoginFailure",
    "Project",
    "QualityFlag",
    "Record",
    "RepeatRow",
    "RoleGrant",
    "Submission",
    "SubmissionSearch",
    "SubmissionVersion",
    "User",
    "WebSession",
    "utcnow",
]
