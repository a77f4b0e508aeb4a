"""Graph Batch API operations and their results (meta-graph.md §8).

A batch is one ``POST /{version}/`` carrying up to 50 operations; each comes back as
``{"code", "headers", "body"}`` where ``body`` is a JSON *string*, or as ``null`` when the
operation did not finish in time. Per-operation failures arrive inline while the outer call
succeeds, so each result carries its own typed error.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from metaads.graph.encoding import Fields, Params, encode_params, join_fields
from metaads.graph.errors import GraphError, GraphRateLimitError, GraphResponseError, GraphTransientError, classify
from metaads.graph.urls import validate_path

MAX_BATCH_SIZE = 50

Method = t.Literal["GET", "POST", "DELETE"]


@dataclasses.dataclass(frozen=True)
class BatchRequest:
    """One operation. Build with :meth:`get`, :meth:`post` or :meth:`delete`; every operation
    runs with the batch's token (per-operation tokens are not supported).

    :param path: the Graph path relative to the version (``123``, ``act_1/campaigns``).
    :param query: the operation's query parameters, already encoded.
    :param body: the operation's form fields (POST), already encoded.
    """

    method: Method
    path: str
    query: Mapping[str, str] = dataclasses.field(default_factory=dict)
    body: Mapping[str, str] | None = None
    name: str | None = None

    @classmethod
    def get(cls, path: str, *, fields: Fields, params: Params | None = None, name: str | None = None) -> BatchRequest:
        """A read; ``fields`` is required, as on :meth:`GraphClient.get`."""
        query = {**encode_params(params), "fields": join_fields(fields)}
        return cls("GET", validate_path(path), query, None, name)

    @classmethod
    def post(cls, path: str, data: Params | None = None, *, name: str | None = None) -> BatchRequest:
        return cls("POST", validate_path(path), {}, encode_params(data), name)

    @classmethod
    def delete(cls, path: str, params: Params | None = None, *, name: str | None = None) -> BatchRequest:
        return cls("DELETE", validate_path(path), encode_params(params), None, name)

    @property
    def relative_url(self) -> str:
        return f"{self.path}?{urlencode(self.query)}" if self.query else self.path

    def to_json(self) -> dict[str, str]:
        """The operation as the ``batch`` parameter lists it."""
        op = {"method": self.method, "relative_url": self.relative_url}
        if self.body:
            op["body"] = urlencode(self.body)
        if self.name:
            op["name"] = self.name
        return op


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The outcome of one operation.

    :param status: the operation's HTTP code, ``None`` when Meta returned ``null`` (timed out).
    :param headers: the operation's headers (names lower-cased).
    :param body: the decoded body; ``None`` when timed out.
    :param error: the typed error, ``None`` on success. A timed-out operation carries a
        :class:`GraphTransientError`.
    """

    request: BatchRequest
    status: int | None
    headers: Mapping[str, str]
    body: t.Any
    error: GraphError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        return self.status is None

    @property
    def retryable(self) -> bool:
        """Worth sending again later (timed out, transient, or throttled)."""
        if self.error is None:
            return False
        return self.timed_out or self.error.is_transient or isinstance(self.error, GraphRateLimitError)


def chunks(requests: list[BatchRequest], size: int = MAX_BATCH_SIZE) -> Iterable[list[BatchRequest]]:
    """``requests`` in batches Meta accepts."""
    for start in range(0, len(requests), size):
        yield requests[start : start + size]


def parse_result(request: BatchRequest, item: t.Any, *, secrets: Iterable[str | None], log_path: str) -> BatchResult:
    """One element of a batch response as a :class:`BatchResult`."""
    path = f"{request.method} {log_path}"
    if item is None:
        error = GraphTransientError("batch operation timed out (Meta returned null)", path=path)
        return BatchResult(request, None, {}, None, error)
    if not isinstance(item, Mapping):
        return BatchResult(request, None, {}, None, GraphResponseError("unreadable batch item", path=path))
    status = item.get("code") if isinstance(item.get("code"), int) else None
    headers = _headers(item.get("headers"))
    body = _decode(item.get("body"))
    if status is not None and 200 <= status < 300 and not (isinstance(body, Mapping) and "error" in body):
        return BatchResult(request, status, headers, body, None)
    return BatchResult(request, status, headers, body, classify(body, status, headers, secrets=secrets, path=path))


def _headers(raw: t.Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    return {str(h["name"]).lower(): str(h.get("value", "")) for h in raw if isinstance(h, Mapping) and "name" in h}


def _decode(raw: t.Any) -> t.Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
