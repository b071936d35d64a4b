from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.support import World, make_world

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def world() -> World:
    """A fresh application on in-memory storage and a fake telephony."""
    return make_world()
