"""Trunk configuration on every Asterisk node, over ARI's dynamic configuration.

Each trunk's desired PJSIP objects (:mod:`.pjsip`) are compared with what each node reports and only the differences
are written, in dependency order (auth and AORs before endpoints; the reverse when removing). Objects of the trunk
that are no longer desired (a gateway fewer, a registration no longer needed) are deleted. Only ids under the
library's prefix are ever written or deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from byot_core.adapters.asterisk.ari import AriClient, unless_missing
from byot_core.adapters.asterisk.compare import GROWING, differences, fields_body
from byot_core.adapters.asterisk.nodes import AriNodes
from byot_core.adapters.asterisk.pjsip import PjsipObject, desired_objects, trunk_object_ids, trunk_of_gateway_object
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.telephony import TrunkConfig
from byot_core.domain.trunk import MAX_GATEWAYS

__all__ = ["AriConfiguration"]

_CONFIG = "/asterisk/config/dynamic/res_pjsip"
#: Object types in the order they may be created: each layer only refers to the layers before it.
_LAYERS = (frozenset({"auth", "aor"}), frozenset({"endpoint"}), frozenset({"identify", "registration"}))


def _path(type_: str, object_id: str) -> str:
    return f"{_CONFIG}/{type_}/{AriClient.quoted(object_id)}"


async def _read(client: AriClient, type_: str, object_id: str) -> dict[str, str] | None:
    found, body = await unless_missing(client, "GET", _path(type_, object_id))
    return {str(item["attribute"]): str(item["value"]) for item in body or ()} if found else None


async def _delete(client: AriClient, type_: str, object_id: str) -> int:
    found, _ = await unless_missing(client, "DELETE", _path(type_, object_id))
    return int(found)


async def _write(client: AriClient, obj: PjsipObject, reported: dict[str, str] | None) -> int:
    if reported is not None:
        differ = differences(obj, reported)
        if not differ:
            return 0
        if differ & GROWING:
            await _delete(client, obj.type, obj.id)
    await client.request("PUT", _path(obj.type, obj.id), body=fields_body(obj))
    return 1


async def _check_transports(client: AriClient, desired: Sequence[PjsipObject]) -> None:
    """Refuse to push objects naming a transport the node lacks (other than UDP, which every node has).

    Asterisk itself accepts an endpoint naming a missing transport (recorded), and its calls then fail; transports
    live in the node's ``pjsip.conf`` (the operator's), and ARI answers 404 for one that is not there.
    """
    names = {value for obj in desired for key, value in obj.fields if key == "transport"} - {"transport-udp"}
    for name in sorted(names):
        if await _read(client, "transport", name) is None:
            raise TelephonyUnavailable(
                f"Asterisk {client.node} has no transport '{name}' in its pjsip.conf: the trunk was not pushed "
                "there (see docs/secure-trunks.md for the transport to add)"
            )


def _outcome(results: Sequence[int | BaseException], doing: str) -> int:
    failures = [r for r in results if isinstance(r, BaseException)]
    for failure in failures:
        if not isinstance(failure, TelephonyUnavailable):
            raise failure
    if failures:
        reasons = "; ".join(f.message for f in failures if isinstance(f, TelephonyUnavailable))
        raise TelephonyUnavailable(f"{doing} failed on {len(failures)} of {len(results)} Asterisk nodes: {reasons}")
    return sum(r for r in results if isinstance(r, int))


class AriConfiguration:
    """Applies and removes trunks on every node; a node that fails is reported after the others were tried."""

    def __init__(self, nodes: AriNodes) -> None:
        self._nodes = nodes

    async def apply_trunk(self, config: TrunkConfig, *, thorough: bool = True) -> int:
        """Bring every node in step with the trunk; raises after trying them all if any failed.

        ``thorough=False`` skips looking for leftover objects (a gateway fewer) on a node where every desired object
        was already as intended.
        """
        desired = desired_objects(config.trunk, config.password, config.inbound_password)
        results = await asyncio.gather(
            *(self._apply_on(c, config.trunk.id, desired, thorough) for c in self._nodes.clients),
            return_exceptions=True,
        )
        return _outcome(results, f"applying trunk {config.trunk.id}")

    async def remove_trunk(self, trunk_id: str) -> int:
        """Delete the trunk's objects from every node."""
        results = await asyncio.gather(
            *(self._remove_on(c, trunk_id) for c in self._nodes.clients), return_exceptions=True
        )
        return _outcome(results, f"removing trunk {trunk_id}")

    async def configured_trunks(self) -> frozenset[str]:
        """The trunks with a gateway endpoint on any reachable node (``GET /ari/endpoints/PJSIP``)."""
        results = await asyncio.gather(
            *(c.request("GET", "/endpoints/PJSIP") for c in self._nodes.clients), return_exceptions=True
        )
        found: set[str] = set()
        for result in results:
            if isinstance(result, TelephonyUnavailable):
                continue
            if isinstance(result, BaseException):
                raise result
            for endpoint in result or ():
                trunk_id = trunk_of_gateway_object(str(endpoint.get("resource", "")))
                if trunk_id is not None:
                    found.add(trunk_id)
        if all(isinstance(r, BaseException) for r in results):
            raise TelephonyUnavailable("no Asterisk node could be reached")
        return frozenset(found)

    async def _apply_on(
        self, client: AriClient, trunk_id: str, desired: Sequence[PjsipObject], thorough: bool = True
    ) -> int:
        await _check_transports(client, desired)
        # Reads go out together; writes go layer by layer (auth and AORs, then endpoints, then what points at them),
        # each layer's objects together: over a network this costs a few round trips, not one per object.
        reported = await asyncio.gather(*(_read(client, obj.type, obj.id) for obj in desired))
        written = 0
        for layer in _LAYERS:
            pending = [(o, r) for o, r in zip(desired, reported, strict=True) if o.type in layer]
            written += sum(await asyncio.gather(*(_write(client, o, r) for o, r in pending)))
        self._nodes.pushed(client)
        if not thorough and not written:
            # Stored as applied in this very shape, and every object as intended: no earlier shape left anything.
            return 0
        return written + await self._remove_on(client, trunk_id, keep={(o.type, o.id) for o in desired})

    @staticmethod
    async def _remove_on(client: AriClient, trunk_id: str, keep: set[tuple[str, str]] | None = None) -> int:
        """Delete the trunk's objects not in ``keep``, dependants first.

        Gateway objects are found by walking positions up from the first one not kept until one has neither an
        endpoint nor an AOR, and deleted from the highest position down: an interrupted removal then leaves the
        lowest positions, where the next walk starts, so nothing is ever stranded above a gap.
        """
        keep = keep or set()
        base = trunk_object_ids(trunk_id)

        async def delete(*targets: tuple[str, str]) -> int:
            wanted = [t for t in targets if t not in keep]
            return sum(await asyncio.gather(*(_delete(client, *t) for t in wanted)))

        removed = await delete(("registration", f"{base}-reg"), ("identify", f"{base}-identify"))
        found: list[str] = []
        for position in range(1, MAX_GATEWAYS + 2):
            object_id = f"{base}-gw{position}"
            if ("endpoint", object_id) in keep:
                continue
            present = await asyncio.gather(_read(client, "endpoint", object_id), _read(client, "aor", object_id))
            if all(found is None for found in present):
                break
            found.append(object_id)
        for object_id in reversed(found):
            removed += await _delete(client, "endpoint", object_id)
            removed += await _delete(client, "aor", object_id)
        return removed + await delete(("auth", f"{base}-auth"), ("auth", f"{base}-inbound-auth"))
