"""Keeping the legacy destinations table in step with MediaConnect after an apply.

The old dashboard reads `lunora-destinations`. After `apply --sync-table TABLE`
each output that was added, replaced or updated has its row told where it now
lives: `mediaconnect_output_arn`, `output_type: mediaconnect` and
`last_mediaconnect_sync` (ISO 8601, UTC). A row is found by the destination
file's `metadata.destination_id` (written by `import --from-dynamodb`); a file
without one is matched on the row's `name` attribute instead. Only those three
attributes are set (UpdateItem, on a row that exists): no row is created,
deleted or otherwise changed, and rows that cannot be matched are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from reconciler.aws.dynamodb import Item
from reconciler.core.errors import AwsError, ReconcilerError, StateError
from reconciler.core.results import ApplyReport, Outcome
from reconciler.core.yamlfile import load_document

OUTPUT_TYPE = "mediaconnect"


class Table(Protocol):
    """What the sync needs from DynamoDB (implemented by `aws.dynamodb.DynamoDb`)."""

    def key_names(self, region: str, table: str) -> tuple[str, ...]: ...

    def scan(self, region: str, table: str) -> list[Item]: ...

    def set_attributes(
        self, region: str, table: str, *, key: Mapping[str, Any], attributes: Mapping[str, str]
    ) -> bool: ...


@dataclass(frozen=True)
class Applied:
    """An output that apply left in place, and what identifies its legacy row."""

    output: str
    arn: str
    destination_id: Any  # metadata.destination_id of its file, or None
    names: tuple[str, ...]  # the output name, and the row's original name if it was slugified


@dataclass(frozen=True)
class SyncLine:
    output: str
    ok: bool
    text: str


def applied_outputs(report: ApplyReport) -> list[Applied]:
    """The outputs a report says were added, replaced or updated, with their ARN."""
    applied = []
    for result in report.results:
        change = result.change
        if result.outcome is not Outcome.DONE or change.desired is None:
            continue
        arn = result.output_arn
        if arn is not None:
            metadata = _metadata(change.desired.location.file)
            original = metadata.get("name")
            names = (change.output, *([original] if isinstance(original, str) else []))
            applied.append(Applied(change.output, arn, metadata.get("destination_id"), names))
    return applied


def _metadata(file: Path) -> Mapping[str, Any]:
    try:
        data = load_document(file).data
    except StateError:
        return {}
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def match(applied: Applied, rows: Sequence[Item]) -> Item | str:
    """The row `applied` belongs to, or why there is none (purely computational)."""
    if applied.destination_id is not None:
        found = [r for r in rows if r.values.get("destination_id") == applied.destination_id]
        what = f"destination_id {applied.destination_id!r}"
    else:
        found = [r for r in rows if r.values.get("name") in applied.names]
        what = f"name {applied.names[-1]!r}"
    if not found:
        return f"no row with {what}; none created"
    if len(found) > 1:
        return f"{len(found)} rows have {what}; none updated"
    return found[0]


def sync_table(
    table: str,
    report: ApplyReport,
    db: Table,
    *,
    echo: Callable[[str], Any],
    now: datetime | None = None,
) -> list[SyncLine]:
    """Write each applied output's ARN back to its legacy row; echo one line per
    output. The table is read in the outputs' region (or the one in a table ARN).

    Raises ReconcilerError after reporting if any matched row could not be
    updated; unmatched outputs are reported only.
    """
    applied = applied_outputs(report)
    if not applied:
        return []
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    tables: dict[str, tuple[tuple[str, ...], list[Item]]] = {}
    lines = []
    echo(f"\nSyncing table {table}:")
    for output in applied:
        region = _region(table) or _region(output.arn)
        if region not in tables:
            tables[region] = (db.key_names(region, table), db.scan(region, table))
        key_names, rows = tables[region]
        row = match(output, rows)
        if isinstance(row, str):
            line = SyncLine(output.output, True, f"  · {output.output}: {row}")
        else:
            line = _write(db, region, table, output, row, key_names, stamp)
        lines.append(line)
        echo(line.text)
    failed = [line.output for line in lines if not line.ok]
    if failed:
        raise ReconcilerError(f"table {table}: row(s) of {', '.join(failed)} not updated")
    return lines


def _write(
    db: Table,
    region: str,
    table: str,
    output: Applied,
    row: Item,
    key_names: tuple[str, ...],
    stamp: str,
) -> SyncLine:
    key = {name: row.raw[name] for name in key_names}
    shown = ", ".join(f"{k}={row.values[k]}" for k in key_names)
    attributes = {
        "mediaconnect_output_arn": output.arn,
        "output_type": OUTPUT_TYPE,
        "last_mediaconnect_sync": stamp,
    }
    try:
        if not db.set_attributes(region, table, key=key, attributes=attributes):
            return SyncLine(output.output, True, f"  · {output.output}: row {shown} is gone")
    except AwsError as e:
        return SyncLine(output.output, False, f"  ! {output.output}: row {shown}: {e}")
    return SyncLine(output.output, True, f"  ✓ {output.output} → row {shown}")


def _region(arn: str) -> str:
    """The region of an ARN ('' for a plain table name)."""
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 else ""
