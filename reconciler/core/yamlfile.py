"""State files as YAML: which files there are, and each parsed with the line of
every key, so that every error can name its file and line.

State files are configuration, so only plain YAML is accepted: mappings, lists
and untagged scalars. Refused, each as one `FILE:LINE: message`: anchors and
aliases (no "billion laughs"), tags (`!!int`, `!!python/...`, `!`; only
`!!binary`, which `reconcile import` writes for binary metadata, is read), merge keys
(`<<:`), control characters, non-UTF-8 bytes, nesting deeper than MAX_DEPTH,
files over MAX_BYTES, more than one document, and anything that is not a
regular file (directories named `x.yaml`, dangling symlinks, symlink loops,
devices, FIFOs). Parsing is event by event on libyaml when it is installed, so
a refusal stops the parse where the problem is.

Reads files; nothing else.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.core.errors import Location, StateError

# The state's two folders, in the order they are read.
FOLDERS = ("flows", "destinations")

MAX_BYTES = 1 << 20  # 1 MiB: a state file is a few hundred bytes
MAX_DEPTH = 32  # nested mappings and lists; the schemas need 5
MAX_INT = 2**63 - 1  # no setting is larger; bigger ones are typos or attacks

# libyaml's parser when PyYAML was built with it (much faster), else PyYAML's own.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Characters YAML 1.1 allows in a stream (tab, line breaks and printable ones).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_TAG = "tag:yaml.org,2002:"
# Plain scalars that become these types; anything else stays a string (YAML
# 1.1's implicit timestamps too: `2024-05-01` is text, not a date).
_BINARY = f"{_TAG}binary"  # the one tag allowed: binary metadata, as import writes it
_TYPED = frozenset({f"{_TAG}int", f"{_TAG}float", f"{_TAG}bool", f"{_TAG}null"})

# The first line of every file the tool writes: editors then check it as it is typed.
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/{kind}.schema.json\n"


def state_files(folder: Path) -> list[Path]:
    """The YAML files of one state folder, sorted: the one definition of which
    files are state. Includes names that are not regular files (a directory
    called x.yaml, a dangling symlink) so that reading them reports them."""
    try:
        if not folder.is_dir():
            return []
        return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    except OSError:
        return []


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


def read_state_file(path: Path) -> bytes:
    """The bytes of one state file. Raises StateError (never hangs) when it is
    not a regular file or is larger than MAX_BYTES."""
    try:
        info = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StateError(Location(path, 1), "symbolic link loop") from None
        if e.errno == errno.ENOENT and path.is_symlink():
            raise StateError(Location(path, 1), "dangling symbolic link") from None
        raise StateError(Location(path, 1), f"cannot read file: {e.strerror or e}") from None
    if stat.S_ISDIR(info.st_mode):
        raise StateError(Location(path, 1), "is a directory, not a YAML file")
    if not stat.S_ISREG(info.st_mode):
        raise StateError(Location(path, 1), "is not a regular file")
    if info.st_size > MAX_BYTES:
        raise StateError(Location(path, 1), f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        with open(path, "rb", opener=_nonblocking) as f:
            content = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise StateError(Location(path, 1), f"cannot read file: {e.strerror or e}") from None
    if len(content) > MAX_BYTES:
        raise StateError(Location(path, 1), f"file is larger than {MAX_BYTES // 1024} KiB")
    return content


def _nonblocking(path: str, flags: int) -> int:
    # A FIFO swapped in after stat() must not block the open.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def load_document(path: Path, content: bytes | None = None) -> Document:
    """Parse one YAML file (or `content`, its bytes already read), keeping the
    line of every mapping key and list item. Raises StateError."""
    raw = read_state_file(path) if content is None else content
    if len(raw) > MAX_BYTES:
        raise StateError(Location(path, 1), f"file is larger than {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        message = "invalid UTF-8: state files are UTF-8 text"
        raise StateError(Location(path, line), message) from None
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise StateError(
            Location(path, line), f"control character U+{ord(bad.group()):04X} is not allowed"
        )
    lines: dict[Path_, int] = {}
    loader = _LOADER(text)
    try:
        data = _Builder(loader, path, lines).document()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = f"invalid YAML: {e.problem or e.context}"
        if "nesting depth" in problem:  # libyaml's own cap, above ours
            problem = f"nested more than {MAX_DEPTH} levels deep"
        raise StateError(Location(path, line), problem) from None
    except yaml.YAMLError as e:
        raise StateError(Location(path, 1), f"invalid YAML: {e}") from None
    finally:
        loader.dispose()
    return Document(path, data, lines)


@dataclass
class _Frame:
    """A mapping or list being built: its path, and for a mapping the key
    whose value comes next (None while a key is expected)."""

    at: Path_
    value: dict[str, Any] | list[Any]
    key: str | None = None


class _Builder:
    """Python values from parser events, one at a time, with no recursion (so
    no RecursionError) and no alias expansion (aliases are refused)."""

    def __init__(self, loader: Any, path: Path, lines: dict[Path_, int]) -> None:
        # Any: PyYAML's stubs leave the parser's event methods untyped.
        self.loader = loader
        self.path = path
        self.lines = lines

    def fail(self, event: Any, message: str) -> StateError:
        return StateError(Location(self.path, event.start_mark.line + 1), message)

    def document(self) -> Any:
        get = self.loader.get_event
        get()  # StreamStart
        if self.loader.check_event(yaml.StreamEndEvent):
            raise StateError(Location(self.path, 1), "file is empty")
        get()  # DocumentStart
        data = self.value()
        get()  # DocumentEnd
        event = get()
        if not isinstance(event, yaml.StreamEndEvent):
            raise self.fail(event, "a state file holds one YAML document; this is a second")
        return data

    def value(self) -> Any:
        """The value whose first event comes next, with all it contains."""
        stack: list[_Frame] = []
        while True:
            event = self.loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done: Any = stack.pop().value
            else:
                self.check_plain(event)
                parent = stack[-1] if stack else None
                if isinstance(parent, _Frame) and isinstance(parent.value, dict):
                    if parent.key is None:
                        parent.key = self.key(event, parent)
                        self.lines[(*parent.at, parent.key)] = line
                        continue
                    at: Path_ = (*parent.at, parent.key)
                elif parent is not None:
                    at = (*parent.at, len(parent.value))
                else:
                    at = ()
                self.lines.setdefault(at, line)
                if isinstance(event, yaml.ScalarEvent):
                    done = self.scalar(event)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise self.fail(event, f"nested more than {MAX_DEPTH} levels deep")
                    container: dict[str, Any] | list[Any] = (
                        {} if isinstance(event, yaml.MappingStartEvent) else []
                    )
                    stack.append(_Frame(at, container))
                    continue
            if not stack:
                return done
            parent = stack[-1]
            if isinstance(parent.value, dict):
                assert parent.key is not None
                parent.value[parent.key] = done
                parent.key = None
            else:
                parent.value.append(done)

    def check_plain(self, event: Any) -> None:
        """Refuse aliases, anchors and tags."""
        if isinstance(event, yaml.AliasEvent):
            raise self.fail(event, "YAML aliases (*name) are not allowed in state files")
        if getattr(event, "anchor", None) is not None:
            raise self.fail(event, "YAML anchors (&name) are not allowed in state files")
        tag = getattr(event, "tag", None)
        implicit = isinstance(event, yaml.CollectionStartEvent) and event.implicit
        if tag == _BINARY and isinstance(event, yaml.ScalarEvent):
            return  # what `reconcile import` writes for binary metadata
        if tag is not None and not implicit:
            shown = tag.replace(_TAG, "!!")
            raise self.fail(event, f"YAML tags ({shown}) are not allowed in state files")

    def key(self, event: Any, frame: _Frame) -> str:
        """A mapping key: a plain or quoted string, not yet used in `frame`."""
        if not isinstance(event, yaml.ScalarEvent):
            raise self.fail(event, "keys must be strings")
        if event.implicit[0] and self.resolve(event.value) == f"{_TAG}merge":
            raise self.fail(event, "YAML merge keys (<<) are not allowed in state files")
        key = self.scalar(event)
        if not isinstance(key, str):
            raise self.fail(event, "keys must be strings")
        if key in frame.value:
            raise self.fail(event, f"duplicate key {key!r}")
        return key

    def scalar(self, event: Any) -> Any:
        if event.tag == _BINARY:
            node = yaml.ScalarNode(_BINARY, event.value, event.start_mark, event.end_mark)
            try:
                return self.loader.construct_yaml_binary(node)
            except yaml.YAMLError:
                raise self.fail(event, "!!binary value is not base64") from None
        if not event.implicit[0]:
            return event.value  # quoted, or a block scalar: text
        tag = self.resolve(event.value)
        if tag not in _TYPED:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            value = self.loader.yaml_constructors[tag](self.loader, node)
        except (ValueError, OverflowError):
            raise self.fail(event, "number is too large") from None
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise self.fail(event, "number is too large")
        return value

    def resolve(self, value: str) -> str:
        return str(self.loader.resolve(yaml.ScalarNode, value, (True, False)))


def readable_documents(folder: Path) -> Iterator[tuple[Path, Any]]:
    """(path, data) of every file in `folder` that parses; the others are passed
    over here (`validate` reports them)."""
    for path in state_files(folder):
        try:
            yield path, load_document(path).data
        except StateError:
            continue


# --- writing new files -------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, which knows no Secret: a key cannot slip into a file."""


class _Inline(dict[str, Any]):
    """A mapping written on one line, like `stream_key: {ssm: /path}`."""


_Dumper.add_representer(
    _Inline, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True)
)


def document_text(document: Mapping[str, Any], kind: str) -> str:
    """A new state file's text: the schema line, then the document in block style
    (the one writer of new files: import and `reconcile add` use it)."""
    data = {k: _Inline(v) if k == "stream_key" else v for k, v in document.items()}
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return SCHEMA_LINE.format(kind=kind) + body
