"""Whether this instance can do its work now: for load balancers and orchestrators (``/health``, ``/ready``)."""

from __future__ import annotations

import asyncio
import logging

import attrs

from byot_core.services.deps import Dependencies

__all__ = ["HealthService", "Readiness"]

log = logging.getLogger(__name__)

#: How long storage may take to answer a readiness check before it counts as unreachable, in seconds.
STORAGE_CHECK_TIMEOUT = 2.0


@attrs.frozen
class Readiness:
    """What keeps the instance from taking calls, one sentence each; ready when there is nothing."""

    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether nothing keeps the instance from taking calls."""
        return not self.problems


@attrs.frozen
class HealthService:
    """Readiness: storage answers, and telephony can take calls (every Asterisk node's event stream connected)."""

    deps: Dependencies

    async def ready(self, *, within: float = STORAGE_CHECK_TIMEOUT) -> Readiness:
        """Ask storage a question (within ``within`` seconds) and telephony what keeps it from taking calls.

        Storage's own error is logged, not answered: it may name hosts and users.
        """
        problems: list[str] = []
        try:
            async with asyncio.timeout(within):
                async with self.deps.storage.unit_of_work(read_only=True, snapshot=False) as uow:
                    await uow.trunks.exists("-", "-")
        except TimeoutError:
            problems.append(f"storage: did not answer within {within:g} s")
        except Exception as error:  # whatever the database says, the instance cannot serve without it
            log.warning("readiness: storage did not answer: %s", error)
            problems.append(f"storage: not reachable ({type(error).__name__})")
        problems += self.deps.telephony.readiness()
        return Readiness(tuple(problems))
