"""The metrics port: what the library counts as it works, for an embedder to connect to its own monitoring."""

from __future__ import annotations

from typing import Protocol

from byot_core.domain.execution import Execution

__all__ = ["Metrics", "NoMetrics"]


class Metrics(Protocol):
    """Told of what happens, as it happens; never waits, never raises (a metric must not fail a call).

    :class:`byot_core.adapters.metrics.PrometheusMetrics` counts with ``prometheus-client``; without one,
    :class:`~byot_core.adapters.metrics.NoMetrics` counts nothing.
    """

    def execution_changed(self, before: Execution | None, after: Execution) -> None:
        """An execution was stored: new (``before`` is ``None``), or changed from ``before``."""

    def call_refused(self, direction: str, reason: str) -> None:
        """A call was refused before any execution.

        ``inbound``: by a routing rule (the refusal's code); ``outbound``: by an error (its code, such as
        ``destination_not_allowed``).
        """

    def trunk_pushed(self, applied: bool, seconds: float) -> None:
        """A trunk was pushed to telephony (or removed from it), and whether that succeeded."""

    def telephony_request(self, node: str, method: str, outcome: str, seconds: float) -> None:
        """A request to a telephony node: answered (``outcome`` ``2xx``, ``4xx``, ``5xx``) or ``unreachable``."""

    def callback_attempted(self, outcome: str) -> None:
        """A status callback was sent: ``delivered``, ``retry`` (to be tried again) or ``undeliverable``."""

    def callback_backlog(self, pending: int, oldest_seconds: float) -> None:
        """The outbox now: how many events wait, and the age of the oldest."""


class NoMetrics:
    """Counts nothing: what the library is built with unless given a :class:`Metrics`."""

    def execution_changed(self, before: Execution | None, after: Execution) -> None:
        """Nothing."""

    def call_refused(self, direction: str, reason: str) -> None:
        """Nothing."""

    def trunk_pushed(self, applied: bool, seconds: float) -> None:
        """Nothing."""

    def telephony_request(self, node: str, method: str, outcome: str, seconds: float) -> None:
        """Nothing."""

    def callback_attempted(self, outcome: str) -> None:
        """Nothing."""

    def callback_backlog(self, pending: int, oldest_seconds: float) -> None:
        """Nothing."""
