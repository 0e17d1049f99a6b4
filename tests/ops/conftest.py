"""Fixtures for the migration tests: a MediaLive channel and the legacy DynamoDB
table in moto, beside the MediaConnect sandbox (all inside one `mock_aws`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.conftest import REGION

TABLE = "lunora-destinations"

# The keys the legacy setup holds: they must never show up in a file or output.
MEDIALIVE_KEYS = {"youtube": "yt-live-9f8e-7d6c-5b4a", "restream": "re_7654321_fedcba"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def files_under(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_nowhere(secrets: list[str], *texts: str, files: Path | None = None) -> None:
    """None of `secrets` is in any text, nor in any file under `files`."""
    for secret in secrets:
        for text in texts:
            assert secret not in text
        for path, data in (files_under(files) if files else {}).items():
            assert secret.encode() not in data, path


@pytest.fixture
def empty_state(tmp_path: Path) -> Path:
    """A state directory that does not exist yet: import creates it."""
    return tmp_path / "state"


@pytest.fixture
def medialive(sandbox) -> Any:
    import boto3

    return boto3.client("medialive", region_name=REGION)


def rtmp_output(name: str, ref: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "OutputSettings": {"RtmpOutputSettings": {"Destination": {"DestinationRefId": ref}}},
        "VideoDescriptionName": "video",
    }


@pytest.fixture
def channel(medialive) -> str:
    """The Lunora channel as it runs today: an HLS group to MediaPackage (never
    touched) and an RTMP group sending straight to each platform."""
    response = medialive.create_channel(
        Name="lunora-live",
        ChannelClass="STANDARD",
        RoleArn="arn:aws:iam::123456789012:role/MediaLiveAccess",
        InputAttachments=[],
        Destinations=[
            {"Id": "mediapackage", "MediaPackageSettings": [{"ChannelId": "lunora-hls"}]},
            {
                "Id": "youtube",
                "Settings": [
                    {
                        "Url": "rtmps://a.rtmps.youtube.com:443/live2",
                        "StreamName": MEDIALIVE_KEYS["youtube"],
                    },
                    {
                        "Url": "rtmps://b.rtmps.youtube.com:443/live2?backup=1",
                        "StreamName": MEDIALIVE_KEYS["youtube"],
                    },
                ],
            },
            {
                "Id": "restream",
                "Settings": [
                    {
                        "Url": "rtmp://live.restream.io/live",
                        "StreamName": MEDIALIVE_KEYS["restream"],
                    }
                ]
                * 2,
            },
            {
                "Id": "private",
                "Settings": [
                    {
                        "Url": "rtmp://media.example.org/live",
                        "StreamName": "private-stream",
                        "Username": "lunora",
                        "PasswordParam": "/medialive/private/password",
                    }
                ],
            },
        ],
        EncoderSettings={
            "AudioDescriptions": [{"AudioSelectorName": "default", "Name": "audio"}],
            "VideoDescriptions": [{"Name": "video"}],
            "TimecodeConfig": {"Source": "SYSTEMCLOCK"},
            "OutputGroups": [
                {
                    "Name": "hls",
                    "OutputGroupSettings": {
                        "MediaPackageGroupSettings": {
                            "Destination": {"DestinationRefId": "mediapackage"}
                        }
                    },
                    "Outputs": [
                        {
                            "OutputName": "hls-1080p",
                            "OutputSettings": {"MediaPackageOutputSettings": {}},
                            "VideoDescriptionName": "video",
                        }
                    ],
                },
                {
                    "Name": "rtmp-destinations",
                    "OutputGroupSettings": {"RtmpGroupSettings": {}},
                    "Outputs": [
                        rtmp_output("YouTube Main", "youtube"),
                        rtmp_output("restream", "restream"),
                        rtmp_output("private-server", "private"),
                    ],
                },
            ],
        },
    )
    return str(response["Channel"]["Id"])


@pytest.fixture
def dynamodb(sandbox) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def table(dynamodb) -> Callable[..., None]:
    """The legacy `lunora-destinations` table (partition key destination_id);
    returns a function that puts rows given in DynamoDB's typed form."""
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "destination_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "destination_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def put(*items: dict[str, Any]) -> None:
        for item in items:
            dynamodb.put_item(TableName=TABLE, Item=item)

    return put


def legacy_row(destination_id: str, name: str, url: str | None, **extra: Any) -> dict[str, Any]:
    """A row as the old dashboard writes it (typed attribute values)."""
    row: dict[str, Any] = {
        "destination_id": {"S": destination_id},
        "name": {"S": name},
        "platform": {"S": "custom"},
        "stream_key_param": {"S": f"/lunora/streaming/{destination_id}/stream-key"},
        "preset_id": {"S": "1080p30"},
        "enabled": {"BOOL": True},
        "streaming_status": {"S": "idle"},
        "created_at": {"S": "2024-11-02T10:00:00Z"},
        "updated_at": {"S": "2025-01-15T08:30:00Z"},
    }
    if url is not None:
        row["rtmp_url"] = {"S": url}
    row.update(extra)
    return row


def rows(dynamodb) -> dict[str, dict[str, Any]]:
    """The table's rows by destination_id, typed."""
    items = dynamodb.scan(TableName=TABLE)["Items"]
    return {item["destination_id"]["S"]: item for item in items}
