"""Notifications end to end: a local HTTP server on 127.0.0.1 receives
Apprise's `json://` posts. What they say is checked, no secret is in them or in
any output, and a server that is down never changes apply's exit code."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from reconciler.app import clock
from reconciler.cli import main
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME
from tests.faults import always, injected
from tests.inbox import inbox

pytestmark = pytest.mark.usefixtures("aws_calls")

TOKEN = "hook-token-5f1e0c9a7b"  # the secret part of the webhook URL


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_notify(state_dir, block: str) -> None:
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text() + block)


NOTIFY = "notify:\n  - url: {env: NOTIFY_URL}\n"


@pytest.fixture
def flow_arn(sandbox, stream_keys):
    return sandbox.create_flow()


def assert_nothing_secret(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        for key in EXAMPLE_KEYS.values():
            assert key not in text


def test_apply_success_is_announced_per_output_with_the_ci_link(state_dir, flow_arn, monkeypatch):
    add_notify(state_dir, NOTIFY)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "lunora/streams")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    with inbox() as (port, posts):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    (post,) = posts
    assert post["path"] == f"/hooks/{TOKEN}"
    assert post["title"] == f"Applied: {FLOW_NAME}"
    assert post["message"].splitlines() == [
        f"Flow {FLOW_NAME} (us-west-2): 4 done, 0 failed, 0 skipped.",
        "- add custom-rtmp: done",
        "- add linkedin: done",
        "- add restream: done",
        "- add youtube-main: done",
        "",
        "CI run: https://github.com/lunora/streams/actions/runs/4242",
    ]
    assert_nothing_secret(post["raw"], result.stdout, result.stderr)


def test_a_failed_apply_is_announced_as_failed(state_dir, flow_arn, monkeypatch):
    add_notify(state_dir, NOTIFY)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with inbox() as (port, posts), injected(always("mediaconnect", "AddFlowOutputs", "500")):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    (post,) = posts
    assert post["title"] == f"Apply FAILED: {FLOW_NAME}"
    assert "- add youtube-main: failed (" in post["message"]
    assert_nothing_secret(post["raw"])


def test_a_server_that_is_down_never_changes_the_exit_code(state_dir, flow_arn, monkeypatch):
    add_notify(state_dir, NOTIFY)
    monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{closed_port()}/hooks/{TOKEN}")
    started = time.monotonic()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 30
    warnings = [line for line in result.stderr.splitlines() if "notifications" in line]
    assert warnings == [
        "warning: notifications not delivered (1): apply.success to {env: NOTIFY_URL}: "
        "not delivered (the service did not accept it or is down)"
    ]
    assert_nothing_secret(result.stdout, result.stderr)


def test_an_unset_reference_is_reported_and_apply_still_succeeds(state_dir, flow_arn):
    add_notify(state_dir, NOTIFY)
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 0
    assert "apply.success to {env: NOTIFY_URL}: environment variable is not set" in result.stderr


def test_events_select_what_a_target_receives(state_dir, flow_arn, monkeypatch):
    add_notify(state_dir, "notify:\n  - url: {env: NOTIFY_URL}\n    events: [apply.failed]\n")
    with inbox() as (port, posts):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    assert posts == []  # a success is not what this target asked for


def test_break_glass_is_announced_with_reason_caller_and_window(state_dir, flow_arn, monkeypatch):
    add_notify(
        state_dir,
        NOTIFY + "freeze:\n  - reason: Cup final\n    start: '2026-12-16T16:00:00+00:00'\n"
        "    end: '2026-12-16T22:00:00+00:00'\n",
    )
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 16, 17, 0, tzinfo=UTC))
    with inbox() as (port, posts):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        result = run(
            "apply", "--state", str(state_dir), "--auto-approve", "--break-glass", "INC-7 key leak"
        )
    assert result.exit_code == 0, result.output
    override, applied = posts
    assert override["title"] == f"Change freeze overridden: {FLOW_NAME}"
    assert "by arn:aws:sts::123456789012:user/moto" in override["message"]
    assert "Reason: INC-7 key leak" in override["message"]
    assert (
        "Window: 'Cup final' (2026-12-16 16:00 UTC to 2026-12-16 22:00 UTC)" in override["message"]
    )
    assert applied["title"] == f"Applied: {FLOW_NAME}"


def test_drift_found_then_resolved_with_a_memory_file(
    tmp_path, state_dir, sandbox, flow_arn, monkeypatch
):
    add_notify(state_dir, "notify:\n  - url: {env: NOTIFY_URL}\n    events: [drift]\n")
    memory = tmp_path / "drift-memory.json"
    with inbox() as (port, posts):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        assert run("drift", "--state", str(state_dir), "--remember", str(memory)).exit_code == 2
        assert run("drift", "--state", str(state_dir), "--remember", str(memory)).exit_code == 2
        assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
        assert run("drift", "--state", str(state_dir), "--remember", str(memory)).exit_code == 0
    assert [p["title"] for p in posts] == [
        f"Drift found: {FLOW_NAME}",  # once, although drift ran twice
        f"Drift resolved: {FLOW_NAME}",
    ]
    assert "- add youtube-main would make it match" in posts[0]["message"]


@pytest.mark.parametrize(
    ("block", "error"),
    [
        (
            "notify:\n  - url: 'jsonx://127.0.0.1/hook'\n",
            "10: notify: url: not a URL Apprise can send to",
        ),
        (
            "notify:\n  - url: {env: HOOK}\n    events: [apply.done]\n",
            "11: notify.0.events.0: must be one of apply, apply.success",
        ),
    ],
)
def test_bad_targets_are_file_and_line_errors(state_dir, block, error):
    add_notify(state_dir, block)
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    assert f"{FLOW_NAME}.yaml:{error}" in result.stderr
    assert "127.0.0.1" not in result.stderr  # a literal URL is never echoed


def test_an_apply_that_cannot_even_plan_is_announced(state_dir, sandbox, stream_keys, monkeypatch):
    add_notify(state_dir, NOTIFY)  # no flow in the sandbox: planning fails
    with inbox() as (port, posts):
        monkeypatch.setenv("NOTIFY_URL", f"json://127.0.0.1:{port}/hooks/{TOKEN}")
        result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: flow '{FLOW_NAME}' not found in us-west-2")
    (post,) = posts
    assert post["title"] == f"Apply FAILED: {FLOW_NAME}"
    assert post["message"].startswith("Apply could not start; nothing was changed: flow ")
