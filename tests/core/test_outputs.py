"""Destination URLs and DescribeFlow outputs → Fields, and Fields → requests."""

import pytest

from reconciler.core.models import Struct, freeze
from reconciler.core.outputs import (
    TLS_PUBLIC,
    UrlError,
    add_request,
    live_fields,
    parse_url,
    update_request,
)
from reconciler.core.secrets import Secret


@pytest.mark.parametrize(
    ("url", "expected", "key_path"),
    [
        (
            "rtmp://live.restream.io/live",
            {
                "Protocol": "rtmp-push",
                "Destination": "live.restream.io",
                "Port": 1935,
                "RtmpPushSettings.ApplicationName": "live",
                "RtmpPushSettings.TlsEncryption": None,
            },
            "RtmpPushSettings.StreamName",
        ),
        (
            "rtmps://a.rtmps.youtube.com/live2/",
            {
                "Protocol": "rtmp-push",
                "Destination": "a.rtmps.youtube.com",
                "Port": 443,
                "RtmpPushSettings.ApplicationName": "live2",
                "RtmpPushSettings.TlsEncryption": freeze(TLS_PUBLIC),
            },
            "RtmpPushSettings.StreamName",
        ),
        (
            "rtmps://b.rtmps.youtube.com:443/live2?backup=1",
            {
                "Protocol": "rtmp-push",
                "Destination": "b.rtmps.youtube.com",
                "Port": 443,
                "RtmpPushSettings.ApplicationName": "live2?backup=1",
                "RtmpPushSettings.TlsEncryption": freeze(TLS_PUBLIC),
            },
            "RtmpPushSettings.StreamName",
        ),
        (
            "srt://203.0.113.5:9000?streamid=cam1&latency=250",
            {
                "Protocol": "srt-caller",
                "Destination": "203.0.113.5",
                "Port": 9000,
                "StreamId": "cam1",
                "MinLatency": 250,
            },
            None,
        ),
        (
            "srt://203.0.113.5:9000",
            {"Protocol": "srt-caller", "Destination": "203.0.113.5", "Port": 9000},
            "StreamId",
        ),
        (
            "rist://198.51.100.20:5200",
            {"Protocol": "rist", "Destination": "198.51.100.20", "Port": 5200},
            None,
        ),
        ("udp://10.0.0.1:5000", {"Protocol": "udp", "Destination": "10.0.0.1", "Port": 5000}, None),
        ("rtp://10.0.0.1:5000", {"Protocol": "rtp", "Destination": "10.0.0.1", "Port": 5000}, None),
        (
            "zixi://zixi.example.com:2088/channel-7",
            {
                "Protocol": "zixi-push",
                "Destination": "zixi.example.com",
                "Port": 2088,
                "StreamId": "channel-7",
            },
            None,
        ),
    ],
)
def test_url_maps_to_output_fields(url, expected, key_path):
    parsed = parse_url(url)
    assert parsed.fields == expected
    assert parsed.stream_key_path == key_path


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/live", "unsupported URL scheme"),
        ("rtmp:///live", "no host"),
        ("rtmp://example.com", "needs an application path"),
        ("rtmp://example.com:99999/live", "malformed URL"),
        ("srt://example.com", "needs a port"),
        ("srt://example.com:9000?passphrase=x", "unsupported SRT URL parameter"),
        ("srt://example.com:9000?latency=fast", "whole number"),
        ("udp://example.com:5000/path", "takes only host and port"),
        ("zixi://example.com:2088", "needs the stream ID"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(UrlError, match=message):
        parse_url(url)


def rtmps_output(**overrides):
    output = {
        "Name": "youtube-main",
        "OutputArn": "arn:aws:mediaconnect:us-west-2:111122223333:output:2-ab:youtube-main",
        "Destination": "a.rtmps.youtube.com",
        "Port": 443,
        "DataTransferSubscriberFeePercent": 0,
        "Transport": {
            "Protocol": "rtmp-push",
            "MaxBitrate": 80000000,
            "RtmpPushOutputSettings": {
                "ApplicationName": "live2",
                "StreamName": "abcd-efgh-ijkl-mnop",
                "TlsEncryption": TLS_PUBLIC,
            },
        },
    }
    output.update(overrides)
    return output


def test_live_output_essence_drops_server_fields_and_wraps_the_key():
    fields = live_fields(rtmps_output())
    assert fields == {
        "Protocol": "rtmp-push",
        "Destination": "a.rtmps.youtube.com",
        "Port": 443,
        "Description": "",
        "OutputStatus": "ENABLED",  # absent in older responses: means ENABLED
        "RtmpPushSettings.ApplicationName": "live2",
        "RtmpPushSettings.StreamName": Secret("abcd-efgh-ijkl-mnop"),
        "RtmpPushSettings.TlsEncryption": freeze(TLS_PUBLIC),
    }
    assert isinstance(fields["RtmpPushSettings.StreamName"], Secret)
    assert "abcd" not in repr(fields)


def test_live_and_url_essences_agree_for_the_same_destination():
    parsed = parse_url("rtmps://a.rtmps.youtube.com:443/live2")
    live = live_fields(rtmps_output())
    assert {k: live[k] for k in parsed.fields} == parsed.fields


def test_add_request_nests_fields_and_tags_the_output():
    fields = {
        **parse_url("rtmps://a.rtmps.youtube.com/live2").fields,
        "RtmpPushSettings.StreamName": Secret("k"),
        "OutputStatus": "DISABLED",
    }
    request = add_request("youtube-main", fields)
    assert request["Name"] == "youtube-main"
    assert request["OutputTags"] == {"reconciler:managed-by": "mediaconnect-reconciler"}
    assert request["RtmpPushSettings"] == {
        "ApplicationName": "live2",
        "StreamName": Secret("k"),
        "TlsEncryption": TLS_PUBLIC,
    }
    assert request["OutputStatus"] == "DISABLED"


def test_update_request_sends_only_changed_fields_but_whole_structures():
    fields = {
        **parse_url("rtmp://live.restream.io/live").fields,
        "RtmpPushSettings.StreamName": Secret("k"),
        "Description": "x",
        "OutputStatus": "ENABLED",
    }
    body = update_request(fields, ["RtmpPushSettings.StreamName", "OutputStatus"])
    assert body == {
        "OutputStatus": "ENABLED",
        "RtmpPushSettings": {"ApplicationName": "live", "StreamName": Secret("k")},
    }


def test_struct_values_print_as_json():
    assert str(freeze({"B": 1, "A": {"C": []}})) == '{"A": {"C": []}, "B": 1}'
    assert isinstance(freeze({"A": 1}), Struct)
