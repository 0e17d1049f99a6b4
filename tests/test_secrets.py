"""Stream keys from SSM, Secrets Manager and the environment: batched, cached,
region-correct, and every failure a clear line naming the file and reference."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from reconciler.aws.clients import PATIENT_RETRIES
from reconciler.cli import main
from reconciler.core.secrets import Secret, SecretsManagerRef
from reconciler.core.state import load_state
from tests.conftest import FLOW_NAME, REGION, only_reads
from tests.faults import always, injected

FIXTURES = Path(__file__).parent / "fixtures" / "aws-examples"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_state(root: Path, refs: list[str], region: str = REGION, flow: str = FLOW_NAME) -> Path:
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "destinations").mkdir(exist_ok=True)
    (root / "flows" / f"{flow}.yaml").write_text(f"name: {flow}\nregion: {region}\n")
    for i, ref in enumerate(refs):
        (root / "destinations" / f"{flow}-d{i}.yaml").write_text(
            f"name: d{i}\nflow: {flow}\nurl: rtmp://ingest{i}.example.com/live\nstream_key: {ref}\n"
        )
    return root


@pytest.fixture
def flow(sandbox):
    return sandbox.create_flow()


def live_keys(sandbox, flow_arn):
    return {
        n: o["Transport"]["RtmpPushOutputSettings"]["StreamName"]
        for n, o in sandbox.outputs(flow_arn).items()
    }


def test_ssm_keys_are_fetched_ten_per_call_and_applied(tmp_path, sandbox, flow, aws_calls):
    for i in range(25):
        sandbox.put_key(f"/keys/k{i}", f"value-{i:04d}")
    state = make_state(tmp_path, [f"{{ssm: /keys/k{i}}}" for i in range(25)])
    aws_calls.clear()
    result = run("apply", "--state", str(state), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert aws_calls.named("GetParameters") == 3
    assert live_keys(sandbox, flow) == {f"d{i}": f"value-{i:04d}" for i in range(25)}


def test_a_shared_reference_is_read_once(tmp_path, sandbox, flow, aws_calls):
    sandbox.put_key("/keys/shared", "one-key-0001")
    state = make_state(tmp_path, ["{ssm: /keys/shared}"] * 3)
    aws_calls.clear()
    assert run("plan", "--state", str(state)).exit_code == 0
    assert aws_calls.named("GetParameters") == 1


def test_secrets_manager_twenty_per_call_with_json_fields(tmp_path, sandbox, flow, aws_calls):
    sm = boto3.client("secretsmanager", region_name=REGION)
    for i in range(21):
        sm.create_secret(Name=f"stream/s{i}", SecretString=json.dumps({"key": f"sm-key-{i:04d}"}))
    sm.create_secret(Name="stream/plain", SecretString="plain-key")
    refs = [f"{{secretsmanager: stream/s{i}, key: key}}" for i in range(21)]
    state = make_state(tmp_path, [*refs, "{secretsmanager: stream/plain}"])
    aws_calls.clear()
    assert run("apply", "--state", str(state), "--auto-approve").exit_code == 0
    assert aws_calls.named("BatchGetSecretValue") == 2
    keys = live_keys(sandbox, flow)
    assert keys["d0"] == "sm-key-0000" and keys["d20"] == "sm-key-0020" and keys["d21"] == "plain-key"


def test_secret_given_by_arn(tmp_path, sandbox, flow):
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="stream/by-arn", SecretString="arn-key-0001"
    )["ARN"]
    state = make_state(tmp_path, [f"{{secretsmanager: '{arn}'}}"])
    assert run("apply", "--state", str(state), "--auto-approve").exit_code == 0
    assert live_keys(sandbox, flow) == {"d0": "arn-key-0001"}


@pytest.mark.parametrize(
    ("ref", "setup", "reason"),
    [
        ("{ssm: /keys/missing}", None, "parameter not found"),
        ("{secretsmanager: stream/missing}", None, "secret not found"),
        (
            "{secretsmanager: stream/json, key: nope}",
            ("stream/json", '{"key": "x"}'),
            "has no field 'nope'",
        ),
        (
            "{secretsmanager: stream/text, key: key}",
            ("stream/text", "not json"),
            "is not JSON, so it has no field 'key'",
        ),
        ("{env: UNSET_KEY_VARIABLE}", None, "environment variable is not set"),
    ],
)
def test_unresolvable_key_names_file_and_reference(
    tmp_path, sandbox, flow, aws_calls, ref, setup, reason
):
    if setup:
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name=setup[0], SecretString=setup[1]
        )
    state = make_state(tmp_path, [ref])
    result = run("apply", "--state", str(state), "--auto-approve")
    assert result.exit_code == 1
    path = state / "destinations" / f"{FLOW_NAME}-d0.yaml"
    assert result.stderr == f"{path}:1: stream_key {ref}: {reason}\n"
    assert aws_calls.writes() == [] and sandbox.outputs(flow) == {}


def test_plain_string_parameter_is_used_with_a_warning(tmp_path, sandbox, flow):
    sandbox.put_key("/keys/plain", "plain-value", kind="String")
    state = make_state(tmp_path, ["{ssm: /keys/plain}"])
    result = run("apply", "--state", str(state), "--auto-approve")
    assert result.exit_code == 0
    assert "warning: " in result.stderr and "is a plain String parameter" in result.stderr
    assert "SecureString" in result.stderr and "plain-value" not in result.output
    assert live_keys(sandbox, flow) == {"d0": "plain-value"}


def test_access_denied_is_reported_per_reference(tmp_path, sandbox, flow, aws_calls):
    sandbox.put_key("/keys/a", "a-key-0001")
    state = make_state(tmp_path, ["{ssm: /keys/a}"])
    with injected(always("ssm", "GetParameters", "denied")):
        result = run("plan", "--state", str(state))
    assert result.exit_code == 1
    assert result.stderr.endswith("stream_key {ssm: /keys/a}: access denied (ssm:GetParameters)\n")
    assert only_reads(aws_calls.calls)


def test_throttling_that_outlasts_retries_is_reported(tmp_path, sandbox, flow, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    sandbox.put_key("/keys/a", "a-key-0001")
    state = make_state(tmp_path, ["{ssm: /keys/a}"])
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the back-offs take no time
    with injected(always("ssm", "GetParameters", "ssm-throttle")) as faults:
        result = run("plan", "--state", str(state))
    # botocore retried once, and the read was tried again PATIENT_RETRIES times
    assert len(faults.injected) == 2 * (1 + PATIENT_RETRIES)
    assert result.exit_code == 1
    assert "throttled (ssm:GetParameters) after retries" in result.stderr


def test_throttling_that_clears_is_retried_transparently(tmp_path, sandbox, flow):
    sandbox.put_key("/keys/a", "a-key-0001")
    state = make_state(tmp_path, ["{ssm: /keys/a}"])
    once = iter(["ssm-throttle"])
    with injected(lambda s, o: next(once, None) if (s, o) == ("ssm", "GetParameters") else None):
        result = run("plan", "--state", str(state))
    assert result.exit_code == 0, result.output


def test_keys_are_read_in_the_flow_region(tmp_path, sandbox, aws_calls):
    boto3.client("ssm", region_name="eu-west-1").put_parameter(
        Name="/keys/eu", Value="eu-key-0001", Type="SecureString"
    )
    eu_flow = boto3.client("mediaconnect", region_name="eu-west-1").create_flow(
        Name="eu-flow", Source={"Name": "in", "Protocol": "rtp", "IngestPort": 5000}
    )["Flow"]["FlowArn"]
    state = make_state(tmp_path, ["{ssm: /keys/eu}"], region="eu-west-1", flow="eu-flow")
    assert run("apply", "--state", str(state), "--auto-approve").exit_code == 0
    out = boto3.client("mediaconnect", region_name="eu-west-1").describe_flow(FlowArn=eu_flow)
    assert (
        out["Flow"]["Outputs"][0]["Transport"]["RtmpPushOutputSettings"]["StreamName"] == "eu-key-0001"
    )


def test_srt_encryption_passes_arns_and_never_reads_the_secret(tmp_path, sandbox, flow, aws_calls):
    (state := make_state(tmp_path, []))
    (state / "destinations" / "srt.yaml").write_text(
        f"name: srt-out\nflow: {FLOW_NAME}\nurl: srt://203.0.113.9:9000?streamid=cam1&latency=200\n"
        "encryption:\n  secret_arn: arn:aws:secretsmanager:us-west-2:111122223333:secret:srt-pass\n"
        "  role_arn: arn:aws:iam::111122223333:role/MediaConnectSecrets\n"
    )
    aws_calls.clear()
    assert run("apply", "--state", str(state), "--auto-approve").exit_code == 0
    assert not any(service == "secretsmanager" for service, _ in aws_calls.calls)
    encryption = sandbox.outputs(flow)["srt-out"]["Encryption"]
    assert encryption["KeyType"] == "srt-password"
    assert encryption["SecretArn"].endswith(":secret:srt-pass")
    assert run("drift", "--state", str(state)).exit_code == 0


# --- validation refuses keys in the wrong place -----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop",
        "rtmp://live.twitch.tv/app/live_123456_AbCdEf",
        "rtmps://live-api-s.facebook.com:443/rtmp/FB-1234-5678-Abc",
        "rtmp://live.restream.io/live/re_1234_abcdef",
        "rtmp://ingest.example.com/live?key=abc",
        "srt://203.0.113.9:9000?passphrase=hunter22",
    ],
)
def test_url_carrying_a_key_is_refused_without_echoing_it(state_dir, url):
    path = state_dir / "destinations" / "leak.yaml"
    path.write_text(f"name: leak\nflow: {FLOW_NAME}\nurl: {url}\n")
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:3: url: the URL seems to contain the stream key;")
    assert "put-parameter --type SecureString" in result.stderr
    tail = url.rsplit("/", 1)[-1].split("=")[-1]
    assert tail not in result.stderr


def test_no_published_ingest_url_is_mistaken_for_a_key(state_dir):
    """The OBS services list (tests/fixtures/aws-examples/rtmp-services.json)."""
    services = json.loads((FIXTURES / "rtmp-services.json").read_text())
    for i, service in enumerate(s for s in services if s["url"]):
        (state_dir / "destinations" / f"svc{i}.yaml").write_text(
            f"name: svc{i}\nflow: {FLOW_NAME}\nurl: '{service['url']}'\nstream_key: {{ssm: /k/{i}}}\n"
        )
    (state_dir / "flows" / "big.yaml").write_text("name: big\nregion: us-west-2\n")
    for path in (state_dir / "destinations").glob("svc*.yaml"):  # spread over flows: 50 max
        if int(path.stem[3:]) % 2:
            path.write_text(path.read_text().replace(f"flow: {FLOW_NAME}", "flow: big"))
    assert run("validate", "--state", str(state_dir)).exit_code == 0


def test_reference_forms_are_typed(state_dir):
    path = state_dir / "destinations" / "sm.yaml"
    path.write_text(
        f"name: sm\nflow: {FLOW_NAME}\nurl: rtmp://h.example.com/live\nstream_key: {{secretsmanager: a/b, key: k}}\n"
    )
    dest = next(d for d in load_state(state_dir).destinations if d.name == "sm")
    assert dest.stream_key == SecretsManagerRef("a/b", "k")


def test_two_reference_kinds_at_once_is_a_schema_error(state_dir):
    path = state_dir / "destinations" / "two.yaml"
    path.write_text(
        f"name: two\nflow: {FLOW_NAME}\nurl: rtmp://h.example.com/live\nstream_key: {{env: A, ssm: /b}}\n"
    )
    result = run("validate", "--state", str(state_dir))
    assert result.stderr.startswith(f"{path}:4: stream_key: must be one reference")


def test_secret_scrub_covers_every_value_seen():
    from reconciler.core.secrets import scrub

    Secret("scrub-me-please")
    assert scrub("error near scrub-me-please!") == "error near (sensitive)!"
