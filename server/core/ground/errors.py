"""Domain errors. Each carries an HTTP-like status, a problem code and a message a person can act on;
the web layer maps them to OpenRosa XML or JSON in one place."""

from __future__ import annotations

from typing import Any


class ChumchonError(Exception):
    status = 400
    code = "400.0"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(ChumchonError):
    status, code = 400, "400.1"


class InvalidXml(ChumchonError):
    """Malformed, hostile (entities, DTDs), non-UTF-8 or wrongly rooted XML."""

    status, code = 400, "400.2"


class InvalidXlsForm(ChumchonError):
    status, code = 400, "400.3"


class Unauthenticated(ChumchonError):
    status, code = 401, "401.1"


class Forbidden(ChumchonError):
    status, code = 403, "403.1"


class NotFound(ChumchonError):
    status, code = 404, "404.1"


class FormVersionNotFound(NotFound):
    code = "404.6"


class Conflict(ChumchonError):
    status, code = 409, "409.1"


class FormClosed(ChumchonError):
    status, code = 409, "409.2"


class TooLarge(ChumchonError):
    status, code = 413, "413.1"


class TooManyAttempts(ChumchonError):
    """Sign-in refused for a while after repeated failures (per account or per address)."""

    status, code = 429, "429.1"


class Unavailable(ChumchonError):
    """Something the request needs is briefly out of reach; the client should send again later."""

    status, code = 503, "503.1"


class StorageUnavailable(Unavailable):
    code = "503.2"
class AlreadyExists(Conflict):
    """ODK Central's uniquenessViolation: e.g. a new form whose form ID is taken."""

    code = "409.3"


class VersionExists(Conflict):
    """Publishing a draft under a version the form has already published."""

    code = "409.6"


class NoPublishedVersion(Conflict):
    code = "409.7"


class FormWarnings(BadRequest):
    """An XLSForm that converts with warnings, uploaded without ?ignoreWarnings=true (as Central)."""

    code = "400.16"


class AuthenticationFailed(Unauthenticated):
    """Wrong user name or password at sign-in (Central's 401.2)."""

    code = "401.2"
