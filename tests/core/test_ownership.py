"""The ownership manifest's encoding in tags and how an apply changes it (pure)."""

from __future__ import annotations

from pathlib import Path

from reconciler.core import ownership
from reconciler.core.errors import Location
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput, Manifest
from reconciler.core.planner import Action, OutputChange, plan
from reconciler.core.results import Outcome, Result

HERE = Location(Path("f.yaml"), 1)


def oid(n: int) -> str:
    return f"2-{n:016x}-{n:012x}"  # the shape of a real output id (31 characters)


def arn(n: int, name: str) -> str:
    return f"arn:aws:mediaconnect:us-west-2:111122223333:output:{oid(n)}:{name}"


def test_fifty_ids_fit_in_seven_tags_of_at_most_256_characters_and_read_back():
    owned = frozenset(oid(n) for n in range(40))
    unowned = frozenset(oid(n) for n in range(40, 50))
    tags = ownership.tags_for(Manifest(owned, unowned))
    assert tags is not None
    assert len(tags) <= 9 and all(len(v) <= 256 and len(k) <= 128 for k, v in tags.items())
    assert ownership.read(tags).same_ids(Manifest(owned, unowned))


def test_keys_no_longer_needed_are_emptied_and_a_full_flow_gets_no_manifest():
    before = ownership.read(
        {"reconciler:owned:0": oid(1), "reconciler:owned:1": oid(2), "team": "video"}
    )
    assert before.other_tags == 1
    tags = ownership.tags_for(Manifest(frozenset({oid(1)}), frozenset(), before.keys, 1))
    assert tags == {"reconciler:owned:0": oid(1), "reconciler:owned:1": ""}
    crowded = Manifest(frozenset({oid(1)}), frozenset(), frozenset(), other_tags=50)
    assert ownership.tags_for(crowded) is None


def test_output_id_is_the_arn_id():
    assert ownership.output_id(arn(7, "youtube")) == oid(7)


def flow_plan(outputs: tuple[LiveOutput, ...], wanted: list[str], protected=frozenset()):
    spec = FlowSpec("f", "us-west-2", HERE, protected=frozenset(protected))
    fields = {"Protocol": "rtp", "Destination": "192.0.2.1", "Port": 5000}
    desired = [DesiredOutput(n, "f", HERE, fields) for n in wanted]
    live = LiveFlow("f", "arn:flow", "us-west-2", "ACTIVE", outputs, manifest=Manifest())
    return plan([spec], desired, {"f": live}).flows[0], fields


def test_after_apply_added_and_adopted_are_owned_removed_leave_strangers_stay_unowned():
    fields = {"Protocol": "rtp", "Destination": "192.0.2.1", "Port": 5000}
    outputs = (
        LiveOutput("ours-gone", arn(1, "ours-gone"), fields, managed=True),
        LiveOutput("stranger", arn(2, "stranger"), fields),
        LiveOutput("adopt-me", arn(3, "adopt-me"), fields),
        LiveOutput("guarded", arn(4, "guarded"), fields, managed=True),
    )
    flow, _ = flow_plan(outputs, ["adopt-me", "new"], protected={"guarded"})
    by_name = {c.output: c for c in flow.changes}
    assert {n: c.action for n, c in by_name.items()} == {
        "ours-gone": Action.REMOVE,
        "adopt-me": Action.UPDATE,
        "new": Action.ADD,
    }
    results = [
        Result(by_name["ours-gone"], Outcome.DONE),
        Result(by_name["new"], Outcome.DONE, output_arn=arn(5, "new")),
        Result(by_name["adopt-me"], Outcome.DONE, output_arn=arn(3, "adopt-me")),
    ]
    after = ownership.after_apply(flow, results)
    assert after.owned == {oid(3), oid(5)}  # the protected one was in no list before
    assert after.unowned == {oid(2)}


def test_after_apply_a_failed_remove_stays_owned_and_a_found_add_is_left_to_its_tags():
    fields = {"Protocol": "rtp", "Destination": "192.0.2.1", "Port": 5000}
    outputs = (LiveOutput("ours", arn(1, "ours"), fields, managed=True),)
    flow, _ = flow_plan(outputs, ["new"])
    remove, add = sorted(flow.changes, key=lambda c: c.action is Action.ADD)
    assert isinstance(remove, OutputChange)
    after = ownership.after_apply(
        flow,
        [
            Result(remove, Outcome.FAILED, "throttled"),
            Result(add, Outcome.DONE, "already in place", arn(9, "new")),
        ],
    )
    assert after.owned == {oid(1)}
