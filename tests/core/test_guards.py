"""The guards on plain plans: what counts as a removal, when a flow is left
with nothing, and which action name an allow list matches."""

from __future__ import annotations

from reconciler.core.guards import action_of, removal_guard
from reconciler.core.planner import plan
from tests.core.test_planner import flow, have, live, want


def guard_of(spec, desired, *outputs):
    return removal_guard(plan([spec], desired, live(*outputs)))


def test_removes_and_replaces_count_adds_and_updates_do_not():
    outputs = [have(f"o{i}") for i in range(5)]
    desired = [
        want("o0", key="rotated"),  # update: not a removal
        want("o1", url="srt://10.0.0.1:9000"),  # replace: counts
        want("new"),  # add: not a removal
    ]
    guard = guard_of(flow(max_removals=3), desired, *outputs)
    (trip,) = guard.trips
    assert (trip.removals, guard.planned, trip.leaves_none) == (("o1", "o2", "o3", "o4"), 4, False)
    assert not guard.allows(None) and not guard.allows(3) and guard.allows(4)


def test_at_the_limit_passes():
    guard = guard_of(flow(max_removals=2), [want("o0")], have("o0"), have("o1"), have("o2"))
    assert not guard.tripped and guard.allows(None)


def test_removing_the_last_owned_output_trips_but_unmanaged_ones_do_not_count():
    guard = guard_of(flow(), [], have("mine"), have("theirs", managed=False))
    assert [t.leaves_none for t in guard.trips] == [True]
    # nothing owned to begin with: nothing to protect
    assert not guard_of(flow(), [], have("theirs", managed=False)).tripped


def test_prune_removals_count_and_can_empty_a_flow():
    guard = guard_of(flow(prune=True), [], have("a", managed=False), have("b", managed=False))
    (trip,) = guard.trips
    assert trip.removals == ("a", "b") and trip.leaves_none


def test_enable_and_disable_are_status_only_updates():
    def action(desired, got):
        (change,) = plan([flow()], [desired], live(got)).changes
        return action_of(change)

    assert action(want("o", OutputStatus="DISABLED"), have("o")) == "disable"
    assert action(want("o"), have("o", OutputStatus="DISABLED")) == "enable"
    assert action(want("o", OutputStatus="DISABLED", Description="x"), have("o")) == "update"
    assert action(want("o", key="k2"), have("o")) == "update"
    assert action(want("o"), have("o", managed=False, OutputStatus="DISABLED")) == "enable"
