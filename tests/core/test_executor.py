"""The executor against a fake of our own AWS adapter: call order, batching,
re-reads, convergence, failures and skips."""

from pathlib import Path

from reconciler.app.executor import apply
from reconciler.core.errors import AwsError, FlowNotReady, Location, NotFound
from reconciler.core.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput
from reconciler.core.outputs import live_fields, parse_url
from reconciler.core.planner import Action, plan
from reconciler.core.results import Outcome
from reconciler.core.secrets import Secret

AT = Location(Path("d.yaml"), 1)


def out(url="rtmp://h.example.com/app", key="k", **extra):
    return {
        "Description": "",
        "OutputStatus": "ENABLED",
        **parse_url(url).fields,
        "RtmpPushSettings.StreamName": Secret(key),
        **extra,
    }


class FakeMediaConnect:
    """A flow held in memory, changed by the calls, with scriptable failures."""

    def __init__(self, live, *, fail=None, apply_then_fail=(), gone=False, busy=False):
        self.outputs = {o.name: o for o in live}
        self.calls = []
        self.fail = fail or {}  # (operation, output name) -> AwsError
        self.apply_then_fail = set(apply_then_fail)  # operations applied, then reported failed
        self.gone, self.busy = gone, busy

    def ready_flow(self, region, flow_arn):
        self.calls.append(("read",))
        if self.gone:
            raise NotFound("DescribeFlow", "NotFoundException", "gone", 404)
        if self.busy:
            raise FlowNotReady("flow 'f' is still UPDATING after 300 s")
        return LiveFlow("f", flow_arn, region, "ACTIVE", tuple(self.outputs.values()))

    def _maybe_fail(self, operation, name):
        if (operation, name) in self.fail:
            raise self.fail[operation, name]

    def add_outputs(self, region, flow_arn, outputs):
        names = tuple(o["Name"] for o in outputs)
        self.calls.append(("add", names))
        for name in names:
            self._maybe_fail("add", name)
            if name in self.outputs:  # the real service refuses the whole batch
                raise AwsError("AddFlowOutputs", "BadRequestException", f"{name} exists", 400)
        for o in outputs:
            fields = live_fields(_as_response(o))
            self.outputs[o["Name"]] = LiveOutput(
                o["Name"], f"arn:{o['Name']}", fields, managed=True
            )
        if "add" in self.apply_then_fail:
            raise AwsError("AddFlowOutputs", "ReadTimeoutError", "no answer")
        return {n: f"arn:{n}" for n in names}

    def update_output(self, region, flow_arn, output_arn, changes):
        name = output_arn.split(":", 1)[1]
        self.calls.append(("update", name, tuple(sorted(changes))))
        self._maybe_fail("update", name)
        if name not in self.outputs:
            raise NotFound("UpdateFlowOutput", "NotFoundException", "no output", 404)
        old = self.outputs[name]
        fields = dict(old.fields)
        if "OutputStatus" in changes:
            fields["OutputStatus"] = changes["OutputStatus"]
        if "RtmpPushSettings" in changes:
            fields["RtmpPushSettings.StreamName"] = changes["RtmpPushSettings"]["StreamName"]
        self.outputs[name] = LiveOutput(name, old.arn, fields, managed=old.managed)

    def remove_output(self, region, flow_arn, output_arn):
        name = output_arn.split(":", 1)[1]
        self.calls.append(("remove", name))
        self._maybe_fail("remove", name)
        if self.outputs.pop(name, None) is None:
            raise NotFound("RemoveFlowOutput", "NotFoundException", "gone", 404)

    def mark_managed(self, region, output_arn):
        self.calls.append(("tag", output_arn.split(":", 1)[1]))


def _as_response(request):
    """An AddFlowOutputs request entry in DescribeFlow's shape (enough for these tests)."""
    transport = {"Protocol": request["Protocol"]}
    if "RtmpPushSettings" in request:
        transport["RtmpPushOutputSettings"] = request["RtmpPushSettings"]
    keep = ("Description", "Destination", "Port", "OutputStatus", "Name")
    return {**{k: request[k] for k in keep if k in request}, "Transport": transport}


def live(name, **kw):
    return LiveOutput(name, f"arn:{name}", out(**kw), managed=True)


def make_plan(desired, outputs):
    spec = FlowSpec("f", "us-west-2", Location(Path("f.yaml"), 1))
    flow = LiveFlow("f", "arn:flow", "us-west-2", "ACTIVE", tuple(outputs))
    return plan([spec], desired, {"f": flow})


def want(name, **kw):
    return DesiredOutput(name, "f", AT, out(**kw))


def outcomes(report):
    return {r.change.output: (r.outcome, r.detail) for r in report.results}


def test_removes_then_one_batched_add_then_updates_with_reads_between_writes():
    p = make_plan(
        [want("a1"), want("a2"), want("u", OutputStatus="DISABLED")],
        [live("u"), live("r")],
    )
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    report = apply(p, fake)
    assert fake.calls == [
        ("remove", "r"),  # the plan's read is fresh: no read before the first write
        ("read",),
        ("add", ("a1", "a2")),
        ("read",),
        ("update", "u", ("OutputStatus",)),
    ]
    assert report.ok


def test_a_failed_update_is_reported_and_the_rest_goes_on():
    p = make_plan(
        [want("x", key="new"), want("y", key="new")], [live("x", key="old"), live("y", key="old")]
    )
    boom = AwsError("UpdateFlowOutput", "InternalServerErrorException", "boom", 500)
    report = apply(p, FakeMediaConnect(p.flows[0].live.outputs, fail={("update", "x"): boom}))
    assert not report.ok
    (outcome, detail) = outcomes(report)["x"]
    assert (
        outcome is Outcome.FAILED
        and "InternalServerErrorException" in detail
        and "new" not in detail
    )
    assert outcomes(report)["y"] == (Outcome.DONE, "")


def test_an_add_applied_before_its_answer_was_lost_counts_as_done():
    p = make_plan([want("a"), want("b")], [])
    fake = FakeMediaConnect([], apply_then_fail={"add"})
    report = apply(p, fake)
    assert report.ok
    assert outcomes(report)["a"] == (Outcome.DONE, "already in place")


def test_a_batch_refused_because_a_concurrent_apply_won_is_sorted_out_by_a_read():
    p = make_plan([want("a"), want("b")], [])
    fake = FakeMediaConnect([])
    fake.outputs["b"] = live("b")  # a concurrent apply added b after our plan
    report = apply(p, fake)
    assert outcomes(report)["b"] == (Outcome.DONE, "already in place")
    assert outcomes(report)["a"][0] is Outcome.FAILED  # left for the next run, which adds it
    assert apply(make_plan([want("a"), want("b")], fake.outputs.values()), fake).ok
    assert set(fake.outputs) == {"a", "b"}


def test_an_add_someone_else_already_made_is_not_sent_again():
    p = make_plan([want("a"), want("b")], [live("r")])
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    fake.outputs["b"] = live("b")  # appears between the plan and the add (after our remove)
    report = apply(p, fake)
    assert ("add", ("a",)) in fake.calls
    assert report.ok


def test_an_add_clashing_with_different_settings_is_reported_not_overwritten():
    p = make_plan([want("a", OutputStatus="DISABLED")], [live("gone")])
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    fake.outputs["a"] = live("a")  # appears between plan and apply, ENABLED
    report = apply(p, fake)
    (outcome, detail) = outcomes(report)["a"]
    assert outcome is Outcome.FAILED and "exists with other settings" in detail
    assert not any(c[0] == "add" for c in fake.calls)


def test_removing_an_output_that_is_already_gone_counts_as_done():
    p = make_plan([], [live("r")])
    fake = FakeMediaConnect([])
    report = apply(p, fake)
    assert report.ok and outcomes(report)["r"] == (Outcome.DONE, "")


def test_updating_an_output_removed_since_the_plan_fails_clearly():
    p = make_plan([want("u", OutputStatus="DISABLED"), want("n")], [live("u")])
    fake = FakeMediaConnect([])  # u was removed by someone
    report = apply(p, fake)
    assert outcomes(report)["u"][0] is Outcome.FAILED
    assert "no longer exists" in outcomes(report)["u"][1]
    assert outcomes(report)["n"][0] is Outcome.DONE


def test_flow_deleted_mid_apply_skips_the_rest_with_the_reason():
    p = make_plan([want("a"), want("u", OutputStatus="DISABLED")], [live("u"), live("r")])
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    original_remove = fake.remove_output

    def remove_then_delete_flow(*args):
        original_remove(*args)
        fake.gone = True

    fake.remove_output = remove_then_delete_flow
    report = apply(p, fake)
    assert outcomes(report)["r"] == (Outcome.DONE, "")
    assert outcomes(report)["a"] == (Outcome.SKIPPED, "flow 'f' no longer exists")
    assert outcomes(report)["u"] == (Outcome.SKIPPED, "flow 'f' no longer exists")


def test_a_flow_that_never_settles_skips_the_rest():
    p = make_plan([want("a"), want("b", OutputStatus="DISABLED")], [live("b")])
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    original_add = fake.add_outputs

    def add_then_stick(*args):
        fake.busy = True
        return original_add(*args)

    fake.add_outputs = add_then_stick
    report = apply(p, fake)
    assert outcomes(report)["a"][0] is Outcome.DONE
    assert outcomes(report)["b"] == (Outcome.SKIPPED, "flow 'f' is still UPDATING after 300 s")


def test_adoption_tags_after_updating():
    p = make_plan([want("a", key="new")], [LiveOutput("a", "arn:a", out(key="old"), managed=False)])
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    apply(p, fake)
    assert fake.calls == [("update", "a", ("RtmpPushSettings",)), ("tag", "a")]


def test_replace_removes_then_adds_in_the_batch():
    udp = {"Description": "", "OutputStatus": "ENABLED", **parse_url("udp://10.0.0.1:5000").fields}
    p = make_plan([DesiredOutput("a", "f", AT, udp)], [live("a")])
    assert p.changes[0].action is Action.REPLACE
    fake = FakeMediaConnect(p.flows[0].live.outputs)
    assert apply(p, fake).ok
    assert fake.calls == [("remove", "a"), ("read",), ("add", ("a",))]


def test_replace_whose_remove_fails_is_not_added():
    udp = {"Description": "", "OutputStatus": "ENABLED", **parse_url("udp://10.0.0.1:5000").fields}
    p = make_plan([DesiredOutput("a", "f", AT, udp)], [live("a")])
    boom = AwsError("RemoveFlowOutput", "BadRequestException", "no", 400)
    fake = FakeMediaConnect(p.flows[0].live.outputs, fail={("remove", "a"): boom})
    report = apply(p, fake)
    assert outcomes(report)["a"][0] is Outcome.FAILED
    assert not any(c[0] == "add" for c in fake.calls)
