"""MediaLive, read-only: DescribeChannel and nothing else.

The migration reads a channel's RTMP outputs to turn them into destination
files. The tool never changes a MediaLive channel, so this module has exactly
one operation; removing the channel's RTMP outputs after the migration is left
to the people who own the channel.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.clients import Clients

SERVICE = "medialive"


class MediaLive:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def describe_channel(self, region: str, channel_id: str) -> dict[str, Any]:
        """The DescribeChannel response (ResponseMetadata dropped). It holds the
        channel's RTMP stream keys in plain text: callers wrap them in Secret."""
        response = self._clients.call(SERVICE, region, "DescribeChannel", ChannelId=channel_id)
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}
