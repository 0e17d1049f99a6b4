"""The one redaction sink and the layers that feed it.

Pure checks of `secrets.redact` (every encoding, whole values only), then the
tool in-process against the sandbox: keys too short or word-like are refused,
AWS errors that echo the request are masked, `--debug` shows neither
secret-store values nor credentials. Each layer is also switched off in-process
to show that the same scan then finds the key (so the layer is what stops it).
"""

from __future__ import annotations

import html
import json
import random
import secrets
from pathlib import Path
from urllib.parse import quote, quote_plus

import boto3
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core import secrets as core_secrets
from reconciler.core.secrets import REDACTED, Secret, redact, unsafe_reason
from tests.conftest import FLOW_NAME, REGION
from tests.faults import always, injected
from tests.test_canary_process import find_leaks


def nasty_key() -> str:
    """A fresh key with every character that encodings treat specially."""
    return f'k"q\\é\n%+/ {secrets.token_hex(6)}'


def leaks(key: str, *texts: str) -> list[str]:
    """Where the canary's scanner finds `key` in `texts` (so the layer tests
    below show that scanner finds what each layer stops)."""
    return find_leaks([key], {str(i): text for i, text in enumerate(texts)})


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_state(root: Path, refs: dict[str, str]) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text(f"name: {FLOW_NAME}\nregion: {REGION}\n")
    for name, ref in refs.items():
        (root / "destinations" / f"{name}.yaml").write_text(
            f"name: {name}\nflow: {FLOW_NAME}\nurl: rtmp://{name}.example.com/live\n"
            f"stream_key: {ref}\n"
        )
    return root


# --- the sink ------------------------------------------------------------------------


def test_every_encoding_of_a_key_is_masked():
    key = nasty_key()
    Secret(key)
    texts = [
        key,
        json.dumps(key),
        json.dumps(key, ensure_ascii=False),
        json.dumps(json.dumps({"stream_key": key})),
        repr(key),
        repr(key.encode()),
        repr({"SecretString": json.dumps({"k": key})}),
        quote(key, safe=""),
        quote_plus(key),
        html.escape(key),
    ]
    for text in texts:
        assert leaks(key, redact(text)) == [], text
        assert REDACTED in redact(text)


def test_only_whole_values_are_masked():
    Secret("abc-12345")
    assert redact("x abc-12345, y") == f"x {REDACTED}, y"
    assert redact("line\\nabc-12345\\n") == f"line\\n{REDACTED}\\n"  # after an escape
    assert redact("xabc-12345 abc-123456") == "xabc-12345 abc-123456"  # other values


def test_a_key_of_letters_digits_and_dashes_is_its_only_form():
    """The short cut `encodings` takes for them gives what the encoders give."""
    plain = "AZaz09_.~-" + secrets.token_urlsafe(12).replace("=", "")
    forms = {plain}
    for _ in range(2):
        forms |= {encode(form) for form in forms for encode in core_secrets._ENCODERS}
    assert core_secrets.encodings(plain) == forms == {plain}


def searched_one_by_one(text: str, forms: list[str]) -> str:
    """The sink's answer by its definition: every known form, longest first
    (equal lengths in text order)."""
    for form in sorted(forms, key=lambda f: (-len(f), f)):
        if form in text:
            text = core_secrets._whole(form).sub(REDACTED, text)
    return text


@pytest.mark.parametrize("keys", [3, 120])  # below and above INDEX_ABOVE forms
def test_with_many_keys_the_index_masks_exactly_what_searching_each_form_would(
    keys, monkeypatch
):
    """Seeded random keys (every character encodings treat specially among them)
    and texts of words, keys in every encoding, and keys glued to other text."""
    monkeypatch.setattr(core_secrets, "_SEEN", set())
    monkeypatch.setattr(core_secrets, "_forms", core_secrets._Forms(0, ()))
    rng = random.Random(keys)
    alphabet = 'abcdefXYZ0123456789-_"\\é\n%+/ .:'
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 24))) for _ in range(keys)]
    values = [v for v in values if unsafe_reason(v) is None]
    for value in values:
        Secret(value)
    forms = sorted({f for v in values for f in core_secrets.encodings(v)})
    assert (len(forms) > core_secrets.INDEX_ABOVE) == (keys > 3)
    pieces = ["plan", " ", "\n", "rtmp://x/live/", "(", ")", ":", "é", "a1", '"', "%2F"]
    for _ in range(300):
        text = "".join(
            rng.choice(forms) if rng.random() < 0.3 else rng.choice(pieces)
            for _ in range(rng.randint(1, 12))
        )
        assert redact(text) == searched_one_by_one(text, forms), text


@pytest.mark.parametrize(
    ("key", "unsafe"),
    [
        ("a", True),
        ("ab1", True),
        ("ab12", True),
        ("aaaa1111", True),  # two different characters
        ("sunshine", True),  # a word
        ("livestream", True),
        ("live-1234", False),
        ("thisisalongerphrase", False),  # letters only, but 16 or more
        ("x" * 63 + "1", True),
    ],
)
def test_what_cannot_be_masked_safely(key, unsafe):
    assert (unsafe_reason(key) is not None) is unsafe


def test_unsafe_values_are_not_masked_in_text():
    Secret("live")
    Secret("sunshine")
    text = "rtmp://h.example.com/live: sunshine"
    assert redact(text) == text


# --- the tool --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ǂ", "ǂ1ʘ", "ǂ1ʘ2", "sunshine"])
def test_a_key_that_cannot_be_masked_is_refused(tmp_path, sandbox, key):
    sandbox.create_flow()
    sandbox.put_key("/k/short", key)
    state = make_state(tmp_path / "state", {"short": "{ssm: /k/short}"})
    for command in ("plan", "apply"):
        extra = ["--auto-approve"] if command == "apply" else []
        result = run("--debug", command, "--state", str(state), *extra)
        assert result.exit_code == 1
        lines = [line for line in result.stderr.splitlines() if "stream_key" in line]
        assert len(lines) == 1 and lines[0].startswith(f"{state}/destinations/short.yaml:")
        assert "use a longer, random key" in lines[0]
        assert key not in result.stdout + result.stderr


@pytest.fixture
def nasty(tmp_path, sandbox, monkeypatch):
    """A flow and two destinations whose keys (SSM, Secrets Manager JSON field)
    hold quotes, backslashes, é, a newline, % and +."""
    keys = {"ssm": nasty_key(), "json": nasty_key()}
    sandbox.create_flow()
    sandbox.put_key("/k/nasty", keys["ssm"])
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="k/json", SecretString=json.dumps({"stream_key": keys["json"], "other": "x"})
    )
    refs = {"via-ssm": "{ssm: /k/nasty}", "via-json": "{secretsmanager: k/json, key: stream_key}"}
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return make_state(tmp_path / "state", refs), list(keys.values())


def test_aws_errors_that_echo_the_request_are_masked(nasty, tmp_path):
    state, keys = nasty
    report = tmp_path / "report.json"
    with injected(always("mediaconnect", "AddFlowOutputs", "echo")):
        result = run(
            "--debug", "apply", "--state", str(state), "--auto-approve", "--report", str(report)
        )
    assert result.exit_code == 1
    assert "Invalid request" in result.stdout and REDACTED in result.stdout
    for key in keys:
        assert leaks(key, result.stdout, result.stderr, report.read_text()) == []


def test_debug_shows_no_secret_store_value_and_no_credential(nasty, monkeypatch):
    state, keys = nasty
    token = f"FwoGZX-session-token-{secrets.token_hex(16)}"
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    result = run("--debug", "plan", "--state", str(state))
    assert result.exit_code == 0, result.output
    assert "Response body" in result.stderr and "BatchGetSecretValue" in result.stderr
    assert "(not shown: it holds secret values)" in result.stderr
    assert token not in result.stderr and "X-Amz-Security-Token" in result.stderr
    for key in keys:
        assert leaks(key, result.stdout, result.stderr) == []


# --- each layer is what stops the key ------------------------------------------------


def test_without_shape_masking_debug_would_leak_a_json_secret(nasty, monkeypatch):
    """The sink cannot know a key before it is read: botocore logs the response
    first. Only masking by the operation's model keeps it out."""
    state, keys = nasty
    monkeypatch.setattr("reconciler.aws.debuglog.masked_message", lambda record: None)
    result = run("--debug", "plan", "--state", str(state))
    assert leaks(keys[1], result.stderr)


def test_without_the_sink_an_echoed_error_would_leak(nasty, monkeypatch, tmp_path):
    """The error text reaches stdout, stderr and the report only through the
    sink: switched off (in this process only), the same scan finds the keys."""
    state, keys = nasty
    identity = lambda text: text  # noqa: E731
    for where in ("core.errors", "aws.clients", "app.logs", "app.files"):
        monkeypatch.setattr(f"reconciler.{where}.redact", identity)
    report = tmp_path / "report.json"
    with injected(always("mediaconnect", "AddFlowOutputs", "echo")):
        result = run("apply", "--state", str(state), "--auto-approve", "--report", str(report))
    assert leaks(keys[0], result.stdout)
    assert leaks(keys[0], report.read_text())
