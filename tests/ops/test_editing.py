"""`reconcile enable / disable / add / rm`: one value changed and nothing else,
nothing invalid left behind, and the plan the edit leads to (or why not)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME

# The odd spacing, comments, quoting and key order a person may leave.
HAND_WRITTEN = """\
# yaml-language-server: $schema=../../schemas/destination.schema.json
# The main channel.   Keep this comment.

flow:    lunora-player-prod-rtmp-router     # the flow
name:   youtube-main
enabled:   true    # on air?
stream_key: { ssm: /lunora/streaming/youtube-main/stream-key }
url: 'rtmps://a.rtmps.youtube.com:443/live2'
settings:
    MinLatency:  2000
description: >-
  Main YouTube
  channel
# trailing comment
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def destination(state_dir: Path, name: str) -> Path:
    return state_dir / "destinations" / f"{name}.yaml"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def applied(state_dir, sandbox, stream_keys) -> str:
    """The example state applied to a sandbox flow."""
    arn = sandbox.create_flow()
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    return arn


@pytest.fixture
def unreachable(monkeypatch):
    """AWS at a closed loopback port, tried once."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


# --- enable / disable -----------------------------------------------------------------


def test_disable_then_enable_changes_only_the_value(state_dir, unreachable):
    path = destination(state_dir, "youtube-main")
    path.write_text(HAND_WRITTEN)

    result = run("disable", "youtube-main", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert path.read_text() == HAND_WRITTEN.replace("enabled:   true ", "enabled:   false ")

    assert run("enable", "youtube-main", "--state", str(state_dir)).exit_code == 0
    assert path.read_bytes() == HAND_WRITTEN.encode()


def test_disable_without_an_enabled_key_adds_one_line_above_description(state_dir, unreachable):
    path = destination(state_dir, "linkedin")
    before = path.read_text()
    assert "enabled" not in before
    path.write_text(before.replace("description:", "# what viewers see\ndescription:"))

    assert run("disable", "linkedin", "--state", str(state_dir)).exit_code == 0
    assert path.read_text() == before.replace(
        "description:", "enabled: false\n# what viewers see\ndescription:"
    )


def test_disable_appends_when_nothing_follows_enabled(state_dir, unreachable):
    path = destination(state_dir, "custom-rtmp")
    text = "name: custom-rtmp\nflow: lunora-player-prod-rtmp-router\nurl: rtmp://ingest.example.com/live\nstream_key: {ssm: /k}"
    path.write_text(text)  # and no newline at the end
    assert run("disable", "custom-rtmp", "--state", str(state_dir)).exit_code == 0
    assert path.read_text() == text + "\nenabled: false\n"


def test_windows_line_endings_are_kept(state_dir, unreachable):
    path = destination(state_dir, "restream")
    before = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(before)
    assert run("disable", "restream", "--state", str(state_dir)).exit_code == 0
    assert path.read_bytes() == before.replace(b"description:", b"enabled: false\r\ndescription:")
    assert run("enable", "restream", "--state", str(state_dir)).exit_code == 0
    assert path.read_bytes() == before.replace(b"description:", b"enabled: true\r\ndescription:")


def test_enabling_an_enabled_destination_is_a_no_op(state_dir, aws_calls):
    for name in ("youtube-main", "linkedin"):  # `enabled: true`, and no `enabled` at all
        before = destination(state_dir, name).read_bytes()
        result = run("enable", name, "--state", str(state_dir))
        assert result.exit_code == 0
        assert (
            result.stdout
            == f"{destination(state_dir, name)}: {name} is already enabled; nothing changed\n"
        )
        assert destination(state_dir, name).read_bytes() == before
    assert aws_calls.calls == []


def test_disabling_a_disabled_destination_is_a_no_op(state_dir, unreachable):
    path = destination(state_dir, "restream")
    run("disable", "restream", "--state", str(state_dir))
    before = path.read_bytes()
    result = run("disable", "restream", "--state", str(state_dir))
    assert result.exit_code == 0
    assert "restream is already disabled; nothing changed" in result.stdout
    assert path.read_bytes() == before


def test_disable_prints_the_plan_it_leads_to(state_dir, applied):
    result = run("disable", "restream", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "restream disabled (enabled: false)" in result.stdout
    assert "~ update   restream" in result.stdout
    assert "OutputStatus  ENABLED → DISABLED" in result.stdout
    assert "Plan: 0 to add, 1 to update, 0 to replace, 0 to remove." in result.stdout
    assert f"Commit {destination(state_dir, 'restream')}" in result.stdout
    assert all(key not in result.output for key in EXAMPLE_KEYS.values())


def test_a_name_on_several_flows_needs_flow(state_dir, unreachable):
    (state_dir / "flows" / "backup.yaml").write_text("name: backup\nregion: us-west-2\n")
    other = destination(state_dir, "youtube-backup")
    other.write_text(
        destination(state_dir, "youtube-main").read_text().replace(FLOW_NAME, "backup")
    )
    result = run("disable", "youtube-main", "--state", str(state_dir))
    assert result.exit_code == 1
    assert result.stderr == (
        "error: destination 'youtube-main' exists on several flows "
        f"(backup, {FLOW_NAME}); say which with --flow\n"
    )
    result = run("disable", "youtube-main", "--flow", "backup", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "enabled: false" in other.read_text()
    assert "enabled: true" in destination(state_dir, "youtube-main").read_text()


def test_unknown_name_is_one_line(state_dir):
    result = run("enable", "nope", "--state", str(state_dir))
    assert result.exit_code == 1
    assert result.stderr == f"error: {state_dir / 'destinations'}: no destination named 'nope'\n"


# --- nothing invalid is left behind -------------------------------------------------------


def test_an_edit_that_leaves_the_state_invalid_is_undone(state_dir):
    broken = destination(state_dir, "broken")
    broken.write_text("name: broken\nflow: nowhere\nurl: rtmp://h/app\n")
    path = destination(state_dir, "youtube-main")
    path.write_text(HAND_WRITTEN)

    for command in ("disable", "rm"):
        result = run(command, "youtube-main", "--state", str(state_dir))
        assert result.exit_code == 1
        assert f"{broken}:2: flow 'nowhere' is not defined in flows/" in result.stderr
        assert result.stderr.endswith(f"{path}: edit undone, the state would not be valid\n")
        assert "Traceback" not in result.output
        assert path.read_bytes() == HAND_WRITTEN.encode()


def test_add_that_would_be_invalid_writes_nothing_and_echoes_no_key(state_dir):
    key_in_url = "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop"
    result = run(
        "add",
        "yt2",
        "--flow",
        FLOW_NAME,
        "--url",
        key_in_url,
        "--stream-key-ssm",
        "/k",
        "--state",
        str(state_dir),
    )
    assert result.exit_code == 1
    assert (
        f"{destination(state_dir, 'yt2')}:4: url: the URL seems to contain the stream key"
        in result.stderr
    )
    assert "abcd-efgh-ijkl-mnop" not in result.output
    assert not destination(state_dir, "yt2").exists()

    result = run(
        "add", "yt2", "--flow", "nowhere", "--url", "rtmp://h/app", "--stream-key-ssm", "/k",
        "--state", str(state_dir),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "flow 'nowhere' is not defined" in result.stderr
    assert not destination(state_dir, "yt2").exists()


# --- add / rm ------------------------------------------------------------------------------


def test_add_writes_a_schema_annotated_file_and_prints_the_plan(state_dir, applied, sandbox):
    sandbox.put_key("/lunora/streaming/twitch/stream-key", "live_123456_abcdefabcdef")
    result = run(
        "add",
        "twitch",
        "--flow",
        FLOW_NAME,
        "--url",
        "rtmp://live.twitch.tv/app",
        "--stream-key-ssm",
        "/lunora/streaming/twitch/stream-key",
        "--description",
        "Twitch: main # channel",
        "--platform",
        "twitch",
        "--disabled",
        "--state",
        str(state_dir),
    )
    assert result.exit_code == 0, result.output
    assert destination(state_dir, "twitch").read_text() == (
        "# yaml-language-server: $schema=../../schemas/destination.schema.json\n"
        "name: twitch\n"
        f"flow: {FLOW_NAME}\n"
        "url: rtmp://live.twitch.tv/app\n"
        "stream_key: {ssm: /lunora/streaming/twitch/stream-key}\n"
        "enabled: false\n"
        "description: 'Twitch: main # channel'\n"
        "platform: twitch\n"
    )
    assert "+ add      twitch" in result.stdout
    assert "OutputStatus                      DISABLED" in result.stdout
    assert "Plan: 1 to add, 0 to update, 0 to replace, 0 to remove." in result.stdout
    assert "live_123456_abcdefabcdef" not in result.output
    assert run("validate", "--state", str(state_dir)).exit_code == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("youtube-main", "destination 'youtube-main' already exists on flow"),
        ("../escape", "'../escape' is not a valid destination name"),
    ],
)
def test_add_refuses_a_name_in_use_or_not_a_name(state_dir, name, message):
    before = sorted(p.name for p in (state_dir / "destinations").iterdir())
    result = run(
        "add", name, "--flow", FLOW_NAME, "--url", "rtmp://h/app", "--stream-key-ssm", "/k",
        "--state", str(state_dir),
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in result.stderr
    assert sorted(p.name for p in (state_dir / "destinations").iterdir()) == before
    assert not (state_dir / "escape.yaml").exists()


def test_rm_deletes_the_file_and_the_plan_removes_the_output(state_dir, applied):
    result = run("rm", "linkedin", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert not destination(state_dir, "linkedin").exists()
    assert "- remove   linkedin" in result.stdout
    assert "Plan: 0 to add, 0 to update, 0 to replace, 1 to remove." in result.stdout


# --- when AWS cannot be asked, the edit stands ----------------------------------------------


def test_edit_stands_when_aws_is_unreachable(state_dir, unreachable):
    result = run("disable", "restream", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "enabled: false" in destination(state_dir, "restream").read_text()
    assert "Plan not computed, so what applying will do is not shown:" in result.stdout
    assert "ssm:GetParameters failed: EndpointConnectionError" in result.stdout
    assert "The edit stands." in result.stdout


def test_edit_stands_without_credentials(state_dir, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run("rm", "restream", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert not destination(state_dir, "restream").exists()
    assert "no AWS credentials found" in result.stdout
    assert "The edit stands." in result.stdout
