"""Minimal edits to a YAML file's text: set the values at some key paths and
leave every other byte as it was (comments, quoting, spacing, line endings).

ruamel.yaml's round-trip loader says where each key and value starts; the new
value is spliced in there, or a new `key: value` line is inserted in its
mapping. The result is then read back: it must equal the original data with
exactly these values set, or nothing is returned but an error. Values that
span several lines (block scalars), flow-style mappings and anything else that
cannot be spliced safely are refused with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from reconciler.core.errors import ReconcilerError

KeyPath = tuple[str, ...]
# Keys a destination file lists late: a new top-level key goes before the first of them.
LATE_KEYS = ("platform", "settings", "metadata")


class SpliceError(ReconcilerError):
    """The edit cannot be made safely; the file is left as it is."""


def set_values(name: str, text: str, edits: Sequence[tuple[KeyPath, Any]]) -> str:
    """`text` with each key path set to its value. `name` names the file in errors."""
    expected = yaml.safe_load(text)
    for path, value in edits:
        text = _set(name, text, path, value)
        _assign(expected, path, value)
    if yaml.safe_load(text) != expected:
        raise SpliceError(f"{name}: could not be edited safely; edit it by hand")
    return text


def _set(name: str, text: str, path: KeyPath, value: Any) -> str:
    root = round_trip(name, text)
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)  # "\r\n" stays whole, as YAML counts
    newline = "\r\n" if "\r\n" in text else "\n"
    node: CommentedMap = root
    for depth, key in enumerate(path[:-1]):
        child = node.get(key)
        if child is None:  # the rest of the path does not exist: one new line
            nested: Any = value
            for part in reversed(path[depth + 1 :]):
                nested = {part: nested}
            return _insert(name, node, lines, key, nested, newline)
        if not isinstance(child, CommentedMap) or child.fa.flow_style():
            raise SpliceError(f"{name}: `{key}` is not a block mapping; edit the file by hand")
        node = child
    key = path[-1]
    if key not in node:
        return _insert(name, node, lines, key, value, newline)
    if isinstance(node[key], dict | list):
        raise SpliceError(f"{name}: `{'.'.join(path)}` holds a structure; edit the file by hand")
    row, column = node.lc.value(key)
    line = lines[row]
    end = _scalar_end(line, column)
    if end is None or yaml.safe_load(line[column:end] or "~") != node[key]:
        raise SpliceError(f"{name}:{row + 1}: `{key}` spans several lines; edit it by hand")
    lines[row] = line[:column] + _scalar(value) + line[end:]
    return "".join(lines)


def _insert(
    name: str, mapping: CommentedMap, lines: list[str], key: str, value: Any, newline: str
) -> str:
    """A new `key: value` line in `mapping`: before its late keys, else after it."""
    own = list(mapping)
    if not own:
        raise SpliceError(f"{name}: empty mapping; edit the file by hand")
    column = mapping.lc.key(own[0])[1]
    entry = f"{' ' * column}{key}: {_scalar(value)}{newline}"
    late = [k for k in own if k in LATE_KEYS] if column == 0 else []
    if late:
        row = mapping.lc.key(late[0])[0]
        while row > 0 and lines[row - 1].lstrip().startswith("#"):
            row -= 1  # comments just above a key belong to it
    else:
        row = _end_of(mapping, lines)
    if row == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    return "".join([*lines[:row], entry, *lines[row:]])


def _end_of(mapping: CommentedMap, lines: list[str]) -> int:
    """The row after the last line that belongs to `mapping` (its last entry)."""
    last_row: int = mapping.lc.key(list(mapping)[-1])[0]
    column: int = mapping.lc.key(next(iter(mapping)))[1]
    row = last_row + 1
    while row < len(lines):
        stripped = lines[row].strip()
        indent = len(lines[row]) - len(lines[row].lstrip(" "))
        if stripped and indent <= column:  # a key or comment outside the mapping
            break
        row += 1
    while row > last_row + 1 and not lines[row - 1].strip():
        row -= 1  # blank lines after the mapping stay after the new entry
    return row


def _scalar_end(line: str, column: int) -> int | None:
    """Where the one-line scalar starting at `column` ends (its comment excluded)."""
    rest = line[column:].rstrip("\r\n")
    if rest[:1] in ("|", ">"):
        return None
    if rest[:1] == '"':
        match = re.match(r'"(?:[^"\\]|\\.)*"', rest)
        return column + match.end() if match else None
    if rest[:1] == "'":
        match = re.match(r"'(?:[^']|'')*'", rest)
        return column + match.end() if match else None
    comment = re.search(r"\s#", rest)
    body = rest[: comment.start()] if comment else rest
    return column + len(body.rstrip())


def _scalar(value: Any) -> str:
    """`value` as one line of YAML (structures in flow style)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 20, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def round_trip(name: str, text: str) -> CommentedMap:
    """`text` read by ruamel's round-trip loader (which keeps every position), if it
    is a block mapping; otherwise why it cannot be edited in place."""
    try:
        data = YAML(typ="rt").load(text)
    except Exception as e:  # ruamel's errors have no common base worth naming
        raise SpliceError(f"{name}: cannot be edited: {type(e).__name__}") from None
    if not isinstance(data, CommentedMap):
        raise SpliceError(f"{name}: a destination file must be a mapping of fields")
    if data.fa.flow_style():
        raise SpliceError(f"{name}: written as a one-line {{...}} mapping; edit it by hand")
    return data


def _assign(data: Any, path: KeyPath, value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), Mapping):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value
