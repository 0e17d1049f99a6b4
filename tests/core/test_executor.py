"""The executor against a fake of our own gateway: call order, batching, failures."""

from pathlib import Path

from reconciler.errors import AwsError, Location, NotFound
from reconciler.executor import Outcome, apply
from reconciler.models import DesiredOutput, FlowSpec, LiveFlow, LiveOutput
from reconciler.outputs import parse_url
from reconciler.planner import plan
from reconciler.secrets import Secret


class FakeMediaConnect:
    def __init__(self, fail_update=(), missing=()):
        self.calls = []
        self.fail_update, self.missing = set(fail_update), set(missing)

    def add_outputs(self, region, flow_arn, outputs):
        self.calls.append(("add", tuple(o["Name"] for o in outputs)))
        return {o["Name"]: f"arn:new:{o['Name']}" for o in outputs}

    def update_output(self, region, flow_arn, output_arn, changes):
        self.calls.append(("update", output_arn, tuple(sorted(changes))))
        if output_arn in self.fail_update:
            raise AwsError("UpdateFlowOutput", "InternalServerErrorException", "boom", 500)

    def remove_output(self, region, flow_arn, output_arn):
        self.calls.append(("remove", output_arn))
        if output_arn in self.missing:
            raise NotFound("RemoveFlowOutput", "NotFoundException", "gone", 404)

    def mark_managed(self, region, output_arn):
        self.calls.append(("tag", output_arn))


AT = Location(Path("d.yaml"), 1)


def out(url, key="k", **extra):
    return {
        "Description": "",
        "OutputStatus": "ENABLED",
        **parse_url(url).fields,
        "RtmpPushSettings.StreamName": Secret(key),
        **extra,
    }


def make_plan(desired, live):
    spec = FlowSpec("f", "us-west-2", Location(Path("f.yaml"), 1))
    return plan(
        [spec], desired, {"f": LiveFlow("f", "arn:flow", "us-west-2", "ACTIVE", tuple(live))}
    )


def test_removes_then_one_batched_add_then_updates():
    p = make_plan(
        [DesiredOutput(n, "f", AT, out("rtmp://h/app")) for n in ("a1", "a2", "a3")]
        + [DesiredOutput("u", "f", AT, out("rtmp://h/app", OutputStatus="DISABLED"))],
        [
            LiveOutput("u", "arn:u", out("rtmp://h/app"), managed=True),
            LiveOutput("r", "arn:r", out("rtmp://h/app"), managed=True),
        ],
    )
    fake = FakeMediaConnect()
    report = apply(p, fake)
    assert fake.calls == [
        ("remove", "arn:r"),
        ("add", ("a1", "a2", "a3")),
        ("update", "arn:u", ("OutputStatus",)),
    ]
    assert report.ok


def test_a_failed_update_is_reported_and_the_rest_goes_on():
    p = make_plan(
        [DesiredOutput(n, "f", AT, out("rtmp://h/app", key="new")) for n in ("x", "y")],
        [
            LiveOutput(n, f"arn:{n}", out("rtmp://h/app", key="old"), managed=True)
            for n in ("x", "y")
        ],
    )
    report = apply(p, FakeMediaConnect(fail_update={"arn:x"}))
    assert not report.ok
    outcomes = {r.change.output: r.outcome for r in report.results}
    assert outcomes == {"x": Outcome.FAILED, "y": Outcome.DONE}
    failed = next(r for r in report.results if r.outcome is Outcome.FAILED)
    assert "InternalServerErrorException" in failed.detail and "new" not in failed.detail


def test_removing_an_output_that_is_already_gone_counts_as_done():
    p = make_plan([], [LiveOutput("r", "arn:r", out("rtmp://h/app"), managed=True)])
    report = apply(p, FakeMediaConnect(missing={"arn:r"}))
    assert report.ok


def test_adoption_tags_after_updating():
    p = make_plan(
        [DesiredOutput("a", "f", AT, out("rtmp://h/app", key="new"))],
        [LiveOutput("a", "arn:a", out("rtmp://h/app", key="old"), managed=False)],
    )
    fake = FakeMediaConnect()
    apply(p, fake)
    assert fake.calls == [("update", "arn:a", ("RtmpPushSettings",)), ("tag", "arn:a")]


def test_replace_removes_then_adds_in_the_batch():
    p = make_plan(
        [
            DesiredOutput(
                "a",
                "f",
                AT,
                {
                    "Description": "",
                    "OutputStatus": "ENABLED",
                    **parse_url("udp://10.0.0.1:5000").fields,
                },
            )
        ],
        [LiveOutput("a", "arn:a", out("rtmp://h/app"), managed=True)],
    )
    fake = FakeMediaConnect()
    assert apply(p, fake).ok
    assert fake.calls == [("remove", "arn:a"), ("add", ("a",))]
