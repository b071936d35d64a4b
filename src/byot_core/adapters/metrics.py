"""Metrics adapters: none, or Prometheus through ``prometheus-client`` (in a registry of its own).

Names follow Prometheus's conventions (``_total`` counters, base units). Labels stay few: a trunk id is an id of the
platform's own (not a phone number), and a status or a rule comes from a short fixed list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from byot_core.domain.execution import Execution
from byot_core.domain.telephony import GatewayStatus, Reachability
from byot_core.ports.metrics import NoMetrics

__all__ = ["PROMETHEUS_TEXT", "NoMetrics", "PrometheusMetrics"]

_REACHABLE = {Reachability.REACHABLE: 1, Reachability.UNREACHABLE: 0, Reachability.UNKNOWN: -1}

#: The content type of Prometheus's text format.
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


class PrometheusMetrics:
    """Calls, refusals and pushes as Prometheus metrics, in ``registry`` (a new one unless given).

    ``exposition()`` is the text a ``/metrics`` endpoint answers. Needs ``prometheus-client`` (the ``server`` extra).
    """

    def __init__(self, registry: object | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = registry if isinstance(registry, CollectorRegistry) else CollectorRegistry()
        by_call = ["direction", "trunk_id"]
        self._started = Counter("byot_calls_started", "Calls started", by_call, registry=self.registry)
        self._ended = Counter(
            "byot_calls_ended", "Calls ended, by final status", [*by_call, "status"], registry=self.registry
        )
        self._in_progress = Gauge(
            "byot_calls_in_progress", "Calls this instance started and that have not ended", ["direction"],
            registry=self.registry,
        )  # fmt: skip
        self._ari = Histogram(
            "byot_ari_request_seconds", "Requests to Asterisk's ARI, by node, method and outcome",
            ["node", "method", "outcome"], registry=self.registry,
        )  # fmt: skip
        self._callbacks = Counter(
            "byot_callbacks", "Status callback attempts, by outcome (delivered, retry, undeliverable)", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self._backlog = Gauge(
            "byot_callbacks_pending", "Status callbacks waiting in the outbox", registry=self.registry
        )
        self._backlog_age = Gauge(
            "byot_callbacks_oldest_pending_seconds", "Age of the oldest status callback waiting", registry=self.registry
        )
        self._media_endings = Counter(
            "byot_media_connections_ended", "Agents' media connections ended, by protocol and how",
            ["protocol", "ending"], registry=self.registry,
        )  # fmt: skip
        self._media_frames = Counter(
            "byot_media_frames", "20 ms audio frames the library relayed (twilio protocol), by direction",
            ["direction"], registry=self.registry,
        )  # fmt: skip
        self._media_late = Counter(
            "byot_media_late_frames", "Agent audio frames the relay sent after Asterisk had run out (a gap heard)",
            registry=self.registry,
        )  # fmt: skip
        self._media_latency = Histogram(
            "byot_media_added_latency_seconds", "Time the relay took to pass the caller's audio to the agent, per "
            "relayed call: its mean and its largest", ["stat"], registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25),
        )  # fmt: skip
        # The calls counted in progress: an end is subtracted only for a start that was added (a call taken over
        # from another instance was counted there).
        self._live: set[str] = set()
        self._refused = Counter(
            "byot_calls_refused", "Calls refused before any execution, by rule or error code", ["direction", "reason"],
            registry=self.registry,
        )  # fmt: skip
        self._pushes = Histogram(
            "byot_trunk_push_seconds", "Pushes of a trunk to telephony, by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip

    def execution_changed(self, before: Execution | None, after: Execution) -> None:
        """Count a start (a new execution) and an end (a status that became final)."""
        direction, trunk = after.direction.value, after.trunk_id or ""
        if before is None:
            self._started.labels(direction, trunk).inc()
            if not after.status.is_terminal:
                self._live.add(after.id)
                self._in_progress.labels(direction).inc()
        if after.status.is_terminal and (before is None or not before.status.is_terminal):
            self._ended.labels(direction, trunk, after.status.value).inc()
            if after.id in self._live:
                self._live.discard(after.id)
                self._in_progress.labels(direction).dec()
        media = after.media
        if media is not None and (before is None or before.media is None):
            self._media_endings.labels(media.protocol.value, media.ending).inc()
            self._media_frames.labels("to_agent").inc(media.frames_to_agent or 0)
            self._media_frames.labels("to_caller").inc(media.frames_to_caller or 0)
            self._media_late.inc(media.late_frames or 0)
            if media.added_latency_ms is not None and media.max_added_latency_ms is not None:
                self._media_latency.labels("mean").observe(media.added_latency_ms / 1000)
                self._media_latency.labels("max").observe(media.max_added_latency_ms / 1000)

    def call_refused(self, direction: str, reason: str) -> None:
        """Count a refusal."""
        self._refused.labels(direction, reason).inc()

    def trunk_pushed(self, applied: bool, seconds: float) -> None:
        """Count and time a push."""
        self._pushes.labels("applied" if applied else "failed").observe(seconds)

    def telephony_request(self, node: str, method: str, outcome: str, seconds: float) -> None:
        """Count and time a request to an Asterisk node."""
        self._ari.labels(node, method, outcome).observe(seconds)

    def callback_attempted(self, outcome: str) -> None:
        """Count a status callback's attempt by outcome."""
        self._callbacks.labels(outcome).inc()

    def callback_backlog(self, pending: int, oldest_seconds: float) -> None:
        """Set the outbox gauges."""
        self._backlog.set(pending)
        self._backlog_age.set(oldest_seconds)

    def watch_gateways(self, reports: Callable[[], Mapping[str, GatewayStatus]]) -> None:
        """Publish ``byot_gateway_reachable`` from ``reports`` (AOR name → last report), read at each scrape.

        1 reachable, 0 unreachable, -1 unknown; ``byot_gateway_roundtrip_seconds`` for reachable ones.
        """
        from prometheus_client.core import GaugeMetricFamily
        from prometheus_client.registry import Collector

        class _Gateways(Collector):
            def collect(self) -> Iterator[GaugeMetricFamily]:
                now = reports()
                reachable = GaugeMetricFamily(
                    "byot_gateway_reachable",
                    "Gateways as qualify last reported them (1, 0, -1 unknown)",
                    labels=["aor"],
                )
                roundtrip = GaugeMetricFamily(
                    "byot_gateway_roundtrip_seconds", "Gateways' last qualify round trip", labels=["aor"]
                )
                for aor, status in sorted(now.items()):
                    reachable.add_metric([aor], _REACHABLE[status.reachability])
                    if status.roundtrip_ms is not None:
                        roundtrip.add_metric([aor], status.roundtrip_ms / 1000)
                yield reachable
                yield roundtrip

        self.registry.register(_Gateways())

    def exposition(self) -> bytes:
        """The metrics in Prometheus's text format."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
