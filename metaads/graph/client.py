"""``GraphClient``: every call metaads makes to Meta's Graph / Marketing API goes through here.

What each request gets, whoever calls it:

* the URL is the configured base + version + a checked path (:mod:`metaads.graph.urls`);
  redirects are never followed (ASVS 15.3.2); every request has a timeout;
* the token rides in the ``Authorization`` header (GET/DELETE) or the form body (POST), never
  in the URL, and ``appsecret_proof`` goes with every token, batch calls included;
* reads always send ``fields`` (Meta returns little more than ids without it);
* the usage store is consulted *before* sending, and fed from the usage headers of every
  response, so a throttled scope stops all workers before Meta blocks them longer;
* failures become typed :mod:`metaads.graph.errors`; only transient ones are retried here, with
  exponential backoff and full jitter. Throttles are raised for the job layer to re-enqueue;
* logs carry method, path, status, Graph ids and error codes, never a token or a query string.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import time
import typing as t
from collections.abc import Callable, Iterator, Mapping, Sequence

import redis
import requests
from requests.adapters import HTTPAdapter

from metaads.graph.batch import BatchRequest, BatchResult, chunks, parse_result
from metaads.graph.encoding import NO_FIELDS, FieldsArg, Params, appsecret_proof, encode_params, join_fields
from metaads.graph.errors import (
    APP_RATE_LIMIT_CODES,
    GraphError,
    GraphRateLimitError,
    GraphResponseError,
    GraphTransientError,
    GraphUnsafeNextError,
    classify,
    scrub,
)
from metaads.graph.paging import Page, raw_next
from metaads.graph.retry import Backoff
from metaads.graph.urls import GraphBase, Query, validate_path
from metaads.graph.usage import (
    APP_SCOPE,
    InMemoryUsageStore,
    RedisUsageStore,
    UsageStore,
    ad_account_of,
    parse_usage,
    scopes_for_path,
)
from plugins.core.security import RedactingFilter
from plugins.core.settings import ConfigError

log = logging.getLogger("metaads.graph")

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
#: The largest page size asked for when a caller only gives a total ``limit``.
MAX_PAGE_SIZE = 500
#: Parameters whose values are secrets wherever they appear (OAuth exchanges, debug_token).
SENSITIVE_PARAMS = frozenset({"access_token", "appsecret_proof", "client_secret", "code", "fb_exchange_token", "input_token"})

JSON = dict[str, t.Any]


@dataclasses.dataclass(frozen=True)
class _Outcome:
    body: t.Any
    error: GraphError | None
    # True when retrying cannot repeat a write: Meta answered with an error envelope, or the
    # connection was never made.
    retry_safe: bool = False


class GraphClient:
    """A Graph API client on a pooled ``requests.Session``.

    :param base_url: ``https://graph.facebook.com``, or the local sandbox's ``http://127.0.0.1:PORT``.
    :param version: the API version in every path, e.g. ``v25.0``.
    :param app_id: the Meta app id (``FACEBOOK_CLIENT_ID``); needed for app tokens and OAuth.
    :param app_secret: the app secret; without it no ``appsecret_proof`` can be sent.
    :param session: a session to use instead of the client's own pooled one.
    :param timeout: seconds, for every request.
    :param usage_store: where throttles are shared; an in-process store when ``None``.
    :param max_retries: retries of a transient failure (so up to ``max_retries + 1`` attempts).
    :param sleep: how to wait between retries (inject a fake in tests).
    :param backoff: the retry delays.
    :param usage_threshold: a usage percentage at or above which a scope is paused.
    :param usage_cooldown: seconds to pause a scope whose usage header gives no duration.
    """

    def __init__(
        self,
        base_url: str,
        version: str,
        app_id: str | None,
        app_secret: str | None,
        *,
        session: requests.Session | None = None,
        timeout: float = 30,
        usage_store: UsageStore | None = None,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff | None = None,
        usage_threshold: float = 90.0,
        usage_cooldown: float = 60.0,
    ) -> None:
        self.base = GraphBase.parse(base_url, version)
        self.app_id = app_id
        self._app_secret = app_secret
        self.timeout = timeout
        self.usage_store = usage_store if usage_store is not None else InMemoryUsageStore()
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.usage_threshold = usage_threshold
        self.usage_cooldown = usage_cooldown
        self._sleep = sleep
        self._owns_session = session is None
        self._session = session if session is not None else pooled_session()
        _redact_transport_logs()
        if not app_secret:
            log.warning("no Meta app secret configured: Graph calls go without appsecret_proof")

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, t.Any],
        *,
        session: requests.Session | None = None,
        usage_store: UsageStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> GraphClient:
        """A client from Flask-style config.

        Reads ``FACEBOOK_GRAPH_VERSION`` (required: its one default is the platform's settings),
        ``FACEBOOK_GRAPH_URL``, ``FACEBOOK_CLIENT_ID``,
        ``FACEBOOK_CLIENT_SECRET``, and optionally ``METAADS_GRAPH_TIMEOUT``,
        ``METAADS_GRAPH_MAX_RETRIES``, ``METAADS_GRAPH_USAGE_THRESHOLD``. Without a
        ``usage_store``, ``REDIS_URL`` (when set) gives a :class:`RedisUsageStore` shared by all
        workers; build one client per process, it holds the connection pools.
        """
        version = config.get("FACEBOOK_GRAPH_VERSION")
        if not version:
            raise ValueError("FACEBOOK_GRAPH_VERSION is not set (the platform's settings give its default)")
        return cls(
            config.get("FACEBOOK_GRAPH_URL") or DEFAULT_GRAPH_URL,
            version,
            config.get("FACEBOOK_CLIENT_ID") or None,
            config.get("FACEBOOK_CLIENT_SECRET") or None,
            session=session,
            timeout=float(config.get("METAADS_GRAPH_TIMEOUT", 30)),
            usage_store=usage_store if usage_store is not None else _usage_store_from(config),
            max_retries=int(config.get("METAADS_GRAPH_MAX_RETRIES", 3)),
            sleep=sleep,
            usage_threshold=float(config.get("METAADS_GRAPH_USAGE_THRESHOLD", 90.0)),
        )

    def __repr__(self) -> str:
        return f"GraphClient({self.base.scheme}://{self.base.netloc}{self.base.version_prefix}, app_id={self.app_id!r})"

    def close(self) -> None:
        """Close the client's own session (a session passed in is left to its owner)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- credentials -------------------------------------------------------------------------

    def app_access_token(self) -> str:
        """The app token ``{app_id}|{app_secret}`` (for ``debug_token`` and app subscriptions)."""
        return "|".join(self._app_credentials())

    def client_credentials(self) -> dict[str, str]:
        """``client_id`` and ``client_secret`` for the OAuth token exchanges."""
        app_id, secret = self._app_credentials()
        return {"client_id": app_id, "client_secret": secret}

    def _app_credentials(self) -> tuple[str, str]:
        if not self.app_id or not self._app_secret:
            raise ConfigError("Set FACEBOOK_CLIENT_ID and FACEBOOK_CLIENT_SECRET: this call needs the Meta app's credentials.")
        return self.app_id, self._app_secret

    def _proof(self, token: str) -> str | None:
        return appsecret_proof(self._app_secret, token) if self._app_secret else None

    # -- plain calls -------------------------------------------------------------------------

    def get(self, path: str, token: str | None, params: Params | None = None, *, fields: FieldsArg) -> JSON:
        """``GET`` a node or edge. ``fields`` is required (``NO_FIELDS`` for the few endpoints
        that take none, like ``debug_token``)."""
        return _object(self._call("GET", validate_path(path), token, query=_read_query(params, fields)))

    def post(self, path: str, token: str | None, data: Params | None = None) -> JSON:
        """``POST`` form fields (create/update); nested values are sent as JSON strings."""
        return _object(self._call("POST", validate_path(path), token, form=encode_params(data)))

    def delete(self, path: str, token: str | None, params: Params | None = None) -> JSON:
        """``DELETE`` a node."""
        return _object(self._call("DELETE", validate_path(path), token, query=list(encode_params(params).items())))

    # -- paging ------------------------------------------------------------------------------

    def pages(
        self,
        path: str,
        token: str | None,
        params: Params | None = None,
        *,
        fields: FieldsArg,
        page_size: int | None = None,
        after: str | None = None,
    ) -> Iterator[Page[JSON]]:
        """Every page of an edge, following ``paging.next`` until it is absent.

        :param page_size: Meta's ``limit`` (rows per page).
        :param after: a cursor from :attr:`Page.after` to resume after that page.
        :raises GraphUnsafeNextError: when ``next`` points anywhere but the configured base
            URL; the pages before it have been yielded, nothing is sent to that URL.
        """
        query = _read_query({**(params or {}), "limit": page_size, "after": after}, fields)
        current = validate_path(path)
        seen = {(current, tuple(query))}
        while True:
            body = _object(self._call("GET", current, token, query=query))
            yield Page.from_body(body)
            next_url = raw_next(body)
            if next_url is None:
                return
            current, query = self._follow(current, next_url, fields)
            if (current, tuple(query)) in seen:
                where = f"GET {self.base.log_path(current)}"
                raise GraphResponseError("paging.next points back at a page already read", path=where)
            seen.add((current, tuple(query)))

    def paginate(
        self,
        path: str,
        token: str | None,
        params: Params | None = None,
        *,
        fields: FieldsArg,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[JSON]:
        """Every item of an edge, page after page.

        :param limit: stop after this many items (``None``: to the end).
        :param page_size: Meta's per-page ``limit``; defaults to ``limit`` (at most 500).
        """
        if page_size is None and limit is not None:
            page_size = max(1, min(limit, MAX_PAGE_SIZE))
        pages = self.pages(path, token, params, fields=fields, page_size=page_size)
        # islice stops pulling (and so stops paging) as soon as it has ``limit`` items.
        yield from itertools.islice((item for page in pages for item in page.items), limit)

    def _follow(self, current: str, next_url: str, fields: FieldsArg) -> tuple[str, Query]:
        try:
            path, query = self.base.follow(next_url)
        except GraphUnsafeNextError as exc:
            exc.path = f"GET {self.base.log_path(current)}"
            log.warning("graph refused paging.next after GET %s: %s", self.base.log_path(current), exc.message)
            raise
        if fields is not NO_FIELDS and not any(key == "fields" for key, _ in query):
            query.append(("fields", join_fields(fields)))
        return path, query

    # -- batch -------------------------------------------------------------------------------

    def batch(self, requests: Sequence[BatchRequest], token: str) -> list[BatchResult]:
        """Run operations through the Batch API, 50 per call, results in request order.

        Each result carries its status, headers, decoded body, or a typed error; an operation
        Meta returned as ``null`` (timed out) is a retryable :class:`GraphTransientError`.
        """
        results: list[BatchResult] = []
        for chunk in chunks(list(requests)):
            results.extend(self._batch_chunk(chunk, token))
        return results

    def _batch_chunk(self, chunk: list[BatchRequest], token: str) -> list[BatchResult]:
        form = {"batch": json.dumps([op.to_json() for op in chunk], separators=(",", ":")), "include_headers": "true"}
        scopes = sorted({scope for op in chunk for scope in scopes_for_path(op.path)})
        reads_only = all(op.method == "GET" for op in chunk)
        body = self._call("POST", "", token, form=form, idempotent=reads_only, scopes=scopes)
        if not isinstance(body, list) or len(body) != len(chunk):
            raise GraphResponseError("the batch response does not list one result per operation", path="POST /batch")
        secrets = self._secrets(token)
        results = [
            parse_result(op, item, secrets=secrets, log_path=self.base.log_path(op.path))
            for op, item in zip(chunk, body, strict=True)
        ]
        for result in results:
            self._note_usage(result.headers, result.request.path)
            if isinstance(result.error, GraphRateLimitError):
                self._note_throttle(result.error, result.request.path)
        return results

    # -- the one request loop ----------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        query: Query | None = None,
        form: dict[str, str] | None = None,
        idempotent: bool | None = None,
        scopes: list[str] | None = None,
    ) -> t.Any:
        idempotent = method != "POST" if idempotent is None else idempotent
        scopes = scopes or scopes_for_path(path)
        attempt = 0
        while True:
            self._refuse_if_throttled(method, path, scopes)
            outcome = self._attempt(method, path, token, query or [], form)
            if outcome.error is None:
                return outcome.body
            transient = isinstance(outcome.error, GraphTransientError)
            if not transient or not (idempotent or outcome.retry_safe) or attempt >= self.max_retries:
                raise outcome.error
            delay = self.backoff.delay(attempt)
            attempt += 1
            log.info(
                "graph %s %s: transient failure, retry %d/%d in %.2fs",
                method,
                self.base.log_path(path),
                attempt,
                self.max_retries,
                delay,
            )
            self._sleep(delay)

    def _attempt(self, method: str, path: str, token: str | None, query: Query, form: dict[str, str] | None) -> _Outcome:
        query, form, headers = self._authenticate(method, token, query, form)
        secrets = self._secrets(token, query, form)
        where = f"{method} {self.base.log_path(path)}"
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.base.url_for(path),
                params=query or None,
                data=form,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.warning("graph %s failed: %s", where, type(exc).__name__)
            error = GraphTransientError(f"{type(exc).__name__}: {scrub(str(exc), secrets)}", path=where)
            return _Outcome(None, error, retry_safe=isinstance(exc, requests.ConnectTimeout))
        log.debug("graph %s -> %s in %.0f ms", where, response.status_code, (time.monotonic() - started) * 1000)
        self._note_usage(response.headers, path)
        return self._outcome(response, secrets, where, path)

    def _authenticate(
        self, method: str, token: str | None, query: Query, form: dict[str, str] | None
    ) -> tuple[Query, dict[str, str] | None, dict[str, str]]:
        """Attach the token and its proof: in the form body of a POST, else in the
        ``Authorization`` header (proof in the query), so the token is never in a URL."""
        query, headers = list(query), {"Accept": "application/json"}
        if not token:
            return query, form, headers
        auth = {"appsecret_proof": proof} if (proof := self._proof(token)) else {}
        if method == "POST":
            return query, {**(form or {}), "access_token": token, **auth}, headers
        headers["Authorization"] = f"Bearer {token}"
        return query + list(auth.items()), form, headers

    def _outcome(self, response: requests.Response, secrets: list[str], where: str, path: str) -> _Outcome:
        try:
            body = response.json() if response.content else None
            readable = True
        except ValueError:
            body, readable = None, False
        ok = 200 <= response.status_code < 300
        if ok and readable and not (isinstance(body, Mapping) and "error" in body):
            return _Outcome(body, None)
        if ok and not readable:
            message = "Graph answered with a body that is not JSON"
            error: GraphError = GraphResponseError(message, http_status=response.status_code, path=where)
        else:
            error = classify(body, response.status_code, response.headers, secrets=secrets, path=where)
        log.warning(
            "graph %s -> %s %s code=%s subcode=%s fbtrace_id=%s",
            where,
            response.status_code,
            type(error).__name__,
            error.code,
            error.subcode,
            error.fbtrace_id,
        )
        if isinstance(error, GraphRateLimitError):
            self._note_throttle(error, path)
        return _Outcome(body, error, retry_safe=error.code is not None)

    # -- usage -------------------------------------------------------------------------------

    def _refuse_if_throttled(self, method: str, path: str, scopes: list[str]) -> None:
        block = self.usage_store.blocked(scopes)
        if block is None:
            return
        where = f"{method} {self.base.log_path(path)}"
        log.info("graph %s not sent: %s throttled for %.0fs more (%s)", where, block.scope, block.seconds, block.reason)
        raise GraphRateLimitError(
            f"{block.scope} is throttled ({block.reason}); not calling Meta",
            retry_after=block.seconds,
            scope=block.scope,
            path=where,
        )

    def _note_usage(self, headers: Mapping[str, str], path: str) -> None:
        usage = parse_usage(headers)
        blocks = usage.blocks(account_id=ad_account_of(path), threshold=self.usage_threshold, cooldown=self.usage_cooldown)
        for block in blocks:
            log.info("graph usage: pausing %s for %.0fs (%s)", block.scope, block.seconds, block.reason)
            self.usage_store.block(block.scope, block.seconds, block.reason)

    def _note_throttle(self, error: GraphRateLimitError, path: str) -> None:
        object_scopes = scopes_for_path(path)[1:]
        scope = APP_SCOPE if error.code in APP_RATE_LIMIT_CODES or not object_scopes else object_scopes[0]
        error.scope = error.scope or scope
        self.usage_store.block(scope, error.retry_after, f"Graph error code {error.code}")

    def _secrets(
        self, token: str | None, query: Sequence[tuple[str, str]] = (), form: Mapping[str, str] | None = None
    ) -> list[str]:
        found = [s for s in (token, self._proof(token) if token else None, self._app_secret) if s]
        found += [v for k, v in [*query, *(form or {}).items()] if k in SENSITIVE_PARAMS and v]
        return found


def pooled_session(pool_size: int = 20) -> requests.Session:
    """A session whose connections are reused (keep-alive) across calls and threads.

    urllib3's own retries are off: :class:`GraphClient` decides what is retried.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "metaads-graph"
    return session


def _read_query(params: Params | None, fields: FieldsArg) -> Query:
    if params and "fields" in params:
        raise ValueError("pass fields= rather than params['fields']")
    query = list(encode_params(params).items())
    if fields is None:
        raise ValueError("fields= is required on Graph reads; pass NO_FIELDS for endpoints that take none")
    if fields is not NO_FIELDS:
        query.append(("fields", join_fields(fields)))
    return query


def _object(body: t.Any) -> JSON:
    # Older endpoints answer a bare true/false (e.g. some DELETEs).
    if isinstance(body, bool):
        return {"success": body}
    if not isinstance(body, dict):
        raise GraphResponseError("Graph answered with something other than a JSON object")
    return body


def _usage_store_from(config: Mapping[str, t.Any]) -> UsageStore:
    url = config.get("REDIS_URL")
    if not url:
        return InMemoryUsageStore()
    return RedisUsageStore(redis.Redis.from_url(url))


def _redact_transport_logs() -> None:
    # urllib3 logs every request line, query string included, at DEBUG; debug_token and the
    # OAuth exchanges carry secrets there.
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
