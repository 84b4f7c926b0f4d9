"""The OData problems, with ODK Central's problem codes (lib/util/problem.js) and Thai / English text."""

from __future__ import annotations

from server.core.ground.errors import BadRequest


class ODataFilterError(BadRequest):
    """A $filter or $orderby that cannot be parsed (Central's 400.18)."""

    code = "400.18"

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(
            f"อ่านเงื่อนไข $filter ไม่ได้: {reason} / The OData filter expression you provided could not be "
            f"parsed: {reason}",
            reason=reason,
            **details,
        )


class ODataPropertyNotFound(BadRequest):
    """A $select, $filter or $orderby naming a property the form does not have (Central's 400.23)."""

    code = "400.23"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"ไม่พบคุณสมบัติชื่อ '{name}' / Could not find a property named '{name}'", property=name
        )


class ODataQueryError(BadRequest):
    """A paging or other query option with a value that is not allowed ($top=-1, $skip=abc …)."""

    code = "400.8"

    def __init__(self, option: str, value: str, reason: str) -> None:
        super().__init__(
            f"ค่า {option} ไม่ถูกต้อง ({value}): {reason} / Unexpected {option} value {value}; {reason}",
            field=option,
            value=value,
        )
