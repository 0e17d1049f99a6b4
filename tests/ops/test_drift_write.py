"""`reconcile drift --write`: console changes made by hand become minimal edits of
the destination files, after which `plan` shows no change; what must not or
cannot be written is reported and the files are left alone."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.app.yamledit import SpliceError, set_values
from reconciler.cli import main
from tests.conftest import FLOW_NAME


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def applied(state_dir, sandbox, stream_keys):
    """The example state applied to a fresh flow: (flow ARN, outputs by name)."""
    arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    return arn, sandbox.outputs(arn)


def update(sandbox, arn: str, output: dict, **changes) -> None:
    sandbox.client.update_flow_output(FlowArn=arn, OutputArn=output["OutputArn"], **changes)


def diff(before: Path, after: Path) -> list[str]:
    """The changed lines between two copies of state/, per file."""
    lines = []
    for old in sorted(before.rglob("*.yaml")):
        new = after / old.relative_to(before)
        changed = difflib.unified_diff(
            old.read_text().splitlines(), new.read_text().splitlines(), lineterm="", n=0
        )
        lines += [
            f"{old.name}: {line}"
            for line in changed
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
    return lines


def test_console_changes_are_written_back_minimally_and_then_plan_clean(
    state_dir, sandbox, stream_keys, tmp_path
):
    youtube = state_dir / "destinations" / "youtube-main.yaml"
    youtube.write_text(youtube.read_text() + "settings:\n  MinLatency: 1000  # ms\n")
    arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    outputs = sandbox.outputs(arn)
    update(sandbox, arn, outputs["restream"], Port=1936, Destination="backup.restream.io")
    update(sandbox, arn, outputs["linkedin"], OutputStatus="DISABLED")
    update(sandbox, arn, outputs["custom-rtmp"], Description="Moved during the incident")
    update(sandbox, arn, outputs["youtube-main"], MinLatency=2000)
    before = tmp_path / "before"
    shutil.copytree(state_dir, before)
    assert run("drift", "--state", str(state_dir)).exit_code == 2

    result = run("drift", "--state", str(state_dir), "--write")

    assert result.exit_code == 0, result.output
    assert "4 output(s) written into git, 0 left" in result.output
    assert diff(before, state_dir) == [
        "custom-rtmp.yaml: -description: Partner's own RTMP server",
        "custom-rtmp.yaml: +description: Moved during the incident",
        "linkedin.yaml: +enabled: false",
        "restream.yaml: -url: rtmp://live.restream.io/live",
        "restream.yaml: +url: rtmp://backup.restream.io:1936/live",
        "youtube-main.yaml: -  MinLatency: 1000  # ms",
        "youtube-main.yaml: +  MinLatency: 2000  # ms",
    ]
    assert run("validate", "--state", str(state_dir)).exit_code == 0
    plan = run("plan", "--state", str(state_dir), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.output


def test_a_protocol_changed_by_hand_rewrites_the_url(state_dir, sandbox, applied):
    arn, outputs = applied
    sandbox.client.remove_flow_output(FlowArn=arn, OutputArn=outputs["custom-rtmp"]["OutputArn"])
    sandbox.client.add_flow_outputs(
        FlowArn=arn,
        Outputs=[
            {
                "Name": "custom-rtmp",
                "Protocol": "srt-caller",
                "Destination": "ingest.example.com",
                "Port": 9000,
                "MinLatency": 200,
                "StreamId": "custom-key-42",
                "Description": "Partner's own RTMP server",
                "OutputTags": {"reconciler:managed-by": "mediaconnect-reconciler"},
            }
        ],
    )
    result = run("drift", "--state", str(state_dir), "--write")
    assert result.exit_code == 0, result.output
    text = (state_dir / "destinations" / "custom-rtmp.yaml").read_text()
    assert "url: srt://ingest.example.com:9000?latency=200\n" in text
    assert run("plan", "--state", str(state_dir), "--detailed-exitcode").exit_code == 0


def test_keys_and_outputs_removed_by_hand_are_reported_not_written(
    state_dir, sandbox, applied, tmp_path
):
    arn, outputs = applied
    update(sandbox, arn, outputs["restream"], RtmpPushSettings={
        "ApplicationName": "live", "StreamName": "a-key-typed-in-the-console"
    })
    sandbox.client.remove_flow_output(FlowArn=arn, OutputArn=outputs["linkedin"]["OutputArn"])
    before = tmp_path / "before"
    shutil.copytree(state_dir, before)

    result = run("drift", "--state", str(state_dir), "--write")

    assert result.exit_code == 2
    assert diff(before, state_dir) == []
    assert (
        f"left {FLOW_NAME}/restream: the live key differs from "
        "{ssm: /lunora/streaming/restream/stream-key}: rotate the parameter or re-apply"
    ) in result.output
    assert f"left {FLOW_NAME}/linkedin: declared in git but not on the live flow" in result.output
    assert "a-key-typed-in-the-console" not in result.output


def test_an_owned_output_git_no_longer_declares_is_reported(state_dir, sandbox, applied):
    (state_dir / "destinations" / "linkedin.yaml").unlink()
    result = run("drift", "--state", str(state_dir), "--write")
    assert result.exit_code == 2
    assert f"left {FLOW_NAME}/linkedin: owned by the tool but declared nowhere in git" in (
        result.output
    )
    assert not (state_dir / "destinations" / "linkedin.yaml").exists()


def test_filters_accept_one_change_and_not_another(state_dir, sandbox, applied, tmp_path):
    arn, outputs = applied
    update(sandbox, arn, outputs["restream"], Port=1936)
    update(sandbox, arn, outputs["linkedin"], OutputStatus="DISABLED")
    result = run("drift", "--state", str(state_dir), "--write", "--output", "linkedin")
    assert result.exit_code == 0, result.output
    assert "enabled: false" in (state_dir / "destinations" / "linkedin.yaml").read_text()
    assert ":1936" not in (state_dir / "destinations" / "restream.yaml").read_text()
    left = run("drift", "--state", str(state_dir))
    assert left.exit_code == 2 and "restream" in left.output and "linkedin" not in left.output
    assert run("drift", "--state", str(state_dir), "--write", "--flow", "other-*").exit_code == 0


def test_the_drift_mode_selects_flows(state_dir, sandbox, applied):
    arn, outputs = applied
    update(sandbox, arn, outputs["restream"], Port=1936)
    assert run("drift", "--state", str(state_dir), "--mode", "heal").exit_code == 0
    assert run("drift", "--state", str(state_dir), "--mode", "report").exit_code == 2
    flow = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow.write_text(flow.read_text() + "drift: pull-request\n")
    assert run("drift", "--state", str(state_dir), "--mode", "report").exit_code == 0
    assert run("drift", "--state", str(state_dir), "--mode", "pull-request").exit_code == 2
    flow.write_text(flow.read_text() + "drift: sometimes\n")
    assert run("validate", "--state", str(state_dir)).exit_code == 1


# --- the splice itself, on odd files --------------------------------------------------

HAND_WRITTEN = (
    "# yaml-language-server: $schema=../../schemas/destination.schema.json\r\n"
    "name:   restream   # the name\r\n"
    "flow: lunora-player-prod-rtmp-router\r\n"
    "url: 'rtmp://live.restream.io/live'  # was\tchanged in May\r\n"
    "stream_key: { ssm: /lunora/streaming/restream/stream-key }\r\n"
    "settings:\r\n"
    "    SmoothingLatency: 100\r\n"
    "\r\n"
    "# trailing comment\r\n"
)


def test_crlf_tabs_and_quoting_survive_a_splice():
    edited = set_values(
        "restream.yaml",
        HAND_WRITTEN,
        [
            (("url",), "rtmp://backup.restream.io:1936/live"),
            (("enabled",), False),
            (("settings", "MinLatency"), 2000),
        ],
    )
    assert edited == (
        "# yaml-language-server: $schema=../../schemas/destination.schema.json\r\n"
        "name:   restream   # the name\r\n"
        "flow: lunora-player-prod-rtmp-router\r\n"
        "url: rtmp://backup.restream.io:1936/live  # was\tchanged in May\r\n"
        "stream_key: { ssm: /lunora/streaming/restream/stream-key }\r\n"
        "enabled: false\r\n"
        "settings:\r\n"
        "    SmoothingLatency: 100\r\n"
        "    MinLatency: 2000\r\n"
        "\r\n"
        "# trailing comment\r\n"
    )


@pytest.mark.parametrize(
    ("text", "edit"),
    [
        ("{name: a, flow: f, url: 'rtmp://h/a'}\n", (("url",), "rtmp://h/b")),
        ("name: a\ndescription: >-\n  two\n  lines\n", (("description",), "one")),
        ("name: a\nsettings: {MinLatency: 1}\n", (("settings", "MinLatency"), 2)),
    ],
)
def test_what_cannot_be_spliced_safely_is_refused(text, edit):
    with pytest.raises(SpliceError):
        set_values("d.yaml", text, [edit])


def test_a_refused_file_is_left_untouched(state_dir, sandbox, applied):
    arn, outputs = applied
    path = state_dir / "destinations" / "custom-rtmp.yaml"
    flow_style = (
        "{name: custom-rtmp, flow: lunora-player-prod-rtmp-router, "
        "url: 'rtmp://ingest.example.com:1935/live', "
        "stream_key: {ssm: /lunora/streaming/custom-rtmp/stream-key}, "
        "description: \"Partner's own RTMP server\", platform: custom}\n"
    )
    path.write_text(flow_style)
    update(sandbox, arn, outputs["custom-rtmp"], Description="changed")
    result = run("drift", "--state", str(state_dir), "--write")
    assert result.exit_code == 2
    assert "one-line {...} mapping; edit it by hand" in result.output
    assert path.read_text() == flow_style
