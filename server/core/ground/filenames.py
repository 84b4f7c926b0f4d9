"""The one rule for file names that come from outside (form media, submission attachments)."""

from __future__ import annotations

MAX_NAME_LENGTH = 255


def is_safe_file_name(name: str) -> bool:
    """A plain base name: no folders, no '..', no leading dot, no control characters.

    Thai and other Unicode stay allowed: attachment names must match the XML exactly."""
    return (
        bool(name)
        and len(name) <= MAX_NAME_LENGTH
        and "/" not in name
        and "\\" not in name
        and ".." not in name
        and not name.startswith(".")
        and not any(ord(ch) < 32 for ch in name)
    )
