"""Routes by which a key could leave other than printing it: a saved plan that
allows checking guesses offline, imported files, a literal key in a dotted
setting, and Markdown a live output's name can break out of."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core.importer import from_live_output, from_table_rows
from reconciler.core.models import LiveOutput
from reconciler.core.outputs import live_fields
from reconciler.core.secrets import Secret
from tests.conftest import FLOW_NAME, REGION

EVIL = "x` **APPROVED BY SECURITY** [details](#merge) `y"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_state(root: Path, ref: str) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text(f"name: {FLOW_NAME}\nregion: {REGION}\n")
    (root / "destinations" / "d.yaml").write_text(
        f"name: d\nflow: {FLOW_NAME}\nurl: rtmp://d.example.com/live\nstream_key: {ref}\n"
    )
    return root


def test_saved_plan_records_key_versions_and_env_keys_need_the_plan_key(
    tmp_path, sandbox, monkeypatch
):
    sandbox.create_flow()
    sandbox.put_key("/k/d", "abc-0001")  # short enough to guess, if anything allowed it
    ssm_state = make_state(tmp_path / "ssm", "{ssm: /k/d}")
    path = tmp_path / "plan.json"
    assert run("plan", "--state", str(ssm_state), "--out", str(path)).exit_code == 0
    document = json.loads(path.read_text())
    assert [s["fingerprint"] for s in document["secrets"]] == ["ssm-version:1"]
    assert "hmac" not in path.read_text()

    monkeypatch.setenv("ENV_KEY", "abc-0002")
    env_state = make_state(tmp_path / "env", "{env: ENV_KEY}")
    refused = run("plan", "--state", str(env_state), "--out", str(tmp_path / "env.json"))
    assert refused.exit_code == 1 and not (tmp_path / "env.json").exists()
    assert refused.stderr.count("\n") == 1 and "RECONCILE_PLAN_KEY" in refused.stderr
    assert refused.stderr.startswith(f"error: {env_state}/destinations/d.yaml:")
    monkeypatch.setenv("RECONCILE_PLAN_KEY", "a-secret-of-ci")
    assert (
        run("plan", "--state", str(env_state), "--out", str(tmp_path / "env.json")).exit_code == 0
    )
    assert run("apply", str(tmp_path / "env.json"), "--state", str(env_state)).exit_code == 0


def test_saved_plan_of_the_previous_format_is_refused_clearly(tmp_path, state_dir):
    path = tmp_path / "old.json"
    path.write_text('{"format": "mediaconnect-reconciler/plan", "version": 1}')
    result = run("apply", str(path), "--state", str(state_dir))
    assert result.exit_code == 1
    assert "saved plan format version 1 is not supported" in result.stderr
    assert result.stderr.endswith("plan again\n")


def test_legacy_rows_never_copy_key_like_attributes():
    Secret("row-key-9f8e7d")  # a key this process holds
    rows = [
        {
            "destination_id": "d-1",
            "name": "yt",
            "rtmp_url": "rtmp://a.example.com/live",
            "stream_name": "sn-1234",
            "streamName": "sn-5678",
            "rtmp_stream": "rs-1234",
            "notes": "row-key-9f8e7d",
            "viewers": 42,
        }
    ]
    (candidate,) = from_table_rows(rows, flow=FLOW_NAME)
    assert candidate.document["metadata"] == {"destination_id": "d-1", "viewers": 42}
    assert len(candidate.notes) == 4


def test_import_never_writes_a_description_holding_the_key():
    fields = live_fields(
        {
            "Name": "hand",
            "Description": "publish to rtmp://h.example.com/live/hand-key-5e6f7a",
            "Destination": "h.example.com",
            "Port": 1935,
            "Transport": {
                "Protocol": "rtmp-push",
                "RtmpPushOutputSettings": {
                    "ApplicationName": "live",
                    "StreamName": "hand-key-5e6f7a",
                },
            },
        }
    )
    candidate = from_live_output(
        LiveOutput("hand", "arn:x", fields), flow=FLOW_NAME, key_prefix="/s"
    )
    assert "description" not in candidate.document
    assert "hand-key-5e6f7a" not in json.dumps(candidate.document)


def test_a_literal_key_in_a_dotted_setting_is_refused(state_dir):
    path = state_dir / "destinations" / "dotted.yaml"
    path.write_text(
        f"name: dotted\nflow: {FLOW_NAME}\nurl: rtmp://h.example.com/live\n"
        "stream_key: {ssm: /k/x}\nsettings:\n  RtmpPushSettings.StreamName: literal-key-1234\n"
    )
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    assert f"{path}:6: settings.RtmpPushSettings.StreamName:" in result.stderr
    assert "literal-key-1234" not in result.stderr


def test_an_output_name_cannot_break_out_of_markdown(state_dir, sandbox, stream_keys):
    arn = sandbox.create_flow()
    sandbox.add_hand_made_output(arn, name=EVIL)
    result = run("plan", "--state", str(state_dir), "--format", "markdown")
    assert result.exit_code in (0, 2), result.output
    assert f"- unmanaged ``{EVIL}``: left alone" in result.stdout
    assert "**APPROVED" not in result.stdout.replace(f"``{EVIL}``", "")


@pytest.mark.parametrize("name", [EVIL, "a|b", "`", "``x``"])
def test_code_spans_fence_longer_than_any_backtick_run(name):
    from reconciler.render.plan import _code

    span = _code(name)
    fence = span[: len(span) - len(span.lstrip("`"))]
    assert "`" * len(fence) not in span[len(fence) : -len(fence)]
    assert "|" not in span.replace("\\|", "")
