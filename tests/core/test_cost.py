"""Cost arithmetic on hand-computed cases (core.cost, core.pricing): pure values.

Reference figures, worked by hand:
- 10 Mb/s for 730 h = 10e6 / 8 * 3600 * 730 bytes = 3,285,000,000,000 bytes
  = 3,059.4 GiB; at $0.09 that is $275.35 (the design document's "$276").
- A flow at $0.16/h for 730 h is $116.80 (the design document's "$115" is 720 h).
"""

from pathlib import Path

import pytest

from reconciler.core.cost import bill, flow_load, gb_per_month, loads_delta, plan_cost
from reconciler.core.errors import Location
from reconciler.core.models import (
    DesiredOutput,
    DestinationSpec,
    FlowSpec,
    LiveFlow,
    LiveOutput,
    State,
)
from reconciler.core.planner import Action, plan
from reconciler.core.pricing import EMBEDDED, PriceTable, RegionPrices, Tier, tiered_cost

FLOW = "router"
AT = Location(Path("state/flows/router.yaml"), 1)
TIERS = EMBEDDED.regions["us-west-2"].internet_tiers
ONE_STREAM_GB = 3_285_000_000_000 / 2**30  # 10 Mb/s, 730 h
ONE_STREAM_USD = ONE_STREAM_GB * 0.09


def spec(**kw) -> FlowSpec:
    return FlowSpec(name=FLOW, region=kw.pop("region", "us-west-2"), location=AT, **kw)


def dest(name: str, enabled: bool = True, **kw) -> DestinationSpec:
    status = "ENABLED" if enabled else "DISABLED"
    return DestinationSpec(
        name, FLOW, AT, {"Protocol": "rtmp-push", "OutputStatus": status, "Port": 1935}, **kw
    )


def desired(d: DestinationSpec) -> DesiredOutput:
    return DesiredOutput(d.name, FLOW, AT, d.fields)


def live(*outputs: DestinationSpec, status: str = "ACTIVE", max_bitrate=None) -> LiveFlow:
    return LiveFlow(
        FLOW,
        "arn:aws:mediaconnect:us-west-2:111122223333:flow:1:router",
        "us-west-2",
        status,
        tuple(LiveOutput(d.name, f"arn:{d.name}", d.fields, managed=True) for d in outputs),
        source_max_bitrate=max_bitrate,
    )


def costed(flow: FlowSpec, before: list[DestinationSpec], after: list[DestinationSpec], **kw):
    prices = kw.pop("prices", EMBEDDED)
    state = State({FLOW: flow}, tuple(after))
    observed = live(*before, **kw)
    result = plan([flow], [desired(d) for d in after], {FLOW: observed})
    return result, plan_cost(result, state, prices)


def test_one_stream_month_in_gib():
    assert gb_per_month(10, 730) == pytest.approx(3059.40, abs=0.01)


def test_the_design_documents_table_for_one_flow_at_10_mbps_24_7():
    """Design doc: flow $115, transfer $276, total $391 (its flow figure is 720 h)."""
    result = bill([flow_load(spec(bitrate_mbps=10), [dest("youtube")], None)], EMBEDDED)
    flow = result.flows[0]
    assert flow.flow_usd == pytest.approx(116.80)
    assert flow.transfer_usd == pytest.approx(275.35, abs=0.005)
    assert result.usd == pytest.approx(392.15, abs=0.005)
    assert abs(flow.flow_usd - 115) < 2 and abs(flow.transfer_usd - 276) < 1
    assert abs(result.usd - 391) < 2


@pytest.mark.parametrize(
    ("gb", "usd"),
    [
        (0, 0.0),
        (10_240, 921.60),  # exactly the first tier
        (10_241, 921.685),  # one GB into the second
        (51_200, 921.60 + 40_960 * 0.085),
        (154_600, 921.60 + 3_481.60 + 7_168.00 + 1_000 * 0.05),
    ],
)
def test_transfer_tiers_at_their_boundaries(gb, usd):
    assert tiered_cost(gb, TIERS) == pytest.approx(usd)


def test_tiers_apply_to_the_regions_whole_volume():
    four = [dest(f"d{i}") for i in range(4)]  # 4 x 3,059.4 GB = 12,237.6 GB
    result = bill([flow_load(spec(bitrate_mbps=10), four, None)], EMBEDDED)
    total_gb = 4 * ONE_STREAM_GB
    expected = 10_240 * 0.09 + (total_gb - 10_240) * 0.085
    assert result.flows[0].transfer_usd == pytest.approx(expected)
    assert result.flows[0].transfer_usd < 4 * ONE_STREAM_USD


def test_disabled_outputs_cost_no_transfer_and_the_flow_hours_remain():
    result = bill([flow_load(spec(bitrate_mbps=10), [dest("a", enabled=False)], None)], EMBEDDED)
    assert result.flows[0].transfer_usd == 0
    assert result.usd == pytest.approx(116.80)


def test_a_flow_in_standby_is_estimated_for_the_hours_it_runs():
    load = flow_load(spec(bitrate_mbps=10), [dest("a")], live(status="STANDBY"))
    assert not load.running
    assert bill([load], EMBEDDED).usd == pytest.approx(392.146, abs=0.001)
    idle = flow_load(spec(bitrate_mbps=10, hours_per_month=0), [dest("a")], None)
    assert bill([idle], EMBEDDED).usd == 0


def test_free_tier_is_deducted_only_when_asked():
    load = flow_load(spec(bitrate_mbps=10), [dest("a")], None)
    with_free = PriceTable(EMBEDDED.regions, deduct_free_tier=True)
    assert bill([load], EMBEDDED).usd == pytest.approx(392.146, abs=0.001)
    assert bill([load], with_free).usd == pytest.approx(392.146 - 9.0, abs=0.001)


def test_a_region_without_prices_is_unknown_never_invented():
    result = bill(
        [flow_load(spec(region="eu-west-1", bitrate_mbps=10), [dest("a")], None)], EMBEDDED
    )
    assert result.usd is None
    assert result.unknown == ("router: no price data for region eu-west-1",)


def test_without_a_bitrate_transfer_is_unknown_and_says_why():
    result = bill([flow_load(spec(), [dest("a")], live())], EMBEDDED)
    assert result.usd is None
    assert "set bitrate_mbps in state/flows/router.yaml" in result.unknown[0]
    assert "reports no source MaxBitrate" in result.unknown[0]
    assert result.flows[0].flow_usd == pytest.approx(116.80)


def test_the_live_sources_max_bitrate_is_the_default():
    load = flow_load(spec(), [dest("a")], live(max_bitrate=10_000_000))
    assert load.bitrate_mbps == 10
    assert "MaxBitrate" in load.basis


def test_a_destination_overrides_bitrate_and_hours():
    d = dest("event", bitrate_mbps=6, hours_per_month=20)
    load = flow_load(spec(bitrate_mbps=10), [d], None)
    assert load.outputs[0].gb == pytest.approx(6e6 / 8 * 3600 * 20 / 2**30)


def test_adding_two_destinations_adds_two_streams():
    """The issue's "$550.70" is 2 x $275.35 rounded first; unrounded it is $550.69."""
    a, b = dest("a"), dest("b")
    _, cost = costed(spec(bitrate_mbps=10), [], [a, b])
    assert [c.delta_usd for c in cost.changes] == pytest.approx([275.35, 275.35], abs=0.005)
    assert round(cost.delta_usd, 2) == 550.69
    assert cost.after.usd == pytest.approx(116.80 + 550.69, abs=0.01)


def test_a_removal_saves_money():
    a = dest("a")
    result, cost = costed(spec(bitrate_mbps=10), [a], [])
    assert result.changes[0].action is Action.REMOVE
    assert cost.changes[0].delta_usd == pytest.approx(-ONE_STREAM_USD)


def test_disable_and_enable_are_minus_and_plus_one_stream():
    _, off = costed(spec(bitrate_mbps=10), [dest("a")], [dest("a", enabled=False)])
    _, on = costed(spec(bitrate_mbps=10), [dest("a", enabled=False)], [dest("a")])
    assert off.changes[0].delta_usd == pytest.approx(-ONE_STREAM_USD)
    assert on.changes[0].delta_usd == pytest.approx(ONE_STREAM_USD)


def test_a_replace_that_keeps_status_and_bitrate_is_cost_neutral():
    before = dest("a")
    after = DestinationSpec("a", FLOW, AT, {**before.fields, "Protocol": "srt-caller"})
    result, cost = costed(spec(bitrate_mbps=10), [before], [after])
    assert result.changes[0].action is Action.REPLACE
    assert cost.changes[0].delta_usd == 0
    assert cost.delta_usd == 0


def test_a_bitrate_change_costs_the_difference():
    before = [flow_load(spec(bitrate_mbps=10), [dest("a"), dest("b")], None)]
    after = [flow_load(spec(bitrate_mbps=6), [dest("a"), dest("b")], None)]
    assert loads_delta(before, after, EMBEDDED) == pytest.approx(-2 * ONE_STREAM_USD * 0.4)


def test_deltas_sum_to_the_plans_total_delta_across_a_tier_boundary():
    existing = [dest(f"d{i}") for i in range(3)]
    _, cost = costed(spec(bitrate_mbps=10), existing, [*existing, dest("d3"), dest("d4")])
    assert sum(c.delta_usd for c in cost.changes) == pytest.approx(cost.delta_usd)
    assert cost.changes[-1].delta_usd == pytest.approx(ONE_STREAM_GB * 0.085)


def test_a_budget_crossed_by_the_plan_is_flagged_and_one_kept_is_not():
    _, over = costed(
        spec(bitrate_mbps=10, budget_usd_month=400), [dest("a")], [dest("a"), dest("b")]
    )
    _, fine = costed(
        spec(bitrate_mbps=10, budget_usd_month=700), [dest("a")], [dest("a"), dest("b")]
    )
    assert [b.flow for b in over.over_budget] == [FLOW]
    assert "would exceed its budget of $400.00/month" in over.budgets[0].message
    assert fine.over_budget == ()


def test_unknown_change_cost_says_why():
    _, cost = costed(spec(), [], [dest("a")])
    assert cost.changes[0].delta_usd is None
    assert "bitrate unknown" in cost.changes[0].why


def test_custom_prices_use_their_tiers():
    prices = PriceTable(
        {
            "us-west-2": RegionPrices(
                "us-west-2", 1.0, (Tier(None, 0.01),), None, "test", "2026-11-28"
            )
        }
    )
    result = bill([flow_load(spec(bitrate_mbps=10), [dest("a")], None)], prices)
    assert result.usd == pytest.approx(730 + ONE_STREAM_GB * 0.01)


def test_the_plan_text_says_cost_unknown_for_an_unpriced_region():
    from reconciler.render.plan import text

    result, cost = costed(
        spec(region="us-west-2", bitrate_mbps=10), [], [dest("a")], prices=PriceTable({})
    )
    out = text(result, cost)
    assert "+ add      a  (cost unknown)" in out
    assert "cost unknown: router: no price data for region us-west-2" in out


def test_pricing_yaml_written_reads_back_the_same(tmp_path):
    from reconciler.core.pricing import load_pricing, pricing_yaml

    odd = RegionPrices(
        "us-west-2",
        0.16,
        (Tier(10_240, 0.09), Tier(None, 0.085)),
        None,
        'a "quoted": source',
        "2026-11-28",
    )
    (tmp_path / "pricing.yaml").write_text(
        pricing_yaml(PriceTable({"us-west-2": odd}), refreshed_on="2026-11-28")
    )
    assert load_pricing(tmp_path).regions["us-west-2"] == odd
