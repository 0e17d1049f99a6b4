"""MediaConnect output vocabulary: destination URLs, DescribeFlow outputs and
request bodies, all converted to and from `Fields`.

Purely computational: no I/O. The AWS adapter feeds raw DescribeFlow outputs in
through `live_fields` and sends what `add_request` / `update_request` build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reconciler.core.models import (
    SENSITIVE_PATHS,
    Fields,
    Value,
    flatten,
    freeze,
    top_level,
    unflatten,
)
from reconciler.core.rules import PORT_RANGE
from reconciler.core.secrets import Secret

# Which field a stream key fills, for outputs given by `protocol` rather than a URL.
KEY_PATHS = {"rtmp-push": "RtmpPushSettings.StreamName", "srt-caller": "StreamId"}

MANAGED_TAG = ("reconciler:managed-by", "mediaconnect-reconciler")

TLS_PUBLIC = {"EncryptionType": "PUBLIC", "EncryptionConfiguration": {"Public": {}}}

DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}

# URL scheme → MediaConnect protocol, for schemes that map one to one.
SCHEME_PROTOCOLS = {
    "rtmp": "rtmp-push",
    "rtmps": "rtmp-push",
    "srt": "srt-caller",
    "rist": "rist",
    "rtp": "rtp",
    "udp": "udp",
    "zixi": "zixi-push",
}

# Response `Transport` members that are also request fields of the same name.
TRANSPORT_FIELDS = (
    "Protocol",
    "CidrAllowList",
    "MaxLatency",
    "MinLatency",
    "RemoteId",
    "SenderControlPort",
    "SenderIpAddress",
    "SmoothingLatency",
    "StreamId",
    "NdiSpeedHqQuality",
    "NdiProgramName",
    "NdiOutputTimecodeSource",
    "NdiAudioReferenceLevel",
)
# Top-level response members that are also request fields.
OUTPUT_FIELDS = (
    "Description",
    "Destination",
    "Port",
    "OutputStatus",
    "Encryption",
    "VpcInterfaceAttachment",
    "RouterIntegrationState",
    "RouterIntegrationTransitEncryption",
)

# Fields every managed output states, with the value that absence means.
# Anything else the service reports is compared only if git sets it, because
# the service fills in defaults nobody asked for (latencies, mostly).
IMPLICIT_DEFAULTS: Mapping[str, Value] = {"Description": "", "OutputStatus": "ENABLED"}

# A change to one of these cannot be made by UpdateFlowOutput in place.
REPLACE_PATHS = frozenset({"Protocol", "VpcInterfaceAttachment"})

# Fields a destination file sets through its own keys, not through `settings`.
RESERVED_SETTINGS = {
    "Name": "the file's `name`",
    "Description": "`description`",
    "OutputStatus": "`enabled`",
    "OutputTags": "nothing: the tool manages its own tags",
}


# Where platforms put the stream key when it is pasted into the URL: the path
# after the application on their ingest hosts, or key-shaped segments anywhere.
KEY_HOSTS = (
    "youtube.com",
    "twitch.tv",
    "facebook.com",
    "restream.io",
    "live-video.net",
    "vimeo.com",
    "pscp.tv",
    "periscope.tv",
)
KEY_SHAPES = re.compile(
    r"""^(?:[A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){3,}   # YouTube: abcd-efgh-ijkl-mnop
        |live_\d+_\w+                             # Twitch
        |FB-\d+-\d+[\w-]*                        # Facebook
        |re_\d+_\w+                               # Restream
        |sk_[\w-]+)$                               # Amazon IVS, Kick
    """,
    re.X,
)
KEY_PARAMETERS = frozenset(
    {"key", "streamkey", "stream_key", "stream-key", "streamname", "token", "auth", "sk"}
    | {"passphrase", "password", "secret"}
)


def carries_stream_key(url: str) -> bool:
    """Whether a destination URL seems to contain a stream key (never echo it)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query, keep_blank_values=True)
    if any(name.lower() in KEY_PARAMETERS for name in query):
        return True
    if any(KEY_SHAPES.match(v) for values in query.values() for v in values):
        return True
    if any(KEY_SHAPES.match(s) for s in segments):
        return True
    known_host = any(host == h or host.endswith(f".{h}") for h in KEY_HOSTS)
    return known_host and len(segments) > 1


class UrlError(ValueError):
    """The destination URL cannot be turned into an output."""


@dataclass(frozen=True)
class UrlOutput:
    fields: dict[str, Value]
    stream_key_path: str | None  # where a stream key goes, if the protocol takes one


def parse_url(url: str) -> UrlOutput:
    """Turn a destination URL into output fields (without the stream key)."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UrlError("URL contains spaces, line breaks or control characters")
    if not url.isascii():
        raise UrlError(
            "URL contains non-ASCII characters (write an international host name in its xn-- form)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise UrlError(f"malformed URL: {e}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEME_PROTOCOLS:
        known = ", ".join(f"{s}://" for s in SCHEME_PROTOCOLS)
        raise UrlError(f"unsupported URL scheme {parts.scheme + '://'!r}; use one of {known}")
    host = parts.hostname
    if not host:
        raise UrlError("URL has no host")
    if port is None and scheme not in DEFAULT_PORTS:
        raise UrlError(f"{scheme}:// URL needs a port (host:port)")
    if port is not None and port not in PORT_RANGE:
        raise UrlError(f"port {port} is outside 1-65535")
    fields: dict[str, Value] = {
        "Protocol": SCHEME_PROTOCOLS[scheme],
        "Destination": host,
        "Port": port if port is not None else DEFAULT_PORTS[scheme],
    }
    path = parts.path.strip("/")
    if scheme in ("rtmp", "rtmps"):
        if not path:
            raise UrlError(f"{scheme}:// URL needs an application path, like /live2")
        app = f"{path}?{parts.query}" if parts.query else path
        fields["RtmpPushSettings.ApplicationName"] = app
        fields["RtmpPushSettings.TlsEncryption"] = freeze(TLS_PUBLIC) if scheme == "rtmps" else None
        return UrlOutput(fields, "RtmpPushSettings.StreamName")
    if scheme == "srt":
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = set(query) - {"streamid", "latency"}
        if unknown:
            raise UrlError(f"unsupported SRT URL parameter(s): {', '.join(sorted(unknown))}")
        if "latency" in query:
            if not re.fullmatch(r"[0-9]{1,9}", query["latency"]):
                raise UrlError("SRT latency must be a whole number of milliseconds")
            fields["MinLatency"] = int(query["latency"])
        if "streamid" in query:
            fields["StreamId"] = query["streamid"]
            return UrlOutput(fields, None)
        return UrlOutput(fields, "StreamId")
    if scheme == "zixi":
        if not path:
            raise UrlError("zixi:// URL needs the stream ID as its path: zixi://host:port/streamid")
        fields["StreamId"] = path
        return UrlOutput(fields, None)
    if path or parts.query:
        raise UrlError(f"{scheme}:// URL takes only host and port")
    return UrlOutput(fields, None)


_URL_SAFE = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@-]+$")


def url_of(fields: Fields) -> str | None:
    """The destination URL that `parse_url` turns back into these fields' protocol,
    host, port, application (and SRT latency or Zixi stream ID), or None where a
    URL cannot say them. Fields a URL does not carry are the caller's to keep."""
    protocol, host, port = fields.get("Protocol"), fields.get("Destination"), fields.get("Port")
    if not isinstance(host, str) or not host or isinstance(port, bool) or not isinstance(port, int):
        return None
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if protocol == "rtmp-push":
        app = fields.get("RtmpPushSettings.ApplicationName")
        if not isinstance(app, str) or not app.strip("/"):
            return None
        tls = fields.get("RtmpPushSettings.TlsEncryption") == freeze(TLS_PUBLIC)
        return f"{'rtmps' if tls else 'rtmp'}://{where}/{app}"
    if protocol == "srt-caller":
        latency = fields.get("MinLatency")
        query = f"?latency={latency}" if type(latency) is int and latency >= 0 else ""
        return f"srt://{where}{query}"
    if protocol == "zixi-push":
        stream_id = fields.get("StreamId")
        text = stream_id.reveal() if isinstance(stream_id, Secret) else stream_id
        return f"zixi://{where}/{text}" if isinstance(text, str) and _URL_SAFE.match(text) else None
    if protocol in ("rist", "rtp", "udp"):
        return f"{protocol}://{where}"
    return None


def live_fields(output: Mapping[str, Any]) -> dict[str, Value]:
    """The request-vocabulary essence of a DescribeFlow `Output`.

    Server-assigned members (ARNs, MaxBitrate, listener addresses, ...) are
    dropped, `Transport` is unnested, and credentials are wrapped in `Secret`
    before they go anywhere else.
    """
    request: dict[str, Any] = {k: output[k] for k in OUTPUT_FIELDS if k in output}
    transport = output.get("Transport") or {}
    request.update({k: transport[k] for k in TRANSPORT_FIELDS if k in transport})
    if "RtmpPushOutputSettings" in transport:
        request["RtmpPushSettings"] = transport["RtmpPushOutputSettings"]
    if "MediaStreamOutputConfigurations" in output:
        request["MediaStreamOutputConfigurations"] = [
            {
                **config,
                "DestinationConfigurations": [
                    {k: v for k, v in dest.items() if k != "OutboundIp"}
                    for dest in config.get("DestinationConfigurations", [])
                ],
            }
            for config in output["MediaStreamOutputConfigurations"]
        ]
    fields = flatten(request)
    key_path = KEY_PATHS.get(str(fields.get("Protocol")))
    for path in SENSITIVE_PATHS & fields.keys():
        if isinstance(fields[path], str):
            # A StreamId is a key only where the protocol takes its key there
            # (srt-caller); a zixi stream ID stays out of the redaction sink.
            remember = path == key_path or path not in KEY_PATHS.values()
            fields[path] = Secret(fields[path], remember=remember)  # type: ignore[arg-type]
    for path, default in IMPLICIT_DEFAULTS.items():
        fields.setdefault(path, default)
    return fields


def add_request(name: str, fields: Fields) -> dict[str, Any]:
    """One entry of AddFlowOutputs' `Outputs`, tagged as managed. May hold Secrets."""
    request = unflatten(fields)
    request["Name"] = name
    request["OutputTags"] = dict([MANAGED_TAG])
    return request


def update_request(fields: Fields, changed: Iterable[str]) -> dict[str, Any]:
    """UpdateFlowOutput's body for `changed` paths (flow and output ARNs aside).

    UpdateFlowOutput leaves omitted fields unchanged, so only what changed is
    sent; but a nested structure is sent whole (the model requires, e.g., both
    RtmpPushSettings names).
    """
    roots = {top_level(p) for p in changed}
    return unflatten({p: v for p, v in fields.items() if top_level(p) in roots})
