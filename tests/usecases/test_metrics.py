"""Metrics with prometheus-client: calls started, ended and refused, pushes; and /metrics on the reference API."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import httpx
import pytest

from byot_core.adapters.http import ApiKeys, create_app
from byot_core.adapters.metrics import PrometheusMetrics
from byot_core.domain.destinations import DestinationNotAllowed
from byot_core.domain.execution import Direction, Execution
from byot_core.domain.media import MediaProtocol, MediaStats
from byot_core.domain.status import ExecutionStatus
from byot_core.guide_api import GuideApi
from tests.support import ACCOUNT, GUIDE_CALL, World, body, make_world
from tests.usecases.test_calls import trunk_with_number

T0 = datetime(2026, 12, 5, tzinfo=UTC)


def sample(metrics: PrometheusMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


async def test_calls_started_ended_and_refused_are_counted() -> None:
    """An outbound call that completes, one refused by the destination policy, an inbound call to no number."""
    metrics = PrometheusMetrics()
    world = make_world(metrics=metrics)
    trunk_id = await trunk_with_number(world)
    placed = await GuideApi(world.app).calls.place(ACCOUNT, GUIDE_CALL)
    by_call = {"direction": "outbound", "trunk_id": trunk_id}
    assert sample(metrics, "byot_calls_started_total", **by_call) == 1
    assert sample(metrics, "byot_calls_in_progress", direction="outbound") == 1
    await world.settle()
    assert (await world.app.calls.get(ACCOUNT, placed.id)).status.value == "completed"
    assert sample(metrics, "byot_calls_ended_total", **by_call, status="completed") == 1
    assert sample(metrics, "byot_calls_in_progress", direction="outbound") == 0
    premium = body(GUIDE_CALL, recipient={"phone_number": "+19002345678"})
    with pytest.raises(DestinationNotAllowed):
        await GuideApi(world.app).calls.place(ACCOUNT, premium)
    refused = {"direction": "outbound", "reason": "destination_not_allowed"}
    assert sample(metrics, "byot_calls_refused_total", **refused) == 1
    world.telephony.incoming_call("+14155550199", source="192.0.2.50")
    await world.settle()
    assert sample(metrics, "byot_calls_refused_total", direction="inbound", reason="unknown_number") == 1
    assert sample(metrics, "byot_trunk_push_seconds_count", outcome="applied") == 1


async def get_metrics(world: World) -> httpx.Response:
    app = create_app(world.app, keys=ApiKeys({}), agents=world.agents)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://byot.test") as client:
        return await client.get("/metrics")


async def test_the_reference_api_serves_metrics_only_when_counting() -> None:
    """/metrics in Prometheus's text format, no key needed; absent (404) without PrometheusMetrics."""
    counting = make_world(metrics=PrometheusMetrics())
    await trunk_with_number(counting)
    answer = await get_metrics(counting)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'byot_trunk_push_seconds_count{outcome="applied"} 1.0' in answer.text
    assert "# TYPE byot_calls_started_total counter" in answer.text
    assert (await get_metrics(make_world())).status_code == 404


def test_a_calls_media_summary_is_counted_once() -> None:
    """How the agent's connection ended, and the frames relayed each way, when the summary is first stored."""
    metrics = PrometheusMetrics()
    call = Execution("ex", "acct", "agt", Direction.INBOUND, ExecutionStatus.IN_PROGRESS, "+1", "+2", T0, T0)
    stats = MediaStats(
        MediaProtocol.TWILIO, "caller-left", 150, 90, late_frames=3, added_latency_ms=0.4, max_added_latency_ms=7.0
    )
    relayed = attrs.evolve(call, media=stats)
    metrics.execution_changed(call, relayed)
    metrics.execution_changed(relayed, attrs.evolve(relayed, status=ExecutionStatus.COMPLETED))
    assert sample(metrics, "byot_media_connections_ended_total", protocol="twilio", ending="caller-left") == 1
    assert sample(metrics, "byot_media_frames_total", direction="to_agent") == 150
    assert sample(metrics, "byot_media_frames_total", direction="to_caller") == 90
    assert sample(metrics, "byot_media_late_frames_total") == 3
    assert sample(metrics, "byot_media_added_latency_seconds_count", stat="mean") == 1
    assert sample(metrics, "byot_media_added_latency_seconds_sum", stat="max") == 0.007
    # The largest, 7 ms, falls in the 10 ms bucket and not in the 5 ms one.
    assert sample(metrics, "byot_media_added_latency_seconds_bucket", stat="max", le="0.005") == 0
    assert sample(metrics, "byot_media_added_latency_seconds_bucket", stat="max", le="0.01") == 1
