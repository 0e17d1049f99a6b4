"""Flows, listing and tags in the sandbox: real shapes, real pagination, real errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import DEFAULT_SOURCE, REGION
from .helpers import assert_shape, body, client_error

RTP = {"Protocol": "rtp", "Destination": "192.0.2.10", "Port": 5020}


def test_describe_returns_the_flow_in_the_real_shape(
    mediaconnect: Any, make_flow: Callable[..., str]
) -> None:
    arn = make_flow("show")
    mediaconnect.add_flow_outputs(FlowArn=arn, Outputs=[{"Name": "o", **RTP}])
    response = mediaconnect.describe_flow(FlowArn=arn)
    flow = response["Flow"]

    assert_shape("DescribeFlowResponse", body(response))
    assert (flow["FlowArn"], flow["Name"], flow["Status"]) == (arn, "show", "STANDBY")
    assert flow["AvailabilityZone"].startswith(REGION)
    assert flow["Entitlements"] == []
    assert flow["Source"]["Transport"] == {"Protocol": "rtp-fec", "MaxBitrate": 50_000_000}
    assert flow["Source"]["IngestIp"] == flow["EgressIp"]
    assert flow["Sources"] == [flow["Source"]]
    assert [o["Name"] for o in flow["Outputs"]] == ["o"]


def test_describe_of_an_unknown_flow_is_404(mediaconnect: Any, flow_arn: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        mediaconnect.describe_flow(FlowArn=flow_arn + "-gone")

    assert client_error(excinfo)[:2] == (404, "NotFoundException")


def test_moto_handlers_left_in_place_also_answer_404(mediaconnect: Any, flow_arn: str) -> None:
    mediaconnect.delete_flow(FlowArn=flow_arn)
    with pytest.raises(ClientError) as excinfo:
        mediaconnect.delete_flow(FlowArn=flow_arn)

    assert client_error(excinfo)[:2] == (404, "NotFoundException")


def test_create_flow_stores_outputs_in_the_response_shape_with_arns(mediaconnect: Any) -> None:
    response = mediaconnect.create_flow(
        Name="with-outputs",
        Source=DEFAULT_SOURCE,
        Outputs=[{"Name": "a", **RTP}, {"Name": "b", **RTP, "Port": 5021}],
    )
    created = response["Flow"]

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert_shape("CreateFlowResponse", body(response))
    assert [o["Name"] for o in created["Outputs"]] == ["a", "b"]
    assert all(o["OutputArn"].endswith(f":{o['Name']}") for o in created["Outputs"])
    assert created["Outputs"][0]["Transport"] == {"Protocol": "rtp", "SmoothingLatency": 0}
    described = mediaconnect.describe_flow(FlowArn=created["FlowArn"])["Flow"]
    assert described["Outputs"] == created["Outputs"]


def test_create_flow_with_sources_uses_the_first_as_source(mediaconnect: Any) -> None:
    second = {**DEFAULT_SOURCE, "Name": "backup", "IngestPort": 5001}
    flow = mediaconnect.create_flow(Name="two-sources", Sources=[DEFAULT_SOURCE, second])["Flow"]

    assert [s["Name"] for s in flow["Sources"]] == ["ingest", "backup"]
    assert flow["Source"]["Name"] == "ingest"


def test_create_flow_tags(mediaconnect: Any) -> None:
    flow = mediaconnect.create_flow(
        Name="tagged",
        Source={**DEFAULT_SOURCE, "SourceTags": {"s": "1"}},
        FlowTags={"env": "test"},
        Outputs=[{"Name": "o", **RTP, "OutputTags": {"o": "2"}}],
    )["Flow"]

    def tags(arn: str) -> dict[str, str]:
        found: dict[str, str] = mediaconnect.list_tags_for_resource(ResourceArn=arn)["Tags"]
        return found

    assert tags(flow["FlowArn"]) == {"env": "test"}
    assert tags(flow["Source"]["SourceArn"]) == {"s": "1"}
    assert tags(flow["Outputs"][0]["OutputArn"]) == {"o": "2"}


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"Source": {**DEFAULT_SOURCE, "Protocol": "carrier-pigeon"}}, "Source.Protocol"),
        ({"Source": {**DEFAULT_SOURCE, "IngestPort": 70000}}, "Source.IngestPort"),
        ({"Source": {"Protocol": "rtp"}}, "Source.Name"),
        ({}, "Source"),
        (
            {"Source": DEFAULT_SOURCE, "Outputs": [{"Name": "o", **RTP, "Port": 0}]},
            "Outputs[0].Port",
        ),
        (
            {"Source": DEFAULT_SOURCE, "Outputs": [{"Name": "o", **RTP}, {"Name": "o", **RTP}]},
            "Outputs[1].Name",
        ),
    ],
)
def test_create_flow_rejects_what_the_service_rejects_and_creates_nothing(
    mediaconnect: Any, raw_mediaconnect: Any, request_: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_mediaconnect.create_flow(Name="bad", **request_)

    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "BadRequestException")
    assert field in message
    assert mediaconnect.list_flows()["Flows"] == []


def test_create_flow_with_more_than_50_outputs_is_refused(mediaconnect: Any) -> None:
    outputs = [{"Name": f"o{i}", **RTP} for i in range(51)]
    with pytest.raises(ClientError) as excinfo:
        mediaconnect.create_flow(Name="big", Source=DEFAULT_SOURCE, Outputs=outputs)

    assert client_error(excinfo)[:2] == (420, "CreateFlow420Exception")


# --- ListFlows ---


def test_list_flows_pages_with_max_results_and_next_token(
    mediaconnect: Any, make_flow: Callable[..., str]
) -> None:
    arns = [make_flow(f"flow-{i}") for i in range(5)]

    pages, token = [], None
    while True:
        response = mediaconnect.list_flows(MaxResults=2, **({"NextToken": token} if token else {}))
        assert_shape("ListFlowsResponse", body(response))
        pages.append([f["FlowArn"] for f in response["Flows"]])
        token = response.get("NextToken")
        if token is None:
            break

    assert pages == [arns[0:2], arns[2:4], arns[4:5]]


def test_list_flows_pages_ten_by_default_and_the_paginator_sees_all(
    mediaconnect: Any, make_flow: Callable[..., str]
) -> None:
    arns = [make_flow(f"flow-{i}") for i in range(12)]

    first = mediaconnect.list_flows()
    assert len(first["Flows"]) == 10 and "NextToken" in first
    listed = [
        flow["FlowArn"]
        for page in mediaconnect.get_paginator("list_flows").paginate(
            PaginationConfig={"PageSize": 5}
        )
        for flow in page["Flows"]
    ]
    assert listed == arns


def test_listed_flows_have_the_real_summary_shape(mediaconnect: Any, flow_arn: str) -> None:
    (listed,) = mediaconnect.list_flows()["Flows"]

    assert listed == {
        "AvailabilityZone": listed["AvailabilityZone"],
        "Description": listed["Description"],
        "FlowArn": flow_arn,
        "Name": "test-flow",
        "SourceType": "OWNED",
        "Status": "STANDBY",
    }


@pytest.mark.parametrize(
    "request_",
    [{"MaxResults": 0}, {"MaxResults": 1001}, {"NextToken": "not-a-token"}],
)
def test_list_flows_rejects_bad_paging(raw_mediaconnect: Any, request_: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_mediaconnect.list_flows(**request_)

    assert client_error(excinfo)[:2] == (400, "BadRequestException")


# --- tags ---


def test_tags_on_flows_and_outputs(mediaconnect: Any, flow_arn: str) -> None:
    output = mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[{"Name": "o", **RTP}])[
        "Outputs"
    ][0]

    for arn in (flow_arn, output["OutputArn"]):
        assert mediaconnect.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}
        mediaconnect.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
        mediaconnect.untag_resource(ResourceArn=arn, TagKeys=["a"])
        assert mediaconnect.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}


def test_tag_operations_on_an_arn_that_names_nothing_are_404(
    mediaconnect: Any, flow_arn: str
) -> None:
    missing = flow_arn.replace(":flow:", ":output:2-0000000000000000-000000000000:") + "-x"
    calls: list[Callable[[], Any]] = [
        lambda: mediaconnect.list_tags_for_resource(ResourceArn=missing),
        lambda: mediaconnect.tag_resource(ResourceArn=missing, Tags={"a": "1"}),
        lambda: mediaconnect.untag_resource(ResourceArn=missing, TagKeys=["a"]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert client_error(excinfo)[:2] == (404, "NotFoundException")


def test_names_with_dots_are_routed(mediaconnect: Any, make_flow: Callable[..., str]) -> None:
    arn = make_flow("studio.main")
    output = mediaconnect.add_flow_outputs(FlowArn=arn, Outputs=[{"Name": "yt.backup", **RTP}])[
        "Outputs"
    ][0]
    mediaconnect.update_flow_output(FlowArn=arn, OutputArn=output["OutputArn"], Port=6000)

    assert mediaconnect.describe_flow(FlowArn=arn)["Flow"]["Outputs"][0]["Port"] == 6000
