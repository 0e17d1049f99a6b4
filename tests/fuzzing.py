"""A seeded mutation fuzzer over copies of the example state/.

Each case is a copy of state/ with one to three mutations (YAML features the
loader refuses, type swaps, deleted, duplicated and unknown keys, random bytes,
unicode, huge values, deep nesting, bad URLs, regions and names, directories,
symlinks, FIFOs...), run as `reconcile validate` and as `reconcile plan
--detailed-exitcode` against the sandbox. A case passes when neither prints a
traceback, neither hangs, validate exits 0 or 1 and plan 0, 1 or 2, and every
failure's stderr is `FILE:LINE: message` lines or one `error: ...` line.

How cases run (honestly): most run in batches, many cases per worker process,
each calling the CLI in-process through click's CliRunner under a per-case
alarm; every worker is a fresh process with a memory limit (RLIMIT_AS) and a
wall-clock limit. A sample of cases also runs each command as its own fresh
`python -m reconciler` process with the same limits.

    python -m tests.fuzzing --cases 1000 --seed 0        # what `make fuzz` runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_STATE = ROOT / "state"
CASE_SECONDS = 10
MEMORY_BYTES = 1 << 30  # 1 GiB of address space per process
EXIT_CODES = {"validate": {0, 1}, "plan": {0, 1, 2}}
FILE_LINE = re.compile(r"^.+:\d+: \S.*$")

# --- mutations -------------------------------------------------------------

Mutation = Callable[[random.Random, Path], str]
MUTATIONS: list[Mutation] = []


def mutation(fn: Mutation) -> Mutation:
    MUTATIONS.append(fn)
    return fn


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.y*ml") if p.is_file() and not p.is_symlink())


def pick_file(rng: random.Random, root: Path) -> Path:
    return rng.choice(files(root) or [root / "flows" / "f.yaml"])


def pick_line(rng: random.Random, text: str) -> int:
    lines = text.splitlines()
    return rng.randrange(len(lines)) if lines else 0


def edit_line(rng: random.Random, path: Path, change: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    if not lines:
        lines = [""]
    i = rng.randrange(len(lines))
    lines[i] = change(lines[i])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")


def insert_bytes(rng: random.Random, path: Path, data: bytes) -> None:
    raw = path.read_bytes()
    at = rng.randrange(len(raw) + 1)
    path.write_bytes(raw[:at] + data + raw[at:])


TAGS = [
    '!!int "abc"',
    "!!int 12",
    "!!float x",
    "!!bool maybe",
    "!!timestamp 2024-01-01",
    "!!timestamp nope",
    '!!python/object/apply:os.system ["true"]',
    "!!python/name:os.system",
    "!!binary AAAA",
    "!!set {a}",
    "!!omap [a: 1]",
    "!!str 5",
    "!!map {a: 1}",
    "!!seq [1]",
    "!custom x",
    "! x",
    "!<tag:yaml.org,2002:int> 7",
]


@mutation
def scalar_tag(rng: random.Random, root: Path) -> str:
    tag = rng.choice(TAGS)
    path = pick_file(rng, root)
    edit_line(rng, path, lambda line: re.sub(r": .*$", f": {tag}", line, count=1) or tag)
    return f"tag {tag} in {path.name}"


ANCHORS = [
    "x: &a 1\ny: *a\n",
    "x: &a [*a]\n",
    "x: *nope\n",
    "<<: [1, 2]\n",
    "<<: 5\n",
    "<<: {description: merged}\n",
    "<<: [{a: 1}, 2]\n",
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
    "metadata: &m {a: 1}\nsettings: *m\n",
]


@mutation
def anchors_and_merges(rng: random.Random, root: Path) -> str:
    text = rng.choice(ANCHORS)
    path = pick_file(rng, root)
    path.write_text(path.read_text() + text)
    return f"anchor/alias/merge {text[:20]!r} in {path.name}"


@mutation
def control_character(rng: random.Random, root: Path) -> str:
    path = pick_file(rng, root)
    char = bytes([rng.choice([*range(0, 9), 11, 12, *range(14, 32), 127])])
    insert_bytes(rng, path, char)
    return f"control character {char!r} in {path.name}"


@mutation
def random_bytes(rng: random.Random, root: Path) -> str:
    path = pick_file(rng, root)
    insert_bytes(rng, path, bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))))
    return f"random bytes in {path.name}"


UNICODE = [
    "²",
    "\u200b",
    "\u202e",
    "\ufeff",
    "😀",
    "\u00a0",
    "\u0085",
    "\u2028",
    "İ",
    "ß",
    "\u0661",
    "Ⅻ",
    "ﬁ",
]


@mutation
def unicode_text(rng: random.Random, root: Path) -> str:
    path = pick_file(rng, root)
    char = rng.choice(UNICODE)
    insert_bytes(rng, path, char.encode())
    return f"unicode {char!r} in {path.name}"


@mutation
def deep_nesting(rng: random.Random, root: Path) -> str:
    depth = rng.choice([20, 31, 32, 33, 100, 1000, 5000])
    path = pick_file(rng, root)
    style = rng.choice(["flow-list", "flow-map", "block"])
    if style == "flow-list":
        nested = "[" * depth + "]" * depth
    elif style == "flow-map":
        nested = "{a: " * depth + "1" + "}" * depth
    else:
        nested = "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(min(depth, 400))) + " 1"
    key = rng.choice(["metadata", "settings", "protected", "description", "x"])
    path.write_text(path.read_text() + f"{key}: {nested}\n")
    return f"{style} nesting {depth} deep under {key} in {path.name}"


@mutation
def huge_value(rng: random.Random, root: Path) -> str:
    path = pick_file(rng, root)
    value = rng.choice(
        ["x" * (1 << 21), "9" * 5000, "1e400", "-" + "9" * 4301, "0x" + "f" * 5000, "x" * 5000]
    )
    key = rng.choice(["description", "name", "url", "metadata", "region", "port"])
    path.write_text(path.read_text().replace(f"{key}:", f"{key}_old:") + f"{key}: {value}\n")
    return f"huge {key} ({len(value)} chars) in {path.name}"


@mutation
def line_surgery(rng: random.Random, root: Path) -> str:
    path = pick_file(rng, root)
    lines = path.read_text().splitlines()
    i = pick_line(rng, path.read_text())
    how = rng.choice(["delete", "duplicate", "swap", "indent", "truncate", "tab", "docs", "blank"])
    if how == "delete" and lines:
        del lines[i]
    elif how == "duplicate" and lines:
        lines.insert(i, lines[i])
    elif how == "swap" and len(lines) > 1:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "indent" and lines:
        lines[i] = " " * rng.randint(1, 5) + lines[i]
    elif how == "tab" and lines:
        lines[i] = "\t" + lines[i]
    elif how == "docs":
        lines += ["---", "name: second"]
    elif how == "blank":
        lines = rng.choice([[], ["# only a comment"], ["null"], ["[]"], ["- a"], ["x"], ["---"]])
    text = "\n".join(lines) + "\n"
    if how == "truncate":
        text = text[: rng.randrange(len(text) + 1)]
    path.write_text(text)
    return f"{how} line {i} of {path.name}"


# Values that replace a field's value, of every type.
VALUES: list[Any] = [
    0,
    -1,
    1.5,
    True,
    False,
    None,
    "",
    "x",
    [],
    {},
    [1, 2],
    {"a": 1},
    "x" * 300,
    10**30,
    float("inf"),
    "us-west-9",
    "²",
    "\u202e",
    " spaced ",
    "x\n",
    [{"a": [1]}],
    "ä" * 2000,
]
FIELD_VALUES: dict[str, list[Any]] = {
    "settings": [
        {"RtmpPushSettings": "x"},
        {"Protocol": {"a": 1}},
        {"RtmpPushSettings": {"ApplicationName": 5}},
        {"MinLatency": "abc"},
        {"MinLatency": -1},
        {"Port": 70000},
        {"CidrAllowList": "x"},
        {"Encryption": {"RoleArn": 1}},
        {"VpcInterfaceAttachment": []},
        {"MediaStreamOutputConfigurations": [{"a": 1}]},
        {"NdiSpeedHqQuality": 10**20},
        {"RtmpPushSettings": {"TlsEncryption": "x"}},
        {"Encryption": "x"},
        {"StreamId": 5},
        {"Destination": ["a"]},
        {"": 1},
        {"a.b": 1},
        {"Name": 5},
        {"OutputStatus": []},
        {"RtmpPushSettings": {"StreamName": ["k"]}},
        "x",
        [1],
        None,
        {"Protocol": "srt-listener"},
    ],
    "url": [
        "srt://h:9000?latency=²",
        "srt://h:9000?latency=1e3",
        "srt://h:9000?latency=٣",
        "rtmp://",
        "rtmp://h",
        "rtmp://h:99999/app",
        "rtmp://[::1/app",
        "rtmp://[::1]:1935/app",
        "rtmps://h:0/app",
        "srt://h:9000?streamid=a&streamid=b",
        "udp://h:5000/path",
        "zixi://h:2088/",
        "http://h/x",
        "rtmp://h:-1/app",
        "rtmp://h:1935/app?x=%ff",
        "rtmp://user:pw@h/app",
        "srt://h:abc",
        "RTMP://H/APP",
        "rtmp://h/app/" + "a" * 5000,
        "rtmp://ü.example/app",
        "rtmp://h:\uff11\uff19\uff13\uff15/app",
        "srt://h:9000?%zz=1",
        "rist://h:5000?x",
        "rtp://h:5000",
        "udp://h:5000#frag",
        "srt://:9000",
        "rtmp://h/app\n",
        5,
        ["rtmp://h/app"],
        "srt://h:9000?streamid=" + "s" * 3000,
    ],
    "region": [
        "us-west-9",
        "US-West-2",
        "",
        "us-west-2 ",
        "cn-north-1",
        "us-gov-west-1",
        "eu-isoe-west-1",
        5,
    ],
    "name": [
        "x\n",
        " x",
        "x ",
        "",
        "a" * 129,
        "é",
        "custom-rtmp",
        "-x",
        "x y",
        "restream",
        5,
        "x:y",
    ],
    "protected": [
        ["OPS-MONITOR", " hand-made"],
        "x",
        [1],
        ["x\n"],
        ["custom-rtmp"],
        ["a", "a"],
        [[]],
        [""],
    ],
    "stream_key": [
        "literal",
        {"ssm": 5},
        {"ssm": "/a", "env": "B"},
        {"env": "1X"},
        {"secretsmanager": ""},
        [],
        {"ssm": "/lunora/streaming/none"},
        {"env": "NOT_SET"},
        {"ssm": "a" * 3000},
        {"secretsmanager": "s", "key": 5},
        {"env": ""},
        {"ssm": "/x\n"},
    ],
    "flow": ["unknown-flow", "", 5, None, ["x"]],
    "enabled": ["maybe", "yes", 1, None, [True]],
    "protocol": [
        "rtmp-push",
        "srt-listener",
        "zixi-push",
        "cdi",
        "bogus",
        5,
        "udp",
        "ndi-speed-hq",
    ],
    "encryption": [
        {"secret_arn": "x"},
        {
            "secret_arn": "arn:aws:secretsmanager:us-west-2:1:secret:s",
            "role_arn": "arn:aws:iam::123456789012:role/r",
            "algorithm": "rot13",
        },
        "x",
        [],
        {"role_arn": 5, "secret_arn": 5},
    ],
    "hls_guard": [
        {"medialive_channel_id": 1},
        {"medialive_channel_id": "1", "mediapackage_channel_id": "p"},
        "x",
        {"medialive_channel_id": "1", "mediapackage_channel_id": "p", "region": "mars-1"},
    ],
    "arn": [
        "arn:aws:mediaconnect:us-west-2:123456789012:flow:1-x:lunora-player-prod-rtmp-router",
        "arn:",
        "x",
        5,
        "arn:aws:mediaconnect:us-west-2:123456789012:flow:1-x:other",
    ],
    "prune": ["yes", 1, None, True],
    "description": [5, "x" * 1001, "\u202e", None],
    "metadata": ["x", {"a": {"b": [1, {"c": None}]}}],
    "enabeld": [False],
    "stream-key": [{"env": "K"}],
    "Name": ["x"],
}


def edit_data(rng: random.Random, root: Path, change: Callable[[dict[str, Any]], str]) -> str:
    path = pick_file(rng, root)
    try:
        data = yaml.safe_load(path.read_text())
    except Exception:  # PyYAML itself fails on hostile input in many ways (KeyError too)
        return f"(unparseable {path.name} left as is)"
    if not isinstance(data, dict):
        data = {"value": data}
    what = change(data)
    path.write_text(
        yaml.safe_dump(data, sort_keys=rng.random() < 0.3, allow_unicode=rng.random() < 0.5)
    )
    return f"{what} in {path.name}"


def random_path(rng: random.Random, data: Any) -> list[Any]:
    """A path to some value inside `data` (possibly the top)."""
    path: list[Any] = []
    while isinstance(data, (dict, list)) and data and rng.random() < 0.6:
        key = rng.choice(list(data)) if isinstance(data, dict) else rng.randrange(len(data))
        path.append(key)
        data = data[key]
    return path


@mutation
def field_value(rng: random.Random, root: Path) -> str:
    def change(data: dict[str, Any]) -> str:
        key = rng.choice(list(FIELD_VALUES))
        data[key] = rng.choice(FIELD_VALUES[key] + VALUES[:6])
        return f"{key}: {str(data[key])[:40]!r}"

    return edit_data(rng, root, change)


@mutation
def type_swap(rng: random.Random, root: Path) -> str:
    def change(data: dict[str, Any]) -> str:
        path = random_path(rng, data)
        if not path:
            path = [rng.choice(list(data))] if data else ["x"]
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = rng.choice(VALUES)
        return f"type swap at {path}"

    return edit_data(rng, root, change)


@mutation
def delete_or_rename_key(rng: random.Random, root: Path) -> str:
    def change(data: dict[str, Any]) -> str:
        if not data:
            return "nothing to delete"
        key = rng.choice(list(data))
        value = data.pop(key)
        if rng.random() < 0.5:
            typo = rng.choice(
                [key.upper(), key[:-1], key + "s", key[::-1], key.replace("e", "ee", 1)]
            )
            data[typo] = value
            return f"renamed {key} to {typo}"
        return f"deleted {key}"

    return edit_data(rng, root, change)


@mutation
def file_system(rng: random.Random, root: Path) -> str:
    folder = root / rng.choice(["flows", "destinations"])
    how = rng.choice(
        [
            "dir",
            "dangling",
            "loop",
            "loop2",
            "to-dir",
            "dev-null",
            "dev-zero",
            "fifo",
            "no-folder",
            "folder-is-file",
            "yml",
            "copy",
            "empty-folder",
            "big-file",
            "unreadable",
        ]
    )
    if how == "dir":
        (folder / "x.yaml").mkdir()
        (folder / "x.yaml" / "inner.yaml").write_text("name: inner\n")
    elif how == "dangling":
        (folder / "gone.yaml").symlink_to(folder / "nowhere.yaml")
    elif how == "loop":
        (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    elif how == "loop2":
        (folder / "a.yaml").symlink_to(folder / "b.yaml")
        (folder / "b.yaml").symlink_to(folder / "a.yaml")
    elif how == "to-dir":
        (folder / "d.yaml").symlink_to(root)
    elif how == "dev-null":
        (folder / "null.yaml").symlink_to("/dev/null")
    elif how == "dev-zero":
        (folder / "zero.yaml").symlink_to("/dev/zero")
    elif how == "fifo":
        os.mkfifo(folder / "fifo.yaml")
    elif how == "no-folder":
        shutil.rmtree(folder)
    elif how == "folder-is-file":
        shutil.rmtree(folder)
        folder.write_text("name: x\n")
    elif how == "yml":
        for path in folder.glob("*.yaml"):
            path.rename(path.with_suffix(".yml"))
            break
    elif how == "copy":
        for path in folder.glob("*.yaml"):
            shutil.copy(path, folder / f"copy-{path.name}")
            break
    elif how == "empty-folder":
        shutil.rmtree(folder)
        folder.mkdir()
    elif how == "big-file":
        (folder / "big.yaml").write_text("description: " + "x" * (1 << 20) + "\n")
    elif how == "unreadable":
        for path in folder.glob("*.yaml"):
            path.chmod(0)
            break
    return f"{how} in {folder.name}/"


def make_case(seed: int, index: int, target: Path) -> str:
    """Copy state/ to `target` and apply 1-3 seeded mutations; describe them."""
    rng = random.Random(f"{seed}:{index}")
    shutil.copytree(EXAMPLE_STATE, target, symlinks=True)
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        chosen = rng.choice(MUTATIONS)
        try:
            done.append(chosen(rng, target))
        except Exception as e:  # the mutator's own limits; the case still runs
            done.append(f"({chosen.__name__} stopped: {type(e).__name__})")
    return "; ".join(done)


# --- running ----------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    command: str
    mutation: str
    exit_code: int | None  # None: killed or timed out
    stderr: str
    seconds: float
    fresh: bool

    def problems(self) -> list[str]:
        """What is wrong with this outcome (empty: it passed)."""
        found = []
        if self.exit_code is None:
            found.append("hang or crash (no exit code)")
        elif self.exit_code not in EXIT_CODES[self.command]:
            found.append(f"exit code {self.exit_code}")
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            found.append("traceback")
        if self.exit_code not in (0, 2, None):
            lines = self.stderr.splitlines()
            one_error = len(lines) == 1 and lines[0].startswith("error: ")
            if not lines or not (one_error or all(FILE_LINE.match(line) for line in lines)):
                found.append("stderr is not FILE:LINE lines or one error line")
        return found


def command_args(command: str, state: Path) -> list[str]:
    extra = ["--detailed-exitcode"] if command == "plan" else []
    return [command, "--state", str(state), *extra]


class CaseTimeout(BaseException):
    """Raised by the per-case alarm; not an Exception, so nothing swallows it."""


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout()


def run_in_process(command: str, state: Path) -> tuple[int | None, str]:
    from click.testing import CliRunner

    from reconciler.cli import main

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    try:
        result = CliRunner().invoke(main, command_args(command, state))
    except CaseTimeout:
        return None, "timed out"
    finally:
        signal.alarm(0)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        stderr += "".join(traceback.format_exception(result.exception))
    return result.exit_code, stderr


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_fresh(command: str, state: Path, env: dict[str, str]) -> tuple[int | None, str]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", *command_args(command, state)],
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CASE_SECONDS,
            preexec_fn=limit_memory,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, "timed out"
    return (done.returncode if done.returncode >= 0 else None), done.stderr


def worker(seed: int, indexes: list[int], scratch: Path) -> Iterator[Outcome]:
    """Run cases in this process, one JSON line per command."""
    for index in indexes:
        state = scratch / f"case-{index}"
        description = make_case(seed, index, state)
        for command in ("validate", "plan"):
            started = time.monotonic()
            code, stderr = run_in_process(command, state)
            yield Outcome(
                index, command, description, code, stderr, time.monotonic() - started, False
            )
        _remove(state)


def _remove(path: Path) -> None:
    for p in path.rglob("*"):
        if not p.is_symlink():
            with contextlib.suppress(OSError):
                p.chmod(0o700)
    shutil.rmtree(path, ignore_errors=True)


def run_batch(seed: int, indexes: list[int], env: dict[str, str], scratch: Path) -> list[Outcome]:
    """Cases in one fresh worker process; a dead or stuck worker fails the cases it had left."""
    args = [
        sys.executable,
        "-m",
        "tests.fuzzing",
        "--worker",
        "--seed",
        str(seed),
        "--scratch",
        str(scratch),
        "--indexes",
        ",".join(map(str, indexes)),
    ]
    try:
        done = subprocess.run(
            args,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            cwd=ROOT,
            timeout=CASE_SECONDS * 2 * len(indexes) + 30,
            preexec_fn=limit_memory,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        stdout, why = done.stdout, f"worker exited {done.returncode}: {done.stderr[-2000:]}"
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        why = "worker timed out"
    outcomes = [Outcome(**json.loads(line)) for line in stdout.splitlines() if line.startswith("{")]
    seen = {(o.index, o.command) for o in outcomes}
    for index in indexes:
        for command in ("validate", "plan"):
            if (index, command) not in seen:
                outcomes.append(Outcome(index, command, "?", None, why, 0.0, False))
    return outcomes


def seed_sandbox(endpoint: str) -> None:
    """The example flow and its stream keys, as tests/conftest.py sets them up."""
    import boto3

    from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, REGION

    session = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    ssm = session.client("ssm", endpoint_url=endpoint)
    for name, value in EXAMPLE_KEYS.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    client = session.client("mediaconnect", endpoint_url=endpoint)
    client.create_flow(
        Name=FLOW_NAME, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
    )


def fuzz_env(endpoint: str, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_MAX_ATTEMPTS": "1",
        "NO_COLOR": "1",
    }


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float

    def failures(self) -> list[str]:
        return [
            f"case {o.index} {o.command}{' (fresh)' if o.fresh else ''} [{o.mutation}]: "
            f"{', '.join(o.problems())}: exit {o.exit_code}: {o.stderr[-1500:]}"
            for o in self.outcomes
            if o.problems()
        ]

    def summary(self) -> str:
        cases = len({o.index for o in self.outcomes})
        tracebacks = sum("traceback" in o.problems() for o in self.outcomes)
        hangs = sum(o.exit_code is None for o in self.outcomes)
        fresh = sum(o.fresh for o in self.outcomes)
        return (
            f"{cases} cases, {len(self.outcomes)} runs ({fresh} in fresh processes): "
            f"{tracebacks} tracebacks, {hangs} hangs, {len(self.failures())} failures, "
            f"{self.seconds:.1f} s"
        )


def fuzz(cases: int, seed: int, endpoint: str, *, batch: int = 100, fresh: int = 10) -> Report:
    """Run `cases` cases (batches of `batch` per worker) plus `fresh` of them
    again with each command in its own fresh process."""
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        scratch = Path(tmp)
        env = fuzz_env(endpoint, scratch)
        indexes = list(range(cases))
        for start in range(0, cases, batch):
            outcomes += run_batch(seed, indexes[start : start + batch], env, scratch)
        sample = random.Random(seed).sample(indexes, min(fresh, cases))
        for index in sample:
            state = scratch / f"fresh-{index}"
            description = make_case(seed, index, state)
            for command in ("validate", "plan"):
                begun = time.monotonic()
                code, stderr = run_fresh(command, state, env)
                outcomes.append(
                    Outcome(
                        index, command, description, code, stderr, time.monotonic() - begun, True
                    )
                )
            _remove(state)
    return Report(outcomes, time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzzing", description=__doc__)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("FUZZ_CASES", "1000")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "0")))
    parser.add_argument("--fresh", type=int, default=int(os.environ.get("FUZZ_FRESH", "50")))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--indexes", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        for outcome in worker(args.seed, [int(i) for i in args.indexes.split(",")], args.scratch):
            print(json.dumps(asdict(outcome)), flush=True)
        return 0
    from tests.conftest import sandbox_server

    with sandbox_server() as endpoint:
        seed_sandbox(endpoint)
        report = fuzz(args.cases, args.seed, endpoint, fresh=args.fresh)
    for failure in report.failures():
        print(failure, file=sys.stderr)
    print(report.summary())
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
