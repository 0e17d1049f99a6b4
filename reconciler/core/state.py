"""Reading `state/`: YAML files in, typed `State` out, or every mistake found.

Validation happens here, where the files are read: YAML syntax
(`core.yamlfile`), the JSON Schemas (`core.schema`), and the checks a schema
cannot express (the flow exists, names are unique, URLs are well formed, no
stream key is written literally, and each output would pass AWS's own request
validation: botocore's model and `core.rules`). Every error names its file and
line. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.core.errors import ReconcilerError, StateError, StateErrors
from reconciler.core.freeze import windows
from reconciler.core.models import (
    DEFAULT_MAX_REMOVALS,
    DestinationSpec,
    Fields,
    FlowSpec,
    HlsGuard,
    State,
    Value,
    flatten,
    freeze,
)
from reconciler.core.notify import EVENTS, NotifyTarget, expand
from reconciler.core.outputs import (
    IMPLICIT_DEFAULTS,
    KEY_PATHS,
    RESERVED_SETTINGS,
    UrlError,
    add_request,
    carries_stream_key,
    parse_url,
)
from reconciler.core.regions import region_problem
from reconciler.core.rules import MAX_OUTPUTS_PER_FLOW, output_errors
from reconciler.core.schema import HOW_TO_REFERENCE, MOVE_KEY, schema_errors
from reconciler.core.secrets import Secret, SecretRef, mask_all, secret_ref
from reconciler.core.servicemodel import request_errors
from reconciler.core.settingscheck import setting_errors
from reconciler.core.yamlfile import Document, load_document, read_state_file, state_files

PLACEHOLDER_FLOW_ARN = "arn:aws:mediaconnect:us-east-1:000000000000:flow:1-validate:validate"


def load_state(root: Path) -> State:
    """Read and validate `root/flows/*.yaml` and `root/destinations/*.yaml`.

    The returned State carries the fingerprint of exactly the bytes parsed.
    Raises StateErrors listing every problem found, sorted by file and line,
    or one ReconcilerError when there is no state to read at all.
    """
    if not root.is_dir():
        raise ReconcilerError(f"{root}: state directory not found")
    if not state_files(root / "flows"):
        raise ReconcilerError(f"{root / 'flows'}: no flow files (*.yaml) found")
    errors: list[StateError] = []
    digest = hashlib.sha256()
    files: dict[str, str] = {}
    flows: dict[str, FlowSpec] = {}
    broken = BrokenFlows()
    for doc in _documents(root, "flows", "flow", errors, digest, files, broken):
        problems = _flow_errors(doc)
        if problems:
            errors += problems
            broken.names.add(doc.data["name"])
            continue
        flow = _flow(doc)
        if flow.name in flows:
            errors.append(
                doc.error(
                    f"flow {flow.name!r} is already defined in {flows[flow.name].location}", "name"
                )
            )
        else:
            flows[flow.name] = flow
    destinations: list[DestinationSpec] = []
    seen: dict[tuple[str, str], DestinationSpec] = {}
    for doc in _documents(root, "destinations", "destination", errors, digest, files):
        dest = _destination(doc, flows, errors, broken)
        if dest is None:
            continue
        key = (dest.flow, dest.name)
        if key in seen:
            errors.append(
                doc.error(
                    f"output name {dest.name!r} is already used on flow {dest.flow!r} by "
                    f"{seen[key].location}",
                    "name",
                )
            )
            continue
        seen[key] = dest
        destinations.append(dest)
    for flow in flows.values():
        count = sum(d.flow == flow.name for d in destinations)
        if count > MAX_OUTPUTS_PER_FLOW:
            errors.append(
                StateError(
                    flow.location,
                    f"flow {flow.name!r} has {count} destinations; MediaConnect allows at "
                    f"most {MAX_OUTPUTS_PER_FLOW} outputs per flow",
                )
            )
    if errors:
        errors.sort(key=lambda e: (str(e.location.file), e.location.line or 0))
        raise StateErrors(errors)
    return State(flows, tuple(destinations), f"sha256:{digest.hexdigest()}", files)


@dataclass
class BrokenFlows:
    """Flow files that failed to load: their names, or `unknown` when a file
    failed before its name could be read."""

    names: set[str] = field(default_factory=set)
    unknown: bool = False

    def add(self, name: object) -> None:
        if isinstance(name, str):
            self.names.add(name)
        else:
            self.unknown = True

    def covers(self, name: str) -> bool:
        """Whether a reference to flow `name` may point at one of them."""
        return self.unknown or name in self.names


def _documents(
    root: Path,
    folder: str,
    kind: str,
    errors: list[StateError],
    digest: Any,
    files: dict[str, str],
    broken: BrokenFlows | None = None,
) -> Iterator[Document]:
    """Each schema-valid document of `root/folder`, every file's path and bytes
    added to `digest` as read (any edit changes the fingerprint), and each
    file's own digest to `files` (so a stale plan can say which file changed).
    Files that fail are noted in `broken`."""
    for path in state_files(root / folder):
        digest.update(f"{folder}/{path.name}\0".encode())
        try:
            content = read_state_file(path)
            digest.update(content + b"\0")
            files[f"{folder}/{path.name}"] = f"sha256:{hashlib.sha256(content).hexdigest()}"
            doc = load_document(path, content)
        except StateError as e:
            errors.append(e)
            if broken is not None:
                broken.unknown = True
            continue
        if not isinstance(doc.data, dict):
            if broken is not None:
                broken.unknown = True
            errors.append(doc.error(f"a {kind} file must be a mapping of fields"))
            continue
        problems = schema_errors(doc, kind)
        if problems:
            errors.extend(problems)
            if broken is not None:
                broken.add(doc.data.get("name"))
            continue
        yield doc


def _flow_errors(doc: Document) -> list[StateError]:
    """What the flow schema cannot check: that its Regions exist."""
    data = doc.data
    errors = []
    problem = region_problem(data["region"])
    if problem:
        errors.append(doc.error(f"region: {problem}", "region"))
    guard = data.get("hls_guard", {})
    problem = region_problem(guard["region"]) if "region" in guard else None
    if problem:
        errors.append(doc.error(f"hls_guard.region: {problem}", "hls_guard", "region"))
    errors += windows(doc)[1]  # freeze windows: times, zones, overlaps
    return errors


def _flow(doc: Document) -> FlowSpec:
    """The typed flow (its `_flow_errors` found none)."""
    data = doc.data
    freeze = windows(doc)[0]
    return FlowSpec(
        name=data["name"],
        region=data["region"],
        location=doc.at("name"),
        arn=data.get("arn"),
        prune=data.get("prune", False),
        protected=frozenset(data.get("protected", [])),
        protected_at=tuple(
            (entry, doc.at("protected", i)) for i, entry in enumerate(data.get("protected", []))
        ),
        hls_guard=HlsGuard(**data["hls_guard"]) if "hls_guard" in data else None,
        drift=data.get("drift", "report"),
        max_removals=data.get("max_removals", DEFAULT_MAX_REMOVALS),
        freeze=freeze,
        notify=tuple(
            NotifyTarget(
                url if isinstance(url := entry["url"], str) else secret_ref(url),
                expand(entry.get("events", EVENTS)),
                doc.at("notify", index, "url"),
            )
            for index, entry in enumerate(data.get("notify", []))
        ),
        bitrate_mbps=data.get("bitrate_mbps"),
        hours_per_month=data.get("hours_per_month"),
        budget_usd_month=data.get("budget_usd_month"),
    )


def _destination(
    doc: Document,
    flows: Mapping[str, FlowSpec],
    errors: list[StateError],
    broken: BrokenFlows,
) -> DestinationSpec | None:
    """The typed destination, or None with the reasons appended to `errors`.
    A reference to a flow whose own file failed is not reported again here."""
    data = doc.data
    found: list[StateError] = []
    name, flow = data["name"], flows.get(data["flow"])
    if flow is None and broken.covers(data["flow"]):
        pass  # that flow file's own error says what is wrong
    elif flow is None:
        known = ", ".join(sorted(flows)) or "none"
        found.append(
            doc.error(f"flow {data['flow']!r} is not defined in flows/ (known: {known})", "flow")
        )
    elif name in flow.protected:
        found.append(
            doc.error(
                f"output {name!r} is protected in {flow.location}; it cannot be managed", "name"
            )
        )
    shapes: list[StateError] = []  # settings of the wrong shape, left out of `fields`
    fields, key_path = _output_fields(doc, found, shapes)
    stream_key = _secret_ref(data.get("stream_key"))
    if stream_key is not None and key_path is None and "Protocol" in fields:
        found.append(
            doc.error(
                f"stream_key: {fields['Protocol']} outputs with these settings take no stream key",
                "stream_key",
            )
        )
    if stream_key is None and key_path == "RtmpPushSettings.StreamName":
        found.append(
            doc.error(
                "stream_key: RTMP destinations need a stream_key, e.g. {ssm: /streaming/NAME/key}",
                "url" if "url" in data else "protocol",
            )
        )
    key_path = key_path if stream_key else None
    if not found:
        found += _aws_request_errors(doc, name, fields, key_path)
    found += shapes
    if found:
        errors += found
        return None
    return DestinationSpec(
        name=name,
        flow=data["flow"],
        location=doc.at("name"),
        fields=fields,
        stream_key=stream_key,
        stream_key_path=key_path,
        platform=data.get("platform"),
        bitrate_mbps=data.get("bitrate_mbps"),
        hours_per_month=data.get("hours_per_month"),
    )


def _output_fields(
    doc: Document, errors: list[StateError], shapes: list[StateError]
) -> tuple[dict[str, Value], str | None]:
    """The output's fields from url, protocol, settings, description and enabled,
    and the field a stream key would fill (None if the protocol takes none).
    Settings AWS could not even parse go to `shapes`, and are left out."""
    data = doc.data
    fields: dict[str, Value] = {
        **IMPLICIT_DEFAULTS,
        "Description": data.get("description", ""),
        "OutputStatus": "ENABLED" if data.get("enabled", True) else "DISABLED",
    }
    protocol = data.get("protocol")
    key_path = KEY_PATHS.get(protocol)
    if "url" in data and carries_stream_key(data["url"]):
        errors.append(doc.error(f"url: the URL seems to contain the stream key; {MOVE_KEY}", "url"))
        return {}, None
    if "url" in data:
        try:
            parsed = parse_url(data["url"])
        except UrlError as e:
            errors.append(doc.error(f"url: {e}", "url"))
            return {}, None
        fields.update(parsed.fields)
        key_path = parsed.stream_key_path
        implied = parsed.fields["Protocol"]
        if protocol is not None and protocol != implied:
            errors.append(
                doc.error(
                    f"protocol {protocol!r} contradicts the URL, which means {implied!r}",
                    "protocol",
                )
            )
    else:
        fields["Protocol"] = protocol

    if "encryption" in data:
        if "Encryption" in data.get("settings", {}):
            errors.append(
                doc.error(
                    "settings.Encryption: use either `encryption` or settings.Encryption",
                    "settings",
                    "Encryption",
                )
            )
        fields["Encryption"] = freeze(_encryption(data["encryption"], fields.get("Protocol")))
    settings = dict(data.get("settings", {}))
    for key in sorted(RESERVED_SETTINGS.keys() & settings.keys()):
        errors.append(
            doc.error(f"settings.{key}: set this with {RESERVED_SETTINGS[key]}", "settings", key)
        )
        del settings[key]
    rtmp = settings.get("RtmpPushSettings")
    if isinstance(rtmp, dict) and "StreamName" in rtmp:
        where = ("settings", "RtmpPushSettings", "StreamName")
        errors.append(doc.error(f"{'.'.join(where)}: {HOW_TO_REFERENCE}", *where))
        settings["RtmpPushSettings"] = {k: v for k, v in rtmp.items() if k != "StreamName"}
    for key in list(settings):
        problems = setting_errors(doc, key, settings[key])
        if problems:
            shapes += problems
            del settings[key]
    flat = flatten(settings)
    if "RtmpPushSettings.StreamName" in flat:  # the dotted form of the same literal key
        dotted = "RtmpPushSettings.StreamName"
        at: tuple[str, ...] = ("settings", dotted) if dotted in settings else ("settings",)
        errors.append(doc.error(f"settings.{dotted}: {HOW_TO_REFERENCE}", *at))
        del flat[dotted]
    fields.update(flat)
    return fields, None if key_path in fields else key_path


def _encryption(spec: Mapping[str, str], protocol: Value) -> dict[str, str]:
    """The Encryption request field for an `encryption:` block. MediaConnect
    reads the secret itself; the tool passes ARNs only."""
    srt = isinstance(protocol, str) and protocol.startswith("srt-")
    encryption = {
        "KeyType": spec.get("key_type", "srt-password" if srt else "static-key"),
        "RoleArn": spec["role_arn"],
        "SecretArn": spec["secret_arn"],
    }
    if "algorithm" in spec:
        encryption["Algorithm"] = spec["algorithm"]
    return encryption


def _secret_ref(value: Any) -> SecretRef | None:
    return None if value is None else secret_ref(value)


def _aws_request_errors(
    doc: Document, name: str, fields: Fields, key_path: str | None
) -> list[StateError]:
    """Would AWS accept this output? Checked on an AddFlowOutputs request with
    a placeholder key, against botocore's model plus the service's own rules."""
    sample = dict(fields)
    if key_path:
        sample[key_path] = Secret("placeholder")
    output = add_request(name, sample)
    problems = request_errors(
        "AddFlowOutputs", {"FlowArn": PLACEHOLDER_FLOW_ARN, "Outputs": [mask_all(output)]}
    )
    problems += output_errors(mask_all(output), "")
    result = []
    for problem in problems:
        problem = problem.removeprefix("Outputs[0].")
        field = problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
        where: tuple[str, ...] = (
            ("settings", field)
            if field in doc.data.get("settings", {})
            else ("url",)
            if "url" in doc.data
            else ("protocol",)
        )
        result.append(doc.error(f"AWS would reject this output: {problem}", *where))
    return result
