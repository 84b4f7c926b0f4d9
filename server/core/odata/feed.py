"""An OData feed request, checked before anything is sent ($top, $skip, $count, $select, $expand,
$wkt, $filter, $orderby, $skiptoken; permissions, area, masking), then streamed as JSON byte chunks
page by page: `{"@odata.context", "@odata.count"?, "value": [...], "@odata.nextLink"?}`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from sqlalchemy.orm import Session

from server.core.accounts import permissions
from server.core.exports.rows import SessionFactory
from server.core.forms import masking
from server.core.ground.errors import NotFound
from server.core.models import Form, FormVersion, Submission, User
from server.core.odata import entities, filters, reading
from server.core.odata.errors import ODataQueryError
from server.core.odata.model import FormModel, Table, build_model

TOKEN_PREFIX = "01"  # Central's $skiptoken: "01" + base64 of a small JSON object


def form_model(form: Form, draft: FormVersion | None = None) -> tuple[FormModel, dict[str, Any]]:
    """The feed's model: of the published version, or of `draft` (the draft feed, `…/draft.svc`, whose
    rows are the draft's test submissions under the form's test twin)."""
    if draft is not None:
        schema = dict(draft.field_schema or {})
        return build_model(schema, draft.form.xml_form_id), schema
    if form.current_version is None:
        raise NotFound(f"ยังไม่ได้เผยแพร่แบบฟอร์ม {form.xml_form_id} / Form {form.xml_form_id!r} is not published.")
    schema = dict(form.current_version.field_schema or {})
    return build_model(schema, form.xml_form_id), schema


def encode_token(data: Mapping[str, Any]) -> str:
    return TOKEN_PREFIX + base64.b64encode(orjson.dumps(dict(data))).decode()


def decode_token(raw: str) -> dict[str, Any]:
    try:
        if not raw.startswith(TOKEN_PREFIX):
            raise ValueError(raw)
        data = orjson.loads(base64.b64decode(raw[len(TOKEN_PREFIX) :], validate=True))
        if not isinstance(data, dict):
            raise ValueError(raw)
        return data
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise ODataQueryError("$skiptoken", raw[:40], "it is not a token this server gave") from exc


def _whole(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 2**31 - 1:
        raise ODataQueryError(name, raw[:40], "it must be a whole number from 0")
    return int(raw)


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw.lower() in ("", "false"):
        return False
    if raw.lower() == "true":
        return True
    raise ODataQueryError(name, raw[:40], "it must be true or false")


@dataclass
class Feed:
    """A checked request for one entity set; `stream()` yields the response body."""

    sessions: SessionFactory
    model: FormModel
    table: Table
    query: reading.Query
    options: entities.Options
    selection: entities.Selection
    context_url: str
    next_base: str  # the request URL (absolute) that nextLink is built from
    params: dict[str, str]
    top: int | None = None
    skip: int = 0
    count: int | None = None
    token: dict[str, Any] = field(default_factory=dict)
    instance_id: str | None = None  # Submissions('…'): one submission
    parent_id: str | None = None  # …/members('…')/visits: only the rows under that one
    builder: entities.Builder | None = None  # the compiled row builder, made at the first row
    prefetch: bool = False  # read the next page in a thread meanwhile (PostgreSQL)

    def next_link(self, token: Mapping[str, Any]) -> str:
        base, _, query = self.next_base.partition("?")
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("$skip", "$skiptoken")]
        return f"{base}?{urlencode([*kept, ('$skiptoken', encode_token(token))])}"

    def stream(self) -> Iterator[bytes]:
        head = b'{"@odata.context":' + orjson.dumps(self.context_url)
        if self.count is not None:
            head += b',"@odata.count":' + str(self.count).encode()
        yield head + b',"value":['
        first = True
        next_token: dict[str, Any] | None = None
        for batch, token in self._batches():
            if token is not None:
                next_token = token
            if batch:
                yield (b"" if first else b",") + b",".join(batch)
                first = False
        tail = b"]"
        if next_token is not None:
            tail += b',"@odata.nextLink":' + orjson.dumps(self.next_link(next_token))
        yield tail + b"}"

    def _entities(self, sub: entities.SubmissionData) -> list[dict[str, Any]]:
        if self.builder is None:
            self.builder = entities.Builder(self.options)
        if self.table.repeat_path is None:
            found = [entities.submission_entity(self.model, sub, self.options, self.builder)]
        else:
            found = entities.repeat_entities(self.model, self.table, sub, self.options, self.builder)
            if self.parent_id is not None:
                found = [e for e in found if e.get(self.table.parent_key or "") == self.parent_id]
        return [entities.project(e, self.selection) for e in found]

    def _repeat_paths(self) -> tuple[str, ...]:
        if self.table.repeat_path is None and not self.options.expand:
            return ()
        inside = self.table.repeat_path
        # The table's rows, the rows inside them ($expand) and their ancestors (navigation links).
        return tuple(
            p
            for p in self.model.by_repeat
            if inside is None or p == inside or p.startswith(inside + "/") or inside.startswith(p + "/")
        )

    def _batches(self) -> Iterator[tuple[list[bytes], dict[str, Any] | None]]:
        """Lists of entities to send (each serialised as soon as it is built, so that only bytes
        outlive it), and (once, at the end) the token of the next page if any."""
        main = self.table.repeat_path is None
        after = None
        if "instanceId" in self.token:
            with self.sessions() as session:
                after = reading.sort_values(session, self.query, str(self.token["instanceId"]))
            if after is None:
                raise ODataQueryError("$skiptoken", str(self.token["instanceId"])[:40], "that row is gone")
        skip = 0 if self.token else self.skip
        want = None if self.top is None else self.top + 1  # one more tells whether a next page exists
        pages = reading.submission_pages(
            self.sessions,
            self.query,
            after=after,
            inclusive=not main and after is not None,
            offset=skip if main else 0,
            limit=want if main else None,
            repeat_paths=self._repeat_paths(),
            prefetch=self.prefetch,
        )
        sent = 0
        to_skip = 0 if main else skip
        # A repeat table resumes inside the token's submission, after the row the token names.
        resume_in = None if main else self.token.get("instanceId")
        resume_row = self.token.get("repeatId")
        last: tuple[entities.SubmissionData, dict[str, Any]] | None = None
        for page in pages:
            out: list[bytes] = []
            for sub in page:
                for entity in self._entities(sub):
                    if resume_row is not None and sub.instance_id == resume_in:
                        if entity["__id"] == resume_row:
                            resume_row = None
                        continue
                    if to_skip:
                        to_skip -= 1
                        continue
                    if self.top is not None and sent >= self.top:
                        yield out, (_token(self.table, *last) if last is not None else None)
                        return
                    out.append(orjson.dumps(entity))
                    last = (sub, entity)
                    sent += 1
                if sub.instance_id == resume_in:
                    resume_row = None
            yield out, None


def _token(table: Table, last_sub: entities.SubmissionData, last_entity: dict[str, Any]) -> dict[str, Any]:
    if table.repeat_path is None:
        return {"instanceId": last_sub.instance_id}
    return {"instanceId": last_sub.instance_id, "repeatId": last_entity["__id"]}


def reader_view(session: Session, user: User | None, form: Form, schema: Mapping[str, Any]) -> tuple[Any, frozenset[str]]:
    """The reader's area condition (Forbidden without submission.read) and the answers masked for him."""
    scope = permissions.submission_scope(session, user, form.project_id, "submission.read")
    reveal = permissions.can(session, user, "submission.read_sensitive", form.project_id)
    return scope, frozenset() if reveal else masking.sensitive_paths(schema)


def open_feed(
    session: Session,
    sessions: SessionFactory,
    user: User | None,
    form: Form,
    table_name: str,
    params: Mapping[str, str],
    *,
    service_url: str,
    request_url: str,
    instance_id: str | None = None,
    parent_id: str | None = None,
    draft: FormVersion | None = None,
) -> Feed:
    """Check everything about the request (raising a 4xx problem) and return the feed to stream.
    With `draft`, `form` is the form's test twin and the model the draft's."""
    model, schema = form_model(form, draft)
    table = model.table(table_name)
    if table is None:
        raise NotFound(f"ไม่พบตาราง {table_name} / Could not find the resource you were looking for.")
    scope, masked = reader_view(session, user, form, schema)
    top, skip = _whole(params, "$top"), _whole(params, "$skip") or 0
    expand = params.get("$expand")
    if expand not in (None, "", "*"):
        raise ODataQueryError("$expand", expand[:40], 'only "$expand=*" is supported')
    dialect = session.get_bind().dialect.name
    conditions = []
    if params.get("$filter"):
        conditions.append(filters.parse_filter(params["$filter"], model, dialect))
    if instance_id is not None:
        conditions.append(Submission.instance_id == instance_id)
    order = filters.parse_orderby(params.get("$orderby"))
    if table.repeat_path is not None and params.get("$orderby"):
        raise ODataQueryError("$orderby", params["$orderby"][:40], "repeat tables keep their submissions' order")
    query = reading.Query(
        form.id, scope, tuple(conditions), tuple(order),
        include_deleted="__system/deletedAt" in (params.get("$filter") or ""),
    )
    token = decode_token(params["$skiptoken"]) if params.get("$skiptoken") else {}
    feed = Feed(
        sessions,
        model,
        table,
        query,
        entities.Options(wkt=_flag(params, "$wkt"), expand=expand == "*", masked=masked),
        entities.parse_select(params.get("$select"), table),
        context_url=f"{service_url}/$metadata#{table.name}",
        next_base=request_url,
        params=dict(params),
        top=top,
        skip=skip,
        token=token,
        instance_id=instance_id,
        parent_id=parent_id,
        prefetch=dialect == "postgresql",
    )
    if instance_id is not None and reading.count_submissions(sessions, query) == 0:
        raise NotFound(f"ไม่พบข้อมูลที่ส่ง {instance_id} / Could not find the resource you were looking for.")
    if _flag(params, "$count"):
        feed.count = _count(feed)
    return feed


def _count(feed: Feed) -> int:
    if feed.table.repeat_path is None:
        return reading.count_submissions(feed.sessions, feed.query)
    if feed.parent_id is None:
        return reading.count_repeat_rows(feed.sessions, feed.query, feed.table.repeat_path)
    counting = replace(feed, top=None, skip=0, token={}, selection=None)
    return sum(len(batch) for batch, _ in counting._batches())

