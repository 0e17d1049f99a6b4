"""Every answer the sandbox gives is a valid instance of botocore's response shapes.

A mock that returns what the model cannot describe would let the reconciler
grow code for responses AWS never sends. This drives every replaced handler
through a varied set of outputs and validates each response, and each Output
and Flow inside, against the model.
"""

from __future__ import annotations

from typing import Any

from .conftest import DEFAULT_SOURCE
from .helpers import assert_shape, body

ROLE = "arn:aws:iam::123456789012:role/MediaConnectAccess"
SECRET = "arn:aws:secretsmanager:us-west-2:123456789012:secret:zixi-key"

OUTPUTS: list[dict[str, Any]] = [
    {"Name": "rtp-fec", "Protocol": "rtp-fec", "Destination": "192.0.2.1", "Port": 5000},
    {"Name": "rtp", "Protocol": "rtp", "Destination": "192.0.2.2", "Port": 5002,
     "SmoothingLatency": 100, "Description": "plain rtp"},
    {"Name": "zixi", "Protocol": "zixi-push", "Destination": "192.0.2.3", "Port": 2088,
     "StreamId": "z", "RemoteId": "r",
     "Encryption": {"Algorithm": "aes256", "KeyType": "static-key", "RoleArn": ROLE,
                    "SecretArn": SECRET}},
    {"Name": "srt-out", "Protocol": "srt-caller", "Destination": "192.0.2.4", "Port": 5300,
     "MinLatency": 120, "StreamId": "s", "OutputStatus": "DISABLED"},
    {"Name": "srt-in", "Protocol": "srt-listener", "Port": 5400, "CidrAllowList": ["0.0.0.0/0"]},
    {"Name": "rist", "Protocol": "rist", "Destination": "192.0.2.5", "Port": 5500},
    {"Name": "udp", "Protocol": "udp", "Destination": "192.0.2.6", "Port": 5600},
    {"Name": "rtmps", "Protocol": "rtmp-push", "Destination": "a.rtmps.youtube.com", "Port": 443,
     "RtmpPushSettings": {"ApplicationName": "live2", "StreamName": "k",
                          "TlsEncryption": {"EncryptionType": "PUBLIC",
                                            "EncryptionConfiguration": {"Public": {}}}}},
]  # fmt: skip


def test_every_response_validates_against_the_model(mediaconnect: Any) -> None:
    created = body(
        mediaconnect.create_flow(Name="shapes", Source=DEFAULT_SOURCE, Outputs=OUTPUTS[:2])
    )
    assert_shape("CreateFlowResponse", created)
    flow_arn = created["Flow"]["FlowArn"]

    added = body(mediaconnect.add_flow_outputs(FlowArn=flow_arn, Outputs=OUTPUTS[2:]))
    assert_shape("AddFlowOutputsResponse", added)
    for output in added["Outputs"]:
        assert_shape("Output", output)

    updates: list[dict[str, Any]] = [
        {"Port": 2099, "Description": "moved"},
        {"OutputStatus": "DISABLED"},
        {"RtmpPushSettings": {"ApplicationName": "live2", "StreamName": "new"}},
        {"Protocol": "rist", "Destination": "192.0.2.9", "Port": 5900},
    ]
    arns = [o["OutputArn"] for o in added["Outputs"]]
    for arn, change in zip([arns[0], arns[1], arns[-1], arns[2]], updates, strict=True):
        updated = body(mediaconnect.update_flow_output(FlowArn=flow_arn, OutputArn=arn, **change))
        assert_shape("UpdateFlowOutputResponse", updated)

    removed = body(mediaconnect.remove_flow_output(FlowArn=flow_arn, OutputArn=arns[3]))
    assert_shape("RemoveFlowOutputResponse", removed)

    mediaconnect.tag_resource(ResourceArn=arns[0], Tags={"k": "v"})
    assert_shape(
        "ListTagsForResourceResponse",
        body(mediaconnect.list_tags_for_resource(ResourceArn=arns[0])),
    )
    assert_shape("ListFlowsResponse", body(mediaconnect.list_flows(MaxResults=1)))

    described = body(mediaconnect.describe_flow(FlowArn=flow_arn))
    assert_shape("DescribeFlowResponse", described)
    assert_shape("Flow", described["Flow"])
    assert len(described["Flow"]["Outputs"]) == len(OUTPUTS) - 1
