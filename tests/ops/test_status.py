"""`reconcile status`: rows, drift and health on the sandbox with seeded
CloudWatch metrics; the HTML page as headless Chromium renders it; and the
health rule itself, table-driven on plain values."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tempfile
import zlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from reconciler.app import editing
from reconciler.aws.cloudwatch import CloudWatch
from reconciler.cli import main
from reconciler.core import status
from reconciler.core.errors import AwsError, Location
from reconciler.core.models import DestinationSpec, FlowSpec, LiveFlow, LiveOutput, State
from reconciler.core.planner import FlowPlan, Plan
from reconciler.core.status import Health
from reconciler.render import status as status_render
from tests.conftest import EXAMPLE_KEYS, FLOW_NAME, REGION

pytestmark = pytest.mark.usefixtures("aws_calls")

BROWSER_TIMEOUT = 60


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def put(metric: str, dimension: str, arn: str, value: float, minutes_ago: float = 2) -> None:
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/MediaConnect",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": arn}],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=minutes_ago),
                "Value": value,
            }
        ],
    )


@pytest.fixture
def live(sandbox, stream_keys, state_dir, aws_calls):
    """A running flow carrying the example outputs plus one hand-made SRT
    output; git then disables two destinations (one applied, one not) and
    adds one (not applied). Metrics seeded per output, two minutes ago."""
    arn = sandbox.create_flow()
    sandbox.client.start_flow(FlowArn=arn)
    editing.set_enabled(state_dir, "custom-rtmp", False)
    assert run("apply", "--state", str(state_dir), "--auto-approve").exit_code == 0
    sandbox.client.add_flow_outputs(
        FlowArn=arn,
        Outputs=[
            {
                "Name": "hand-made",
                "Protocol": "srt-caller",
                "Destination": "srt.example.net",
                "Port": 9000,
                "StreamId": "hm-srt-secret-id",
            }
        ],
    )
    editing.set_enabled(state_dir, "linkedin", False)
    sandbox.put_key("/lunora/streaming/twitch/stream-key", "live_123456_twitchkeyvalue")
    editing.add(
        state_dir,
        "twitch",
        flow=FLOW_NAME,
        url="rtmp://live.twitch.tv/app",
        stream_key_ssm="/lunora/streaming/twitch/stream-key",
    )
    outputs = {name: o["OutputArn"] for name, o in sandbox.outputs(arn).items()}
    put("SourceBitRate", "FlowARN", arn, 5_000_000)
    put("OutputConnected", "OutputARN", outputs["youtube-main"], 1)
    put("OutputBitrate", "OutputARN", outputs["youtube-main"], 4_500_000)
    put("OutputDisconnections", "OutputARN", outputs["youtube-main"], 3, minutes_ago=40)
    put("OutputConnected", "OutputARN", outputs["restream"], 1)
    put("OutputDisconnections", "OutputARN", outputs["restream"], 2)
    put("OutputConnected", "OutputARN", outputs["hand-made"], 0)
    aws_calls.clear()
    return outputs


def secrets_absent(text: str) -> None:
    for value in [*EXAMPLE_KEYS.values(), "live_123456_twitchkeyvalue", "hm-srt-secret-id"]:
        assert value not in text
    # Nor the URL parts after the host, where a pasted key would sit.
    for path in ("live2", "7f8e9d", "/live", "/app"):
        assert path not in text


def test_text_status_one_row_per_output_with_drift_and_health(state_dir, live, aws_calls):
    result = run("status", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert set(lines) == {
        "NAME",
        "custom-rtmp",
        "hand-made",
        "linkedin",
        "restream",
        "twitch",
        "youtube-main",
    }
    assert lines["youtube-main"].split()[1:] == [
        "ENABLED",
        "ENABLED",
        "rtmp-push",
        "a.rtmps.youtube.com:443",
        "managed",
        "-",
        "healthy",
        "connected,",
        "sending",
        "4.5",
        "Mb/s",
    ]
    assert lines["restream"].split()[6:8] == ["-", "degraded"]
    assert "2 disconnection(s) in the last 5 min" in lines["restream"]
    assert lines["custom-rtmp"].split()[1:3] == ["DISABLED", "DISABLED"]
    assert lines["custom-rtmp"].split()[7] == "off"
    # Disabled in git, not applied yet: still sending, and marked as drift.
    assert lines["linkedin"].split()[1:3] == ["DISABLED", "ENABLED"]
    assert lines["linkedin"].split()[6:8] == ["drift", "unknown"]
    assert "no output metrics; flow source at 5.0 Mb/s" in lines["linkedin"]
    assert lines["twitch"].split()[1:3] == ["ENABLED", "-"]
    assert lines["twitch"].split()[5:8] == ["-", "drift", "absent"]
    assert lines["hand-made"].split()[1:8] == [
        "-",
        "ENABLED",
        "srt-caller",
        "srt.example.net:9000",
        "unmanaged",
        "-",
        "down",
    ]
    assert f"Flow {FLOW_NAME} (us-west-2, ACTIVE), source 5.0 Mb/s" in result.stdout
    assert "6 output(s): 1 healthy, 1 degraded, 1 down, 1 unknown, 1 off, 1 absent" in result.stdout
    secrets_absent(result.output)
    # Every metric of the region in one GetMetricData call.
    assert aws_calls.named("GetMetricData") == 1


def test_minutes_widens_the_health_window(state_dir, live):
    result = run("status", "--state", str(state_dir), "--minutes", "60", "--format", "json")
    rows = {r["name"]: r for r in json.loads(result.stdout)["outputs"]}
    assert rows["youtube-main"]["health"] == "degraded"
    assert rows["youtube-main"]["reason"] == "3 disconnection(s) in the last 60 min"


def test_json_status_contract(state_dir, live):
    result = run("status", "--state", str(state_dir), "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["window_minutes"] == 5
    assert document["summary"] == {
        "healthy": 1,
        "degraded": 1,
        "down": 1,
        "unknown": 1,
        "off": 1,
        "absent": 1,
    }
    assert document["flows"] == [
        {
            "name": FLOW_NAME,
            "region": REGION,
            "status": "ACTIVE",
            "source_bitrate": 5_000_000.0,
            "metrics_error": None,
        }
    ]
    rows = {r["name"]: r for r in document["outputs"]}
    assert rows["youtube-main"] == {
        "flow": FLOW_NAME,
        "flow_status": "ACTIVE",
        "name": "youtube-main",
        "desired": "ENABLED",
        "live": "ENABLED",
        "protocol": "rtmp-push",
        "host": "a.rtmps.youtube.com",
        "port": 443,
        "ownership": "managed",
        "drift": False,
        "health": "healthy",
        "reason": "connected, sending 4.5 Mb/s",
        "bitrate": 4_500_000.0,
    }
    assert rows["hand-made"]["desired"] is None and rows["hand-made"]["ownership"] == "unmanaged"
    assert rows["twitch"]["live"] is None and rows["twitch"]["ownership"] is None
    secrets_absent(result.stdout)


def test_unreadable_metrics_leave_health_unknown_and_say_why(state_dir, live, monkeypatch):
    def refuse(*args, **kwargs):
        raise AwsError("GetMetricData", "AccessDenied", "not authorized")

    monkeypatch.setattr(CloudWatch, "metric_data", refuse)
    result = run("status", "--state", str(state_dir))
    assert result.exit_code == 0, result.output
    assert "metrics unavailable: GetMetricData failed: AccessDenied" in result.stdout
    youtube = next(line for line in result.stdout.splitlines() if "youtube-main" in line)
    assert " unknown " in youtube


class FakeClients:
    """Our AWS gateway, answering GetMetricData in two pages per call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def pages(self, service, region, operation, MetricDataQueries, **params):
        assert (service, operation, params["ScanBy"]) == (
            "cloudwatch",
            "GetMetricData",
            "TimestampDescending",
        )
        self.calls.append(len(MetricDataQueries))
        results = [
            {"Id": q["Id"], "Values": [float(q["MetricStat"]["Metric"]["Dimensions"][0]["Value"])]}
            for q in MetricDataQueries
        ]
        return iter([{"MetricDataResults": results}, {"MetricDataResults": results[:1]}])


def test_metric_data_batches_500_queries_a_call_and_maps_results_back():
    clients = FakeClients()
    queries = [
        status.MetricQuery("OutputBitrate", "Average", "OutputARN", str(i)) for i in range(1201)
    ]
    now = datetime.now(UTC)
    values = CloudWatch(clients).metric_data(  # type: ignore[arg-type]
        REGION, queries, start=now - timedelta(minutes=5), end=now, period=60
    )
    assert clients.calls == [500, 500, 201]
    assert values[queries[7]] == (7.0,)
    # A query's values continue on the next page.
    assert values[queries[0]] == (0.0, 0.0) and values[queries[500]] == (500.0, 500.0)


# --- the HTML page, in a real browser ---------------------------------------------


def browser(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium package is needed (.ci/run installs it)"
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)  # a fresh profile each run
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT,
        check=True,
    )


class Table(HTMLParser):
    """The text of each body row's cells, and each health cell's class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.classes: dict[str, str] = {}
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._class = [], dict(attrs).get("class") or ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            self.rows[-1].append(text)
            if self._class.startswith("health-"):
                self.classes[self.rows[-1][0]] = self._class
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """Width, height and the set of colours of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    previous, colours = bytearray(stride), set()
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours |= {tuple(line[x : x + 3]) for x in range(0, stride, channels)}
        previous = line
    return width, height, colours


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_html_page_renders_the_table_in_chromium(state_dir, live, tmp_path):
    page = tmp_path / "status.html"
    result = run("status", "--state", str(state_dir), "--format", "html", "--out", str(page))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{page}: status of 6 output(s) written\n"
    source = page.read_text()
    secrets_absent(source)
    assert "<script" not in source and "http" not in source.replace("http-equiv", "")

    dom = browser("--dump-dom", page.as_uri(), tmp_path=tmp_path).stdout
    table = Table()
    table.feed(dom)
    rows = {r[0]: r for r in table.rows if len(r) == 9}
    assert rows["name"] == [
        "name",
        "desired",
        "live",
        "protocol",
        "host",
        "owner",
        "drift",
        "health",
        "why",
    ]
    assert rows["youtube-main"][1:] == [
        "ENABLED",
        "ENABLED",
        "rtmp-push",
        "a.rtmps.youtube.com:443",
        "managed",
        "-",
        "healthy",
        "connected, sending 4.5 Mb/s",
    ]
    assert rows["linkedin"][6:8] == ["drift", "unknown"]
    assert {name: css for name, css in table.classes.items()} == {
        "custom-rtmp": "health-off",
        "hand-made": "health-down",
        "linkedin": "health-unknown",
        "restream": "health-degraded",
        "twitch": "health-absent",
        "youtube-main": "health-healthy",
    }

    shot = tmp_path / "status.png"
    browser(f"--screenshot={shot}", "--window-size=1280,800", page.as_uri(), tmp_path=tmp_path)
    width, height, colours = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 800)
    assert shot.stat().st_size > 10_000
    # The colour coding is visible: each health's background is on screen.
    for health in Health:
        assert rgb(status_render.HEALTH_COLOURS[health][1]) in colours, health


# --- the rule, on plain values -----------------------------------------------------

SPEC = FlowSpec(name="f", region="r", location=Location(Path("flows/f.yaml"), 1))
FLOW_ARN = "arn:aws:mediaconnect:r:1:flow:1-a:f"
OUT_ARN = "arn:aws:mediaconnect:r:1:output:1-b:o"


def one_row(
    *,
    flow_status: str = "ACTIVE",
    output_status: str = "ENABLED",
    metrics: dict[str, float] | None = None,
    unavailable: str | None = None,
) -> tuple[Health, str]:
    output = LiveOutput(
        name="o", arn=OUT_ARN, fields={"Protocol": "srt-caller", "OutputStatus": output_status}
    )
    live = LiveFlow(name="f", arn=FLOW_ARN, region="r", status=flow_status, outputs=(output,))
    plan = Plan((FlowPlan(SPEC, live, (), (), ()),))
    desired = DestinationSpec(
        name="o", flow="f", location=SPEC.location, fields={"OutputStatus": output_status}
    )
    state = State({"f": SPEC}, (desired,))
    queries = {
        q.metric: q
        for q in (status.source_bitrate_query(FLOW_ARN), *status.output_queries(OUT_ARN))
    }
    values = {queries[name]: (value,) for name, value in (metrics or {}).items()}
    result = status.build(
        state,
        plan,
        values,
        as_of=datetime(2025, 1, 1, tzinfo=UTC),
        minutes=5,
        unavailable={"r": unavailable} if unavailable else None,
    )
    (row,) = result.rows
    return row.health, row.reason


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"flow_status": "STANDBY"}, (Health.OFF, "the flow is STANDBY")),
        ({"flow_status": "ERROR"}, (Health.DOWN, "the flow is in ERROR")),
        ({"output_status": "DISABLED"}, (Health.OFF, "output disabled")),
        ({"unavailable": "x failed"}, (Health.UNKNOWN, "metrics unavailable: x failed")),
        (
            {"metrics": {"SourceBitRate": 0, "OutputConnected": 1}},
            (Health.DOWN, "the flow's source is receiving nothing"),
        ),
        ({"metrics": {"OutputConnected": 0}}, (Health.DOWN, "disconnected")),
        (
            {"metrics": {"OutputConnected": 1, "OutputBitrate": 0}},
            (Health.DOWN, "connected, sending nothing"),
        ),
        (
            {"metrics": {"OutputConnected": 1, "OutputDisconnections": 1}},
            (Health.DEGRADED, "1 disconnection(s) in the last 5 min"),
        ),
        ({"metrics": {"OutputBitrate": 800_000}}, (Health.HEALTHY, "sending 800 kb/s")),
        ({"metrics": {}}, (Health.UNKNOWN, "no metrics in the last 5 min")),
        (
            {"metrics": {"SourceBitRate": 2_000_000}},
            (Health.UNKNOWN, "no output metrics; flow source at 2.0 Mb/s"),
        ),
    ],
)
def test_health_rule(case, expected):
    assert one_row(**case) == expected


def test_metric_queries_skip_disabled_outputs():
    enabled = LiveOutput(name="a", arn="arn:a", fields={"OutputStatus": "ENABLED"})
    disabled = LiveOutput(name="b", arn="arn:b", fields={"OutputStatus": "DISABLED"})
    live = LiveFlow(
        name="f", arn=FLOW_ARN, region="r", status="ACTIVE", outputs=(enabled, disabled)
    )
    queries = status.metric_queries(Plan((FlowPlan(SPEC, live, (), (), ()),)))
    assert {(q.metric, q.dimension, q.value) for q in queries["r"]} == {
        ("SourceBitRate", "FlowARN", FLOW_ARN),
        ("OutputConnected", "OutputARN", "arn:a"),
        ("OutputBitrate", "OutputARN", "arn:a"),
        ("OutputDisconnections", "OutputARN", "arn:a"),
    }


def test_html_escapes_every_value():
    hostile = '<script>alert("x")</script>&'
    row = status.Row(
        flow=hostile,
        flow_status="ACTIVE",
        name=hostile,
        desired="ENABLED",
        live="ENABLED",
        protocol=hostile,
        host=hostile,
        port=1,
        ownership="unmanaged",
        drift=True,
        health=Health.DOWN,
        reason=hostile,
        bitrate=None,
    )
    flow = status.FlowHealth(hostile, hostile, hostile, None, hostile)
    page = status_render.as_html(status.Status(datetime(2025, 1, 1, tzinfo=UTC), 5, (flow,), (row,)))
    assert "<script" not in page
    # Four in the flow's line (name, region, status, error), four in the row
    # (name, protocol, host, reason).
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") == 8
