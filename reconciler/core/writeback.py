"""Drift back into git: the edits that make a destination file say what is live.

For an output the tool owns whose live settings differ from git, `file_edits`
works out which keys of its destination file to set so that the file plans to
no change: URL-expressible fields (protocol, host, port, application, SRT
latency) rewrite `url`, `OutputStatus` rewrites `enabled`, `Description`
rewrites `description`, anything else goes into `settings:` under
MediaConnect's request names. What must not or cannot be written is returned
as a finding instead: a stream key is never written, an output removed by hand
or owned but undeclared is a choice for a person.

Purely computational: the caller reads the files and writes the edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.models import SENSITIVE_PATHS, Fields, thaw
from reconciler.core.outputs import UrlError, parse_url, url_of
from reconciler.core.planner import Action, OutputChange
from reconciler.core.secrets import Secret

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class FileEdits:
    """The keys to set in one destination file (values are plain YAML data)."""

    flow: str
    output: str
    edits: tuple[tuple[KeyPath, Any], ...]


@dataclass(frozen=True)
class Finding:
    """Drift that is reported, not written: what it is and what to do."""

    flow: str
    output: str
    message: str


def file_edits(
    change: OutputChange, document: Mapping[str, Any], key_reference: str | None
) -> FileEdits | Finding:
    """What to set in `document` (the destination file's data) so that git says
    what `change.live` is; or why it is not written.

    `key_reference` is the file's stream key reference as written (`{ssm: ...}`),
    or None when it has none.
    """
    flow, name = change.flow, change.output
    if change.action is Action.ADD:
        return Finding(
            flow,
            name,
            "declared in git but not on the live flow (removed by hand?): restore it with "
            "`reconcile apply`, or delete its file",
        )
    if change.action is Action.REMOVE:
        return Finding(
            flow,
            name,
            "owned by the tool but declared nowhere in git: restore its file (`reconcile "
            f"import --flow {flow} --only {name}`), or let `reconcile apply` remove it",
        )
    if change.adopt or change.live is None or change.desired is None:
        return Finding(flow, name, "not owned by the tool: nothing is written for it")
    live, desired = change.live.fields, change.desired.fields
    changed = [f.path for f in change.fields]
    sensitive = [p for p in changed if p in SENSITIVE_PATHS or isinstance(desired.get(p), Secret)]
    if sensitive and not _same_key(desired, live):
        reference = key_reference or "the file's value"
        return Finding(
            flow,
            name,
            f"the live key differs from {reference}: rotate the parameter or re-apply "
            "(a stream key is never written to git)",
        )
    changed = [p for p in changed if p not in sensitive]
    target = {**desired, **{p: live.get(p) for p in changed}}
    edits: list[tuple[KeyPath, Any]] = []
    rest = list(changed)
    if "url" in document:
        said = parse_url(str(document["url"])).fields  # what the file's URL says today
        # A new protocol takes everything its URL can say from the live output.
        url, implied = _url_for(live if "Protocol" in changed else target)
        if url is None:
            if any(p in said for p in changed):
                return Finding(
                    flow,
                    name,
                    "the live settings cannot be written as a URL: edit the file by hand",
                )
        else:
            if url != document["url"] and any(p in implied or p in said for p in changed):
                edits.append((("url",), url))
            # A field the old URL set and the new one does not is gone with it.
            rest = [
                p for p in rest if p not in implied and not (p in said and target.get(p) is None)
            ]
    elif "Protocol" in rest:
        edits.append((("protocol",), target["Protocol"]))
        rest.remove("Protocol")
    for path in rest:
        value = target.get(path)
        if path == "OutputStatus":
            edits.append((("enabled",), value != "DISABLED"))
        elif path == "Description":
            edits.append((("description",), value or ""))
        elif value is None:
            return Finding(
                flow, name, f"{path} is no longer set on the live output: edit the file by hand"
            )
        else:
            edits.append((_settings_key(document, path), thaw(value)))
    return FileEdits(flow, name, tuple(edits))


def _same_key(desired: Fields, live: Fields) -> bool:
    """Whether the live output carries git's stream key and no other secret, wherever
    it sits (a protocol change moves it, e.g. from StreamName to StreamId)."""
    keys = [v for v in desired.values() if isinstance(v, Secret)]
    found = [live[p] for p in SENSITIVE_PATHS if live.get(p) is not None]
    return len(keys) == 1 and bool(found) and all(v == keys[0] for v in found)


def _url_for(fields: Fields) -> tuple[str | None, frozenset[str]]:
    """The URL for `fields` and the field paths it says, if it says them exactly."""
    url = url_of(fields)
    if url is None:
        return None, frozenset()
    try:
        implied = parse_url(url).fields
    except UrlError:
        return None, frozenset()
    if any(fields.get(p) != v for p, v in implied.items()):
        return None, frozenset()
    return url, frozenset(implied)


def _settings_key(document: Mapping[str, Any], path: str) -> KeyPath:
    """Where `path` goes in `settings:`: a dotted key the file already uses, else
    nested under MediaConnect's request names."""
    settings = document.get("settings")
    if isinstance(settings, Mapping) and path in settings:
        return ("settings", path)
    return ("settings", *path.split("."))
