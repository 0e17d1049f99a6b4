"""Flow outputs in the sandbox behave like MediaConnect's, not like moto 5.2.5's mock."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.mediaconnect.models import mediaconnect_backends

from reconciler.sandbox import SandboxSettings

from .conftest import ACCOUNT, REGION
from .helpers import assert_shape, body, client_error

RTP = {"Protocol": "rtp-fec", "Destination": "192.0.2.10", "Port": 5020}
ZIXI = {"Protocol": "zixi-push", "Destination": "192.0.2.20", "Port": 2088, "StreamId": "zixi-1"}
RTMPS = {
    "Protocol": "rtmp-push",
    "Destination": "a.rtmps.youtube.com",
    "Port": 443,
    "RtmpPushSettings": {
        "ApplicationName": "live2",
        "StreamName": "abcd-efgh-ijkl",
        "TlsEncryption": {"EncryptionType": "PUBLIC", "EncryptionConfiguration": {"Public": {}}},
    },
}


def add(client: Any, flow_arn: str, *outputs: dict[str, Any]) -> list[dict[str, Any]]:
    added: list[dict[str, Any]] = client.add_flow_outputs(FlowArn=flow_arn, Outputs=list(outputs))[
        "Outputs"
    ]
    return added


def outputs_of(client: Any, flow_arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.describe_flow(FlowArn=flow_arn)["Flow"]["Outputs"]
    return found


def names(outputs: list[dict[str, Any]]) -> list[str]:
    return [o["Name"] for o in outputs]


# --- AddFlowOutputs ---


def test_add_appends_to_the_outputs_already_there(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, {"Name": "first", **RTP})
    add(mediaconnect, flow_arn, {"Name": "second", **RTP}, {"Name": "third", **ZIXI})

    assert names(outputs_of(mediaconnect, flow_arn)) == ["first", "second", "third"]


def test_add_answers_201_with_only_the_new_outputs(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, {"Name": "first", **RTP})
    response = mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[{"Name": "second", **RTP}])

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert response["FlowArn"] == flow_arn
    assert names(response["Outputs"]) == ["second"]
    assert_shape("AddFlowOutputsResponse", body(response))


def test_every_output_gets_an_arn_in_the_real_format_ending_with_its_name(
    mediaconnect: Any, make_flow: Callable[..., str]
) -> None:
    flows = [make_flow("one"), make_flow("two")]
    arns = [add(mediaconnect, flow, {"Name": "NYC", **RTP})[0]["OutputArn"] for flow in flows]

    pattern = rf"arn:aws:mediaconnect:{REGION}:{ACCOUNT}:output:2-[0-9a-f]{{16}}-[0-9a-f]{{12}}:NYC"
    assert all(re.fullmatch(pattern, arn) for arn in arns), arns
    assert arns[0] != arns[1]  # same name, different outputs
    assert [outputs_of(mediaconnect, flow)[0]["OutputArn"] for flow in flows] == arns


def test_outputs_carry_their_transport_nested_like_the_real_response(
    mediaconnect: Any, flow_arn: str
) -> None:
    request = {
        "Name": "srt",
        "Description": "to the studio",
        "Protocol": "srt-caller",
        "Destination": "198.51.100.30",
        "Port": 5300,
        "MinLatency": 120,
        "StreamId": "studio",
        "CidrAllowList": ["10.0.0.0/16"],
    }
    (output,) = add(mediaconnect, flow_arn, request)

    assert output["Transport"] == {
        "Protocol": "srt-caller",
        "MinLatency": 120,
        "StreamId": "studio",
        "CidrAllowList": ["10.0.0.0/16"],
    }
    assert {k: output[k] for k in ("Name", "Description", "Destination", "Port")} == {
        "Name": "srt",
        "Description": "to the studio",
        "Destination": "198.51.100.30",
        "Port": 5300,
    }
    assert not {"Protocol", "MinLatency", "StreamId", "CidrAllowList"} & output.keys()
    assert outputs_of(mediaconnect, flow_arn) == [output]


@pytest.mark.parametrize(
    ("request_", "transport"),
    [
        ({"Protocol": "rtp-fec"}, {"SmoothingLatency": 0}),
        ({"Protocol": "rtp"}, {"SmoothingLatency": 0}),
        (
            {"Protocol": "rtp", "SmoothingLatency": 100},
            {"Protocol": "rtp", "SmoothingLatency": 100},
        ),
        ({"Protocol": "rtp-fec", "MinLatency": 1000}, {"Protocol": "rtp-fec", "MinLatency": 1000}),
        ({"Protocol": "zixi-push", "StreamId": "z"}, {"StreamId": "z", "MaxLatency": 6000}),
        (
            {"Protocol": "zixi-push", "MaxLatency": 2000},
            {"Protocol": "zixi-push", "MaxLatency": 2000},
        ),
        ({"Protocol": "rist"}, {"Protocol": "rist"}),
    ],
)
def test_the_service_defaults_are_echoed_when_no_latency_is_given(
    mediaconnect: Any, flow_arn: str, request_: dict[str, Any], transport: dict[str, Any]
) -> None:
    (output,) = add(
        mediaconnect, flow_arn, {"Name": "o", "Destination": "192.0.2.1", "Port": 5000, **request_}
    )

    assert output["Transport"] == {"Protocol": request_["Protocol"], **transport}


def test_new_outputs_report_enabled_status_and_no_subscriber_fee(
    mediaconnect: Any, flow_arn: str
) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})

    assert output["OutputStatus"] == "ENABLED"
    assert output["DataTransferSubscriberFeePercent"] == 0


def test_an_output_can_be_created_disabled(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, {"Name": "o", "OutputStatus": "DISABLED", **RTP})

    assert outputs_of(mediaconnect, flow_arn)[0]["OutputStatus"] == "DISABLED"


def test_a_listener_output_reports_the_address_to_connect_to(
    mediaconnect: Any, flow_arn: str
) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "l", "Protocol": "srt-listener", "Port": 2002})

    egress_ip = mediaconnect.describe_flow(FlowArn=flow_arn)["Flow"]["EgressIp"]
    assert output["ListenerAddress"] == egress_ip
    assert "Destination" not in output


def test_rtmp_push_settings_come_back_under_transport_with_the_stream_name(
    mediaconnect: Any, flow_arn: str
) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "youtube", **RTMPS})

    assert output["Transport"] == {
        "Protocol": "rtmp-push",
        "RtmpPushOutputSettings": RTMPS["RtmpPushSettings"],
    }
    assert "RtmpPushSettings" not in output
    assert (
        outputs_of(mediaconnect, flow_arn)[0]["Transport"]["RtmpPushOutputSettings"]
        == (RTMPS["RtmpPushSettings"])
    )
    assert_shape("Output", output)


def test_add_to_an_unknown_flow_is_404(mediaconnect: Any, flow_arn: str) -> None:
    missing = flow_arn.replace(":flow:", ":flow:0") + "x"
    with pytest.raises(ClientError) as excinfo:
        add(mediaconnect, missing, {"Name": "o", **RTP})

    assert client_error(excinfo)[:2] == (404, "NotFoundException")


def test_a_name_already_on_the_flow_is_rejected(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, {"Name": "NYC", **RTP})
    with pytest.raises(ClientError) as excinfo:
        add(mediaconnect, flow_arn, {"Name": "other", **RTP}, {"Name": "NYC", **ZIXI})

    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "BadRequestException")
    assert "Outputs[1].Name" in message and "NYC" in message
    assert names(outputs_of(mediaconnect, flow_arn)) == ["NYC"]  # the batch is all or nothing


def test_a_name_twice_in_one_batch_is_rejected(mediaconnect: Any, flow_arn: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        add(mediaconnect, flow_arn, {"Name": "LA", **RTP}, {"Name": "LA", **ZIXI})

    assert client_error(excinfo)[:2] == (400, "BadRequestException")
    assert outputs_of(mediaconnect, flow_arn) == []


def test_the_51st_output_is_refused_with_the_420_error(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, *({"Name": f"o{i}", **RTP} for i in range(49)))
    with pytest.raises(ClientError) as excinfo:
        add(mediaconnect, flow_arn, {"Name": "o49", **RTP}, {"Name": "o50", **RTP})

    assert client_error(excinfo)[:2] == (420, "AddFlowOutputs420Exception")
    assert len(outputs_of(mediaconnect, flow_arn)) == 49  # nothing of the batch was added
    add(mediaconnect, flow_arn, {"Name": "o49", **RTP})  # the 50th is fine
    assert len(outputs_of(mediaconnect, flow_arn)) == 50


@pytest.mark.parametrize(
    ("output", "field"),
    [
        ({"Name": "o", **RTP, "Protocol": "not-a-protocol"}, "Outputs[0].Protocol"),
        ({"Name": "o", **RTP, "Port": 99999}, "Outputs[0].Port"),
        ({"Name": "o", **RTP, "Port": 0}, "Outputs[0].Port"),
        ({"Name": "o", **RTP, "SenderControlPort": 70000}, "Outputs[0].SenderControlPort"),
        ({"Name": "o", **RTP, "OutputStatus": "PAUSED"}, "Outputs[0].OutputStatus"),
        ({"Name": "o", **RTP, "NdiAudioReferenceLevel": 5}, "Outputs[0].NdiAudioReferenceLevel"),
        (RTP, "Outputs[0].Name"),
        ({"Name": "o", "Destination": "192.0.2.1", "Port": 5000}, "Outputs[0].Protocol"),
        ({"Name": "o", "Protocol": "rtp", "Port": 5000}, "Outputs[0].Destination"),
        ({"Name": "o", "Protocol": "zixi-push", "Destination": "192.0.2.1"}, "Outputs[0].Port"),
        ({"Name": "o", "Protocol": "srt-listener"}, "Outputs[0].Port"),
        (
            {"Name": "o", **{k: v for k, v in RTMPS.items() if k != "RtmpPushSettings"}},
            "Outputs[0].RtmpPushSettings",
        ),
        ({"Name": "o", **RTMPS, "RtmpPushSettings": {"ApplicationName": "live2"}}, "StreamName"),
    ],
)
def test_requests_the_service_would_reject_are_400_naming_the_field(
    mediaconnect: Any, raw_mediaconnect: Any, flow_arn: str, output: dict[str, Any], field: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        raw_mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=[output])

    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "BadRequestException")
    assert field in message
    assert outputs_of(mediaconnect, flow_arn) == []


def test_output_tags_become_the_outputs_tags(mediaconnect: Any, flow_arn: str) -> None:
    (tagged,) = add(mediaconnect, flow_arn, {"Name": "t", **RTP, "OutputTags": {"team": "live"}})
    (plain,) = add(mediaconnect, flow_arn, {"Name": "p", **RTP})

    assert mediaconnect.list_tags_for_resource(ResourceArn=tagged["OutputArn"])["Tags"] == {
        "team": "live"
    }
    assert mediaconnect.list_tags_for_resource(ResourceArn=plain["OutputArn"])["Tags"] == {}
    assert "OutputTags" not in tagged


# --- RemoveFlowOutput ---


def test_remove_takes_the_output_arn_and_removes_only_that_output(
    mediaconnect: Any, flow_arn: str
) -> None:
    nyc, la = add(mediaconnect, flow_arn, {"Name": "NYC", **RTP}, {"Name": "LA", **RTP})
    response = mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=nyc["OutputArn"])

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert body(response) == {"FlowArn": flow_arn, "OutputArn": nyc["OutputArn"]}
    assert outputs_of(mediaconnect, flow_arn) == [la]


def test_remove_of_an_unknown_output_or_flow_is_404(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "NYC", **RTP})
    mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=output["OutputArn"])

    for flow, arn in [(flow_arn, output["OutputArn"]), (flow_arn + "x", output["OutputArn"])]:
        with pytest.raises(ClientError) as excinfo:
            mediaconnect.remove_flow_output(FlowArn=flow, OutputArn=arn)
        assert client_error(excinfo)[:2] == (404, "NotFoundException")


def test_remove_by_name_is_404_not_a_silent_success(mediaconnect: Any, flow_arn: str) -> None:
    add(mediaconnect, flow_arn, {"Name": "NYC", **RTP})
    with pytest.raises(ClientError) as excinfo:
        mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn="NYC")

    assert client_error(excinfo)[0] == 404
    assert names(outputs_of(mediaconnect, flow_arn)) == ["NYC"]


def test_an_output_of_an_entitlement_cannot_be_removed(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "shared", **RTP})
    # A subscriber connecting through an entitlement is outside what the API can
    # do in one account; mark the stored output the way the service shows it.
    flow = mediaconnect_backends[ACCOUNT][REGION]._flows[flow_arn]
    entitlement = f"arn:aws:mediaconnect:{REGION}:{ACCOUNT}:entitlement:1-abc:shared"
    flow.outputs[0]["entitlementArn"] = entitlement

    with pytest.raises(ClientError) as excinfo:
        mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=output["OutputArn"])

    status, code, message = client_error(excinfo)
    assert (status, code) == (400, "BadRequestException")
    assert "entitlement" in message
    assert outputs_of(mediaconnect, flow_arn)[0]["EntitlementArn"] == entitlement


def test_removing_an_output_drops_its_tags(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "t", **RTP, "OutputTags": {"a": "b"}})
    mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=output["OutputArn"])

    with pytest.raises(ClientError) as excinfo:
        mediaconnect.list_tags_for_resource(ResourceArn=output["OutputArn"])
    assert client_error(excinfo)[0] == 404


# --- UpdateFlowOutput ---


def test_update_changes_what_is_sent_and_keeps_everything_else(
    mediaconnect: Any, flow_arn: str
) -> None:
    (before,) = add(
        mediaconnect, flow_arn, {"Name": "z", "Description": "to Zixi", "OutputTags": {}, **ZIXI}
    )
    response = mediaconnect.update_flow_output(
        FlowArn=flow_arn, OutputArn=before["OutputArn"], Port=2099
    )

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["FlowArn"] == flow_arn
    assert response["Output"] == {**before, "Port": 2099}
    assert outputs_of(mediaconnect, flow_arn) == [response["Output"]]
    assert_shape("UpdateFlowOutputResponse", body(response))


def test_update_sets_transport_members_inside_transport(mediaconnect: Any, flow_arn: str) -> None:
    (before,) = add(mediaconnect, flow_arn, {"Name": "z", **ZIXI})
    after = mediaconnect.update_flow_output(
        FlowArn=flow_arn, OutputArn=before["OutputArn"], StreamId="zixi-2", MaxLatency=3000
    )["Output"]

    assert after["Transport"] == {"Protocol": "zixi-push", "StreamId": "zixi-2", "MaxLatency": 3000}


def test_update_honours_output_status(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})
    arn = output["OutputArn"]

    mediaconnect.update_flow_output(FlowArn=flow_arn, OutputArn=arn, OutputStatus="DISABLED")
    assert outputs_of(mediaconnect, flow_arn)[0]["OutputStatus"] == "DISABLED"
    mediaconnect.update_flow_output(FlowArn=flow_arn, OutputArn=arn, OutputStatus="ENABLED")
    assert outputs_of(mediaconnect, flow_arn)[0]["OutputStatus"] == "ENABLED"


def test_update_replaces_rtmp_push_settings_as_a_whole(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "youtube", **RTMPS})
    new_settings = {"ApplicationName": "live2", "StreamName": "new-key"}
    after = mediaconnect.update_flow_output(
        FlowArn=flow_arn, OutputArn=output["OutputArn"], RtmpPushSettings=new_settings
    )["Output"]

    # TlsEncryption was not sent again, so it is gone: nested settings are not merged.
    assert after["Transport"] == {"Protocol": "rtmp-push", "RtmpPushOutputSettings": new_settings}
    assert (after["Destination"], after["Port"]) == (RTMPS["Destination"], RTMPS["Port"])


def test_update_can_change_the_protocol_if_the_result_is_valid(
    mediaconnect: Any, flow_arn: str
) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})
    arn = output["OutputArn"]

    with pytest.raises(ClientError) as excinfo:
        mediaconnect.update_flow_output(FlowArn=flow_arn, OutputArn=arn, Protocol="rtmp-push")
    status, _, message = client_error(excinfo)
    assert status == 400 and "RtmpPushSettings: required for protocol rtmp-push" in message
    assert outputs_of(mediaconnect, flow_arn) == [output]

    after = mediaconnect.update_flow_output(
        FlowArn=flow_arn,
        OutputArn=arn,
        Protocol="rtmp-push",
        Port=1935,
        RtmpPushSettings={"ApplicationName": "app", "StreamName": "key"},
    )["Output"]
    assert after["Transport"]["Protocol"] == "rtmp-push"
    assert after["Transport"]["RtmpPushOutputSettings"]["StreamName"] == "key"


@pytest.mark.parametrize(
    "change",
    [
        {"Port": 99999},
        {"Protocol": "not-a-protocol"},
        {"OutputStatus": "OFF"},
        {"MinLatency": "x"},
        {"Encryption": {"Algorithm": "aes256", "KeyType": "static-key"}},  # no RoleArn
    ],
)
def test_an_invalid_update_is_400_and_changes_nothing(
    mediaconnect: Any, raw_mediaconnect: Any, flow_arn: str, change: dict[str, Any]
) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})
    with pytest.raises(ClientError) as excinfo:
        raw_mediaconnect.update_flow_output(
            FlowArn=flow_arn, OutputArn=output["OutputArn"], **change
        )

    assert client_error(excinfo)[:2] == (400, "BadRequestException")
    assert outputs_of(mediaconnect, flow_arn) == [output]


def test_update_of_an_unknown_output_or_flow_is_404(mediaconnect: Any, flow_arn: str) -> None:
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})
    unknown_output = output["OutputArn"].replace(":output:2-", ":output:2-0")

    for flow, arn in [(flow_arn, unknown_output), (flow_arn + "x", output["OutputArn"])]:
        with pytest.raises(ClientError) as excinfo:
            mediaconnect.update_flow_output(FlowArn=flow, OutputArn=arn, Port=6000)
        assert client_error(excinfo)[:2] == (404, "NotFoundException")


# --- the UPDATING knob ---


def test_after_an_output_write_the_flow_reports_updating_for_the_configured_describes(
    mediaconnect: Any, flow_arn: str, sandbox: SandboxSettings
) -> None:
    def status() -> str:
        found: str = mediaconnect.describe_flow(FlowArn=flow_arn)["Flow"]["Status"]
        return found

    add(mediaconnect, flow_arn, {"Name": "quiet", **RTP})
    assert status() == "STANDBY"  # off by default

    sandbox.updating_describes = 2
    (output,) = add(mediaconnect, flow_arn, {"Name": "o", **RTP})
    assert [status(), status(), status()] == ["UPDATING", "UPDATING", "STANDBY"]

    mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=output["OutputArn"])
    assert [status(), status(), status()] == ["UPDATING", "UPDATING", "STANDBY"]
