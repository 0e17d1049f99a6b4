"""The sandbox reproduces what AWS itself returned in the published examples.

The examples (tests/fixtures/aws-examples, see its README) were written by AWS,
not by this project. Each test reproduces the calls behind an example against
the sandbox and compares the answer: exactly (values included) where the calls
can be reproduced exactly, by key structure where values are generated (ARNs,
IPs). Outputs pass through `as_of_example`, which checks and sets aside the two
members today's service adds that the examples predate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .helpers import (
    add_request,
    as_of_example,
    assert_shape,
    body,
    cfn_outputs,
    example,
    key_paths,
    without_arns,
)

ROLE = "arn:aws:iam::123456789012:role/MediaConnectAccess"


def without_sources(paths: set[str]) -> set[str]:
    """Key paths minus `Sources`: today's flows carry it, the older examples do not."""
    return {p for p in paths if not p.startswith("Sources")}


def test_replaying_the_user_guide_add_request_gives_the_user_guide_response(
    mediaconnect: Any, flow_arn: str
) -> None:
    request = example("awsug-AddFlowOutputsRequest-1.json")
    response = body(mediaconnect.add_flow_outputs(**{**request, "FlowArn": flow_arn}))

    assert_shape("AddFlowOutputsResponse", response)
    got = {**response, "Outputs": [as_of_example(o) for o in response["Outputs"]]}
    assert without_arns(got) == without_arns(example("awsug-AddFlowOutputs-1.json"))


def test_the_cli_add_flow_outputs_example_is_reproduced(mediaconnect: Any, flow_arn: str) -> None:
    expected = example("awscli-AddFlowOutputs-1.json")
    requests = [add_request(o) for o in expected["Outputs"]]
    response = body(mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=requests))

    got = {**response, "Outputs": [as_of_example(o) for o in response["Outputs"]]}
    assert without_arns(got) == without_arns(expected)


def test_outputs_like_the_cli_describe_flow_example_describe_the_same(
    mediaconnect: Any,
) -> None:
    expected = example("awscli-DescribeFlow-1.json")["Flow"]
    source = expected["Source"]
    flow_arn = mediaconnect.create_flow(
        Name=expected["Name"],
        Source={
            **{k: source[k] for k in ("Name", "Description", "IngestPort", "WhitelistCidr")},
            **source["Transport"],
        },
    )["Flow"]["FlowArn"]
    # SmoothingLatency is left out of the requests: the service fills in the 0.
    mediaconnect.add_flow_outputs(
        FlowArn=flow_arn,
        Outputs=[add_request(o, omit=("SmoothingLatency",)) for o in expected["Outputs"]],
    )
    entitlement = expected["Entitlements"][0]
    mediaconnect.grant_flow_entitlements(
        FlowArn=flow_arn,
        Entitlements=[{k: entitlement[k] for k in ("Name", "Description", "Subscribers")}],
    )
    mediaconnect.start_flow(FlowArn=flow_arn)

    response = body(mediaconnect.describe_flow(FlowArn=flow_arn))
    flow = response["Flow"]
    assert_shape("DescribeFlowResponse", response)
    assert without_arns([as_of_example(o) for o in flow["Outputs"]]) == without_arns(
        expected["Outputs"]
    )
    assert flow["Status"] == expected["Status"] == "ACTIVE"
    shown = {**flow, "Outputs": [as_of_example(o) for o in flow["Outputs"]]}
    assert without_sources(key_paths(shown)) == key_paths(expected)


def test_a_flow_like_the_cli_create_flow_example_has_its_shape(mediaconnect: Any) -> None:
    expected = example("awscli-CreateFlow-1.json")["Flow"]
    source = expected["Source"]
    response = body(
        mediaconnect.create_flow(
            Name=expected["Name"],
            Source={
                **{k: source[k] for k in ("Name", "Description", "IngestPort", "WhitelistCidr")},
                **source["Transport"],
            },
        )
    )

    assert_shape("CreateFlowResponse", response)
    assert without_sources(key_paths(response["Flow"])) == key_paths(expected)
    assert response["Flow"]["Source"]["Transport"] == source["Transport"]
    assert response["Flow"]["Status"] == expected["Status"]


def test_the_cli_update_flow_output_example_port_change_is_reproduced(
    mediaconnect: Any, flow_arn: str
) -> None:
    # The output as awscli-AddFlowOutputs-1.json created it, then the port change.
    nyc = example("awscli-AddFlowOutputs-1.json")["Outputs"][0]
    (created,) = mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[add_request(nyc)])[
        "Outputs"
    ]
    expected = example("awscli-UpdateFlowOutput-1.json")
    response = body(
        mediaconnect.update_flow_output(
            FlowArn=flow_arn, OutputArn=created["OutputArn"], Port=expected["Output"]["Port"]
        )
    )

    got = {**response, "Output": as_of_example(response["Output"])}
    assert without_arns(got) == without_arns(expected)


def test_the_user_guide_disable_output_example_is_reproduced(
    mediaconnect: Any, flow_arn: str
) -> None:
    expected = example("awsugcur-UpdateFlowOutput-1.json")
    request = add_request(expected["Output"], omit=("OutputStatus",))
    (created,) = mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[request])["Outputs"]
    response = body(
        mediaconnect.update_flow_output(
            FlowArn=flow_arn, OutputArn=created["OutputArn"], OutputStatus="DISABLED"
        )
    )

    got = {**response, "Output": as_of_example(response["Output"])}
    assert without_arns(got) == without_arns(expected)


def test_remove_and_list_answer_with_the_examples_keys(
    mediaconnect: Any, make_flow: Callable[..., str]
) -> None:
    flow_arn = make_flow("AwardsShow")
    make_flow("BasketballGame")
    (output,) = mediaconnect.add_flow_outputs(
        FlowArn=flow_arn,
        Outputs=[{"Name": "NYC", "Protocol": "rtp-fec", "Destination": "192.0.2.12", "Port": 3333}],
    )["Outputs"]

    removed = body(mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=output["OutputArn"]))
    listed = body(mediaconnect.list_flows())

    assert_shape("RemoveFlowOutputResponse", removed)
    assert_shape("ListFlowsResponse", listed)
    assert key_paths(removed) == key_paths(example("awscli-RemoveFlowOutput-1.json"))
    assert key_paths(listed) == key_paths(example("awscli-ListFlows-1.json"))


def test_the_cdk_integration_outputs_are_accepted_and_stored_in_the_response_shape(
    mediaconnect: Any,
) -> None:
    template = example("awscdk-FlowOutputCfn-1.json")["Resources"]["FlowA74D6E88"]["Properties"]
    interface = template["VpcInterfaces"][0]
    flow = mediaconnect.create_flow(
        Name=template["Name"],
        Source=template["Source"],
        VpcInterfaces=[
            {
                "Name": interface["Name"],
                "RoleArn": ROLE,
                "SecurityGroupIds": ["sg-0123456789abcdef0"],
                "SubnetId": "subnet-0123456789abcdef0",
            }
        ],
    )["Flow"]
    requests = cfn_outputs("awscdk-FlowOutputCfn-1.json")
    added = mediaconnect.add_flow_outputs(FlowArn=flow["FlowArn"], Outputs=requests)["Outputs"]
    described = body(mediaconnect.describe_flow(FlowArn=flow["FlowArn"]))

    assert_shape("DescribeFlowResponse", described)
    assert described["Flow"]["Outputs"] == added
    assert described["Flow"]["VpcInterfaces"][0]["Name"] == interface["Name"]
    for request, output in zip(requests, added, strict=True):
        assert output["Transport"]["Protocol"] == request["Protocol"]
        assert output["Transport"].get("MinLatency") == request.get("MinLatency")
        assert output.get("VpcInterfaceAttachment") == request.get("VpcInterfaceAttachment")
        assert (output["Destination"], output["Port"]) == (request["Destination"], request["Port"])


def test_the_srt_listener_template_output_keeps_its_allow_list_in_transport(
    mediaconnect: Any, flow_arn: str
) -> None:
    (request,) = cfn_outputs("katruud-FlowOutputCfn-1.json")
    (output,) = mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[request])["Outputs"]

    assert output["Transport"] == {
        "Protocol": "srt-listener",
        "MinLatency": request["MinLatency"],
        "CidrAllowList": request["CidrAllowList"],
    }
    assert "ListenerAddress" in output and "Destination" not in output
    assert_shape("Output", output)


def test_rtmp_push_outputs_to_the_published_ingest_urls_round_trip(
    mediaconnect: Any, flow_arn: str
) -> None:
    services = example("rtmp-services.json")
    first_per_platform = {s["platform"]: s["url"] for s in reversed(services) if s["url"]}
    requests = [
        rtmp_push_request(f"out-{index}", url, stream_name=f"key-{index}")
        for index, url in enumerate(first_per_platform.values())
    ]
    mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=requests)
    outputs = mediaconnect.describe_flow(FlowArn=flow_arn)["Flow"]["Outputs"]

    assert len(outputs) == len(requests) >= 6
    for request, output in zip(requests, outputs, strict=True):
        assert_shape("Output", output)
        assert output["Transport"] == {
            "Protocol": "rtmp-push",
            "RtmpPushOutputSettings": request["RtmpPushSettings"],
        }
        assert (output["Destination"], output["Port"]) == (request["Destination"], request["Port"])


def rtmp_push_request(name: str, url: str, stream_name: str) -> dict[str, Any]:
    """An rtmp-push AddOutputRequest for an RTMP(S) ingest URL (TLS for rtmps)."""
    parts = urlsplit(url)
    settings: dict[str, Any] = {
        "ApplicationName": parts.path.strip("/") or "live",
        "StreamName": stream_name,
    }
    if parts.scheme == "rtmps":
        settings["TlsEncryption"] = {
            "EncryptionType": "PUBLIC",
            "EncryptionConfiguration": {"Public": {}},
        }
    return {
        "Name": name,
        "Protocol": "rtmp-push",
        "Destination": parts.hostname,
        "Port": parts.port or (443 if parts.scheme == "rtmps" else 1935),
        "RtmpPushSettings": settings,
    }
