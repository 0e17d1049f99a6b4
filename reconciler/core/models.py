"""Typed records for both sides of a plan: what git wants and what AWS has.

An output's settings are held as `Fields`: a flat mapping from a dotted path in
MediaConnect's *request* vocabulary (`Port`, `RtmpPushSettings.ApplicationName`)
to an immutable value. Desired and live outputs are both reduced to this form
(their "essence"), so the planner compares like with like and never sees raw
YAML or raw DescribeFlow output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from reconciler.core.errors import Location
from reconciler.core.freeze import FreezeWindow
from reconciler.core.notify import NotifyTarget
from reconciler.core.secrets import Secret, SecretRef

# The mass-removal guard's limit when a flow file does not set `max_removals`.
DEFAULT_MAX_REMOVALS = 3


@dataclass(frozen=True)
class Struct:
    """An immutable JSON object used as a single field value (e.g. Encryption)."""

    items: tuple[tuple[str, Any], ...]

    def __str__(self) -> str:
        return json.dumps(thaw(self), sort_keys=True, separators=(", ", ": "), default=str)


Scalar: TypeAlias = str | int | float | bool | Secret | Struct | None
Value: TypeAlias = Scalar | tuple[Any, ...]
Fields: TypeAlias = Mapping[str, Value]

# Nested request structures that are compared as one value rather than member
# by member: they change together and are sent whole anyway.
WHOLE_VALUE_PATHS = frozenset(
    {
        "Encryption",
        "VpcInterfaceAttachment",
        "MediaStreamOutputConfigurations",
        "RouterIntegrationTransitEncryption",
        "RtmpPushSettings.TlsEncryption",
    }
)

# Fields whose values are credentials: redacted in every rendering, compared
# without being shown. StreamId counts because SRT ingest often carries the key.
SENSITIVE_PATHS = frozenset({"RtmpPushSettings.StreamName", "StreamId"})


def freeze(value: Any) -> Value:
    if isinstance(value, Mapping):
        return Struct(tuple(sorted((k, freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value  # type: ignore[no-any-return]


def thaw(value: Any) -> Any:
    if isinstance(value, Struct):
        return {k: thaw(v) for k, v in value.items}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def flatten(request: Mapping[str, Any], prefix: str = "") -> dict[str, Value]:
    """`{"A": {"B": 1}}` → `{"A.B": 1}`, stopping at WHOLE_VALUE_PATHS and lists."""
    flat: dict[str, Value] = {}
    for key, value in request.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and path not in WHOLE_VALUE_PATHS:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = freeze(value)
    return flat


def unflatten(fields: Fields) -> dict[str, Any]:
    """The inverse of `flatten`; paths whose value is None are left out."""
    request: dict[str, Any] = {}
    for path, value in fields.items():
        if value is None:
            continue
        *parents, leaf = path.split(".")
        node = request
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = thaw(value)
    return request


def top_level(path: str) -> str:
    return path.split(".", 1)[0]


# --- desired: what git says --------------------------------------------------


@dataclass(frozen=True)
class HlsGuard:
    """The HLS path next to a flow, watched (read-only) during apply."""

    medialive_channel_id: str
    mediapackage_channel_id: str
    region: str | None = None  # the flow's region when not given


@dataclass(frozen=True)
class FlowSpec:
    """One `state/flows/*.yaml` file."""

    name: str
    region: str
    location: Location
    arn: str | None = None
    prune: bool = False
    protected: frozenset[str] = frozenset()
    hls_guard: HlsGuard | None = None
    protected_at: tuple[tuple[str, Location], ...] = ()  # each entry and its line
    drift: str = "report"  # what the scheduled drift job does: report | pull-request | heal
    max_removals: int = DEFAULT_MAX_REMOVALS
    freeze: tuple[FreezeWindow, ...] = ()
    notify: tuple[NotifyTarget, ...] = ()
    # Cost assumptions (docs/cost.md); None: not declared.
    bitrate_mbps: float | None = None
    hours_per_month: float | None = None
    budget_usd_month: float | None = None


# What the scheduled drift job does with a flow that differs from git.
DRIFT_MODES = ("report", "pull-request", "heal")


@dataclass(frozen=True)
class DestinationSpec:
    """One `state/destinations/*.yaml` file, validated, stream key unresolved."""

    name: str
    flow: str
    location: Location
    fields: Fields  # everything but the stream key
    stream_key: SecretRef | None = None
    stream_key_path: str | None = None  # which field the resolved key fills
    platform: str | None = None
    bitrate_mbps: float | None = None  # cost assumptions overriding the flow's
    hours_per_month: float | None = None


@dataclass(frozen=True)
class State:
    """All of `state/`: flows by name and destinations in file order."""

    flows: Mapping[str, FlowSpec]
    destinations: tuple[DestinationSpec, ...]
    fingerprint: str = ""  # sha256 of the files' names and the bytes parsed
    files: Mapping[str, str] = field(default_factory=dict)  # "flows/x.yaml" -> its sha256

    def destinations_of(self, flow: str) -> Iterator[DestinationSpec]:
        return (d for d in self.destinations if d.flow == flow)


@dataclass(frozen=True)
class DesiredOutput:
    """A destination with its stream key resolved: ready to plan against AWS."""

    name: str
    flow: str
    location: Location
    fields: Fields


# --- observed: what AWS has ----------------------------------------------------


@dataclass(frozen=True)
class LiveOutput:
    name: str
    arn: str
    fields: Fields
    managed: bool = False  # carries our OutputTags
    entitlement_arn: str | None = None  # created by an entitlement: not ours to remove


@dataclass(frozen=True)
class HlsView:
    """What the HLS path looks like, read-only; `snapshot` is canonical JSON
    of the channel and endpoint descriptions with credentials digested."""

    medialive_channel_id: str
    channel_state: str
    mediapackage_channel_id: str
    mediapackage_output_present: bool
    endpoint_urls: tuple[str, ...]
    fingerprint: str
    snapshot: str = field(repr=False, default="")


@dataclass(frozen=True)
class Manifest:
    """The ownership manifest of a flow (core.ownership): output ids known to be
    ours and known not to be, and where in the flow's tags they were read."""

    owned: frozenset[str] = frozenset()
    unowned: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()  # the flow's manifest tag keys, when read
    other_tags: int = 0  # the flow's other tags: they count against the 50 too

    def same_ids(self, other: Manifest) -> bool:
        return (self.owned, self.unowned) == (other.owned, other.unowned)


@dataclass(frozen=True)
class LiveFlow:
    name: str
    arn: str
    region: str
    status: str
    outputs: tuple[LiveOutput, ...] = field(default=())
    hls: HlsView | None = None  # set when the flow file declares an hls_guard
    manifest: Manifest | None = None  # the ownership record in the flow's tags, when read
    source_max_bitrate: int | None = None  # b/s, when DescribeFlow reports one
