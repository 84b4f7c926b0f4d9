"""The ODK Collect settings QR code: a collector's token URL and sensible defaults for Thai field work,
encoded as base64(zlib(JSON)) exactly as Collect's settings importer reads it."""

from __future__ import annotations

import base64
import io
import json
import zlib
from pathlib import Path
from typing import Any

import segno

PROJECT_ICON = "ช"
PROJECT_COLOR = "#1b5e20"


def collect_url(base_url: str, token: str, project_id: int) -> str:
    """The server URL a collector's phone uses: the token in the path means no password prompt."""
    return f"{base_url.rstrip('/')}/key/{token}/projects/{project_id}"


def collect_settings(
    base_url: str, token: str, project_id: int, project_name: str, *, username: str | None = None
) -> dict[str, Any]:
    """Collect settings for one collector and project. Importing a QR clears every other setting on the
    phone, so everything that should differ from Collect's defaults is spelled out here."""
    general: dict[str, Any] = {
        "server_url": collect_url(base_url, token, project_id),
        # The phone mirrors the server's published forms: new versions arrive, closed forms disappear.
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
        "app_language": "th_TH",
        # Keep sent forms on the phone (Collect's default): they can still be opened or edited after
        # sending, and they are a second copy until the office has backed the server up.
        "delete_send": False,
    }
    if username:
        general["metadata_username"] = username  # fills the form's `username` metadata question
    return {
        "general": general,
        "admin": {},
        "project": {"name": project_name, "icon": PROJECT_ICON, "color": PROJECT_COLOR},
    }


def encode_settings(settings: dict[str, Any]) -> str:
    """base64(zlib(UTF-8 JSON)): zlib with its header, as java.util.zip.Inflater expects."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_settings(payload: str) -> dict[str, Any]:
    """The inverse of encode_settings, as Collect does it on import."""
    data: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
    return data


def _qr(payload: str) -> segno.QRCode:
    # Error level L keeps the code small enough for cheap phone cameras, as ODK Central does.
    return segno.make(payload, error="l", micro=False)


def qr_png(payload: str, path: str | Path, *, scale: int = 8) -> Path:
    target = Path(path)
    _qr(payload).save(str(target), kind="png", scale=scale, border=4)
    return target


def qr_terminal(payload: str) -> str:
    """The QR drawn with block characters, two modules per character row, for a terminal."""
    out = io.StringIO()
    _qr(payload).terminal(out=out, compact=True)
    return out.getvalue()


def qr_svg(payload: str, *, scale: int = 5) -> str:
    """The QR code as an inline <svg> element (for the printable onboarding sheet)."""
    svg: str = _qr(payload).svg_inline(scale=scale, border=4, dark="#000", light="#fff")
    return svg
