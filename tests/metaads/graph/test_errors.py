"""Errors are sorted by Meta's code/subcode from realistic bodies, never by HTTP status."""

from __future__ import annotations

import json

import pytest

from metaads.graph import (
    GraphClient,
    GraphError,
    GraphInvalidParameterError,
    GraphNotFoundError,
    GraphPermissionError,
    GraphRateLimitError,
    GraphResponseError,
    GraphTokenError,
    GraphTransientError,
    GraphVersionExpiredError,
    TokenErrorReason,
    classify,
)
from metaads.graph.errors import DEFAULT_RETRY_AFTER
from tests.metaads.graph.fakegraph import TOKEN, ScriptedGraph, graph_error


def body(code: int, message: str = "msg", subcode: int | None = None, **extra: object) -> dict:
    error: dict = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AmFGcW_3hwDB7qFbl_QdebZ", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("subcode", "reason"),
    [
        (463, TokenErrorReason.EXPIRED),
        (460, TokenErrorReason.PASSWORD_CHANGED),
        (458, TokenErrorReason.REVOKED),
        (459, TokenErrorReason.CHECKPOINT),
        (464, TokenErrorReason.UNCONFIRMED_USER),
        (467, TokenErrorReason.LOGGED_OUT),
        (492, TokenErrorReason.INVALID_SESSION),
        (None, TokenErrorReason.INVALID),
    ],
)
def test_190_subcodes_give_a_reason(subcode: int | None, reason: TokenErrorReason) -> None:
    error = classify(body(190, "Error validating access token", subcode), 400, {})
    assert type(error) is GraphTokenError
    assert (error.code, error.subcode, error.reason) == (190, subcode, reason)


def test_102_is_a_token_error() -> None:
    error = classify(body(102, "Session key invalid"), 400, {})
    assert isinstance(error, GraphTokenError) and error.reason is TokenErrorReason.SESSION


def test_code_17_as_http_400_with_buc_header_is_a_rate_limit_with_minutes_converted() -> None:
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "66782684": [
                    {
                        "type": "ads_management",
                        "call_count": 100,
                        "total_cputime": 20,
                        "total_time": 20,
                        "estimated_time_to_regain_access": 7,
                        "ads_api_access_tier": "development_access",
                    }
                ]
            }
        )
    }
    error = classify(body(17, "(#17) User request limit reached", 2446079), 400, headers)

    assert type(error) is GraphRateLimitError
    assert error.retry_after == 7 * 60
    assert error.usage is not None and error.usage.business[0].business_id == "66782684"
    assert error.http_status == 400


def test_80005_leadgen_throttle_uses_the_longest_regain_time() -> None:
    headers = {
        "x-business-use-case-usage": json.dumps(
            {
                "102858741624226": [{"type": "leadgen", "call_count": 100, "estimated_time_to_regain_access": 12}],
                "1": [{"type": "pages", "call_count": 10, "estimated_time_to_regain_access": 3}],
            }
        )
    }
    error = classify(body(80005, "(#80005) There have been too many leadgen api calls to this Page"), 400, headers)
    assert isinstance(error, GraphRateLimitError) and error.retry_after == 720


def test_613_uses_the_ad_account_reset_time() -> None:
    headers = {"X-Ad-Account-Usage": '{"acc_id_util_pct":100,"reset_time_duration":95,"ads_api_access_tier":"standard_access"}'}
    error = classify(body(613, "(#613) Calls to this api have exceeded the rate limit.", 1487742), 400, headers)
    assert isinstance(error, GraphRateLimitError) and error.retry_after == 95


@pytest.mark.parametrize("code", [4, 32, 341, 80000, 80001, 80004, 80014])
def test_throttle_codes_without_a_hint_fall_back_to_the_default_wait(code: int) -> None:
    error = classify(body(code, "limit"), 403, {"X-App-Usage": '{"call_count":100,"total_time":40,"total_cputime":40}'})
    assert isinstance(error, GraphRateLimitError) and error.retry_after == DEFAULT_RETRY_AFTER


@pytest.mark.parametrize("code", [3, 10, 200, 294, 299])
def test_permission_codes(code: int) -> None:
    assert type(classify(body(code, "(#10) Application does not have permission"), 400, {})) is GraphPermissionError


def test_permission_error_sent_as_http_500_is_still_a_permission_error() -> None:
    assert type(classify(body(200, "Permissions error"), 500, {})) is GraphPermissionError


def test_100_33_is_not_found_and_plain_100_is_invalid_parameter() -> None:
    missing = classify(body(100, "Object with ID '1' does not exist", 33, type="GraphMethodException"), 400, {})
    invalid = classify(
        body(100, "(#100) Invalid parameter", 1487534, error_data='{"blame_field_specs":[["daily_budget"]]}'), 400, {}
    )

    assert type(missing) is GraphNotFoundError and isinstance(missing, GraphInvalidParameterError)
    assert missing.type == "GraphMethodException"
    assert type(invalid) is GraphInvalidParameterError
    assert invalid.error_data == {"blame_field_specs": [["daily_budget"]]}


def test_2635_is_version_expired() -> None:
    error = classify(body(2635, "(#2635) You are calling a deprecated version of the Ads API."), 400, {})
    assert type(error) is GraphVersionExpiredError


@pytest.mark.parametrize(("code", "status"), [(1, 500), (2, 503), (1, 400)])
def test_codes_1_and_2_are_transient(code: int, status: int) -> None:
    error = classify(body(code, "An unknown error occurred", 99 if code == 1 else None), status, {})
    assert type(error) is GraphTransientError and error.is_transient


def test_is_transient_flag_on_an_unknown_code_is_transient() -> None:
    assert type(classify(body(1234567, "try again", is_transient=True), 400, {})) is GraphTransientError


def test_an_unknown_code_is_a_plain_graph_error() -> None:
    error = classify(body(368, "Temporarily blocked"), 400, {})
    assert type(error) is GraphError and not error.is_transient


@pytest.mark.parametrize(
    ("status", "kind"),
    [(502, GraphTransientError), (None, GraphTransientError), (429, GraphRateLimitError), (404, GraphResponseError)],
)
def test_without_an_envelope_only_then_does_http_status_decide(status: int | None, kind: type) -> None:
    assert type(classify("<html>Bad gateway</html>", status, {})) is kind


def test_str_names_codes_and_trace_but_no_token() -> None:
    error = classify(body(190, f"Malformed access token {TOKEN}"), 400, {}, secrets=[TOKEN], path="GET /v25.0/me")
    text = str(error)
    assert TOKEN not in text and TOKEN not in repr(error)
    assert "code=190" in text and "fbtrace_id=AmFGcW_3hwDB7qFbl_QdebZ" in text and "GET /v25.0/me" in text


def test_the_client_raises_the_classified_error_over_http(client: GraphClient, graph: ScriptedGraph) -> None:
    graph.on(
        "GET",
        "/v25.0/act_1/insights",
        graph_error(
            80000,
            "(#80000) too many calls",
            subcode=2446079,
            headers={
                "X-Business-Use-Case-Usage": json.dumps(
                    {"1": [{"type": "ads_insights", "call_count": 100, "estimated_time_to_regain_access": 2}]}
                )
            },
        ),
    )
    graph.on("GET", "/v25.0/me", graph_error(190, f"Malformed access token {TOKEN}", subcode=463))

    with pytest.raises(GraphRateLimitError) as throttled:
        client.get("act_1/insights", TOKEN, fields="spend")
    with pytest.raises(GraphTokenError) as expired:
        client.get("me", TOKEN, fields="id")

    assert throttled.value.retry_after == 120 and throttled.value.scope == "object:1"
    assert expired.value.reason is TokenErrorReason.EXPIRED
    assert TOKEN not in str(expired.value) and TOKEN not in expired.value.message


def test_errors_survive_pickling_for_job_queues() -> None:
    import pickle

    error = classify(body(80004, "(#80004) too many calls"), 400, {"X-Ad-Account-Usage": '{"reset_time_duration":42}'})
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)

    assert type(copy) is GraphRateLimitError
    assert (copy.code, copy.retry_after, str(copy)) == (80004, 42, str(error))
