"""Reading `state/`: YAML files in, typed `State` out, or every mistake found.

Validation happens here, where the files are read: YAML syntax, the JSON
Schemas in `schemas/`, and the checks a schema cannot express (the flow
exists, names are unique, URLs are well formed, no stream key is written
literally, and each output would pass AWS's own request validation). Every
error names its file and line. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from reconciler.aws.model import request_errors
from reconciler.errors import Location, StateError, StateErrors
from reconciler.models import (
    DestinationSpec,
    Fields,
    FlowSpec,
    HlsGuard,
    State,
    Value,
    flatten,
    freeze,
)
from reconciler.outputs import (
    IMPLICIT_DEFAULTS,
    RESERVED_SETTINGS,
    SCHEME_PROTOCOLS,
    UrlError,
    add_request,
    carries_stream_key,
    parse_url,
)
from reconciler.planner import MAX_OUTPUTS_PER_FLOW
from reconciler.secrets import Secret, SecretRef, mask_all, secret_ref

SCHEMA_DIR = Path(__file__).parent / "schemas"
# Which field a stream key fills, for outputs given by `protocol` rather than a URL.
KEY_PATHS = {"rtmp-push": "RtmpPushSettings.StreamName", "srt-caller": "StreamId"}
PLACEHOLDER_FLOW_ARN = "arn:aws:mediaconnect:us-east-1:000000000000:flow:1-validate:validate"

MOVE_KEY = (
    "store it as an SSM SecureString (aws ssm put-parameter --type SecureString "
    "--name /streaming/NAME/key --value ...) and reference it: "
    "`stream_key: {ssm: /streaming/NAME/key}`"
)
HOW_TO_REFERENCE = f"a stream key must not be written in the state files: {MOVE_KEY}"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A parsed YAML file and the line each key was written on."""

    path: Path
    data: Any
    lines: Mapping[Path_, int]

    def at(self, *path: str | int) -> Location:
        """The location of `path`, or of its nearest ancestor that has one."""
        key: Path_ = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return Location(self.path, self.lines.get(key, 1))

    def error(self, message: str, *path: str | int) -> StateError:
        return StateError(self.at(*path), message)


def load_state(root: Path) -> State:
    """Read and validate `root/flows/*.yaml` and `root/destinations/*.yaml`.

    Raises StateErrors listing every problem found, sorted by file and line.
    """
    if not root.is_dir():
        raise StateErrors([StateError(Location(root), "state directory not found")])
    errors: list[StateError] = []
    flows: dict[str, FlowSpec] = {}
    for doc in _documents(root / "flows", "flow", errors):
        flow = _flow(doc)
        if flow.name in flows:
            errors.append(
                doc.error(
                    f"flow {flow.name!r} is already defined in {flows[flow.name].location}", "name"
                )
            )
        else:
            flows[flow.name] = flow
    if not flows and not errors:
        errors.append(StateError(Location(root / "flows"), "no flow files (*.yaml) found"))
    destinations: list[DestinationSpec] = []
    seen: dict[tuple[str, str], DestinationSpec] = {}
    for doc in _documents(root / "destinations", "destination", errors):
        dest = _destination(doc, flows, errors)
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
    return State(flows, tuple(destinations))


def load_document(path: Path) -> Document:
    """Parse one YAML file, keeping the line of every mapping key and list item."""
    try:
        text = path.read_text(encoding="utf-8")
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise StateError(Location(path, line), f"invalid YAML: {e.problem or e.context}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise StateError(Location(path), f"cannot read file: {e}") from None
    if node is None:
        raise StateError(Location(path, 1), "file is empty")
    lines: dict[Path_, int] = {}
    data = _construct(loader, node, (), lines, path)
    return Document(path, data, lines)


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, at: Path_, lines: dict[Path_, int], file: Path
) -> Any:
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise StateError(
                    Location(file, key_node.start_mark.line + 1), "keys must be strings"
                )
            if key in result:
                raise StateError(
                    Location(file, key_node.start_mark.line + 1), f"duplicate key {key!r}"
                )
            lines[(*at, key)] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, (*at, key), lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, (*at, i), lines, file) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


@cache
def schema(kind: str) -> jsonschema.protocols.Validator:
    spec = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def schema_errors(doc: Document, kind: str) -> list[StateError]:
    """JSON Schema errors, worded without echoing values (a value may be a key)."""
    errors = []
    for error in schema(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        errors.append(doc.error(_schema_message(error, path), *path))
    return errors


def _schema_message(error: jsonschema.ValidationError, path: Path_) -> str:
    field = ".".join(str(p) for p in path)
    prefix = f"{field}: " if field else ""
    if path[:1] == ("stream_key",) and isinstance(error.instance, str):
        return f"stream_key: {HOW_TO_REFERENCE}"
    if path[:1] == ("stream_key",):
        return (
            "stream_key: must be one reference: {ssm: /parameter/name}, "
            "{secretsmanager: NAME_OR_ARN, key: FIELD} or {env: VARIABLE}"
        )
    kind = error.validator
    if kind in ("required", "additionalProperties"):
        return prefix + error.message.replace("'", "`")
    if kind == "type":
        return f"{prefix}must be of type {error.validator_value}"
    if kind == "enum":
        allowed: Any = error.validator_value
        return f"{prefix}must be one of {', '.join(str(v) for v in allowed)}"
    if kind == "pattern":
        return f"{prefix}has an invalid form (expected to match {error.validator_value})"
    if kind == "anyOf" and not path:
        return "needs a `url` (or an explicit `protocol` with `settings`)"
    if kind in ("minLength", "maxLength", "minimum", "maximum", "uniqueItems"):
        return f"{prefix}violates {kind} {error.validator_value}"
    return f"{prefix}is not valid ({kind})"


def _documents(folder: Path, kind: str, errors: list[StateError]) -> Iterator[Document]:
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []
    for path in files:
        try:
            doc = load_document(path)
        except StateError as e:
            errors.append(e)
            continue
        if not isinstance(doc.data, dict):
            errors.append(doc.error(f"a {kind} file must be a mapping of fields"))
            continue
        problems = schema_errors(doc, kind)
        if problems:
            errors.extend(problems)
            continue
        yield doc


def _flow(doc: Document) -> FlowSpec:
    data = doc.data
    return FlowSpec(
        name=data["name"],
        region=data["region"],
        location=doc.at("name"),
        arn=data.get("arn"),
        prune=data.get("prune", False),
        protected=frozenset(data.get("protected", [])),
        hls_guard=HlsGuard(**data["hls_guard"]) if "hls_guard" in data else None,
    )


def _destination(
    doc: Document, flows: Mapping[str, FlowSpec], errors: list[StateError]
) -> DestinationSpec | None:
    """The typed destination, or None with the reasons appended to `errors`."""
    data = doc.data
    found: list[StateError] = []
    name, flow = data["name"], flows.get(data["flow"])
    if flow is None:
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
    fields, key_path = _output_fields(doc, found)
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
                "name",
            )
        )
    key_path = key_path if stream_key else None
    if not found:
        found += _aws_request_errors(doc, name, fields, key_path)
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
    )


def _output_fields(doc: Document, errors: list[StateError]) -> tuple[dict[str, Value], str | None]:
    """The output's fields from url, protocol, settings, description and enabled,
    and the field a stream key would fill (None if the protocol takes none)."""
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
    fields.update(flatten(settings))
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
    problems += _service_rule_errors(fields)
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


PUSH_PROTOCOLS = frozenset(set(SCHEME_PROTOCOLS.values()) | {"rtp-fec"})


def _service_rule_errors(fields: Fields) -> list[str]:
    """Rules the service enforces that botocore's model does not state."""
    problems = []
    port = fields.get("Port")
    if isinstance(port, int) and not 1 <= port <= 65535:
        problems.append(f"Port: {port} is outside 1-65535")
    protocol = fields.get("Protocol")
    if protocol in PUSH_PROTOCOLS:
        problems += [
            f"{f}: required for {protocol} outputs"
            for f in ("Destination", "Port")
            if fields.get(f) is None
        ]
    if protocol == "srt-listener" and fields.get("Port") is None:
        problems.append("Port: required for srt-listener outputs")
    if protocol == "rtmp-push" and fields.get("RtmpPushSettings.ApplicationName") is None:
        problems.append("RtmpPushSettings.ApplicationName: required for rtmp-push outputs")
    return problems


def state_fingerprint(root: Path) -> str:
    """A digest of every state file's path and bytes: any edit changes it."""
    digest = hashlib.sha256()
    for folder in ("flows", "destinations"):
        directory = root / folder
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            digest.update(f"{folder}/{path.name}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"
