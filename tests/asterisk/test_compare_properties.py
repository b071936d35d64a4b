"""Properties of comparing desired objects with what Asterisk reports, and of preferring reachable gateways."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from byot_core.adapters.asterisk import desired_objects
from byot_core.adapters.asterisk.compare import GROWING, differences
from byot_core.domain.dialplan import prefer_reachable
from byot_core.domain.errors import ValidationFailed
from byot_core.testing.fake_asterisk import DEFAULTS, SorceryStore
from tests.asterisk.test_pjsip import trunk_of
from tests.strategies import gateways, trunk_bodies


def stored(store: SorceryStore, objects: list[Any]) -> dict[tuple[str, str], dict[str, str]]:
    """What the fake reports after a PUT of each object (no HTTP: the merge it runs on a PUT)."""
    return {(o.type, o.id): store.merge(o.type, DEFAULTS[o.type], o.fields) for o in objects}


@given(trunk_bodies())
def test_a_trunk_just_written_shows_no_difference(payload: dict[str, Any]) -> None:
    """Whatever Asterisk's normal forms do to the values, a freshly written trunk compares equal: no rewrite loop."""
    try:
        trunk, secret = trunk_of(payload)
    except ValidationFailed:
        return
    store = SorceryStore(resolve=lambda host: ["192.0.2.200"])
    objects = desired_objects(trunk, secret)
    reported = stored(store, objects)
    for obj in objects:
        assert differences(obj, reported[(obj.type, obj.id)]) == frozenset(), obj


@given(trunk_bodies(), trunk_bodies())
def test_a_shrinking_list_always_asks_for_a_recreate(first: dict[str, Any], second: dict[str, Any]) -> None:
    """When an identify or AOR changes, a merge would keep stale entries; the comparison flags a growing field."""
    try:
        old, old_secret = trunk_of(first)
        new, new_secret = trunk_of(second)
    except ValidationFailed:
        return
    store = SorceryStore(resolve=lambda host: ["192.0.2.200"])
    before = stored(store, desired_objects(old, old_secret))
    for obj in desired_objects(new, new_secret):
        reported = before.get((obj.type, obj.id))
        if reported is None or obj.type not in ("identify", "aor"):
            continue
        merged = store.merge(obj.type, reported, obj.fields)
        if differences(obj, merged):
            # What a plain PUT would leave behind differs only in a list that grew: delete and create is needed.
            assert differences(obj, merged) <= GROWING


@given(gateways(), st.data())
def test_preferring_reachable_gateways_keeps_both_orders(plan: list[Any], data: st.DataObject) -> None:
    """Reachable gateways first, then the rest, each group in the plan's order; nothing dropped or added."""
    reachable = data.draw(st.lists(st.booleans(), min_size=len(plan), max_size=len(plan)))
    ordered = prefer_reachable(plan, reachable)
    assert sorted(g.id for g in ordered) == sorted(g.id for g in plan)
    up = [g for g, ok in zip(plan, reachable, strict=True) if ok]
    down = [g for g, ok in zip(plan, reachable, strict=True) if not ok]
    assert list(ordered) == up + down


@given(trunk_bodies(), st.data())
def test_a_change_telephony_does_not_see_renders_the_same_objects(payload: dict[str, Any], data: st.DataObject) -> None:
    """A change that leaves a trunk configuring like before leaves its objects the same.

    So skipping its push loses nothing.
    """
    try:
        trunk, secret = trunk_of(payload)
    except ValidationFailed:
        return
    change = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.just("renamed"),
                "description": st.just("night shift"),
                "provider": st.just("other"),
                "channels": st.integers(1, 50),
                "calls_per_second": st.integers(1, 50),
                "default_inbound_agent_id": st.just("agt-2"),
                "is_active": st.booleans(),
                "deleted": st.booleans(),
                "gateways": gateways(max_size=3).map(tuple),
                "settings": st.builds(
                    attrs.evolve,
                    st.just(trunk.settings),
                    inbound_enabled=st.booleans(),
                    qualify_frequency=st.sampled_from([30, 60]),
                    direct_media=st.booleans(),
                ),
            },
        )
    )
    changed = attrs.evolve(trunk, **change)
    if changed.configures_like(trunk):
        assert desired_objects(changed, secret) == desired_objects(trunk, secret)
