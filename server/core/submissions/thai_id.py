"""Thai citizen ID (เลขประจำตัวประชาชน 13 หลัก) validation, re-checked on the server.

The forms already refuse a bad checksum on the phone, but a submission can arrive from an old form
version, a hand-edited XML or another client, so the server checks again with the same rule.
"""

from __future__ import annotations

import re

_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")


def thai_citizen_id_check_digit(first_twelve: str) -> int:
    """Return the check digit for the first 12 digits: (11 - Σ dᵢ·(13−i) mod 11) mod 10."""
    total = sum(int(digit) * (13 - i) for i, digit in enumerate(first_twelve))
    return (11 - total % 11) % 10


def is_valid_thai_citizen_id(value: str) -> bool:
    """Return True if ``value`` is exactly 13 ASCII digits with a correct check digit.

    The first digit (person type) is deliberately not restricted: cards issued to people without
    Thai registration status may start with 0, and the XLSForm constraint accepts them too, so the
    server must agree with the phone. Separators (``1-1120-34563-56-2``) and Thai digits are refused,
    because the form stores digits only.
    """
    if not isinstance(value, str) or _THIRTEEN_DIGITS.fullmatch(value) is None:
        return False
    return thai_citizen_id_check_digit(value[:12]) == int(value[12])
