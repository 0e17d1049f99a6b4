"""`reconcile cost`, pricing.yaml and the cost assumptions' validation, end to end.

Cost Explorer is served by moto (its GetCostAndUsage result queue), the Price
List by a small stub on 127.0.0.1 (moto has no Price List); both answer with
tests/fixtures/cost/*.json, whose shapes are checked against botocore's model,
as is every request the tool sends to either.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.core.servicemodel import operation_errors
from reconciler.core.spend import last_full_month
from tests.conftest import FLOW_NAME

FIXTURES = Path(__file__).parent / "fixtures" / "cost"
CE_RESPONSE = json.loads((FIXTURES / "ce-GetCostAndUsage-1.json").read_text())
PRICING_RESPONSE = json.loads((FIXTURES / "pricing-GetProducts-1.json").read_text())


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def set_flow(state_dir: Path, text: str) -> None:
    path = state_dir / "flows" / f"{FLOW_NAME}.yaml"
    path.write_text(path.read_text() + text)


@pytest.fixture
def sent():
    """Every request sent to Cost Explorer or the Price List, checked against
    botocore's model of the operation's input."""
    from botocore.handlers import BUILTIN_HANDLERS

    requests_sent: list[tuple[str, str, dict]] = []

    def record(model, params, **kwargs) -> None:
        service = model.service_model.service_name
        if service in ("ce", "pricing"):
            requests_sent.append((service, model.name, params))

    entry = ("provide-client-params", record)
    BUILTIN_HANDLERS.append(entry)
    yield requests_sent
    BUILTIN_HANDLERS.remove(entry)
    for service, operation, params in requests_sent:
        assert operation_errors(operation, params, "input", service) == []


def test_recorded_responses_match_botocores_models():
    assert operation_errors("GetCostAndUsage", CE_RESPONSE, "output", "ce") == []
    assert operation_errors("GetProducts", PRICING_RESPONSE, "output", "pricing") == []
    broken = {**CE_RESPONSE, "ResultsByTime": [{"Groups": "not a list"}]}
    assert operation_errors("GetCostAndUsage", broken, "output", "ce") != []


def test_cost_offline_reproduces_the_design_documents_table(state_dir):
    set_flow(state_dir, "bitrate_mbps: 10\n")
    result = run("cost", "--state", str(state_dir), "--offline")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "The design document's example (10 Mb/s, 24/7, one flow, us-west-2):" in out
    assert "flow hours                $116.80   ~$115.00" in out
    assert "data transfer             $275.35    $276.00" in out
    assert "total                     $392.15   ~$391.00" in out
    assert "custom-rtmp        3,059.4 GB" in out
    document = json.loads(
        run("cost", "--state", str(state_dir), "--offline", "--format", "json").stdout
    )
    assert document["design_document"]["estimate"] == {
        "flow_usd": 116.8,
        "transfer_usd": 275.35,
        "monthly_usd": 392.15,
    }
    flow = document["state"]["flows"][0]
    assert flow["flow_usd"] == 116.8 and len(flow["destinations"]) == 4
    assert document["state"]["monthly_total"] == round(
        116.8 + 10_240 * 0.09 + (4 * 3_285_000_000_000 / 2**30 - 10_240) * 0.085, 2
    )


def test_cost_offline_without_a_bitrate_says_unknown_and_why(state_dir):
    result = run("cost", "--state", str(state_dir), "--offline")
    assert result.exit_code == 0
    assert (
        "cost unknown: lunora-player-prod-rtmp-router/youtube-main: transfer unknown"
        in result.stdout
    )
    assert "set bitrate_mbps in" in result.stdout


def test_cost_reads_max_bitrate_and_disabled_destinations_cost_nothing(state_dir, sandbox):
    sandbox.create_flow()  # its source reports MaxBitrate 50 Mb/s
    (state_dir / "destinations" / "linkedin.yaml").write_text(
        (state_dir / "destinations" / "linkedin.yaml").read_text() + "enabled: false\n"
    )
    document = json.loads(run("cost", "--state", str(state_dir), "--format", "json").stdout)
    flow = document["state"]["flows"][0]
    assert "50 Mb/s (the live source's MaxBitrate)" in flow["assumptions"]
    linkedin = next(d for d in flow["destinations"] if d["name"] == "linkedin")
    assert linkedin == {**linkedin, "enabled": False, "gb": 0.0, "transfer_usd": 0.0}


def test_free_tier_deducted_only_on_request(state_dir):
    set_flow(state_dir, "bitrate_mbps: 10\n")
    plain = json.loads(
        run("cost", "--state", str(state_dir), "--offline", "--format", "json").stdout
    )
    free = json.loads(
        run(
            "cost", "--state", str(state_dir), "--offline", "--deduct-free-tier", "--format", "json"
        ).stdout
    )
    assert plain["state"]["free_tier_gb_deducted"] == 0
    assert free["state"]["free_tier_gb_deducted"] == 100
    assert plain["state"]["monthly_total"] - free["state"]["monthly_total"] == pytest.approx(
        100 * 0.085,
        abs=0.01,  # off the top tier reached
    )


def test_actual_spend_from_cost_explorer_beside_the_estimate(state_dir, sandbox, sent):
    sandbox.create_flow()
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        json={"results": [CE_RESPONSE]},
        timeout=10,
    )
    result = run("cost", "--state", str(state_dir), "--actual")
    assert result.exit_code == 0, result.output
    start, end = last_full_month(date.today())
    assert f"Actual MediaConnect spend, {start} to {end} (Cost Explorer):" in result.stdout
    assert "USW2-MediaConnect-DataTransfer-Out-Bytes" in result.stdout
    assert "$1,170.25" in result.stdout  # 119.04 + 1051.2093
    ((service, operation, params),) = sent
    assert (service, operation) == ("ce", "GetCostAndUsage")
    assert params["Filter"] == {
        "Dimensions": {"Key": "SERVICE", "Values": ["AWS Elemental MediaConnect"]}
    }
    assert params["GroupBy"] == [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}]
    assert params["TimePeriod"] == {"Start": start.isoformat(), "End": end.isoformat()}


def test_last_full_month():
    assert last_full_month(date(2026, 3, 15)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert last_full_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2026, 1, 1))


@pytest.fixture
def price_list(monkeypatch):
    """A Price List stub on 127.0.0.1 answering GetProducts with the recorded response."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"target": self.headers["X-Amz-Target"], **body})
            payload = json.dumps(PRICING_RESPONSE).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{server.server_port}")
    yield seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_refresh_prices_writes_a_dated_pricing_yaml_that_plans_then_use(
    state_dir, sandbox, price_list, sent
):
    sandbox.create_flow()
    set_flow(state_dir, "bitrate_mbps: 10\n")
    result = run("cost", "--state", str(state_dir), "--refresh-prices", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Price List rates for us-west-2" in result.stderr
    assert price_list[0]["target"] == "AWSPriceListService.GetProducts"
    assert price_list[0]["ServiceCode"] == "AWSElementalMediaConnect"
    written = (state_dir / "pricing.yaml").read_text()
    assert f'refreshed_on: "{date.today().isoformat()}"' in written
    assert "flow_usd_per_hour: 0.18" in written  # the transport-stream flow, not the CDI one
    assert run("validate", "--state", str(state_dir)).exit_code == 0
    flow = json.loads(result.stdout)["state"]["flows"][0]
    assert flow["flow_usd"] == round(0.18 * 730, 2)
    assert flow["transfer_usd"] == round(
        10_240 * 0.091 + (4 * 3_285_000_000_000 / 2**30 - 10_240) * 0.086, 2
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "regions:\n  us-west-9:\n    flow_usd_per_hour: 1\n",
            2,
            "regions.us-west-9: not a region MediaConnect runs in",
        ),
        (
            "regions:\n  us-west-2:\n    flow_usd_per_hour: cheap\n",
            3,
            "flow_usd_per_hour: must be a number",
        ),
        (
            "regions:\n  us-west-2:\n    internet_tiers:\n      - {usd_per_gb: 0.05}\n      - {up_to_gb: 10, usd_per_gb: 0.04}\n",
            4,
            "only the last tier may be open-ended",
        ),
        ("deduct_free_tier: yes please\n", 1, "deduct_free_tier: must be true or false"),
        ("regions: [us-west-2\n", 2, "invalid YAML"),
        (
            "regions:\n  eu-west-1:\n    flow_usd_per_hour: 0.2\n",
            2,
            "needs flow_usd_per_hour and internet_tiers",
        ),
    ],
)
def test_malformed_pricing_yaml_is_a_file_line_error(state_dir, text, line, message):
    (state_dir / "pricing.yaml").write_text(text)
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    assert f"{state_dir / 'pricing.yaml'}:{line}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("flow", "bitrate_mbps: -5\n", "bitrate_mbps: violates exclusiveMinimum 0"),
        ("flow", "bitrate_mbps: 0\n", "bitrate_mbps: violates exclusiveMinimum 0"),
        ("flow", "bitrate_mbps: 4000\n", "bitrate_mbps: violates maximum 400"),
        ("flow", "hours_per_month: 800\n", "hours_per_month: violates maximum 744"),
        ("flow", "budget_usd_month: 0\n", "budget_usd_month: violates exclusiveMinimum 0"),
        ("destination", "bitrate_mbps: fast\n", "bitrate_mbps: must be of type number"),
    ],
)
def test_bad_usage_assumptions_are_file_line_errors(state_dir, where, text, message):
    path = (
        state_dir / "flows" / f"{FLOW_NAME}.yaml"
        if where == "flow"
        else state_dir / "destinations" / "restream.yaml"
    )
    lines = path.read_text().count("\n")
    path.write_text(path.read_text() + text)
    result = run("validate", "--state", str(state_dir))
    assert result.exit_code == 1
    assert f"{path}:{lines + 1}: {message}" in result.stderr


def test_iam_policy_grants_cost_explorer_and_price_list_only_for_cost(state_dir):
    def actions(*purposes: str) -> set[str]:
        args = [a for p in purposes for a in ("--for", p)]
        policy = json.loads(run("iam-policy", "--state", str(state_dir), *args).stdout)
        return {a for s in policy["Statement"] for a in s["Action"]}

    cost = actions("cost")
    assert cost == {
        "mediaconnect:ListFlows",
        "mediaconnect:DescribeFlow",
        "ce:GetCostAndUsage",
        "pricing:GetProducts",
    }
    for purpose in ("plan", "apply", "migrate"):
        assert not {"ce:GetCostAndUsage", "pricing:GetProducts"} & actions(purpose)
