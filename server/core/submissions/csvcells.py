"""The CSV cells processing stores beside a version's typed values (exports.prerendered): rendered
for the default layout of the form version the submission was flattened against."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from exports.prerendered import Prerendered, Renderer, prerender, renderer_for

if TYPE_CHECKING:
    from server.core.submissions.processing import Flattened

_MAX_RENDERERS = 64
_renderers: OrderedDict[int, tuple[Mapping[str, Any], Renderer]] = OrderedDict()


def _renderer(form_version_id: int, schema: Mapping[str, Any]) -> Renderer:
    """One renderer per form version per process. The schema object is part of the key's check:
    a draft re-uploaded under the same id gets a new one (and a stale entry could only store cells
    under a tag no current plan has, which exports then render afresh)."""
    hit = _renderers.get(form_version_id)
    if hit is not None and hit[0] is schema:
        _renderers.move_to_end(form_version_id)
        return hit[1]
    renderer = renderer_for(schema)
    _renderers[form_version_id] = (schema, renderer)
    while len(_renderers) > _MAX_RENDERERS:
        _renderers.popitem(last=False)
    return renderer


def csv_cells(form_version_id: int, schema: Mapping[str, Any], flat: Flattened) -> Prerendered:
    return prerender(
        _renderer(form_version_id, schema),
        flat.values,
        [(r.repeat_path, r.values, r.key, r.parent_key) for r in flat.repeats],
    )
