"""The request validator: at least as strict as botocore, plus enums and ranges."""

import botocore.session
import pytest
from botocore.validate import ParamValidator

from reconciler.core.outputs import add_request, parse_url
from reconciler.core.secrets import Secret, mask_all
from reconciler.core.servicemodel import request_errors
from reconciler.sandbox.model import operation

FLOW_ARN = "arn:aws:mediaconnect:us-west-2:111122223333:flow:1-abc:router"


def botocore_rejects(op: str, params: dict) -> bool:
    report = ParamValidator().validate(params, operation(op).input_shape)
    return report.has_errors()


@pytest.mark.parametrize(
    "params",
    [
        {"FlowArn": FLOW_ARN, "Outputs": [{"Name": "a", "Port": "1935"}]},
        {
            "FlowArn": FLOW_ARN,
            "Outputs": [{"Name": "a", "RtmpPushSettings": {"ApplicationName": "x"}}],
        },
        {"FlowArn": FLOW_ARN, "Outputs": [{"Name": "a", "Encryption": {"Algorithm": "aes128"}}]},
        {"FlowArn": FLOW_ARN, "Outputs": "not-a-list"},
        {"Outputs": []},
        {"FlowArn": FLOW_ARN, "Outputs": [{"Name": "a", "Unknown": 1}]},
        {
            "FlowArn": FLOW_ARN,
            "Outputs": [
                {
                    "Name": "a",
                    "RtmpPushSettings": {
                        "ApplicationName": "x",
                        "StreamName": "y",
                        "TlsEncryption": {"EncryptionConfiguration": {}},
                    },
                }
            ],
        },
    ],
)
def test_whatever_botocore_rejects_is_rejected(params):
    assert botocore_rejects("AddFlowOutputs", params)
    assert request_errors("AddFlowOutputs", params)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            {"Name": "a", "Protocol": "not-a-protocol"},
            "Outputs[0].Protocol: 'not-a-protocol' is not one of",
        ),
        (
            {"Name": "a", "OutputStatus": "PAUSED"},
            "Outputs[0].OutputStatus: 'PAUSED' is not one of ENABLED, DISABLED",
        ),
        (
            {"Name": "a", "NdiAudioReferenceLevel": 3},
            "Outputs[0].NdiAudioReferenceLevel: 3 is above the maximum of 0",
        ),
        (
            {
                "Name": "a",
                "RtmpPushSettings": {
                    "ApplicationName": "x",
                    "StreamName": "y",
                    "TlsEncryption": {
                        "EncryptionType": "PRIVATE",
                        "EncryptionConfiguration": {"Public": {}},
                    },
                },
            },
            "Outputs[0].RtmpPushSettings.TlsEncryption.EncryptionType: 'PRIVATE' is not one of PUBLIC",
        ),
    ],
)
def test_enums_and_ranges_botocore_lets_through_are_caught(output, message):
    params = {"FlowArn": FLOW_ARN, "Outputs": [output]}
    assert not botocore_rejects("AddFlowOutputs", params)  # botocore would send it
    assert any(e.startswith(message) for e in request_errors("AddFlowOutputs", params))


def test_rtmp_push_is_in_the_pinned_model():
    model = botocore.session.get_session().get_service_model("mediaconnect")
    assert "rtmp-push" in model.shape_for("Protocol").enum
    assert "RtmpPushSettings" in model.shape_for("AddOutputRequest").members


@pytest.mark.parametrize(
    "url",
    [
        "rtmp://live.restream.io/live",
        "rtmps://a.rtmps.youtube.com:443/live2",
        "rtmps://b.rtmps.youtube.com:443/live2?backup=1",
        "srt://203.0.113.5:9000?streamid=cam&latency=120",
        "rist://198.51.100.20:5200",
        "rtp://198.51.100.10:5100",
        "udp://198.51.100.10:5100",
        "zixi://zixi.example.com:2088/ch7",
    ],
)
def test_requests_built_from_urls_are_valid(url):
    parsed = parse_url(url)
    fields = {"Description": "", "OutputStatus": "ENABLED", **parsed.fields}
    if parsed.stream_key_path:
        fields[parsed.stream_key_path] = Secret("k")
    request = mask_all(add_request("out", fields))
    assert request_errors("AddFlowOutputs", {"FlowArn": FLOW_ARN, "Outputs": [request]}) == []
