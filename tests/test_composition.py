"""``build()`` names every port it filled with an in-memory or fake stand-in, and logs them."""

from __future__ import annotations

import logging

import pytest

import byot_core
from byot_core.adapters.fake_telephony import FakeTelephony
from byot_core.adapters.memory import (
    FixedBalance,
    MemoryAgentDirectory,
    MemorySecretBox,
    MemoryStorage,
    RecordingInboundHandler,
)
from byot_core.adapters.recording_stores import MemoryRecordingStore


def test_a_bare_build_says_which_ports_are_stand_ins(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing given: the seven stand-ins are listed on the application and in one warning."""
    with caplog.at_level(logging.WARNING, logger="byot_core.composition"):
        app = byot_core.build()
    expected = ("storage", "telephony", "agents", "secrets", "balance", "inbound_handler", "recordings")
    assert app.stand_ins == expected
    [record] = [r for r in caplog.records if r.name == "byot_core.composition"]
    assert record.levelno == logging.WARNING
    assert all(name in record.getMessage() for name in expected)


def test_a_build_given_every_port_has_no_stand_in(caplog: pytest.LogCaptureFixture) -> None:
    """Every port given (even the library's own in-memory adapters, chosen on purpose): nothing listed or logged."""
    with caplog.at_level(logging.WARNING, logger="byot_core.composition"):
        app = byot_core.build(
            storage=MemoryStorage(),
            telephony=FakeTelephony(),
            agents=MemoryAgentDirectory(),
            secrets=MemorySecretBox(),
            balance=FixedBalance(),
            inbound_handler=RecordingInboundHandler(),
            recordings=MemoryRecordingStore(),
        )
    assert app.stand_ins == ()
    assert not [r for r in caplog.records if r.name == "byot_core.composition"]


def test_forgetting_only_telephony_is_named() -> None:
    """The case that matters most: real storage given, telephony forgotten."""
    app = byot_core.build(storage=MemoryStorage(), agents=MemoryAgentDirectory(), secrets=MemorySecretBox())
    assert "telephony" in app.stand_ins
    assert "storage" not in app.stand_ins
