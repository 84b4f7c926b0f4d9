"""Download headers shared by the web surfaces."""

from __future__ import annotations

from urllib.parse import quote


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 Content-Disposition with an ASCII fallback name and the real (Thai) name as filename*."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
