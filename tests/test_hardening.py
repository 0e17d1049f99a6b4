"""Issue 11: unsafe behaviours refused, settings checked up front, reports
written whatever happens, usage errors exit 1 (in-process, against the sandbox)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import FLOW_NAME

pytestmark = pytest.mark.usefixtures("aws_calls")

SRT_DESTINATION = (
    f"name: custom-rtmp\nflow: {FLOW_NAME}\nurl: srt://203.0.113.7:9000?streamid=partner\n"
)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def hand_made_rtmp(state_dir, sandbox, flow_arn):
    """A hand-made rtmp output named like a destination that git wants as SRT."""
    made = sandbox.add_hand_made_output(flow_arn, name="custom-rtmp")
    (state_dir / "destinations" / "custom-rtmp.yaml").write_text(SRT_DESTINATION)
    return made


# --- 1. adoption never removes an unowned output ----------------------------------


def test_protocol_change_on_an_unmanaged_output_is_refused(
    state_dir, sandbox, flow_arn, hand_made_rtmp, aws_calls
):
    aws_calls.clear()
    for args in (["plan"], ["apply", "--auto-approve"]):
        result = run(*args, "--state", str(state_dir))
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"error: {state_dir / 'destinations' / 'custom-rtmp.yaml'}:1:")
        assert "not managed by reconcile" in lines[0]
        assert "Rename the destination, remove the output by hand" in lines[0]
        assert "--replace-unmanaged custom-rtmp" in lines[0]
    assert aws_calls.writes() == []
    assert sandbox.outputs(flow_arn)["custom-rtmp"]["OutputArn"] == hand_made_rtmp["OutputArn"]


def test_replace_unmanaged_names_the_output_to_replace(
    state_dir, sandbox, flow_arn, hand_made_rtmp, aws_calls
):
    plan = run("plan", "--state", str(state_dir), "--replace-unmanaged", "custom-rtmp")
    assert plan.exit_code == 0, plan.output
    assert "± replace  custom-rtmp" in plan.stdout
    other = run("plan", "--state", str(state_dir), "--replace-unmanaged", "linkedin")
    assert other.exit_code == 1 and "--replace-unmanaged custom-rtmp" in other.stderr
    applied = run(
        "apply", "--state", str(state_dir), "--auto-approve", "--replace-unmanaged", "custom-rtmp"
    )
    assert applied.exit_code == 0, applied.output
    live = sandbox.outputs(flow_arn)["custom-rtmp"]
    assert live["Transport"]["Protocol"] == "srt-caller"
    assert sandbox.tags(live["OutputArn"])["reconciler:managed-by"] == "mediaconnect-reconciler"


def test_saved_plan_carries_replace_unmanaged(
    tmp_path, state_dir, sandbox, flow_arn, hand_made_rtmp
):
    saved = tmp_path / "plan.json"
    made = run(
        "plan", "--state", str(state_dir), "--out", str(saved), "--replace-unmanaged", "custom-rtmp"
    )
    assert made.exit_code == 0, made.output
    assert json.loads(saved.read_text())["replace_unmanaged"] == ["custom-rtmp"]
    mismatch = run("apply", str(saved), "--state", str(state_dir), "--replace-unmanaged", "x")
    assert mismatch.exit_code == 1
    assert "--replace-unmanaged must name the same outputs" in mismatch.stderr
    assert sandbox.outputs(flow_arn)["custom-rtmp"]["Transport"]["Protocol"] == "rtmp-push"
    applied = run("apply", str(saved), "--state", str(state_dir))  # the plan carries the name
    assert applied.exit_code == 0, applied.output
    assert sandbox.outputs(flow_arn)["custom-rtmp"]["Transport"]["Protocol"] == "srt-caller"


# --- 3. settings read and checked once, before any AWS call ------------------------


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RECONCILE_FLOW_WAIT_DELAY", "abc", "must be a positive number of seconds"),
        ("RECONCILE_FLOW_WAIT_TIMEOUT", "-5", "must be a positive number of seconds"),
        ("RECONCILE_FLOW_WAIT_TIMEOUT", "nan", "must be a positive number of seconds"),
        ("AWS_MAX_ATTEMPTS", "abc", "must be a whole number of attempts, 1 or more"),
        ("AWS_MAX_ATTEMPTS", "0", "must be a whole number of attempts, 1 or more"),
        ("AWS_RETRY_MODE", "fast", "must be one of legacy, standard, adaptive"),
    ],
)
def test_a_bad_setting_is_one_line_before_any_call(
    state_dir, flow_arn, monkeypatch, aws_calls, variable, value, message
):
    monkeypatch.setenv(variable, value)
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr == f"error: {variable}={value!r}: {message}\n"
    assert aws_calls.calls == []


def test_good_settings_reach_the_adapter(monkeypatch):
    from reconciler.app.settings import load_settings, make_aws

    settings = load_settings(
        {
            "RECONCILE_FLOW_WAIT_DELAY": "0.5",
            "RECONCILE_FLOW_WAIT_TIMEOUT": "20",
            "AWS_MAX_ATTEMPTS": "3",
            "AWS_RETRY_MODE": "adaptive",
        }
    )
    aws = make_aws(settings)
    assert (aws.flow_wait.delay, aws.flow_wait.timeout) == (0.5, 20.0)
    retries = aws.clients.client("mediaconnect", "us-west-2").meta.config.retries
    assert retries == {"mode": "adaptive", "total_max_attempts": 3}


def test_plan_key_with_invalid_utf8_is_named_not_shown():
    from reconciler.app.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=r"^RECONCILE_PLAN_KEY is not valid UTF-8$"):
        load_settings({"RECONCILE_PLAN_KEY": "key\udcff"})


# --- 4. the report path is checked before the first write ---------------------------


def test_unwritable_report_path_fails_before_any_write(tmp_path, state_dir, flow_arn, aws_calls):
    report = tmp_path / "missing-dir" / "report.json"
    aws_calls.clear()
    result = run("apply", "--state", str(state_dir), "--auto-approve", "--report", str(report))
    assert result.exit_code == 1
    assert result.stderr == f"error: {report}: cannot write: No such file or directory\n"
    assert aws_calls.calls == []


def test_interrupted_apply_still_writes_its_report(tmp_path, state_dir, sandbox, flow_arn):
    from reconciler.aws.mediaconnect import MediaConnect
    from reconciler.core.errors import Interrupted

    report = tmp_path / "report.json"
    original = MediaConnect.add_outputs

    def add_then_sigterm(self, region, arn, outputs):
        original(self, region, arn, outputs)
        raise Interrupted(15, "SIGTERM")  # as the SIGTERM handler raises it

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MediaConnect, "add_outputs", add_then_sigterm)
        result = run("apply", "--state", str(state_dir), "--auto-approve", "--report", str(report))
    assert result.exit_code == 143
    assert "Not done:" in result.stdout
    assert result.stderr.endswith("interrupted (SIGTERM)\n")
    document = json.loads(report.read_text())
    assert document["interrupted"] == "SIGTERM" and document["ok"] is False
    assert {r["outcome"] for r in document["results"]} == {"skipped"}
    assert [c["operation"] for c in document["calls"]].count("AddFlowOutputs") == 1


# --- 5. usage errors exit 1 --------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--format", "md"],
        ["plan", "--no-such-option"],
        ["no-such-verb"],
        ["apply", "a.json", "b.json"],
        ["import"],  # --flow is required
    ],
)
def test_usage_errors_exit_1_with_clicks_message(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.stderr and "Usage:" in result.stderr


def test_debug_is_accepted_after_the_verb(state_dir, flow_arn):
    quiet = run("plan", "--state", str(state_dir))
    assert quiet.exit_code == 0 and "DescribeFlow" not in quiet.stderr
    after = run("plan", "--state", str(state_dir), "--debug")
    assert after.exit_code == 0, after.output
    assert "DescribeFlow" in after.stderr  # botocore's request log, on
    assert run("validate", "--debug", "--state", str(state_dir)).exit_code == 0


def test_the_demo_prints_bold_only_on_a_terminal(monkeypatch):
    import importlib.util
    import io

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("demo_run", ROOT / "demo" / "run.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    pipe = io.StringIO()
    monkeypatch.setattr(demo.sys, "stdout", pipe)
    demo.say("Plan")
    assert pipe.getvalue() == "\n── Plan\n"
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(demo.sys, "stdout", terminal)
    demo.say("Plan")
    assert terminal.getvalue() == "\n\x1b[1m── Plan\x1b[0m\n"


# --- 2. protected entries that protect nothing are warnings ------------------------


def test_protected_entries_that_match_nothing_warn_with_file_and_line(state_dir, sandbox, flow_arn):
    sandbox.add_hand_made_output(flow_arn, name="ops-monitor")
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    text = flow_file.read_text().replace("protected: []", "protected:\n  - OPS-MONITOR\n  - gone")
    flow_file.write_text(text)
    line = text.splitlines().index("  - OPS-MONITOR") + 1
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {flow_file}:{line}: protected entry 'OPS-MONITOR' does not protect output "
        f"'ops-monitor' of flow '{FLOW_NAME}': names must match exactly (case and spaces too)",
        f"warning: {flow_file}:{line + 1}: protected entry 'gone' matches no output of flow "
        f"'{FLOW_NAME}'",
    ]


def test_an_exact_protected_entry_is_silent(state_dir, sandbox, flow_arn):
    sandbox.add_hand_made_output(flow_arn, name="ops-monitor")
    flow_file = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    flow_file.write_text(flow_file.read_text().replace("protected: []", "protected: [ops-monitor]"))
    result = run("plan", "--state", str(state_dir))
    assert result.exit_code == 0 and result.stderr == ""
    assert "· protected ops-monitor (never touched)" in result.stdout
