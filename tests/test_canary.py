"""A canary stream key runs through every command; it must never come out.

The canary is a fresh random value, served from SSM (SecureString), Secrets
Manager (plain and as a JSON field) and the environment, and also set by hand
as the key of a live output the tool does not manage. Every run's stdout,
stderr, log records and written files are searched for it.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FLOW_NAME, REGION
from tests.faults import always, injected
from tests.inbox import inbox

CANARY = f"canary-{secrets.token_hex(12)}"


@pytest.fixture
def canary_inbox():
    """A webhook whose URLs (in SSM and the environment) hold the canary; what
    it receives is checked too."""
    with inbox() as (port, posts):
        yield port, posts
    for post in posts:
        assert CANARY not in post["raw"]


@pytest.fixture
def canary_state(tmp_path, sandbox, monkeypatch, canary_inbox) -> Path:
    port, _ = canary_inbox
    sandbox.put_key("/canary/notify", f"json://127.0.0.1:{port}/{CANARY}-notify-ssm")
    monkeypatch.setenv("CANARY_NOTIFY", f"json://127.0.0.1:{port}/{CANARY}-notify-env")
    sandbox.put_key("/canary/ssm", f"{CANARY}-ssm")
    sm = boto3.client("secretsmanager", region_name=REGION)
    sm.create_secret(Name="canary/plain", SecretString=f"{CANARY}-sm")
    sm.create_secret(Name="canary/json", SecretString=json.dumps({"key": f"{CANARY}-json"}))
    monkeypatch.setenv("CANARY_KEY", f"{CANARY}-env")
    monkeypatch.setenv("RECONCILE_PLAN_KEY", "ci-secret")  # an {env:} key in a saved plan
    flow_arn = sandbox.create_flow()
    sandbox.add_hand_made_output(
        flow_arn,
        name="hand-made",
        RtmpPushSettings={"ApplicationName": "live", "StreamName": f"{CANARY}-live"},
    )
    state = tmp_path / "state"
    (state / "flows").mkdir(parents=True)
    (state / "destinations").mkdir()
    (state / "flows" / "f.yaml").write_text(
        f"name: {FLOW_NAME}\nregion: {REGION}\n"
        "notify:\n  - url: {ssm: /canary/notify}\n  - url: {env: CANARY_NOTIFY}\n"
    )
    refs = {
        "via-ssm": "{ssm: /canary/ssm}",
        "via-sm": "{secretsmanager: canary/plain}",
        "via-json": "{secretsmanager: canary/json, key: key}",
        "via-env": "{env: CANARY_KEY}",
    }
    for name, ref in refs.items():
        (state / "destinations" / f"{name}.yaml").write_text(
            f"name: {name}\nflow: {FLOW_NAME}\nurl: rtmps://{name}.example.com/live\nstream_key: {ref}\n"
        )
    return state


@pytest.fixture
def no_canary_escapes(tmp_path, caplog):
    """Fails the test if the canary shows up in any output, log record or file."""
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    yield outputs
    for text in outputs:
        assert CANARY not in text
    for record in caplog.records:
        assert CANARY not in record.getMessage()
        assert CANARY not in (record.exc_text or "")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path


def run(outputs: list[str], *args: str) -> int:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    outputs += [result.stdout, result.stderr]
    return result.exit_code


# Every command, some with --debug. STATE is the canary state dir, TMP the
# test's tmp dir (where written files land and are searched).
STATE, TMP = "{state}", "{tmp}"
COMMANDS = [
    ["validate", "--state", STATE],
    ["plan", "--state", STATE],
    ["plan", "--state", STATE, "--format", "json"],
    ["plan", "--state", STATE, "--format", "markdown"],
    ["--debug", "plan", "--state", STATE, "--out", f"{TMP}/plan.json"],
    ["--debug", "apply", f"{TMP}/plan.json", "--state", STATE, "--report", f"{TMP}/audit.json"],
    ["drift", "--state", STATE],
    ["--debug", "drift", "--state", STATE, "--format", "json"],
    ["cost", "--state", STATE],
    ["--debug", "cost", "--state", STATE, "--format", "json", "--actual"],
    ["cost", "--state", STATE, "--format", "markdown", "--offline"],
    ["status", "--state", STATE],
    ["--debug", "status", "--state", STATE, "--format", "json"],
    ["status", "--state", STATE, "--format", "html", "--out", f"{TMP}/status.html"],
    ["--debug", "disable", "via-ssm", "--state", STATE],
    ["enable", "via-ssm", "--state", STATE],
    [
        "add",
        "extra",
        "--flow",
        FLOW_NAME,
        "--url",
        "rtmp://extra.example.com/live",
        "--stream-key-ssm",
        "/canary/ssm",
        "--state",
        STATE,
    ],
    ["--debug", "apply", "--state", STATE, "--auto-approve", "--report", f"{TMP}/audit2.json"],
    ["rm", "extra", "--state", STATE],
    ["apply", "--state", STATE, "--auto-approve"],
    [
        "--debug",
        "import",
        "--flow",
        FLOW_NAME,
        "--region",
        REGION,
        "--state",
        f"{TMP}/imported",
        "--store-keys",
    ],
    ["plan", "--state", f"{TMP}/imported"],
]


def test_canary_never_leaves_through_any_command(
    canary_state, no_canary_escapes, sandbox, canary_inbox
):
    tmp = str(canary_state.parent)
    for command in COMMANDS:
        args = [str(canary_state) if a == STATE else a.replace(TMP, tmp) for a in command]
        assert run(no_canary_escapes, *args) in (0, 2), (args, no_canary_escapes[-2:])
    # the keys did reach MediaConnect, so the test was not vacuous
    flow_arn = sandbox.client.list_flows()["Flows"][0]["FlowArn"]
    names = {o["Name"]: o for o in sandbox.outputs(flow_arn).values()}
    assert (
        names["via-json"]["Transport"]["RtmpPushOutputSettings"]["StreamName"] == f"{CANARY}-json"
    )
    assert any("debug" in text for text in no_canary_escapes)  # --debug really logged
    # the notifications were delivered, so their URLs were really resolved and used
    assert len(canary_inbox[1]) >= 4


def test_canary_never_leaves_through_a_failed_apply(canary_state, no_canary_escapes, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with injected(always("mediaconnect", "AddFlowOutputs", "500")):
        code = run(
            no_canary_escapes, "--debug", "apply", "--state", str(canary_state), "--auto-approve"
        )
    assert code == 1
    assert any("InternalServerErrorException" in text for text in no_canary_escapes)


def test_canary_never_leaves_through_a_key_rotation(canary_state, no_canary_escapes, sandbox):
    run(no_canary_escapes, "apply", "--state", str(canary_state), "--auto-approve")
    sandbox.put_key("/canary/ssm", f"{CANARY}-rotated")
    assert run(no_canary_escapes, "--debug", "drift", "--state", str(canary_state)) == 2
    assert any("(sensitive) changed" in text for text in no_canary_escapes)
