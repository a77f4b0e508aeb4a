"""metaads' client for Meta's Graph / Marketing API.

:class:`GraphClient` does the HTTP (auth, paging, batch, retries, throttling); errors are typed
by Meta's code/subcode (:mod:`.errors`); :mod:`.usage` shares throttles between workers;
:mod:`.schemas` loads answers into the dataclasses of :mod:`.types`.
"""

from metaads.graph.batch import MAX_BATCH_SIZE, BatchRequest, BatchResult
from metaads.graph.client import DEFAULT_GRAPH_URL, GraphClient, pooled_session
from metaads.graph.encoding import NO_FIELDS, appsecret_proof
from metaads.graph.errors import (
    GraphError,
    GraphInvalidParameterError,
    GraphNotFoundError,
    GraphPermissionError,
    GraphRateLimitError,
    GraphResponseError,
    GraphTokenError,
    GraphTransientError,
    GraphUnsafeNextError,
    GraphVersionExpiredError,
    TokenErrorReason,
    classify,
)
from metaads.graph.money import currency_offset, to_minor_units
from metaads.graph.paging import Page
from metaads.graph.retry import Backoff
from metaads.graph.usage import InMemoryUsageStore, RedisUsageStore, Usage, UsageStore, parse_usage

__all__ = [
    "DEFAULT_GRAPH_URL",
    "MAX_BATCH_SIZE",
    "NO_FIELDS",
    "Backoff",
    "BatchRequest",
    "BatchResult",
    "GraphClient",
    "GraphError",
    "GraphInvalidParameterError",
    "GraphNotFoundError",
    "GraphPermissionError",
    "GraphRateLimitError",
    "GraphResponseError",
    "GraphTokenError",
    "GraphTransientError",
    "GraphUnsafeNextError",
    "GraphVersionExpiredError",
    "InMemoryUsageStore",
    "Page",
    "RedisUsageStore",
    "TokenErrorReason",
    "Usage",
    "UsageStore",
    "appsecret_proof",
    "classify",
    "currency_offset",
    "parse_usage",
    "pooled_session",
    "to_minor_units",
]
