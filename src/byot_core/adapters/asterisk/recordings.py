"""Calls recorded over ARI: a call's bridge recorded (``POST /bridges/{id}/record``), kept in Asterisk until fetched.

Recording the bridge rather than the caller's channel records both sides, mixed as the bridge mixes them: the caller
and its agent, then a transfer's target (the target joins the same bridge, so the recording follows the caller).
Before the library removes a recorded bridge it stops the recording (``POST /recordings/live/{name}/stop``), and
Asterisk reports ``RecordingFinished`` with its length; the file is then fetched
(``GET /recordings/stored/{name}/file``) and deleted (``DELETE /recordings/stored/{name}``). These shapes were
recorded from Asterisk 22 (``shared/asterisk/media``), the stored file's from Asterisk's source
(``res/ari/resource_recordings.c``: ``Content-Type: audio/wav``, 404 "Recording not found").
"""

from __future__ import annotations

import contextlib

import attrs

from byot_core.adapters.asterisk.ari import AriClient, AriRequestFailed
from byot_core.adapters.asterisk.ari_events import RecordingDone
from byot_core.adapters.asterisk.nodes import AriNodes
from byot_core.domain.errors import TelephonyUnavailable
from byot_core.domain.events import RecordingEnded

__all__ = ["AriRecordings"]


@attrs.define
class _Live:
    client: AriClient
    bridge_id: str
    caller: str


class AriRecordings:
    """The recordings this process started, by name, until each is fetched."""

    def __init__(self, nodes: AriNodes) -> None:
        self._nodes = nodes
        self._live: dict[str, _Live] = {}
        self._by_bridge: dict[str, str] = {}

    async def start(self, client: AriClient, bridge_id: str, caller: str, name: str) -> None:
        """Record the bridge as ``name`` (WAV); a recording of that name left from before is replaced."""
        params = {"name": name, "format": "wav", "ifExists": "overwrite"}
        await client.request("POST", f"/bridges/{AriClient.quoted(bridge_id)}/record", params=params)
        self._live[name] = _Live(client, bridge_id, caller)
        self._by_bridge[bridge_id] = name

    async def stop_on(self, bridge_id: str) -> None:
        """Stop the bridge's recording, if it has one (it is about to be removed); one already over is let be."""
        name = self._by_bridge.pop(bridge_id, None)
        live = self._live.get(name) if name is not None else None
        if live is not None and name is not None:
            with contextlib.suppress(AriRequestFailed, TelephonyUnavailable):
                await live.client.request("POST", f"/recordings/live/{AriClient.quoted(name)}/stop")

    def done(self, event: RecordingDone) -> RecordingEnded | None:
        """The domain event for a recording of this process that finished (or failed); ``None`` for others'."""
        live = self._live.get(event.name)
        if live is None:
            return None
        self._by_bridge.pop(live.bridge_id, None)
        seconds = float(event.duration) if event.duration is not None else None
        return RecordingEnded(live.caller, event.name, seconds, event.failed)

    async def file(self, name: str) -> bytes:
        """The finished recording's WAV file, from the node that made it (else whichever node has it)."""
        live = self._live.get(name)
        clients = [live.client] if live is not None else list(self._nodes.clients)
        missing: TelephonyUnavailable | None = None
        for client in clients:
            try:
                return await client.request_bytes("GET", f"/recordings/stored/{AriClient.quoted(name)}/file")
            except AriRequestFailed as failed:
                if failed.status != 404:
                    raise
                missing = failed
        raise missing or TelephonyUnavailable(f"no Asterisk node has recording {name}")

    async def delete(self, name: str) -> None:
        """Delete the stored recording (an absent one is no error), and forget it."""
        live = self._live.pop(name, None)
        clients = [live.client] if live is not None else list(self._nodes.clients)
        for client in clients:
            with contextlib.suppress(AriRequestFailed):
                await client.request("DELETE", f"/recordings/stored/{AriClient.quoted(name)}")
