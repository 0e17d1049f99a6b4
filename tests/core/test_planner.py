"""plan(desired, observed) on plain values: every decision the planner makes."""

from pathlib import Path

import pytest

from reconciler.core.errors import Location
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput
from reconciler.core.outputs import parse_url
from reconciler.core.planner import Action, PlanError, plan
from reconciler.core.secrets import Secret

FLOW = "router"
HERE = Location(Path("state/destinations/x.yaml"), 1)


def flow(**kw):
    return FlowSpec(
        name=FLOW, region="us-west-2", location=Location(Path("state/flows/router.yaml"), 1), **kw
    )


def fields(url="rtmp://live.restream.io/live", key="key-1", **extra):
    f = {
        "Description": "",
        "OutputStatus": "ENABLED",
        **parse_url(url).fields,
        "RtmpPushSettings.StreamName": Secret(key),
    }
    f.update(extra)
    return f


def want(name, **kw):
    return DesiredOutput(name, FLOW, HERE, fields(**kw))


def have(name, managed=True, entitlement=None, **kw):
    return LiveOutput(
        name,
        f"arn:aws:mediaconnect:us-west-2:1:output:2-{name}:{name}",
        fields(**kw),
        managed=managed,
        entitlement_arn=entitlement,
    )


def live(*outputs):
    return {
        FLOW: LiveFlow(
            FLOW, "arn:aws:mediaconnect:us-west-2:1:flow:1-x:router", "us-west-2", "ACTIVE", outputs
        )
    }


def actions(p):
    return [(c.action, c.output) for c in p.changes]


def test_in_sync_flow_plans_nothing():
    p = plan([flow()], [want("a"), want("b")], live(have("a"), have("b")))
    assert not p.has_changes
    assert p.summary() == {"add": 0, "update": 0, "replace": 0, "remove": 0, "adopt": 0}


def test_new_destination_is_an_add_with_every_field():
    p = plan([flow()], [want("a")], live())
    assert actions(p) == [(Action.ADD, "a")]
    paths = {f.path for f in p.changes[0].fields}
    assert {"Protocol", "Destination", "Port", "RtmpPushSettings.StreamName"} <= paths


def test_update_lists_only_the_changed_fields_before_and_after():
    p = plan([flow()], [want("a", url="rtmp://live.restream.io:1936/live")], live(have("a")))
    (change,) = p.changes
    assert change.action is Action.UPDATE and not change.adopt
    assert [(f.path, f.before, f.after) for f in change.fields] == [("Port", 1935, 1936)]


def test_key_rotation_is_one_sensitive_field_change():
    p = plan([flow()], [want("a", key="key-2")], live(have("a", key="key-1")))
    (change,) = p.changes
    assert [f.path for f in change.fields] == ["RtmpPushSettings.StreamName"]
    assert change.fields[0].sensitive


def test_disabling_changes_output_status_only():
    p = plan([flow()], [want("a", OutputStatus="DISABLED")], live(have("a")))
    assert [(f.path, f.before, f.after) for f in p.changes[0].fields] == [
        ("OutputStatus", "ENABLED", "DISABLED")
    ]


def test_switching_rtmp_to_rtmps_updates_in_place():
    p = plan([flow()], [want("a", url="rtmps://live.restream.io:1935/live")], live(have("a")))
    (change,) = p.changes
    assert change.action is Action.UPDATE
    assert [f.path for f in change.fields] == ["RtmpPushSettings.TlsEncryption"]


def test_protocol_change_is_a_replace():
    desired = DesiredOutput(
        "a",
        FLOW,
        HERE,
        {
            "Description": "",
            "OutputStatus": "ENABLED",
            **parse_url("srt://203.0.113.5:9000?streamid=s").fields,
        },
    )
    p = plan([flow()], [desired], live(have("a")))
    assert actions(p) == [(Action.REPLACE, "a")]


def test_service_defaults_not_in_git_are_not_drift():
    echoed = have("a")
    echoed = LiveOutput(
        echoed.name,
        echoed.arn,
        {**echoed.fields, "SmoothingLatency": 0, "MinLatency": 1000},
        managed=True,
    )
    assert not plan([flow()], [want("a")], live(echoed)).has_changes


def test_deleted_file_removes_our_output_but_leaves_others_alone():
    p = plan([flow()], [], live(have("ours"), have("hand-made", managed=False)))
    assert actions(p) == [(Action.REMOVE, "ours")]
    assert p.flows[0].unmanaged == ("hand-made",)


def test_prune_removes_unmanaged_outputs_too():
    p = plan([flow(prune=True)], [], live(have("hand-made", managed=False)))
    assert actions(p) == [(Action.REMOVE, "hand-made")]


def test_protected_outputs_are_never_touched_even_with_prune():
    p = plan(
        [flow(prune=True, protected=frozenset({"keep"}))],
        [],
        live(have("keep", managed=False), have("ours")),
    )
    assert actions(p) == [(Action.REMOVE, "ours")]
    assert p.flows[0].protected == ("keep",)


def test_entitlement_outputs_are_never_removed():
    p = plan([flow(prune=True)], [], live(have("ent", managed=False, entitlement="arn:ent")))
    assert not p.has_changes and p.flows[0].unmanaged == ("ent",)


def test_entitlement_output_cannot_be_claimed_by_a_destination():
    with pytest.raises(PlanError, match="entitlement"):
        plan([flow()], [want("ent")], live(have("ent", managed=False, entitlement="arn:ent")))


def test_matching_unmanaged_output_is_adopted_without_counting_as_a_change():
    p = plan([flow()], [want("a")], live(have("a", managed=False)))
    (change,) = p.changes
    assert change.action is Action.UPDATE and change.adopt and change.fields == ()
    assert change.adoption_only and not p.has_changes
    assert p.summary() == {"add": 0, "update": 0, "replace": 0, "remove": 0, "adopt": 1}


def test_adoption_with_different_settings_updates_and_adopts():
    p = plan([flow()], [want("a", key="new")], live(have("a", managed=False, key="old")))
    (change,) = p.changes
    assert change.adopt and [f.path for f in change.fields] == ["RtmpPushSettings.StreamName"]
    assert p.has_changes and p.summary()["update"] == 1


def test_more_than_fifty_outputs_fails_before_any_call():
    existing = [have(f"o{i}", managed=False) for i in range(49)]
    with pytest.raises(PlanError, match="51 outputs"):
        plan([flow()], [want("new1"), want("new2")], live(*existing))


def test_removes_make_room_for_adds():
    existing = [have(f"o{i}", managed=False) for i in range(49)] + [have("old")]
    p = plan([flow()], [want("new")], live(*existing))
    assert sorted(actions(p)) == [(Action.ADD, "new"), (Action.REMOVE, "old")]


def test_changes_are_ordered_by_output_name():
    p = plan([flow()], [want("c"), want("a"), want("b")], live())
    assert [c.output for c in p.changes] == ["a", "b", "c"]
