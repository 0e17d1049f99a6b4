"""Migration: existing destinations turned into destination documents.

Three sources, one result type. Live MediaConnect outputs (`LiveOutput`), the
RTMP outputs of a MediaLive channel (its DescribeChannel response) and the rows
of the legacy DynamoDB table each become a `Candidate` (the document for
`state/destinations/NAME.yaml`, plus the stream key to store, if any) or a
`Skipped` with the reason.

Purely computational: no files, no AWS. A document never holds a stream key:
the key travels beside it as a `Secret`, and the document holds only the
`{ssm: ...}` reference where it is (to be) stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from reconciler.core.models import Fields, LiveOutput, Value, unflatten
from reconciler.core.outputs import KEY_PATHS, UrlError, parse_url, url_of
from reconciler.core.secrets import Secret, SsmRef, key_parameter, redact

# The field a protocol's stream key fills, as `stream_key` in a file sets it: for
# an srt-caller output its StreamId, which SRT ingest usually uses for the key.

# The destination schema's `name` pattern (tests check they agree).
OUTPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?![\s\S])")  # no trailing newline

# Attribute names that look like credentials or stream keys (`stream_name`,
# `streamName`, `rtmp_stream`; not `streaming_status`): never copied into a file.
CREDENTIAL_NAME = re.compile(r"stream(?!ing)|key|password|passphrase|secret|token", re.I)

_MISSING = object()


@dataclass(frozen=True)
class Candidate:
    """A destination document ready to be written, and its stream key."""

    name: str
    source: str  # what it came from, for the report: "output 'NYC'", "row destination_id=7"
    document: dict[str, Any]  # plain YAML data; never a key
    key: Secret | None = None  # the key to store at `key_parameter` (`--store-keys`)
    key_parameter: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    name: str  # as the source calls it
    source: str
    reason: str


Converted = Candidate | Skipped


def output_name(name: str) -> str | None:
    """`name` if it is a valid output name, else a slug of it (None if nothing is left)."""
    if OUTPUT_NAME.match(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-_")[:128].rstrip("-_")
    return slug if OUTPUT_NAME.match(slug) else None


def flow_document(name: str, region: str, arn: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"name": name, "region": region}
    if arn:
        document["arn"] = arn
    return {**document, "prune": False, "protected": []}


def _target(fields: Fields) -> dict[str, Any]:
    """`url` (or `protocol`) and `settings` that `state` turns back into `fields`:
    whatever the URL does not say exactly goes to `settings`, in request names."""
    url = url_of(fields)
    implied: dict[str, Value] = {"Protocol": fields.get("Protocol")}
    if url is not None:
        try:
            implied = dict(parse_url(url).fields)
        except UrlError:
            url = None
        if any(v is not None and p not in fields for p, v in implied.items()):
            url, implied = None, {"Protocol": fields.get("Protocol")}
    rest = {p: v for p, v in fields.items() if not _same(implied.get(p, _MISSING), v)}
    target: dict[str, Any] = {"url": url} if url else {"protocol": fields.get("Protocol")}
    settings = unflatten({p: _revealed(v) for p, v in rest.items()})
    if settings:
        target["settings"] = settings
    return target


def _same(implied: Any, live: Value) -> bool:
    if implied is _MISSING:
        return False
    return bool(live == implied)  # Secret.__eq__ compares a Secret with its text


def _revealed(value: Value) -> Value:
    # Only identifiers that are not keys reach here (zixi or listener StreamIds):
    # the keys were taken out first.
    return value.reveal() if isinstance(value, Secret) else value


# --- live MediaConnect outputs -------------------------------------------------------


def from_live_output(output: LiveOutput, *, flow: str, key_prefix: str) -> Converted:
    """One live output as a destination that plans to no change of any setting."""
    source = f"output {output.name!r}"
    if output.entitlement_arn:
        return Skipped(
            output.name,
            source,
            f"created by entitlement {output.entitlement_arn}; it belongs to the entitlement "
            "(revoke it there), not to a destination file",
        )
    name = output.name
    if not OUTPUT_NAME.match(name):
        return Skipped(
            name,
            source,
            "its name is not a valid destination name (letters, digits, - and _; up to 128)",
        )
    rest = dict(output.fields)
    protocol = rest.get("Protocol")
    if not isinstance(protocol, str):
        return Skipped(name, source, "has no protocol")
    key_path = KEY_PATHS.get(protocol)
    key = rest.pop(key_path, None) if key_path else None
    description = rest.pop("Description", "")
    status = rest.pop("OutputStatus", "ENABLED")
    notes: tuple[str, ...] = ()
    if isinstance(description, str) and holds_secret(description):
        description = ""
        notes = ("description not copied: it contains a stream key",)
    document: dict[str, Any] = {"name": name, "flow": flow, **_target(rest)}
    if not isinstance(key, Secret) or not key.reveal():
        key = None  # an RTMP output without a key is refused by `validate`, and reported
    parameter = key_parameter(key_prefix, flow, name) if key else None
    if parameter:
        document["stream_key"] = SsmRef(parameter).as_yaml()
    document["enabled"] = status != "DISABLED"
    if description:
        document["description"] = description
    return Candidate(name, source, document, key, parameter, notes)


# --- MediaLive RTMP outputs ------------------------------------------------------------


def from_medialive(
    channel: Mapping[str, Any], *, flow: str, key_prefix: str, enabled: bool
) -> list[Converted]:
    """Each RTMP output of a DescribeChannel response as a destination on `flow`.

    The URL and key come from the channel `Destinations` entry the output refers
    to (pipeline 0's; a different pipeline 1 endpoint is noted, not imported).
    `enabled` is what the files say: false lets the MediaConnect output be
    created before the channel's own RTMP output is removed, so one stream key
    never has two publishers.
    """
    destinations = {d.get("Id"): d for d in channel.get("Destinations", [])}
    results: list[Converted] = []
    taken: dict[str, str] = {}
    for group in channel.get("EncoderSettings", {}).get("OutputGroups", []):
        if "RtmpGroupSettings" not in group.get("OutputGroupSettings", {}):
            continue
        for output in group.get("Outputs", []):
            ref = output.get("OutputSettings", {}).get("RtmpOutputSettings", {})
            ref = ref.get("Destination", {}).get("DestinationRefId")
            raw_name = output.get("OutputName") or ref or "?"
            result = _medialive_output(
                raw_name, destinations.get(ref), flow=flow, key_prefix=key_prefix, taken=taken
            )
            if isinstance(result, Candidate):
                taken[result.name] = result.source
                metadata = {
                    "medialive_channel": channel.get("Id"),
                    "medialive_output_group": group.get("Name"),
                    "medialive_output": output.get("OutputName"),
                    "medialive_destination": ref,
                }
                document = {
                    **result.document,
                    "enabled": enabled,
                    "metadata": {k: v for k, v in metadata.items() if v is not None},
                }
                result = replace(result, document=document)
            results.append(result)
    return results


def _medialive_output(
    raw_name: str,
    destination: Mapping[str, Any] | None,
    *,
    flow: str,
    key_prefix: str,
    taken: Mapping[str, str],
) -> Converted:
    source = f"MediaLive output {raw_name!r}"
    endpoints = (destination or {}).get("Settings") or []
    if not endpoints:
        return Skipped(raw_name, source, "its destination has no URL in the channel's Destinations")
    first = endpoints[0]
    if first.get("Username") or first.get("PasswordParam"):
        return Skipped(
            raw_name,
            source,
            "uses RTMP authentication (Username/PasswordParam), which MediaConnect cannot",
        )
    url = first.get("Url") or ""
    try:
        protocol = parse_url(url).fields["Protocol"]
    except UrlError as e:
        return Skipped(raw_name, source, f"unparseable URL: {e}")
    if protocol != "rtmp-push":
        return Skipped(raw_name, source, "its URL is not rtmp:// or rtmps://")
    if not first.get("StreamName"):
        return Skipped(
            raw_name,
            source,
            "has no StreamName; if the key is part of its URL, split it into URL and "
            "StreamName in the channel first",
        )
    name = output_name(raw_name)
    if name is None:
        return Skipped(raw_name, source, "its name cannot be made into an output name")
    if name in taken:
        return Skipped(raw_name, source, f"duplicate name {name!r} (also {taken[name]})")
    notes = [f"named {name!r}"] if name != raw_name else []
    if len(endpoints) > 1 and (
        endpoints[1].get("Url") != url or endpoints[1].get("StreamName") != first["StreamName"]
    ):
        notes.append("pipeline 1 sends to another URL or key; only pipeline 0's is imported")
    parameter = key_parameter(key_prefix, flow, name)
    document = {"name": name, "flow": flow, "url": url, "stream_key": SsmRef(parameter).as_yaml()}
    return Candidate(name, source, document, Secret(first["StreamName"]), parameter, tuple(notes))


# --- the legacy DynamoDB table ------------------------------------------------------


def from_table_rows(rows: Iterable[Mapping[str, Any]], *, flow: str) -> list[Converted]:
    """Rows of `lunora-destinations` (decoded values) as destinations on `flow`.

    name → `name` (slugified if it is not a valid output name, the original kept
    in metadata), platform, rtmp_url → `url`, stream_key_param → `{ssm: ...}`,
    enabled; every other attribute goes to `metadata` unchanged in meaning
    (numbers exact, sets as sorted lists, binary as !!binary), except attributes
    named like credentials, which are left out and noted.
    """
    results: list[Converted] = []
    taken: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (str(r.get("destination_id", "")), str(r.get("name")))):
        result = _row(row, flow=flow, taken=taken)
        if isinstance(result, Candidate):
            taken[result.name] = result.source
        results.append(result)
    return results


def _row(row: Mapping[str, Any], *, flow: str, taken: Mapping[str, str]) -> Converted:
    ident = row.get("destination_id")
    source = f"row destination_id={ident}" if ident is not None else "row without id"
    raw_name = row.get("name")
    if not isinstance(raw_name, str) or not raw_name.strip():
        return Skipped("", source, "no name")
    url = row.get("rtmp_url")
    if not isinstance(url, str) or not url.strip():
        return Skipped(raw_name, source, "no rtmp_url")
    try:
        parse_url(url)
    except UrlError as e:
        return Skipped(raw_name, source, f"unparseable rtmp_url: {e}")
    enabled = _flag(row.get("enabled", True))
    if enabled is None:
        return Skipped(raw_name, source, "enabled is neither true nor false")
    name = output_name(raw_name)
    if name is None:
        return Skipped(raw_name, source, f"name {raw_name!r} cannot be made into an output name")
    if name in taken:
        return Skipped(raw_name, source, f"duplicate name {name!r} (also {taken[name]})")
    notes = [f"name {raw_name!r} → {name!r}"] if name != raw_name else []
    document: dict[str, Any] = {"name": name, "flow": flow, "url": url}
    param = row.get("stream_key_param")
    if isinstance(param, str) and param:
        document["stream_key"] = SsmRef(param).as_yaml()
    document["enabled"] = enabled
    if isinstance(row.get("platform"), str):
        document["platform"] = row["platform"]
    mapped = {"name", "rtmp_url", "enabled"}
    mapped |= {"platform"} if "platform" in document else set()
    mapped |= {"stream_key_param"} if "stream_key" in document else set()
    metadata: dict[str, Any] = {"name": raw_name} if name != raw_name else {}
    for attribute, value in row.items():
        if attribute in mapped:
            continue
        if CREDENTIAL_NAME.search(attribute) and not attribute.endswith(("_param", "_arn")):
            notes.append(f"attribute {attribute!r} not copied: it looks like a credential")
        elif holds_secret(repr(value)):
            notes.append(f"attribute {attribute!r} not copied: its value is a stream key")
        else:
            metadata[attribute] = value
    if metadata:  # destination_id first: it is what `apply --sync-table` matches on
        document["metadata"] = dict(
            sorted(metadata.items(), key=lambda a: a[0] != "destination_id")
        )
    return Candidate(name, source, document, notes=tuple(notes))


def holds_secret(text: str) -> bool:
    """Whether `text` holds a secret value this process knows (see `secrets.redact`)."""
    return redact(text) != text


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, Decimal | int) and value in (0, 1):
        return bool(value)
    return None
