"""State files as YAML: which files there are, and each parsed with the line of
every key, so that every error can name its file and line.

Reads files; nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.core.errors import Location, StateError

# The state's two folders, in the order they are read.
FOLDERS = ("flows", "destinations")

# The first line of every file the tool writes: editors then check it as it is typed.
SCHEMA_LINE = "# yaml-language-server: $schema=../../schemas/{kind}.schema.json\n"


def state_files(folder: Path) -> list[Path]:
    """The YAML files of one state folder, sorted: the one definition of which
    files are state."""
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


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


def load_document(path: Path, content: bytes | None = None) -> Document:
    """Parse one YAML file (or `content`, its bytes already read), keeping the
    line of every mapping key and list item."""
    try:
        raw = path.read_bytes() if content is None else content
        text = raw.decode("utf-8")
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
