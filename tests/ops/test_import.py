"""`reconcile import`: live flows, a MediaLive channel and the legacy table into
destination files, end to end against the sandbox (moto + the MediaConnect
fidelity layer).

The round-trip tests build live flows from the real AWS examples in
tests/fixtures/aws-examples (outputs AWS itself described) and prove that a
plan right after import shows no changes. Outputs the tool did not create stay
unmanaged until tagged: that plan lists each as to be adopted (bookkeeping, not
a change), and the next apply makes only TagResource calls.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from moto.mediaconnect.models import mediaconnect_backends

from reconciler.core import importer
from reconciler.core.schema import schema
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, REGION, key_of
from tests.ops.conftest import MEDIALIVE_KEYS, TABLE, assert_nowhere, legacy_row, run
from tests.sandbox.helpers import add_request, cfn_outputs, example

# Every MediaConnect request sent is also checked against botocore's model.
pytestmark = pytest.mark.usefixtures("aws_calls")

ACCOUNT = "123456789012"  # moto's
VPC_ROLE = "arn:aws:iam::123456789012:role/MediaConnectAccess"
TLS = {"EncryptionType": "PUBLIC", "EncryptionConfiguration": {"Public": {}}}


def destination(state: Path, name: str) -> dict[str, Any]:
    return yaml.safe_load((state / "destinations" / f"{name}.yaml").read_text())


def plan_json(state: Path) -> dict[str, Any]:
    result = run("plan", "--state", str(state), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- live flows built from the real examples ------------------------------------------


@dataclass
class LiveFlow:
    """A flow to create in the sandbox: CreateFlow arguments, AddOutputRequests,
    and what each imported file should say instead of a URL (protocol) or as one."""

    name: str
    outputs: list[dict[str, Any]]
    expect: dict[str, str]  # output → its file's `url`, or "protocol: P"
    create: dict[str, Any] = field(default_factory=dict)
    disable: tuple[str, ...] = ()  # outputs to DISABLE after adding (UpdateFlowOutput)
    keys: tuple[str, ...] = ()  # the stream keys in `outputs`


def rtmp_request(name: str, url: str, key: str) -> dict[str, Any]:
    parts = urlsplit(url)
    settings: dict[str, Any] = {"ApplicationName": parts.path.strip("/"), "StreamName": key}
    if parts.query:
        settings["ApplicationName"] += f"?{parts.query}"
    if parts.scheme == "rtmps":
        settings["TlsEncryption"] = TLS
    return {
        "Name": name,
        "Protocol": "rtmp-push",
        "Destination": parts.hostname,
        "Port": parts.port or (443 if parts.scheme == "rtmps" else 1935),
        "RtmpPushSettings": settings,
    }


def describe_flow_example() -> LiveFlow:
    flow = example("awscli-DescribeFlow-1.json")["Flow"]
    # SmoothingLatency 0 is left out: the service fills it in, as in the example.
    outputs = [add_request(o, omit=("SmoothingLatency",)) for o in flow["Outputs"]]
    return LiveFlow(flow["Name"], outputs, {"NYC": "protocol: rtp-fec", "LA": "protocol: rtp-fec"})


def user_guide_examples() -> LiveFlow:
    added = example("awsug-AddFlowOutputsRequest-1.json")["Outputs"]
    disabled = example("awsugcur-UpdateFlowOutput-1.json")["Output"]
    outputs = [*added, add_request(disabled, omit=("OutputStatus",))]
    expect = {o["Name"]: "protocol: rtp-fec" for o in outputs}
    return LiveFlow("BasketballGame", outputs, expect, disable=(disabled["Name"],))


def cdk_example() -> LiveFlow:
    template = example("awscdk-FlowOutputCfn-1.json")["Resources"]["FlowA74D6E88"]["Properties"]
    interface = {
        "Name": template["VpcInterfaces"][0]["Name"],
        "RoleArn": VPC_ROLE,
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
        "SubnetId": "subnet-0123456789abcdef0",
    }
    outputs = cfn_outputs("awscdk-FlowOutputCfn-1.json")
    expect = {}
    for o in outputs:
        scheme = "srt" if o["Protocol"] == "srt-caller" else o["Protocol"]
        latency = f"?latency={o['MinLatency']}" if "MinLatency" in o else ""
        expect[o["Name"]] = f"{scheme}://{o['Destination']}:{o['Port']}{latency}"
    return LiveFlow(template["Name"], outputs, expect, create={"VpcInterfaces": [interface]})


def srt_listener_example() -> LiveFlow:
    outputs = cfn_outputs("katruud-FlowOutputCfn-1.json")
    return LiveFlow("switcher", outputs, {"OutputFlow": "protocol: srt-listener"})


def rtmp_services_example() -> LiveFlow:
    """Outputs to the published ingest URLs: first RTMP and first RTMPS per platform."""
    chosen: dict[tuple[str, str], str] = {}
    for service in example("rtmp-services.json"):
        if service["url"]:
            chosen.setdefault(
                (service["platform"], urlsplit(service["url"]).scheme), service["url"]
            )
    chosen[("YouTube", "backup")] = "rtmps://b.rtmps.youtube.com:443/live2?backup=1"
    outputs, expect, keys = [], {}, []
    for index, url in enumerate(chosen.values()):
        name, key = f"ingest-{index}", f"rtmp-key-{index}-0a1b2c3d"
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "rtmps" else 1935)
        outputs.append(rtmp_request(name, url, key))
        expect[name] = f"{parts.scheme}://{parts.hostname}:{port}/{parts.path.strip('/')}" + (
            f"?{parts.query}" if parts.query else ""
        )
        keys.append(key)
    assert any(u.startswith("rtmp://") for u in expect.values())
    assert any(u.startswith("rtmps://") for u in expect.values())
    return LiveFlow("rtmp-services", outputs, expect, keys=tuple(keys))


def hand_made() -> LiveFlow:
    """Protocols no published example shows, and what a URL cannot say."""
    outputs = [
        {"Name": "udp-out", "Protocol": "udp", "Destination": "198.51.100.40", "Port": 5400},
        {  # the service fills MaxLatency 6000 in: kept under settings
            "Name": "zixi-out",
            "Protocol": "zixi-push",
            "Destination": "198.51.100.50",
            "Port": 2088,
            "StreamId": "lunora-program",
        },
        {  # the StreamId is the key: it goes to SSM, not to the file
            "Name": "srt-key",
            "Protocol": "srt-caller",
            "Destination": "srt.example.net",
            "Port": 9000,
            "MinLatency": 250,
            "StreamId": "#!::r=live/lunora,m=publish,s=srt-key-5e6f7a8b",
        },
        {  # a RIST output with what a URL cannot say
            "Name": "rist-tuned",
            "Protocol": "rist",
            "Destination": "198.51.100.60",
            "Port": 5600,
            "MaxLatency": 1500,
            "Description": "Partner decoder, tuned",
        },
        {
            **rtmp_request(
                "custom-port", "rtmp://ingest.example.com:8935/live/app", "cp-key-1f2e3d4c"
            ),
            "Description": "Partner RTMP on a custom port",
        },
        rtmp_request("paused", "rtmps://live.example.com:443/stream", "paused-key-9a8b7c"),
    ]
    expect = {
        "udp-out": "udp://198.51.100.40:5400",
        "zixi-out": "zixi://198.51.100.50:2088/lunora-program",
        "srt-key": "srt://srt.example.net:9000?latency=250",
        "rist-tuned": "rist://198.51.100.60:5600",
        "custom-port": "rtmp://ingest.example.com:8935/live/app",
        "paused": "rtmps://live.example.com:443/stream",
    }
    keys = (
        "#!::r=live/lunora,m=publish,s=srt-key-5e6f7a8b",
        "cp-key-1f2e3d4c",
        "paused-key-9a8b7c",
    )
    return LiveFlow("hand-made", outputs, expect, disable=("paused",), keys=keys)


LIVE_FLOWS: dict[str, Callable[[], LiveFlow]] = {
    "awscli-DescribeFlow (rtp-fec)": describe_flow_example,
    "user guide (rtp-fec, disabled)": user_guide_examples,
    "cdk integ (rtp, rist, srt-caller, VPC)": cdk_example,
    "katruud (srt-listener)": srt_listener_example,
    "rtmp-services (rtmp-push, with and without TLS)": rtmp_services_example,
    "hand-made (udp, zixi-push, srt key, custom port)": hand_made,
}


def create(sandbox, flow: LiveFlow) -> str:
    arn = sandbox.create_flow(flow.name) if not flow.create else _create_with(sandbox, flow)
    sandbox.client.add_flow_outputs(FlowArn=arn, Outputs=flow.outputs)
    for name, output in sandbox.outputs(arn).items():
        if name in flow.disable:
            sandbox.client.update_flow_output(
                FlowArn=arn, OutputArn=output["OutputArn"], OutputStatus="DISABLED"
            )
    return arn


def _create_with(sandbox, flow: LiveFlow) -> str:
    source = {
        "Name": "ingest",
        "Protocol": "rtp",
        "IngestPort": 5000,
        "WhitelistCidr": "10.0.0.0/16",
    }
    return str(
        sandbox.client.create_flow(Name=flow.name, Source=source, **flow.create)["Flow"]["FlowArn"]
    )


@pytest.mark.parametrize("make", LIVE_FLOWS.values(), ids=LIVE_FLOWS.keys())
def test_import_then_plan_changes_no_setting(make, sandbox, empty_state, aws_calls):
    flow = make()
    create(sandbox, flow)

    result = run("import", "--flow", flow.name, "--state", str(empty_state), "--store-keys")

    assert result.exit_code == 0, result.output
    assert f"Imported {len(flow.outputs)} destination(s)" in result.stdout
    validated = run("validate", "--state", str(empty_state))
    assert validated.exit_code == 0, validated.output
    for name, expected in flow.expect.items():
        document = destination(empty_state, name)
        if expected.startswith("protocol: "):
            assert (
                document["protocol"] == expected.removeprefix("protocol: ")
                and "url" not in document
            )
        else:
            assert document["url"] == expected
        assert document["enabled"] is (name not in flow.disable)
    plan = plan_json(empty_state)
    assert plan["summary"] == {
        "add": 0,
        "update": 0,
        "replace": 0,
        "remove": 0,
        "adopt": len(flow.outputs),
    }
    assert {c["output"] for c in plan["changes"]} == {o["Name"] for o in flow.outputs}
    assert all(c["adopt"] and c["fields"] == [] for c in plan["changes"])
    assert run("plan", "--state", str(empty_state), "--detailed-exitcode").exit_code == 0
    assert run("drift", "--state", str(empty_state)).exit_code == 0

    aws_calls.clear()
    applied = run("apply", "--state", str(empty_state), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    # each output, then the flow's ownership manifest (docs/ownership.md)
    assert aws_calls.writes() == ["TagResource"] * (len(flow.outputs) + 1)
    assert run("plan", "--state", str(empty_state), "--detailed-exitcode").exit_code == 0
    assert_nowhere(list(flow.keys), result.output, applied.output, files=empty_state)


def test_what_a_url_cannot_say_goes_to_settings_in_request_names(sandbox, empty_state):
    create(sandbox, cdk_example())
    create(sandbox, hand_made())

    run("import", "--flow", "outputs-integ-flow", "--state", str(empty_state))
    run("import", "--flow", "hand-made", "--state", str(empty_state))

    vpc = destination(empty_state, "awscdkmediaconnectflowoutputsRistVpcOutputF2DF4898")
    assert vpc["settings"] == {"VpcInterfaceAttachment": {"VpcInterfaceName": "outputs-vpc-iface"}}
    rist = destination(empty_state, "rist-tuned")
    assert rist["settings"] == {"MaxLatency": 1500}
    assert rist["description"] == "Partner decoder, tuned"
    assert destination(empty_state, "zixi-out")["settings"] == {"MaxLatency": 6000}
    listener = destination(empty_state, "udp-out")
    assert "settings" not in listener and "stream_key" not in listener


def test_rtp_fec_keeps_what_the_service_reported(sandbox, empty_state):
    create(sandbox, describe_flow_example())

    run("import", "--flow", "AwardsShow", "--state", str(empty_state))

    nyc = (empty_state / "destinations" / "NYC.yaml").read_text()
    assert nyc == (
        "# yaml-language-server: $schema=../../schemas/destination.schema.json\n"
        "name: NYC\n"
        "flow: AwardsShow\n"
        "protocol: rtp-fec\n"
        "settings:\n"
        "  Destination: 192.0.2.0\n"
        "  Port: 2355\n"
        "  SmoothingLatency: 0\n"
        "enabled: true\n"
    )
    flow_file = (empty_state / "flows" / "AwardsShow.yaml").read_text()
    assert flow_file.startswith("# yaml-language-server: $schema=../../schemas/flow.schema.json\n")
    assert yaml.safe_load(flow_file) == {
        "name": "AwardsShow",
        "region": REGION,
        "prune": False,
        "protected": [],
    }


# --- stream keys -------------------------------------------------------------------


def test_keys_reach_ssm_as_secure_strings_and_no_file_or_output(sandbox, empty_state, aws_calls):
    flow = rtmp_services_example()
    create(sandbox, flow)
    aws_calls.clear()

    result = run("import", "--flow", flow.name, "--state", str(empty_state), "--store-keys")

    assert result.exit_code == 0, result.output
    for output, key in zip(flow.outputs, flow.keys, strict=True):
        reference = destination(empty_state, output["Name"])["stream_key"]
        assert reference == {"ssm": f"/streaming/{flow.name}/{output['Name']}/stream-key"}
        parameter = sandbox.ssm.get_parameter(Name=reference["ssm"], WithDecryption=True)
        assert parameter["Parameter"]["Type"] == "SecureString"
        assert parameter["Parameter"]["Value"] == key
    assert aws_calls.named("PutParameter") == len(flow.keys)
    assert_nowhere(list(flow.keys), result.output, files=empty_state)


def test_without_store_keys_nothing_is_written_to_ssm(sandbox, empty_state, aws_calls):
    create(sandbox, hand_made())

    result = run("import", "--flow", "hand-made", "--state", str(empty_state))

    assert result.exit_code == 0, result.output
    assert aws_calls.named("PutParameter") == 0
    assert "3 stream key(s) not stored: run again with --store-keys" in result.stdout
    assert destination(empty_state, "srt-key")["stream_key"] == {
        "ssm": "/streaming/hand-made/srt-key/stream-key"
    }
    assert_nowhere(list(hand_made().keys), result.output, files=empty_state)


def test_an_existing_parameter_is_kept_unless_forced(sandbox, empty_state):
    create(sandbox, hand_made())
    sandbox.put_key("/keys/hand-made/paused/stream-key", "someone-elses-key")
    sandbox.put_key("/keys/hand-made/custom-port/stream-key", "cp-key-1f2e3d4c")
    args = ("import", "--flow", "hand-made", "--state", str(empty_state), "--store-keys")

    first = run(*args, "--ssm-prefix", "/keys")

    assert "kept SSM /keys/hand-made/paused/stream-key: it holds a different key" in first.stdout
    assert (
        "kept SSM /keys/hand-made/custom-port/stream-key: it already holds this key" in first.stdout
    )
    assert "stored the key in SSM /keys/hand-made/srt-key/stream-key" in first.stdout
    stored = sandbox.ssm.get_parameter(
        Name="/keys/hand-made/paused/stream-key", WithDecryption=True
    )
    assert stored["Parameter"]["Value"] == "someone-elses-key"

    forced = run(*args, "--ssm-prefix", "/keys", "--force")

    assert "stored the key in SSM /keys/hand-made/paused/stream-key" in forced.stdout
    stored = sandbox.ssm.get_parameter(
        Name="/keys/hand-made/paused/stream-key", WithDecryption=True
    )
    assert stored["Parameter"]["Value"] == "paused-key-9a8b7c"
    assert_nowhere(["someone-elses-key", *hand_made().keys], first.output, forced.output)


# --- what is not overwritten or not imported -----------------------------------------


def test_existing_files_are_skipped_and_reported_unless_forced(sandbox, state_dir):
    flow_arn = sandbox.create_flow()
    sandbox.add_hand_made_output(flow_arn, "youtube-main")
    sandbox.add_hand_made_output(flow_arn, "partner")
    before = (state_dir / "destinations" / "youtube-main.yaml").read_text()
    flow_before = (state_dir / "flows" / f"{FLOW_NAME}.yaml").read_text()

    result = run("import", "--flow", FLOW_NAME, "--state", str(state_dir))

    assert result.exit_code == 0
    youtube = state_dir / "destinations" / "youtube-main.yaml"
    assert (
        f"skipped output 'youtube-main': {youtube} exists (use --force to overwrite)"
        in result.stdout
    )
    assert youtube.read_text() == before
    assert destination(state_dir, "partner")["url"] == "rtmp://ingest.example.net:1935/live"
    assert (state_dir / "flows" / f"{FLOW_NAME}.yaml").read_text() == flow_before
    assert "Imported 1 destination(s) (1 written), skipped 1." in result.stdout

    forced = run("import", "--flow", FLOW_NAME, "--state", str(state_dir), "--force")

    assert forced.exit_code == 0
    assert destination(state_dir, "youtube-main")["url"] == "rtmp://ingest.example.net:1935/live"
    assert f"unchanged {state_dir / 'destinations' / 'partner.yaml'}" in forced.stdout


def test_an_output_declared_in_another_file_is_never_imported_twice(sandbox, state_dir):
    flow_arn = sandbox.create_flow()
    sandbox.add_hand_made_output(flow_arn, "restream")
    declared = state_dir / "destinations" / "restream.yaml"
    declared.rename(state_dir / "destinations" / "fan-out.yaml")

    result = run("import", "--flow", FLOW_NAME, "--state", str(state_dir), "--force")

    assert (
        f"skipped output 'restream': already declared in {state_dir / 'destinations' / 'fan-out.yaml'}"
        in result.stdout
    )
    assert not declared.exists()
    assert run("validate", "--state", str(state_dir)).exit_code == 0


def test_entitlement_outputs_are_skipped_with_the_reason(sandbox, empty_state):
    flow_arn = sandbox.create_flow()
    sandbox.add_hand_made_output(flow_arn, "shared")
    sandbox.add_hand_made_output(flow_arn, "ours")
    entitlement = f"arn:aws:mediaconnect:{REGION}:{ACCOUNT}:entitlement:1-abc:shared"
    mediaconnect_backends[ACCOUNT][REGION]._flows[flow_arn].outputs[0]["entitlementArn"] = (
        entitlement
    )

    result = run("import", "--flow", FLOW_NAME, "--state", str(empty_state))

    assert f"skipped output 'shared': created by entitlement {entitlement}" in result.stdout
    assert not (empty_state / "destinations" / "shared.yaml").exists()
    assert (empty_state / "destinations" / "ours.yaml").exists()


def test_outputs_the_tool_created_import_to_an_empty_plan(
    sandbox, state_dir, stream_keys, tmp_path
):
    flow_arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    fresh = tmp_path / "fresh"

    result = run("import", "--flow", flow_arn, "--state", str(fresh), "--store-keys")

    assert result.exit_code == 0, result.output
    assert "not created by reconcile" not in result.stdout
    flow_file = yaml.safe_load((fresh / "flows" / f"{FLOW_NAME}.yaml").read_text())
    assert flow_file["arn"] == flow_arn
    assert destination(fresh, "youtube-main")["url"] == "rtmps://a.rtmps.youtube.com:443/live2"
    assert destination(fresh, "youtube-main")["description"] == "Main YouTube channel"
    plan = run("plan", "--state", str(fresh), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes. The live flows match git." in plan.stdout
    value = sandbox.ssm.get_parameter(
        Name=f"/streaming/{FLOW_NAME}/youtube-main/stream-key", WithDecryption=True
    )
    assert value["Parameter"]["Value"] == key_of("youtube-main")
    assert_nowhere(list(EXAMPLE_KEYS.values()), result.output, files=fresh)


def test_only_imports_one_output(sandbox, empty_state):
    create(sandbox, hand_made())

    result = run("import", "--flow", "hand-made", "--state", str(empty_state), "--only", "udp-out")

    assert result.exit_code == 0
    assert [p.name for p in (empty_state / "destinations").iterdir()] == ["udp-out.yaml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--flow", "no-such-flow"), "error: flow 'no-such-flow' not found in us-west-2\n"),
        (
            ("--flow", FLOW_NAME, "--only", "nope"),
            f"error: no destination named 'nope' in flow {FLOW_NAME} (found: hand-made)\n",
        ),
        (
            ("--flow", FLOW_NAME, "--from-medialive", "1", "--from-dynamodb", TABLE),
            "error: --from-medialive and --from-dynamodb cannot be combined\n",
        ),
        (
            ("--flow", FLOW_NAME, "--from-dynamodb", TABLE, "--store-keys"),
            "error: --store-keys does not apply to --from-dynamodb: rows already name their "
            "SSM parameter (stream_key_param)\n",
        ),
    ],
)
def test_mistakes_are_one_line_and_write_nothing(sandbox, empty_state, args, message):
    sandbox.add_hand_made_output(sandbox.create_flow())

    result = run("import", *args, "--state", str(empty_state))

    assert (result.exit_code, result.stderr) == (1, message)
    assert not empty_state.exists()


# --- MediaLive ---------------------------------------------------------------------


def test_medialive_rtmp_outputs_become_disabled_destinations(
    sandbox, channel, empty_state, aws_calls
):
    aws_calls.clear()
    result = run(
        "import",
        "--from-medialive",
        channel,
        "--flow",
        FLOW_NAME,
        "--state",
        str(empty_state),
        "--store-keys",
    )

    assert result.exit_code == 0, result.output
    assert [op for s, op in aws_calls.calls if s == "medialive"] == ["DescribeChannel"]
    youtube = destination(empty_state, "youtube-main")
    assert youtube == {
        "name": "youtube-main",
        "flow": FLOW_NAME,
        "url": "rtmps://a.rtmps.youtube.com:443/live2",
        "stream_key": {"ssm": f"/streaming/{FLOW_NAME}/youtube-main/stream-key"},
        "enabled": False,
        "metadata": {
            "medialive_channel": channel,
            "medialive_output_group": "rtmp-destinations",
            "medialive_output": "YouTube Main",
            "medialive_destination": "youtube",
        },
    }
    assert "note: named 'youtube-main'" in result.stdout
    assert "note: pipeline 1 sends to another URL or key" in result.stdout
    assert "skipped MediaLive output 'private-server': uses RTMP authentication" in result.stdout
    assert "hls-1080p" not in result.stdout
    assert run("validate", "--state", str(empty_state)).exit_code == 0
    assert_nowhere(list(MEDIALIVE_KEYS.values()), result.output, files=empty_state)


def test_medialive_migration_one_destination_at_a_time(sandbox, channel, empty_state, aws_calls):
    flow_arn = sandbox.create_flow()
    aws_calls.clear()

    imported = run(
        "import",
        "--from-medialive",
        channel,
        "--flow",
        FLOW_NAME,
        "--only",
        "restream",
        "--enable",
        "--state",
        str(empty_state),
        "--store-keys",
    )
    applied = run("apply", "--state", str(empty_state), "--auto-approve")

    assert imported.exit_code == 0 and applied.exit_code == 0, imported.output + applied.output
    assert [p.name for p in (empty_state / "destinations").iterdir()] == ["restream.yaml"]
    output = sandbox.outputs(flow_arn)["restream"]
    assert output["OutputStatus"] == "ENABLED"
    assert (output["Destination"], output["Port"]) == ("live.restream.io", 1935)
    rtmp = output["Transport"]["RtmpPushOutputSettings"]
    assert (rtmp["ApplicationName"], rtmp["StreamName"]) == ("live", MEDIALIVE_KEYS["restream"])
    medialive_calls = [op for s, op in aws_calls.calls if s == "medialive"]
    assert medialive_calls == ["DescribeChannel"]


def test_the_tool_has_no_medialive_operation_but_describe_channel():
    package = Path(importer.__file__).parent.parent
    adapter = (package / "aws" / "medialive.py").read_text()
    operations = re.findall(r"call\(\s*SERVICE,\s*\w+,\s*\"(\w+)\"", adapter)
    for path in package.rglob("*.py"):
        operations += re.findall(r"\"medialive\",\s*\w+,\s*\"(\w+)\"", path.read_text())
    assert "DescribeChannel" in operations
    assert set(operations) == {"DescribeChannel"}


# --- the legacy table ---------------------------------------------------------------


def test_table_rows_become_destinations_with_nothing_lost(sandbox, table, empty_state, aws_calls):
    table(
        legacy_row(
            "d-001",
            "YouTube Main",
            "rtmps://a.rtmps.youtube.com:443/live2",
            platform={"S": "youtube"},
            viewer_count={"N": "1200"},
            bitrate_mbps={"N": "6.5"},
            exact={"N": "0.1000000000000000000000000001"},
            tags={"SS": ["main", "public"]},
            ports={"NS": ["443", "1935"]},
            thumbnail={"B": b"\x89PNG"},
            retired_at={"NULL": True},
            settings={"M": {"resolution": {"S": "1080p"}, "fps": {"N": "30"}}},
            history={"L": [{"S": "created"}, {"N": "2"}]},
        ),
        legacy_row("d-002", "restream", "rtmp://live.restream.io/live", enabled={"BOOL": False}),
        legacy_row("d-003", "no url", None),
        legacy_row("d-004", "broken", "http://example.com/live"),
        legacy_row("d-005", "Restream!", "rtmp://live.restream.io/live"),
        legacy_row("d-006", "restream", "rtmp://backup.restream.io/live"),
        legacy_row(
            "d-007",
            "leaky",
            "rtmp://ingest.example.com/live",
            stream_key={"S": "raw-leaked-key-123"},
        ),
    )
    aws_calls.clear()

    result = run(
        "import", "--from-dynamodb", TABLE, "--flow", FLOW_NAME, "--state", str(empty_state)
    )

    assert result.exit_code == 0, result.output
    assert [op for s, op in aws_calls.calls if s == "dynamodb"] == ["Scan"]
    youtube = destination(empty_state, "youtube-main")
    assert youtube == {
        "name": "youtube-main",
        "flow": FLOW_NAME,
        "url": "rtmps://a.rtmps.youtube.com:443/live2",
        "stream_key": {"ssm": "/lunora/streaming/d-001/stream-key"},
        "enabled": True,
        "platform": "youtube",
        "metadata": {
            "destination_id": "d-001",
            "name": "YouTube Main",
            "preset_id": "1080p30",
            "streaming_status": "idle",
            "created_at": "2024-11-02T10:00:00Z",
            "updated_at": "2025-01-15T08:30:00Z",
            "viewer_count": 1200,
            "bitrate_mbps": 6.5,
            "exact": "0.1000000000000000000000000001",
            "tags": ["main", "public"],
            "ports": [443, 1935],
            "thumbnail": b"\x89PNG",
            "retired_at": None,
            "settings": {"resolution": "1080p", "fps": 30},
            "history": ["created", 2],
        },
    }
    text = (empty_state / "destinations" / "youtube-main.yaml").read_text()
    assert "thumbnail: !!binary |\n    iVBORw==\n" in text
    assert destination(empty_state, "restream")["enabled"] is False
    assert "note: name 'YouTube Main' → 'youtube-main'" in result.stdout
    assert "skipped row destination_id=d-003: no rtmp_url" in result.stdout
    assert (
        "skipped row destination_id=d-004: unparseable rtmp_url: unsupported URL scheme 'http://'"
        in result.stdout
    )
    assert (
        "skipped row destination_id=d-005: duplicate name 'restream' (also row destination_id=d-002)"
        in result.stdout
    )
    assert "skipped row destination_id=d-006: duplicate name 'restream'" in result.stdout
    assert "note: attribute 'stream_key' not copied: it looks like a credential" in result.stdout
    assert "Imported 3 destination(s) (3 written), skipped 4." in result.stdout
    assert run("validate", "--state", str(empty_state)).exit_code == 0
    assert_nowhere(["raw-leaked-key-123"], result.output, files=empty_state)


def test_rows_that_would_not_validate_are_skipped_not_written(sandbox, table, empty_state):
    table(
        legacy_row("d-001", "good", "rtmp://live.restream.io/live"),
        {  # an RTMP destination with no key reference
            "destination_id": {"S": "d-002"},
            "name": {"S": "keyless"},
            "rtmp_url": {"S": "rtmp://ingest.example.com/live"},
        },
    )

    result = run(
        "import", "--from-dynamodb", TABLE, "--flow", FLOW_NAME, "--state", str(empty_state)
    )

    assert (
        "skipped row destination_id=d-002: stream_key: RTMP destinations need a stream_key"
        in result.stdout
    )
    assert [p.name for p in (empty_state / "destinations").iterdir()] == ["good.yaml"]


# --- the pure parts -----------------------------------------------------------------


def test_the_output_name_pattern_is_the_schemas():
    pattern = schema("destination").schema["properties"]["name"]["pattern"]
    assert importer.OUTPUT_NAME.pattern == pattern


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("youtube-main", "youtube-main"),
        ("YouTube Main", "youtube-main"),
        ("Café  Live!!", "cafe-live"),
        ("__x__", "x"),
        ("!!!", None),
        ("a" * 200, "a" * 128),
    ],
)
def test_output_names(name, slug):
    assert importer.output_name(name) == slug
