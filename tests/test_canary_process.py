"""The canary as an attacker would run it: every command a fresh `reconcile`
process with `--debug`, against the sandbox server behind a 127.0.0.1 proxy
that can make AWS answer writes and secret reads with errors echoing the whole
request (body, path and credential headers).

Keys: one of 64 characters holding `"`, `\\`, é, a newline, % and +, served
from SSM, Secrets Manager (plain and as a JSON field) and the environment, and
set by hand on a live output the tool does not manage; keys of 1, 3 and 4
characters and a common word, which `plan` must refuse. Every stdout, stderr
and written file (saved plan, report, Markdown, status page, imported YAML) is
scanned for every key in every encoding, and for any 12-character piece of a
long one. `find_leaks` is the scanner; tests/test_redaction.py shows it finds
what each masking layer stops, when that layer is switched off in-process.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import boto3
import pytest

from tests.conftest import FLOW_NAME, REGION, sandbox_server

TIMEOUT = 60
TOKEN = f"IQoJb3JpZ2luX2VjE-session-{secrets.token_hex(20)}"


def nasty(length: int, tag: str) -> str:
    head = f'{tag}"q\\é\n%+'
    return head + secrets.token_hex(length)[: length - len(head)]


KEYS = {name: nasty(64, name[:3]) for name in ("ssm", "sm-plain", "sm-json", "env", "live")}
REFUSED = {"one": "ǂ", "three": "ǂ1ʘ", "four": "ǂ1ʘ2", "word": "sunshine"}


def exhaustive_keys() -> dict[str, str]:
    """`make canary-exhaustive` (CANARY_EXHAUSTIVE=1): 42 more SSM keys, each
    special character at the start, middle and end, at lengths 8 to 200 (a
    flow takes 50 outputs)."""
    if not os.environ.get("CANARY_EXHAUSTIVE"):
        return {}
    keys = {}
    for i, char in enumerate("\"\\é\n%+/ <>&'`|"):
        for j in range(3):
            length = (8, 17, 64, 200)[(i + j) % 4]
            body = secrets.token_hex(length)[: length - 1]
            keys[f"x{i}-{j}"] = (char + body, body[:4] + char + body[4:], body + char)[j]
    return keys


EXTRA = exhaustive_keys()


def forms(key: str) -> set[str]:
    """Independent of the product's own list: the encodings a leak would take."""
    out = {key}
    for _ in range(3):
        out |= {json.dumps(f)[1:-1] for f in out} | {
            json.dumps(f, ensure_ascii=False)[1:-1] for f in out
        }
        out |= {repr(f)[1:-1] for f in out} | {repr(f.encode())[2:-1] for f in out}
    out |= {quote(key, safe=""), quote_plus(key), quote(key)}
    if len(key) >= 24:  # a piece of a long key is a leak too
        out |= {key[i : i + 12] for i in range(len(key) - 12) if "\n" not in key[i : i + 12]}
    return {f for f in out if f}


def find_leaks(keys: Iterable[str], texts: dict[str, str]) -> list[str]:
    """`where: key` for every key (in any form) found in any text."""
    return [
        f"{where}: {key!r}"
        for key in keys
        for where, text in texts.items()
        if any(f in text for f in forms(key))
    ]


# --- a proxy that makes AWS misbehave ----------------------------------------------------

SECRET_READS = {
    "AmazonSSM.GetParameters",
    "AmazonSSM.GetParameter",
    "secretsmanager.BatchGetSecretValue",
    "secretsmanager.GetSecretValue",
}


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlsplit(upstream)
        self.echo = False  # answer writes and secret reads with an echoing 400

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Proxy

    def log_message(self, *args: object) -> None:
        pass

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        write = (self.command != "GET" and "/v1/flows" in self.path) or target.endswith(
            "PutParameter"
        )
        if self.server.echo and (write or target in SECRET_READS):
            echoed = {
                "path": self.path,
                "body": body.decode("utf-8", "replace"),
                "headers": {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower().startswith(("x-amz", "author"))
                },
            }
            message = f"Invalid request: {json.dumps(echoed)} / {echoed!r}"
            payload = json.dumps({"__type": "BadRequestException", "message": message}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-ErrorType", "BadRequestException")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        upstream = http.client.HTTPConnection(self.server.upstream.netloc, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _relay


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    with sandbox_server() as endpoint:
        server = Proxy(endpoint)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


# --- the world -----------------------------------------------------------------------------


def session(proxy: Proxy, name: str) -> object:
    return boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client(name, endpoint_url=proxy.url)


def write_state(root: Path, refs: dict[str, str]) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text(f"name: {FLOW_NAME}\nregion: {REGION}\n")
    for name, ref in refs.items():
        (root / "destinations" / f"{name}.yaml").write_text(
            f"name: {name}\nflow: {FLOW_NAME}\nurl: rtmps://{name}.example.com/live\n"
            f"stream_key: {ref}\n"
        )
    return root


@pytest.fixture(scope="module")
def world(proxy, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("canary")
    ssm, sm, mc = (session(proxy, n) for n in ("ssm", "secretsmanager", "mediaconnect"))
    ssm.put_parameter(Name="/canary/ssm", Value=KEYS["ssm"], Type="SecureString")  # type: ignore[attr-defined]
    sm.create_secret(Name="canary/plain", SecretString=KEYS["sm-plain"])  # type: ignore[attr-defined]
    sm.create_secret(  # type: ignore[attr-defined]
        Name="canary/json",
        SecretString=json.dumps({"stream_key": KEYS["sm-json"], "other": "x"}),
    )
    for name, key in EXTRA.items():
        ssm.put_parameter(Name=f"/canary/extra/{name}", Value=key, Type="SecureString")  # type: ignore[attr-defined]
    for name, key in REFUSED.items():
        ssm.put_parameter(Name=f"/canary/{name}", Value=key, Type="SecureString")  # type: ignore[attr-defined]
    arn = mc.create_flow(  # type: ignore[attr-defined]
        Name=FLOW_NAME, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
    )["Flow"]["FlowArn"]
    mc.add_flow_outputs(  # type: ignore[attr-defined]
        FlowArn=arn,
        Outputs=[
            {
                "Name": "hand-made",
                "Protocol": "rtmp-push",
                "Destination": "ingest.example.net",
                "Port": 1935,
                "RtmpPushSettings": {"ApplicationName": "live", "StreamName": KEYS["live"]},
            }
        ],
    )
    write_state(
        root / "state",
        {
            "via-ssm": "{ssm: /canary/ssm}",
            "via-sm": "{secretsmanager: canary/plain}",
            "via-json": "{secretsmanager: canary/json, key: stream_key}",
            "via-env": "{env: CANARY_KEY}",
            **{f"via-{name}": f"{{ssm: /canary/extra/{name}}}" for name in EXTRA},
        },
    )
    return root


def reconcile(proxy: Proxy, root: Path, outputs: dict[str, str], *args: str) -> int:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CANARY_KEY": KEYS["env"],
        "RECONCILE_PLAN_KEY": "ci-secret-for-plans",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--debug", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=root,
    )
    run = f"#{len(outputs) // 2} {' '.join(args)}"
    outputs[f"{run}: stdout"], outputs[f"{run}: stderr"] = done.stdout, done.stderr
    return done.returncode


def files(root: Path) -> dict[str, str]:
    return {
        str(p): p.read_text(encoding="utf-8", errors="replace")
        for p in root.rglob("*")
        if p.is_file()
    }


def test_no_key_leaves_any_process_even_when_aws_echoes_requests(proxy, world):
    state, out = str(world / "state"), {}
    steps = [
        (["validate", "--state", state], {0}),
        (["plan", "--state", state, "--format", "markdown"], {0, 2}),
        (["plan", "--state", state, "--format", "json", "--out", "plan.json"], {0, 2}),
        (["apply", "plan.json", "--state", state, "--report", "report.json"], {0}),
        (["drift", "--state", state, "--format", "markdown"], {0, 2}),
        (["status", "--state", state, "--format", "html", "--out", "status.html"], {0}),
        (["import", "--flow", FLOW_NAME, "--state", "imported", "--store-keys"], {0}),
    ]
    for args, codes in steps:
        assert reconcile(proxy, world, out, *args) in codes, (args, out)
    proxy.echo = True
    try:
        (world / "state" / "destinations" / "via-ssm.yaml").write_text(
            f"name: via-ssm\nflow: {FLOW_NAME}\nurl: rtmps://changed.example.com/live\n"
            "stream_key: {ssm: /canary/ssm}\n"
        )
        assert reconcile(proxy, world, out, "plan", "--state", state) == 1  # secret reads echo
        proxy.echo = False
        assert reconcile(proxy, world, out, "plan", "--state", state, "--out", "p2.json") in (0, 2)
        proxy.echo = True
        assert (
            reconcile(
                proxy, world, out, "apply", "p2.json", "--state", state, "--report", "r2.json"
            )
            == 1
        )
        assert reconcile(
            proxy, world, out, "import", "--flow", FLOW_NAME, "--state", "imp2", "--store-keys"
        ) in (0, 1)
    finally:
        proxy.echo = False
    texts = {**out, **files(world)}
    everything = "".join(texts.values())
    assert "Invalid request" in everything and "(sensitive)" in everything
    assert "Response body" in everything  # --debug really logged
    assert find_leaks([*KEYS.values(), *EXTRA.values(), TOKEN], texts) == []


def test_keys_that_cannot_be_masked_are_refused_and_never_shown(proxy, world):
    refs = {f"short-{name}": f"{{ssm: /canary/{name}}}" for name in REFUSED}
    state = write_state(world / "refused", refs)
    out: dict[str, str] = {}
    assert reconcile(proxy, world, out, "plan", "--state", str(state)) == 1
    refusals = [
        line for text in out.values() for line in text.splitlines() if "longer, random" in line
    ]
    assert sorted(line.split(".yaml:")[0].rsplit("/", 1)[1] for line in refusals) == sorted(refs)
    assert find_leaks(REFUSED.values(), out) == []
