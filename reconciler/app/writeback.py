"""`drift --write`: make git say what is live, for the outputs the tool owns.

Each destination file is edited minimally (`app.yamledit`); every edited file
is first written into a scratch copy of the state, which must validate and
must plan to no change for the rewritten outputs, before the originals are
replaced (each through a temporary file renamed into place). A file that
cannot be edited so is left untouched and reported. Stream keys are never
written; outputs removed by hand, or owned but undeclared, are reported with
the choice to make.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.app.planning import Planned
from reconciler.app.yamledit import SpliceError, set_values
from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.models import DesiredOutput, DestinationSpec
from reconciler.core.planner import OutputChange, differences
from reconciler.core.state import load_state
from reconciler.core.writeback import FileEdits, Finding, file_edits
from reconciler.core.yamlfile import load_document


@dataclass
class WriteBack:
    """What `write_back` did: files written (with the keys set), and what is left."""

    written: list[tuple[Path, FileEdits]] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)


def write_back(planned: Planned, state_dir: Path) -> WriteBack:
    """Edit the destination files of `planned`'s changes so git matches live."""
    result = WriteBack()
    specs = {(d.flow, d.name): d for d in planned.state.destinations}
    desired = {(d.flow, d.name): d for d in planned.desired}
    texts: dict[Path, str] = {}
    pending: dict[Path, list[FileEdits]] = {}
    for change in planned.plan.changes:
        if change.adoption_only:
            continue
        spec = specs.get((change.flow, change.output))
        document = load_document(spec.location.file).data if spec else {}
        reference = spec.stream_key.describe() if spec and spec.stream_key else None
        found = file_edits(change, document, reference)
        if isinstance(found, Finding):
            result.left.append(found)
            continue
        assert spec is not None
        path = spec.location.file
        try:
            texts[path] = set_values(
                str(path), texts.get(path) or path.read_bytes().decode("utf-8"), found.edits
            )
        except SpliceError as e:
            result.left.append(Finding(change.flow, change.output, str(e)))
            continue
        pending.setdefault(path, []).append(found)
    if not texts:
        return result
    with tempfile.TemporaryDirectory(prefix="reconcile-drift-") as scratch:
        copy = Path(scratch) / "state"
        shutil.copytree(state_dir, copy, symlinks=True)
        for path, text in texts.items():
            (copy / path.relative_to(state_dir)).write_text(text, encoding="utf-8", newline="")
        try:
            rewritten = load_state(copy)
        except StateErrors as e:
            raise ReconcilerError(
                "drift --write: the edited files would not validate, so none was written: "
                + "; ".join(str(error) for error in e.errors)
            ) from None
    after = {(d.flow, d.name): d for d in rewritten.destinations}
    changes = {(c.flow, c.output): c for c in planned.plan.changes}
    for path in list(texts):
        for edits in pending[path]:
            key = (edits.flow, edits.output)
            if not _plans_clean(changes[key], desired[key], specs[key], after.get(key)):
                result.left.append(
                    Finding(*key, f"{path}: the edit would not match the live output; edit by hand")
                )
                texts.pop(path, None)
    for path, text in texts.items():
        _replace(path, text)
        result.written += [(path, edits) for edits in pending[path]]
    return result


def _plans_clean(
    change: OutputChange,
    before: DesiredOutput,
    spec: DestinationSpec,
    after: DestinationSpec | None,
) -> bool:
    """Whether the rewritten destination plans to no change against the live output
    (its stream key, never written, carried over from what was resolved)."""
    if after is None or change.live is None:
        return False
    fields: dict[str, object] = dict(after.fields)
    old, new = spec.stream_key_path, after.stream_key_path
    if old is not None and new is not None and old in before.fields:
        fields[new] = before.fields[old]
    return not differences(fields, change.live.fields)  # type: ignore[arg-type]


def _replace(path: Path, text: str) -> None:
    """Write whole or not at all, keeping the file's permissions."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline="")
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise ReconcilerError(f"{path}: cannot write: {e.strerror}") from None


def describe(edits: FileEdits) -> str:
    """`url, enabled` for a report line."""
    return ", ".join(".".join(path) for path, _ in edits.edits)
