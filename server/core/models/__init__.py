"""The schema, one module per concern; import models from here."""

from server.core.models.accounts import (
    ROLES,
    ApiSession,
    DigestNonce,
    FieldKey,
    FormAssignment,
    LoginFailure,
    RoleGrant,
    User,
    WebSession,
)
from server.core.models.base import Base, utcnow
from server.core.models.cache import CACHE_EPOCH_ID, CacheEpoch
from server.core.models.derived import QualityFlag, Record, RepeatRow
from server.core.models.entities import (
    Entity,
    EntityList,
    EntityListForm,
    EntityProperty,
    EntitySubmission,
    EntityVersion,
)
from server.core.models.forms import Form, FormMedia, FormVersion, Project
from server.core.models.jobs import AuditEvent, Export
from server.core.models.public_links import PublicLink, PublicLinkHit
from server.core.models.reports import ReportResult
from server.core.models.review import Comment, FlagTally, SubmissionSearch, SubmissionTally
from server.core.models.submissions import Attachment, Submission, SubmissionVersion
from server.core.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "CACHE_EPOCH_ID",
    "ROLES",
    "ApiSession",
    "Attachment",
    "AuditEvent",
    "Base",
    "CacheEpoch",
    "Comment",
    "DigestNonce",
    "Entity",
    "EntityList",
    "EntityListForm",
    "EntityProperty",
    "EntitySubmission",
    "EntityVersion",
    "Export",
    "FieldKey",
    "FlagTally",
    "Form",
    "FormAssignment",
    "FormMedia",
    "FormVersion",
    "LoginFailure",
    "Project",
    "PublicLink",
    "PublicLinkHit",
    "QualityFlag",
    "Record",
    "RepeatRow",
    "ReportResult",
    "RoleGrant",
    "Submission",
    "SubmissionSearch",
    "SubmissionTally",
    "SubmissionVersion",
    "User",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
