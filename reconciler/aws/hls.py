"""The HLS path (MediaLive → MediaPackage), read-only.

This module is the tool's only contact with MediaLive and MediaPackage, and
it has no method that writes: DescribeChannel (both services) and
ListOriginEndpoints, nothing else. Apply reads the path before and after its
MediaConnect calls to prove they left it alone.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler.aws.clients import Clients
from reconciler.core.models import HlsGuard, HlsView

# Values in these responses that are credentials (HLS ingest passwords, RTMP
# stream names of the channel's own outputs): kept out of views and reports,
# represented by a digest so that a change still shows.
CREDENTIAL_KEYS = frozenset({"Password", "Username", "StreamName", "PasswordParam"})


class HlsPath:
    def __init__(self, clients: Clients) -> None:
        self._clients = clients

    def observe(self, guard: HlsGuard, region: str) -> HlsView:
        channel = self._clients.call(
            "medialive", region, "DescribeChannel", ChannelId=guard.medialive_channel_id
        )
        package = self._clients.call(
            "mediapackage", region, "DescribeChannel", Id=guard.mediapackage_channel_id
        )
        endpoints = [
            e
            for page in self._clients.pages(
                "mediapackage",
                region,
                "ListOriginEndpoints",
                ChannelId=guard.mediapackage_channel_id,
            )
            for e in page.get("OriginEndpoints", [])
            if e.get("ChannelId") == guard.mediapackage_channel_id
        ]
        snapshot = _without_credentials(
            {
                "medialive": _drop(channel, "ResponseMetadata"),
                "mediapackage": _drop(package, "ResponseMetadata"),
                "endpoints": sorted(endpoints, key=lambda e: str(e.get("Id"))),
            }
        )
        canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
        return HlsView(
            medialive_channel_id=guard.medialive_channel_id,
            channel_state=str(channel.get("State", "UNKNOWN")),
            mediapackage_channel_id=guard.mediapackage_channel_id,
            mediapackage_output_present=_feeds_mediapackage(channel, guard.mediapackage_channel_id),
            endpoint_urls=tuple(sorted(str(e["Url"]) for e in endpoints if e.get("Url"))),
            fingerprint=f"sha256:{hashlib.sha256(canonical.encode()).hexdigest()}",
            snapshot=canonical,
        )


def _feeds_mediapackage(channel: dict[str, Any], package_id: str) -> bool:
    """The channel still has a MediaPackage output group aimed at `package_id`."""
    destinations = {
        d.get("Id")
        for d in channel.get("Destinations", [])
        if any(s.get("ChannelId") == package_id for s in d.get("MediaPackageSettings", []))
    }
    groups = channel.get("EncoderSettings", {}).get("OutputGroups", [])
    return any(
        "MediaPackageGroupSettings" in g.get("OutputGroupSettings", {})
        and g["OutputGroupSettings"]["MediaPackageGroupSettings"]
        .get("Destination", {})
        .get("DestinationRefId")
        in destinations
        for g in groups
    )


def _drop(response: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k not in keys}


def _without_credentials(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _digest(v) if k in CREDENTIAL_KEYS else _without_credentials(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_credentials(v) for v in value]
    return value


def _digest(value: Any) -> str:
    return f"(credential sha256:{hashlib.sha256(str(value).encode()).hexdigest()[:12]})"
