"""Usage headers: parsed on every response, shared through the store, checked before sending."""

from __future__ import annotations

import json
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from metaads.graph import GraphRateLimitError, InMemoryUsageStore, RedisUsageStore, parse_usage
from metaads.graph.usage import object_scope, scopes_for_path
from tests.metaads.graph.fakegraph import TOKEN, Reply, ScriptedGraph, graph_error, make_client

BUC_95 = json.dumps(
    {
        "66782684": [
            {
                "type": "ads_management",
                "call_count": 95,
                "total_cputime": 20,
                "total_time": 20,
                "estimated_time_to_regain_access": 0,
                "ads_api_access_tier": "development_access",
            }
        ]
    }
)
BUC_REGAIN = json.dumps({"102858741624226": [{"type": "leadgen", "call_count": 100, "estimated_time_to_regain_access": 3}]})


def test_parse_all_four_headers() -> None:
    usage = parse_usage(
        {
            "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25}',
            "X-Business-Use-Case-Usage": BUC_95,
            "X-Ad-Account-Usage": '{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}',
            "X-FB-Ads-Insights-Throttle": '{"app_id_util_pct":100,"acc_id_util_pct":10,"ads_api_access_tier":"standard_access"}',
        }
    )

    assert usage.app is not None and usage.app.max_pct == 28
    (buc,) = usage.business
    assert (buc.business_id, buc.type, buc.call_count, buc.ads_api_access_tier) == (
        "66782684",
        "ads_management",
        95,
        "development_access",
    )
    assert usage.ad_account is not None and (usage.ad_account.acc_id_util_pct, usage.ad_account.reset_time_duration) == (
        9.67,
        100,
    )
    assert usage.insights is not None and usage.insights.app_id_util_pct == 100


def test_malformed_headers_are_ignored() -> None:
    usage = parse_usage(
        {"X-App-Usage": "not json", "X-Business-Use-Case-Usage": '["a"]', "X-Ad-Account-Usage": '{"acc_id_util_pct":"lots"}'}
    )
    assert usage.app is None and usage.business == ()
    assert usage.ad_account is not None and usage.ad_account.acc_id_util_pct == 0


def test_blocks_follow_threshold_and_regain_time() -> None:
    usage = parse_usage(
        {
            "X-App-Usage": '{"call_count":91}',
            "X-Business-Use-Case-Usage": BUC_REGAIN,
            "X-Ad-Account-Usage": '{"acc_id_util_pct":92,"reset_time_duration":40}',
        }
    )

    blocks = {b.scope: b.seconds for b in usage.blocks(account_id="555", threshold=90, cooldown=60)}

    assert blocks == {"app": 60, "object:102858741624226": 180, "object:555": 40}
    assert usage.blocks(account_id="555", threshold=99, cooldown=60)[0].scope == "object:102858741624226"


def test_scopes_of_a_path() -> None:
    assert scopes_for_path("act_123/insights") == ["app", "object:123"]
    assert scopes_for_path("102858741624226/leadgen_forms") == ["app", "object:102858741624226"]
    assert scopes_for_path("me/accounts") == ["app"]
    assert object_scope("act_9") == "object:9"


def test_in_memory_store_extends_but_never_shortens() -> None:
    now = [1000.0]
    store = InMemoryUsageStore(clock=lambda: now[0])

    store.block("app", 60, "first")
    store.block("app", 10, "shorter")
    assert store.blocked(["app"]).seconds == 60  # type: ignore[union-attr]
    store.block("app", 120, "longer")
    now[0] += 100
    block = store.blocked(["object:1", "app"])
    assert block is not None and (block.scope, block.seconds, block.reason) == ("app", 20, "longer")
    now[0] += 21
    assert store.blocked(["app"]) is None


def test_redis_store_keys_expire_by_themselves(graph_redis: redis.Redis) -> None:
    store = RedisUsageStore(graph_redis)

    store.block("object:1", 0.3, "BUC leadgen")
    store.block("object:1", 0.1, "shorter is ignored")

    block = store.blocked(["app", "object:1"])
    assert block is not None and block.scope == "object:1" and block.reason == "BUC leadgen" and 0.1 < block.seconds <= 0.3
    assert 0 < graph_redis.pttl("metaads:graph-usage:object:1") <= 300
    time.sleep(0.4)
    assert store.blocked(["object:1"]) is None
    assert graph_redis.exists("metaads:graph-usage:object:1") == 0


def test_redis_trouble_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    store = RedisUsageStore(dead)

    assert store.blocked(["app"]) is None
    assert "usage store unavailable" in caplog.text
    dead.close()


class CountingDeadRedis:
    def __init__(self) -> None:
        self.pipelines = 0

    def pipeline(self, transaction: bool = True) -> None:
        self.pipelines += 1
        raise redis.ConnectionError("down")


def test_after_a_redis_failure_the_store_leaves_redis_alone_for_a_while() -> None:
    now = [0.0]
    dead = CountingDeadRedis()
    store = RedisUsageStore(dead, pause_on_error=30, clock=lambda: now[0])  # type: ignore[arg-type]

    store.block("app", 60, "x")
    assert store.blocked(["app"]) is None
    assert dead.pipelines == 1
    now[0] = 31
    assert store.blocked(["app"]) is None
    assert dead.pipelines == 2


def test_a_second_worker_slows_down_before_meta_blocks_it(
    graph: ScriptedGraph, graph_redis: redis.Redis, sleeps: list[float]
) -> None:
    """Worker A sees Meta's 95% BUC usage on ad account 66782684; worker B, sharing the Redis
    store, refuses to call Meta for that account, while other objects stay callable."""
    graph.on("GET", "/v25.0/act_66782684/campaigns", Reply(json={"data": []}, headers={"X-Business-Use-Case-Usage": BUC_95}))
    graph.on("GET", "/v25.0/act_777/campaigns", Reply(json={"data": []}))
    worker_a = make_client(graph.url, sleeps, usage_store=RedisUsageStore(graph_redis))
    worker_b = make_client(graph.url, sleeps, usage_store=RedisUsageStore(graph_redis))

    worker_a.get("act_66782684/campaigns", TOKEN, fields="id")
    hits_before = len(graph.requests)
    with pytest.raises(GraphRateLimitError) as caught:
        worker_b.get("act_66782684/campaigns", TOKEN, fields="id")
    worker_b.get("act_777/campaigns", TOKEN, fields="id")
    worker_a.close()
    worker_b.close()

    assert len(graph.requests) == hits_before + 1 and graph.requests[-1].path == "/v25.0/act_777/campaigns"
    assert caught.value.scope == "object:66782684"
    assert 0 < caught.value.retry_after <= 60
    assert caught.value.code is None


def test_regain_access_minutes_pause_the_page_for_every_worker(
    graph: ScriptedGraph, graph_redis: redis.Redis, sleeps: list[float]
) -> None:
    graph.on(
        "GET",
        "/v25.0/102858741624226/leadgen_forms",
        graph_error(80005, "(#80005) too many leadgen calls", headers={"X-Business-Use-Case-Usage": BUC_REGAIN}),
    )
    worker_a = make_client(graph.url, sleeps, usage_store=RedisUsageStore(graph_redis))
    worker_b = make_client(graph.url, sleeps, usage_store=RedisUsageStore(graph_redis))

    with pytest.raises(GraphRateLimitError) as first:
        worker_a.get("102858741624226/leadgen_forms", TOKEN, fields="id")
    with pytest.raises(GraphRateLimitError) as second:
        worker_b.get("102858741624226/leadgen_forms", TOKEN, fields="id")
    worker_a.close()
    worker_b.close()

    assert len(graph.requests) == 1
    assert first.value.retry_after == 180 and first.value.code == 80005
    assert 170 < second.value.retry_after <= 180
    assert 170_000 < graph_redis.pttl("metaads:graph-usage:object:102858741624226") <= 180_000


def test_app_usage_over_threshold_pauses_every_call(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on(
        "GET",
        "/v25.0/me",
        Reply(json={"id": "1"}, headers={"X-App-Usage": '{"call_count":96,"total_time":10,"total_cputime":10}'}),
    )

    with make_client(graph.url, sleeps) as client:
        client.get("me", TOKEN, fields="id")
        with pytest.raises(GraphRateLimitError) as caught:
            client.get("act_1/campaigns", TOKEN, fields="id")

    assert caught.value.scope == "app"
    assert len(graph.requests) == 1


def test_ad_account_usage_header_pauses_that_account(graph: ScriptedGraph, sleeps: list[float]) -> None:
    graph.on(
        "GET",
        "/v25.0/act_42/insights",
        Reply(json={"data": []}, headers={"X-Ad-Account-Usage": '{"acc_id_util_pct":97,"reset_time_duration":45}'}),
    )

    with make_client(graph.url, sleeps) as client:
        client.get("act_42/insights", TOKEN, fields="spend")
        with pytest.raises(GraphRateLimitError) as caught:
            client.get("act_42/campaigns", TOKEN, fields="id")

    assert caught.value.scope == "object:42" and 40 < caught.value.retry_after <= 45
