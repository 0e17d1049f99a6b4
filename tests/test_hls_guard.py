"""The HLS path (MediaLive → MediaPackage) next to a flow: reported read-only
by plan, proven unchanged by apply, and never written (see conftest's
`hls_path_is_never_written`, active in every test)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

import reconciler
from reconciler.cli import main
from tests.conftest import FLOW_NAME, REGION
from tests.faults import always, injected

ENDPOINT = "https://dce3793146fef017.mediapackage.us-west-2.amazonaws.com/out/v1/ab09/index.m3u8"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def hls(sandbox, stream_keys):
    """A running MediaLive channel feeding MediaPackage (plus a legacy RTMP
    output whose key must stay out of every report), and its HLS endpoint."""
    package = boto3.client("mediapackage", region_name=REGION)
    package.create_channel(Id="lunora-hls", Description="HLS for the player")
    package.create_origin_endpoint(ChannelId="lunora-hls", Id="hls-main", ManifestName="index")
    live = boto3.client("medialive", region_name=REGION)
    channel = live.create_channel(
        Name="lunora-live",
        Destinations=[
            {"Id": "mp", "MediaPackageSettings": [{"ChannelId": "lunora-hls"}]},
            {
                "Id": "yt",
                "Settings": [
                    {"Url": "rtmp://a.rtmp.youtube.com/live2", "StreamName": "legacy-rtmp-key-42"}
                ],
            },
        ],
        EncoderSettings={
            "VideoDescriptions": [],
            "AudioDescriptions": [],
            "TimecodeConfig": {"Source": "SYSTEMCLOCK"},
            "OutputGroups": [
                {
                    "Name": "hls",
                    "OutputGroupSettings": {
                        "MediaPackageGroupSettings": {"Destination": {"DestinationRefId": "mp"}}
                    },
                    "Outputs": [],
                },
                {"Name": "rtmp", "OutputGroupSettings": {"RtmpGroupSettings": {}}, "Outputs": []},
            ],
        },
    )["Channel"]
    live.start_channel(ChannelId=channel["Id"])
    live.describe_channel(ChannelId=channel["Id"])  # moto: STARTING → RUNNING on first read
    return {"channel": channel["Id"], "medialive": live}


@pytest.fixture
def guarded_state(state_dir, hls, sandbox):
    sandbox.create_flow()
    flow = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow.write_text(
        flow.read_text()
        + f"hls_guard:\n  medialive_channel_id: '{hls['channel']}'\n  mediapackage_channel_id: lunora-hls\n"
    )
    return state_dir


def test_plan_reports_the_hls_path_read_only(guarded_state, hls):
    text = run("plan", "--state", str(guarded_state)).stdout
    assert (
        f"HLS path (read-only): MediaLive {hls['channel']} RUNNING; MediaPackage output group present"
        in text
    )
    markdown = run("plan", "--state", str(guarded_state), "--format", "markdown").stdout
    assert f"HLS path (read-only): MediaLive {hls['channel']} RUNNING" in markdown
    document = json.loads(run("plan", "--state", str(guarded_state), "--format", "json").stdout)
    (view,) = document["hls"]
    assert view["channel_state"] == "RUNNING" and view["mediapackage_output_present"] is True
    assert view["fingerprint"].startswith("sha256:")


def test_apply_states_the_hls_path_unchanged(tmp_path, guarded_state, aws_calls):
    report = tmp_path / "audit.json"
    result = run("apply", "--state", str(guarded_state), "--auto-approve", "--report", str(report))
    assert result.exit_code == 0, result.output
    assert f"HLS path next to {FLOW_NAME} unchanged by apply" in result.stdout
    (check,) = json.loads(report.read_text())["hls_path"]
    assert check["unchanged"] is True and check["before"] == check["after"]
    hls_calls = {(s, op) for s, op in aws_calls.calls if s in ("medialive", "mediapackage")}
    assert hls_calls == {
        ("medialive", "DescribeChannel"),
        ("mediapackage", "DescribeChannel"),
        ("mediapackage", "ListOriginEndpoints"),
    }
    assert "legacy-rtmp-key-42" not in report.read_text() + result.output


def test_a_change_to_the_hls_path_during_apply_fails_loudly(guarded_state, hls):
    from botocore.handlers import BUILTIN_HANDLERS

    def someone_stops_the_channel(model, **kwargs):
        if model.name == "AddFlowOutputs":
            from moto.medialive.models import medialive_backends

            channel = medialive_backends["123456789012"][REGION]._channels[hls["channel"]]
            channel.state = "IDLE"

    entry = ("before-call", someone_stops_the_channel)
    BUILTIN_HANDLERS.append(entry)
    try:
        result = run("apply", "--state", str(guarded_state), "--auto-approve")
    finally:
        BUILTIN_HANDLERS.remove(entry)
    assert result.exit_code == 1
    assert f"HLS path next to {FLOW_NAME} CHANGED during apply:" in result.stdout
    assert "RUNNING" in result.stdout and "IDLE" in result.stdout  # deepdiff shows what changed
    assert "CHANGED during apply (see above)" in result.stderr


def test_unreadable_hls_path_is_a_clear_error(guarded_state):
    with injected(always("medialive", "DescribeChannel", "denied")):
        result = run("plan", "--state", str(guarded_state))
    assert result.exit_code == 1
    flow = guarded_state / "flows" / f"{FLOW_NAME}.yaml"
    assert result.stderr == (
        f"error: {flow}:4: hls_guard: cannot read the HLS path: DescribeChannel failed: "
        "AccessDeniedException: User is not authorized to perform this action\n"
    )


HLS_SERVICES = ("medialive", "mediapackage")
CALLS = ("call", "pages")


def hls_operations(source: str) -> list[tuple[str, object]]:
    """(service, operation) of every `.call(...)`/`.pages(...)` in `source` whose
    service is MediaLive or MediaPackage, or cannot be told (then "?"). Names
    bound to a string at module level (`SERVICE = "medialive"`) are resolved."""
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def value(node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id, "?")
        return "?"

    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CALLS
            and len(node.args) >= 3
        ):
            continue
        service, operation = value(node.args[0]), value(node.args[2])
        if service in HLS_SERVICES or service == "?":
            found.append((str(service), operation))
    return found


def hls_writes(source: str) -> list[tuple[str, object]]:
    """The MediaLive/MediaPackage calls in `source` that are not plain reads."""
    return [
        (service, operation)
        for service, operation in hls_operations(source)
        if service == "?"
        or not (isinstance(operation, str) and operation.startswith(("Describe", "List")))
    ]


def package_sources() -> dict[Path, str]:
    package = Path(reconciler.__file__).parent
    return {p: p.read_text() for p in package.rglob("*.py") if "sandbox" not in p.parts}


def test_the_adapter_names_no_hls_write_operation():
    """Every MediaLive/MediaPackage operation named anywhere in the package is a read."""
    reads = []
    for path, source in package_sources().items():
        assert hls_writes(source) == [], path
        reads += hls_operations(source)
    assert ("medialive", "DescribeChannel") in reads  # the check sees the real adapter


@pytest.mark.parametrize(
    "planted",
    [
        'SERVICE = "medialive"\nclients.call(SERVICE, region, "DeleteChannel", ChannelId=c)\n',
        'clients.call("mediapackage", region, "DeleteOriginEndpoint", Id=i)\n',
        'OPERATION = "UpdateChannel"\nclients.call("medialive", region, OPERATION)\n',
        "clients.call(service_of(x), region, 'DescribeFlow')\n",
    ],
)
def test_the_check_catches_a_planted_write(planted):
    source = package_sources()[Path(reconciler.__file__).parent / "aws" / "medialive.py"]
    assert hls_writes(source + "\n" + planted)
