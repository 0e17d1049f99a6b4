"""Operator edits to `destinations/*.yaml`: enable, disable, add, remove.

Each edit changes exactly what it says and nothing else in the file:
comments, spacing, quoting and key order stay as the person wrote them. The
files are read with ruamel.yaml in round-trip mode, which knows where every
key and value starts; the edit is then spliced into the original text at that
position rather than re-emitted, because re-emitting normalises spacing (and
a review of "one value changed" should show one value changed).

Every edit is followed by a validation of the whole state (`load_state`). If
the result is invalid the file is put back byte for byte (or removed again)
and the errors are raised: nothing invalid is left behind. Side effects: one
file written, created or deleted under `state_dir/destinations`. No network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.schema import raw_schema
from reconciler.core.secrets import redact
from reconciler.core.state import load_state
from reconciler.core.yamlfile import document_text, load_document, readable_documents

if TYPE_CHECKING:  # ruamel loads only when an edit is made, not for every command
    from ruamel.yaml.comments import CommentedMap

# A new destination's name becomes its file name: checked before anything is written.
NAME_PATTERN: str = raw_schema("destination")["properties"]["name"]["pattern"]

# The keys a destination file conventionally lists after `enabled`: a new
# `enabled:` line goes before the first of them, so files keep the order of
# the README's example.
AFTER_ENABLED = ("description", "platform", "settings", "metadata")

# The spellings PyYAML (and so `load_state`) reads as booleans (YAML 1.1).
BOOLEAN = re.compile(
    r"(?:true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)(?=\s|$)"
)


class EditError(ReconcilerError):
    """An edit that cannot be made as asked; nothing was written."""


@dataclass(frozen=True)
class Edit:
    """What an edit did: `changed` is False for a no-op (file untouched)."""

    path: Path
    message: str
    changed: bool = True


@dataclass(frozen=True)
class Found:
    path: Path
    name: str
    flow: str


# --- finding destinations ---------------------------------------------------------


def destinations(state_dir: Path) -> Iterator[Found]:
    """Every destination file that parses to a mapping with a name and a flow.

    Files that do not parse are passed over here; the validation after an edit
    reports them.
    """
    for path, data in readable_documents(state_dir / "destinations"):
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            yield Found(path, data["name"], str(data.get("flow")))


def find(state_dir: Path, name: str, flow: str | None = None) -> Found:
    """The one destination called `name` (on `flow`, when given)."""
    matches = [d for d in destinations(state_dir) if d.name == name]
    if flow is not None:
        matches = [d for d in matches if d.flow == flow]
    if not matches:
        where = f" on flow {flow!r}" if flow else ""
        raise EditError(f"{state_dir / 'destinations'}: no destination named {name!r}{where}")
    if len(matches) > 1:
        flows = ", ".join(sorted(d.flow for d in matches))
        raise EditError(
            f"destination {name!r} exists on several flows ({flows}); say which with --flow"
        )
    return matches[0]


# --- the edits -------------------------------------------------------------------


def set_enabled(state_dir: Path, name: str, enabled: bool, flow: str | None = None) -> Edit:
    """Set `enabled:` in the destination's file, touching nothing else.

    An absent `enabled` means true, so enabling such a file is a no-op and
    disabling it inserts one line. Already in the wanted state: a no-op that
    leaves the file byte-identical.
    """
    found = find(state_dir, name, flow)
    word = "enabled" if enabled else "disabled"
    document = load_document(found.path)
    current = document.data.get("enabled", True)
    if not isinstance(current, bool):
        raise EditError(f"{document.at('enabled')}: enabled: expected true or false")
    if current == enabled:
        return Edit(found.path, f"{found.path}: {name} is already {word}; nothing changed", False)
    text = found.path.read_bytes().decode("utf-8")
    edited = _with_enabled(found.path, text, enabled)
    _check_only_enabled_changed(found.path, text, edited, enabled)
    _write_validated(state_dir, found.path, edited.encode("utf-8"))
    return Edit(found.path, f"{found.path}: {name} {word} (enabled: {str(enabled).lower()})")


def add(
    state_dir: Path,
    name: str,
    *,
    flow: str,
    url: str,
    stream_key_ssm: str,
    description: str | None = None,
    platform: str | None = None,
    enabled: bool = True,
) -> Edit:
    """Write `destinations/NAME.yaml` for a new destination.

    Refuses a name that is not a valid output name (it becomes a file name),
    a name already used on the flow, and an existing file.
    """
    if not re.fullmatch(NAME_PATTERN, name):
        raise EditError(
            f"{name!r} is not a valid destination name: letters, digits, - and _, "
            "starting with a letter or digit, at most 128 characters"
        )
    for other in destinations(state_dir):
        if other.name == name and other.flow == flow:
            raise EditError(f"{other.path}: destination {name!r} already exists on flow {flow!r}")
    path = state_dir / "destinations" / f"{name}.yaml"
    if path.exists():
        raise EditError(f"{path}: file already exists; choose another name")
    if not (state_dir / "destinations").is_dir():
        raise EditError(f"{state_dir / 'destinations'}: directory not found")
    document: dict[str, Any] = {"name": name, "flow": flow, "url": url}
    document["stream_key"] = {"ssm": stream_key_ssm}
    document["enabled"] = enabled
    if description is not None:
        document["description"] = description
    if platform is not None:
        document["platform"] = platform
    _write_validated(state_dir, path, document_text(document, "destination").encode())
    state = "" if enabled else ", disabled"
    return Edit(path, f"{path}: created destination {name} on flow {flow}{state}")


def remove(state_dir: Path, name: str, flow: str | None = None) -> Edit:
    """Delete the destination's file (apply then removes its output)."""
    found = find(state_dir, name, flow)
    _write_validated(state_dir, found.path, None)
    return Edit(found.path, f"{found.path}: deleted (destination {name} on flow {found.flow})")


# --- helpers ---------------------------------------------------------------------


def _write_validated(state_dir: Path, path: Path, content: bytes | None) -> None:
    """Write `content` to `path` (None: delete it), then validate the whole
    state; on any failure, or Ctrl-C, put the file back exactly as it was."""
    before = path.read_bytes() if path.exists() else None
    try:
        if content is None:
            path.unlink()
        else:  # through the redaction sink, like every file the tool writes
            path.write_bytes(redact(content.decode("utf-8")).encode("utf-8"))
        load_state(state_dir)
    except BaseException as e:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        if isinstance(e, StateErrors):
            undone = ReconcilerError(f"{path}: edit undone, the state would not be valid")
            raise StateErrors([*e.errors, undone]) from None
        raise


def _round_trip(path: Path, text: str) -> CommentedMap:
    from reconciler.app.yamledit import round_trip  # ruamel loads only for an edit

    return round_trip(str(path), text)


def _with_enabled(path: Path, text: str, enabled: bool) -> str:
    """`text` with the top-level `enabled` value set, spliced in place."""
    data = _round_trip(path, text)
    value = "true" if enabled else "false"
    # Split on "\n" only (a "\r\n" stays whole), as YAML counts lines.
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    own = dict(data.non_merged_items())
    if "enabled" in own:
        row, column = data.lc.value("enabled")
        match = BOOLEAN.match(lines[row], column)
        if match is None:
            raise EditError(f"{path}:{row + 1}: enabled: expected true or false")
        lines[row] = lines[row][:column] + value + lines[row][match.end() :]
        return "".join(lines)
    indent = data.lc.key(next(iter(own)))[1] if own else 0
    newline = "\r\n" if "\r\n" in text else "\n"
    new_line = f"{' ' * indent}enabled: {value}{newline}"
    following = [k for k in own if k in AFTER_ENABLED]
    if not following:
        return text + ("" if text.endswith("\n") else newline) + new_line
    row = data.lc.key(following[0])[0]
    # Comments written just above that key belong to it: insert above them.
    while row > 0 and lines[row - 1].lstrip().startswith("#"):
        row -= 1
    return "".join([*lines[:row], new_line, *lines[row:]])


def _check_only_enabled_changed(path: Path, before: str, after: str, enabled: bool) -> None:
    """A safety net for the splice: the edited file must read as the original
    with only `enabled` set, or nothing is written."""
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    if new != {**old, "enabled": enabled}:
        raise EditError(f"{path}: could not edit `enabled` safely; edit it by hand")
