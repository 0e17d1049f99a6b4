"""The `reconcile` commands end to end, in-process, against the sandbox."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, key_of, only_reads

# Every test here also checks that each MediaConnect request sent validates
# against botocore's model (see CallLog in conftest.py).
pytestmark = pytest.mark.usefixtures("aws_calls")

EXAMPLE_OUTPUTS = {"custom-rtmp", "linkedin", "restream", "youtube-main"}


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def flow_arn(sandbox) -> str:
    return sandbox.create_flow()


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for key in EXAMPLE_KEYS.values():
            assert key not in text


def test_validate_example_state_offline(state_dir, aws_calls, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "1 flow(s), 4 destination(s): valid" in result.output
    assert aws_calls.calls == []


def test_validate_error_is_one_line_with_file_and_line(state_dir):
    (state_dir / "destinations" / "bad.yaml").write_text("name: bad\nflow: [oops\n")
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{state_dir / 'destinations' / 'bad.yaml'}:3: invalid YAML: ")
    assert "expected ',' or ']'" in line  # libyaml's and PyYAML's wordings both say so
    assert "Traceback" not in result.output


def test_plan_shows_adds_with_keys_redacted(state_dir, flow_arn, stream_keys):
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "Plan: 4 to add, 0 to update, 0 to replace, 0 to remove." in result.stdout
    assert "+ add      youtube-main" in result.stdout
    assert "RtmpPushSettings.StreamName" in result.stdout and "(sensitive)" in result.stdout
    assert_no_secret(result.output)


def test_plan_detailed_exitcode(state_dir, flow_arn, stream_keys):
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 2
    run("apply", "--state", str(state_dir), "--auto-approve")
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0


def test_plan_json_contract(state_dir, flow_arn, stream_keys):
    document = json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)
    assert document["summary"] == {"add": 4, "update": 0, "replace": 0, "remove": 0, "adopt": 0}
    assert {c["output"] for c in document["changes"]} == EXAMPLE_OUTPUTS
    change = next(c for c in document["changes"] if c["output"] == "youtube-main")
    assert change["action"] == "add" and change["flow"] == FLOW_NAME
    key = next(f for f in change["fields"] if f["field"] == "RtmpPushSettings.StreamName")
    assert key == {"field": "RtmpPushSettings.StreamName", "sensitive": True, "changed": True}
    port = next(f for f in change["fields"] if f["field"] == "Port")
    assert port == {"field": "Port", "after": 443}


def test_plan_markdown(state_dir, flow_arn, stream_keys):
    text = run("plan", "--state", str(state_dir), "--format", "markdown").stdout
    first, _, rest = text.partition("\n\n")
    assert first.startswith("💰 **This plan adds $")  # the cost line comes first
    assert rest.startswith("**Plan: 4 to add")
    assert f"<summary><b>{FLOW_NAME}</b>" in text
    assert_no_secret(text)


def test_apply_creates_tagged_outputs_in_one_call(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 4 done, 0 failed, 0 skipped." in result.stdout
    # the outputs in one call, then the flow's ownership manifest (docs/ownership.md)
    assert aws_calls.writes() == ["AddFlowOutputs", "TagResource"]
    outputs = sandbox.outputs(flow_arn)
    assert set(outputs) == EXAMPLE_OUTPUTS
    assert sorted(sandbox.tags(flow_arn)["reconciler:owned:0"].split()) == sorted(
        o["OutputArn"].split(":")[6] for o in outputs.values()
    )
    youtube = outputs["youtube-main"]
    assert youtube["Destination"] == "a.rtmps.youtube.com" and youtube["Port"] == 443
    rtmp = youtube["Transport"]["RtmpPushOutputSettings"]
    assert rtmp["ApplicationName"] == "live2"
    assert rtmp["StreamName"] == key_of("youtube-main")
    assert rtmp["TlsEncryption"]["EncryptionType"] == "PUBLIC"
    assert "TlsEncryption" not in outputs["restream"]["Transport"]["RtmpPushOutputSettings"]
    assert youtube["Description"] == "Main YouTube channel"
    assert sandbox.tags(youtube["OutputArn"]) == {
        "reconciler:managed-by": "mediaconnect-reconciler"
    }
    assert_no_secret(result.output)


def test_second_apply_is_a_no_op(state_dir, flow_arn, stream_keys, aws_calls):
    run("apply", "--state", str(state_dir), "--auto-approve")
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0
    assert "No changes. The live flows match git." in result.stdout
    assert aws_calls.writes() == []


def test_plan_costs_one_describe_flow_per_flow(state_dir, flow_arn, stream_keys, aws_calls):
    run("apply", "--state", str(state_dir), "--auto-approve")
    aws_calls.clear()
    run("plan", "--state", str(state_dir))
    assert aws_calls.named("DescribeFlow") == 1
    assert aws_calls.named("ListFlows") == 1  # the flow file has no arn: found by name


def test_disable_sends_only_output_status(state_dir, sandbox, flow_arn, stream_keys, aws_calls):
    run("apply", "--state", str(state_dir), "--auto-approve")
    path = state_dir / "destinations" / "restream.yaml"
    path.write_text(path.read_text() + "enabled: false\n")
    plan = run("plan", "--state", str(state_dir))
    assert "~ update   restream" in plan.stdout
    assert re.search(r"OutputStatus +ENABLED → DISABLED", plan.stdout)
    assert "Plan: 0 to add, 1 to update, 0 to replace, 0 to remove." in plan.stdout
    aws_calls.clear()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert aws_calls.writes() == ["UpdateFlowOutput"]
    restream = sandbox.outputs(flow_arn)["restream"]
    assert restream["OutputStatus"] == "DISABLED"
    assert restream["Transport"]["RtmpPushOutputSettings"]["StreamName"] == key_of("restream")


def test_key_rotation_shows_one_sensitive_change(state_dir, sandbox, flow_arn, stream_keys):
    run("apply", "--state", str(state_dir), "--auto-approve")
    sandbox.put_key("/lunora/streaming/linkedin/stream-key", "li-rotated-9999")
    result = run("plan", "--state", str(state_dir), "--format", "json")
    (change,) = json.loads(result.stdout)["changes"]
    assert change["output"] == "linkedin"
    assert change["fields"] == [
        {"field": "RtmpPushSettings.StreamName", "sensitive": True, "changed": True}
    ]
    assert "li-rotated-9999" not in result.output
    run("apply", "--state", str(state_dir), "--auto-approve")
    live = sandbox.outputs(flow_arn)["linkedin"]["Transport"]["RtmpPushOutputSettings"]
    assert live["StreamName"] == "li-rotated-9999"


def test_deleting_a_file_removes_its_output(state_dir, sandbox, flow_arn, stream_keys):
    run("apply", "--state", str(state_dir), "--auto-approve")
    (state_dir / "destinations" / "custom-rtmp.yaml").unlink()
    plan = run("plan", "--state", str(state_dir))
    assert "- remove   custom-rtmp" in plan.stdout
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert set(sandbox.outputs(flow_arn)) == EXAMPLE_OUTPUTS - {"custom-rtmp"}


def test_unmanaged_output_is_left_alone_and_is_not_drift(state_dir, sandbox, flow_arn, stream_keys):
    sandbox.add_hand_made_output(flow_arn)
    run("apply", "--state", str(state_dir), "--auto-approve")
    assert "hand-made" in sandbox.outputs(flow_arn)
    drift = run("drift", "--state", str(state_dir))
    assert drift.exit_code == 0
    assert "· unmanaged hand-made (left alone)" in drift.stdout


def test_prune_removes_unmanaged_outputs(state_dir, sandbox, flow_arn, stream_keys):
    sandbox.add_hand_made_output(flow_arn)
    run("apply", "--state", str(state_dir), "--auto-approve")
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text().replace("prune: false", "prune: true"))
    assert run("drift", "--state", str(state_dir)).exit_code == 2
    run("apply", "--state", str(state_dir), "--auto-approve")
    assert "hand-made" not in sandbox.outputs(flow_arn)


def test_protected_output_survives_prune(state_dir, sandbox, flow_arn, stream_keys, aws_calls):
    sandbox.add_hand_made_output(flow_arn)
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(
        flow_file.read_text()
        .replace("prune: false", "prune: true")
        .replace("protected: []", "protected: [hand-made]")
    )
    plan = run("plan", "--state", str(state_dir))
    assert "· protected hand-made (never touched)" in plan.stdout
    run("apply", "--state", str(state_dir), "--auto-approve")
    assert "hand-made" in sandbox.outputs(flow_arn)


def test_a_hand_made_output_that_already_matches_is_adopted_without_drift(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    run("apply", "--state", str(state_dir), "--auto-approve")
    arn = sandbox.outputs(flow_arn)["restream"]["OutputArn"]
    sandbox.client.untag_resource(ResourceArn=arn, TagKeys=["reconciler:managed-by"])
    # ...and from the flow's ownership manifest, which would otherwise still list it
    sandbox.client.untag_resource(ResourceArn=flow_arn, TagKeys=["reconciler:owned:0"])
    plan = run("plan", "--state", str(state_dir), "--detailed-exitcode")
    assert plan.exit_code == 0  # settings match git: bookkeeping, not drift
    assert "= adopt    restream" in plan.stdout
    assert "1 existing output(s) already match git and will be tagged as managed." in plan.stdout
    assert run("drift", "--state", str(state_dir)).exit_code == 0
    aws_calls.clear()
    assert run("apply", "--state", str(state_dir)).exit_code == 0  # nothing to confirm
    assert aws_calls.writes() == ["TagResource", "TagResource"]  # the output, the manifest
    assert sandbox.tags(arn) == {"reconciler:managed-by": "mediaconnect-reconciler"}
    assert arn.split(":")[6] in sandbox.tags(flow_arn)["reconciler:owned:0"].split()


def test_destination_adopts_a_hand_made_output(state_dir, sandbox, flow_arn, stream_keys):
    made = sandbox.add_hand_made_output(flow_arn, name="restream", Destination="old.restream.io")
    plan = run("plan", "--state", str(state_dir))
    assert "adopting an existing unmanaged output" in plan.stdout
    assert re.search(r"Destination +old.restream.io → live.restream.io", plan.stdout)
    run("apply", "--state", str(state_dir), "--auto-approve")
    live = sandbox.outputs(flow_arn)["restream"]
    assert live["OutputArn"] == made["OutputArn"]  # updated in place, not recreated
    assert live["Destination"] == "live.restream.io"
    assert sandbox.tags(made["OutputArn"])["reconciler:managed-by"] == "mediaconnect-reconciler"
    assert run("drift", "--state", str(state_dir)).exit_code == 0


def test_drift_detects_a_console_change(state_dir, sandbox, flow_arn, stream_keys):
    run("apply", "--state", str(state_dir), "--auto-approve")
    assert run("drift", "--state", str(state_dir)).exit_code == 0
    arn = sandbox.outputs(flow_arn)["youtube-main"]["OutputArn"]
    sandbox.client.update_flow_output(FlowArn=flow_arn, OutputArn=arn, Port=1935)
    drift = run("drift", "--state", str(state_dir))
    assert drift.exit_code == 2
    assert re.search(r"Port +1935 → 443", drift.stdout)


def test_apply_without_a_terminal_refuses_and_writes_nothing(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir))
    assert result.exit_code == 1
    assert "no terminal to confirm on; nothing was applied" in result.stderr
    assert aws_calls.writes() == [] and sandbox.outputs(flow_arn) == {}


def test_missing_stream_key_names_the_file_and_writes_nothing(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    sandbox.ssm.delete_parameter(Name="/lunora/streaming/restream/stream-key")
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{state_dir / 'destinations' / 'restream.yaml'}:2: "
        "stream_key {ssm: /lunora/streaming/restream/stream-key}: parameter not found\n"
    )
    # One batch of keys; the flow is read at the same time, and nothing is written.
    assert aws_calls.calls.count(("ssm", "GetParameters")) == 1
    assert only_reads(aws_calls.calls)


def test_unset_environment_key_names_the_file(state_dir, sandbox, flow_arn, stream_keys, aws_calls):
    path = state_dir / "destinations" / "custom-rtmp.yaml"
    path.write_text(
        path.read_text().replace(
            "{ssm: /lunora/streaming/custom-rtmp/stream-key}", "{env: CUSTOM_KEY}"
        )
    )
    aws_calls.clear()
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"{path}:2: stream_key {{env: CUSTOM_KEY}}: environment variable is not set\n"
    )
    assert only_reads(aws_calls.calls)


def test_missing_flow_is_a_clear_error(state_dir, sandbox, stream_keys):
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 1
    assert result.stderr == f"error: flow '{FLOW_NAME}' not found in us-west-2\n"


def test_flow_given_by_arn_skips_list_flows(state_dir, flow_arn, stream_keys, aws_calls):
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text() + f"arn: {flow_arn}\n")
    assert run("plan", "--state", str(state_dir)).exit_code == 0
    assert aws_calls.named("ListFlows") == 0 and aws_calls.named("DescribeFlow") == 1


def test_never_a_medialive_or_mediapackage_call(state_dir, flow_arn, stream_keys, aws_calls):
    aws_calls.clear()
    run("plan", "--state", str(state_dir))
    run("apply", "--state", str(state_dir), "--auto-approve")
    run("drift", "--state", str(state_dir))
    assert aws_calls.calls
    assert {service for service, _ in aws_calls.calls} == {"mediaconnect", "ssm"}
    assert {op for service, op in aws_calls.calls if service == "ssm"} == {"GetParameters"}


@pytest.mark.parametrize(("answer", "applied"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_apply_asks_at_a_terminal(
    state_dir, sandbox, flow_arn, stream_keys, monkeypatch, answer, applied
):
    monkeypatch.setattr("reconciler.cli.common.stdin_is_terminal", lambda: True)
    result = run("apply", "--state", str(state_dir), input=answer)
    assert "Apply these changes? [y/N]" in result.stdout
    assert result.exit_code == (0 if applied else 1)
    assert bool(sandbox.outputs(flow_arn)) is applied
    if not applied:
        assert "apply cancelled; nothing was applied" in result.stderr


def test_protocol_change_is_planned_and_applied_as_a_replace(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    run("apply", "--state", str(state_dir), "--auto-approve")
    path = state_dir / "destinations" / "custom-rtmp.yaml"
    path.write_text(
        f"name: custom-rtmp\nflow: {FLOW_NAME}\nurl: srt://203.0.113.7:9000?streamid=partner&latency=200\n"
    )
    plan = run("plan", "--state", str(state_dir))
    assert "± replace  custom-rtmp" in plan.stdout
    assert "this destination alone is briefly interrupted" in plan.stdout
    assert json.loads(run("plan", "--state", str(state_dir), "--format", "json").stdout)[
        "summary"
    ] == {"add": 0, "update": 0, "replace": 1, "remove": 0, "adopt": 0}
    aws_calls.clear()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    # the new output has a new id: the flow's ownership manifest follows
    assert aws_calls.writes() == ["RemoveFlowOutput", "AddFlowOutputs", "TagResource"]
    assert sandbox.outputs(flow_arn)["custom-rtmp"]["Transport"]["Protocol"] == "srt-caller"
    assert run("drift", "--state", str(state_dir)).exit_code == 0


def test_a_full_flow_takes_an_add_when_a_remove_makes_room(
    state_dir, sandbox, flow_arn, stream_keys
):
    outputs = [
        {"Name": f"hand-{i}", "Protocol": "udp", "Destination": "10.0.0.1", "Port": 6000 + i}
        for i in range(46)
    ]
    sandbox.client.add_flow_outputs(FlowArn=flow_arn, Outputs=outputs)
    run("apply", "--state", str(state_dir), "--auto-approve")  # 46 + 4 = 50: full
    (state_dir / "destinations" / "custom-rtmp.yaml").unlink()
    (state_dir / "destinations" / "twitch.yaml").write_text(
        f"name: twitch\nflow: {FLOW_NAME}\nurl: rtmp://live.twitch.tv/app\n"
        "stream_key: {ssm: /lunora/streaming/restream/stream-key}\n"
    )
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    names = set(sandbox.outputs(flow_arn))
    assert len(names) == 50 and "twitch" in names and "custom-rtmp" not in names


def test_a_plan_past_fifty_outputs_fails_before_any_call(
    state_dir, sandbox, flow_arn, stream_keys, aws_calls
):
    outputs = [
        {"Name": f"hand-{i}", "Protocol": "udp", "Destination": "10.0.0.1", "Port": 6000 + i}
        for i in range(47)
    ]
    sandbox.client.add_flow_outputs(FlowArn=flow_arn, Outputs=outputs)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert "would have 51 outputs; MediaConnect allows at most 50 per flow" in result.stderr
    assert aws_calls.writes() == []
