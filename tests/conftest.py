"""Shared fixtures. No test may reach real AWS: credentials are fake, config
files point nowhere, and AWS access goes through moto and the fidelity layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_STATE = ROOT / "state"


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch, tmp_path_factory):
    """Fake credentials and no shared config: a stray call cannot reach AWS."""
    empty = tmp_path_factory.mktemp("aws-home")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


HLS_SERVICES = frozenset({"medialive", "mediapackage", "mediapackagev2", "mediapackage-vod"})
READ_PREFIXES = ("Describe", "List", "Get")


@pytest.fixture(autouse=True)
def hls_path_is_never_written():
    """Fails any test in which the tool itself (code in `reconciler`, not the
    test's own set-up) attempts a MediaLive or MediaPackage call that is not a
    read. Registered as a botocore hook on every client the test creates."""
    from botocore.handlers import BUILTIN_HANDLERS

    attempts: list[str] = []

    def guard(model, **kwargs) -> None:
        service = model.service_model.service_name
        if service not in HLS_SERVICES or model.name.startswith(READ_PREFIXES):
            return
        frame = sys._getframe()
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if module.startswith("reconciler.") and not module.startswith("reconciler.sandbox"):
                attempts.append(f"{service}:{model.name} from {module}")
                raise AssertionError(f"the tool attempted {service}:{model.name}")
            frame = frame.f_back

    entry = ("before-call", guard)
    BUILTIN_HANDLERS.append(entry)
    yield
    BUILTIN_HANDLERS.remove(entry)
    assert attempts == [], "the tool attempted to write to the HLS path"


@contextmanager
def sandbox_server(*options: str) -> Iterator[str]:
    """The sandbox as a real server process on 127.0.0.1; yields its endpoint URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private copy of the example state/ to edit."""
    target = tmp_path / "state"
    shutil.copytree(EXAMPLE_STATE, target)
    return target


# --- the sandbox: moto plus the MediaConnect fidelity layer, in-process --------

FLOW_NAME = "lunora-player-prod-rtmp-router"
REGION = "us-west-2"
# The example state's stream keys: SSM SecureString parameters in the sandbox.
EXAMPLE_KEYS = {
    "/lunora/streaming/youtube-main/stream-key": "yt-0000-1111-2222-3333",
    "/lunora/streaming/restream/stream-key": "re_1234567_abcdefabcdef",
    "/lunora/streaming/linkedin/stream-key": "li-aaaa-bbbb-cccc",
    "/lunora/streaming/custom-rtmp/stream-key": "custom-key-42",
}


def key_of(output: str) -> str:
    return EXAMPLE_KEYS[f"/lunora/streaming/{output}/stream-key"]


class Sandbox:
    """Test-side view of the sandbox: set up flows the way a person would."""

    def __init__(self) -> None:
        import boto3

        self.client = boto3.client("mediaconnect", region_name=REGION)
        self.ssm = boto3.client("ssm", region_name=REGION)

    def create_flow(self, name: str = FLOW_NAME) -> str:
        flow = self.client.create_flow(
            Name=name,
            Source={
                "Name": "medialive",
                "Protocol": "rtp-fec",
                "IngestPort": 5000,
                "MaxBitrate": 50_000_000,
                "WhitelistCidr": "10.0.0.0/16",
            },
        )["Flow"]
        return str(flow["FlowArn"])

    def add_hand_made_output(self, flow_arn: str, name: str = "hand-made", **extra):
        output = {
            "Name": name,
            "Protocol": "rtmp-push",
            "Destination": "ingest.example.net",
            "Port": 1935,
            "RtmpPushSettings": {"ApplicationName": "live", "StreamName": "hm-key-0001"},
        }
        output.update(extra)
        return self.client.add_flow_outputs(FlowArn=flow_arn, Outputs=[output])["Outputs"][0]

    def put_key(self, name: str, value: str, kind: str = "SecureString") -> None:
        self.ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)

    def outputs(self, flow_arn: str) -> dict:
        flow = self.client.describe_flow(FlowArn=flow_arn)["Flow"]
        return {o["Name"]: o for o in flow.get("Outputs", [])}

    def tags(self, arn: str) -> dict:
        return dict(self.client.list_tags_for_resource(ResourceArn=arn)["Tags"])


@pytest.fixture
def sandbox():
    from moto import mock_aws

    from reconciler.sandbox.mediaconnect import install

    with mock_aws():
        install()
        yield Sandbox()


@pytest.fixture
def stream_keys(sandbox) -> dict[str, str]:
    """The example state's keys, stored in the sandbox's SSM as SecureStrings."""
    for name, value in EXAMPLE_KEYS.items():
        sandbox.put_key(name, value)
    return dict(EXAMPLE_KEYS)


@pytest.fixture
def flow_arn(sandbox, stream_keys) -> str:
    """The example flow, made in the sandbox, its stream keys stored."""
    return sandbox.create_flow()


class CallLog:
    """Every AWS operation made in this process, as (service, operation), and
    every way a MediaConnect request broke botocore's model (enums and ranges too)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.invalid: list[str] = []

    def __call__(self, model, params, **kwargs) -> None:
        from reconciler.core.servicemodel import request_errors

        service = model.service_model.service_name
        self.calls.append((service, model.name))
        if service == "mediaconnect":
            self.invalid += [f"{model.name}: {e}" for e in request_errors(model.name, params)]

    def named(self, operation: str) -> int:
        return sum(op == operation for _, op in self.calls)

    def writes(self) -> list[str]:
        """MediaConnect calls that change something."""
        return [
            op
            for service, op in self.calls
            if service == "mediaconnect" and not op.startswith(("Describe", "List", "Get"))
        ]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def aws_calls():
    """Records the calls of every botocore client created while it is active
    (the same hook moto itself uses to intercept requests)."""
    from botocore.handlers import BUILTIN_HANDLERS

    log = CallLog()
    entry = ("provide-client-params", log)
    BUILTIN_HANDLERS.append(entry)
    try:
        yield log
    finally:
        BUILTIN_HANDLERS.remove(entry)
    assert log.invalid == [], "the tool sent requests AWS would reject"


# --- suite-wide: every AWS action the tool calls is in `reconcile iam-policy` -----
#
# A botocore hook, registered once for the whole run, records (service, operation)
# of every call the tool itself makes (a `reconciler` frame outside the sandbox
# is on the stack: test set-up calls are not counted). At the end of the session
# each recorded action must be granted by the union of the policies the tool
# generates for a state that uses every feature (all `--for` purposes, optional
# arguments given); otherwise the run fails, listing what is missing. A partial
# run (-k, one file) records a subset of a full run's actions, so the check is
# sound there too and is never skipped.

# No IAM permission governs it: STS answers any valid credentials (STS API
# reference, GetCallerIdentity), so no policy needs or can deny it.
NEEDS_NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})
# The account the session check's state names in its flow ARN (moto's default).
ACCOUNT = "123456789012"
TOOL_ACTIONS: set[tuple[str, str]] = set()


def only_reads(calls: list[tuple[str, str]]) -> bool:
    """No call in `calls` (service, operation) can change anything."""
    return all(op.startswith(("Describe", "List", "Get", "BatchGet")) for _, op in calls)


def called_by_the_tool() -> bool:
    """Whether the AWS call being made comes from the tool's own code."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("reconciler.") and not module.startswith("reconciler.sandbox"):
            return True
        frame = frame.f_back
    return False


def _record_tool_action(model, **kwargs) -> None:
    if called_by_the_tool():
        TOOL_ACTIONS.add((model.service_model.service_name, model.name))


def write_full_state(
    target: Path,
    *,
    events_flow_arn: str = f"arn:aws:mediaconnect:{REGION}:{ACCOUNT}:flow:1-abcd:lunora-events",
    medialive_channel: str = "3714710",
    secret_id: str = "lunora/twitch",
) -> Path:
    """The example state plus every feature that needs a permission: an HLS
    guard, a second flow given by `arn:` that prunes, an encrypted SRT output
    (a role MediaConnect assumes) and a key in Secrets Manager."""
    shutil.copytree(EXAMPLE_STATE, target)
    flow = target / "flows" / f"{FLOW_NAME}.yaml"
    flow.write_text(
        flow.read_text() + "hls_guard:\n"
        f"  medialive_channel_id: '{medialive_channel}'\n"
        "  mediapackage_channel_id: lunora-hls\n"
    )
    (target / "flows" / "lunora-events.yaml").write_text(
        f"name: lunora-events\nregion: {REGION}\narn: {events_flow_arn}\nprune: true\n"
    )
    (target / "destinations" / "srt-backup.yaml").write_text(
        "name: srt-backup\nflow: lunora-events\n"
        "url: srt://203.0.113.9:9000?streamid=cam1&latency=200\n"
        "encryption:\n"
        f"  secret_arn: arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:srt-pass\n"
        f"  role_arn: arn:aws:iam::{ACCOUNT}:role/MediaConnectSecrets\n"
    )
    (target / "destinations" / "twitch.yaml").write_text(
        "name: twitch\nflow: lunora-events\nurl: rtmp://live.twitch.tv/app\n"
        f"stream_key: {{secretsmanager: {secret_id}, key: stream_key}}\n"
    )
    return target


def granted_actions() -> set[str]:
    """Every action (lower case) the tool's policies grant for `write_full_state`,
    for all purposes at once."""
    import tempfile

    from reconciler.core import iam
    from reconciler.core.state import load_state

    with tempfile.TemporaryDirectory() as scratch:
        state = load_state(write_full_state(Path(scratch) / "state"))
    options = iam.PolicyOptions(
        purposes=frozenset(iam.PURPOSES),
        account=ACCOUNT,
        table="lunora-destinations",
        medialive_channels=("3714710",),
        kms_keys=(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",),
    )
    return {
        action.lower()
        for statement in iam.policy(state, options)["Statement"]
        for action in statement["Action"]
    }


def pytest_configure(config) -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    BUILTIN_HANDLERS.append(("provide-client-params", _record_tool_action))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist: a worker's recorded actions join the controller's."""
    TOOL_ACTIONS.update(tuple(a) for a in node.workeroutput.get("tool_actions", []))


def pytest_sessionfinish(session, exitstatus) -> None:
    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller checks
        session.config.workeroutput["tool_actions"] = sorted(TOOL_ACTIONS)
        return
    granted = granted_actions()
    uncovered = sorted(
        f"{service}:{operation}"
        for service, operation in TOOL_ACTIONS - NEEDS_NO_PERMISSION
        if f"{service}:{operation}".lower() not in granted
    )
    if uncovered:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_sep(
            "=", "AWS actions the tool called that `reconcile iam-policy` does not grant", red=True
        )
        for action in uncovered:
            reporter.write_line(f"  {action}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
