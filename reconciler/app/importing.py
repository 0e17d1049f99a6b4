"""The import use case: destination files from what exists today.

Three sources: the outputs already on a MediaConnect flow (`--flow`), the RTMP
outputs of a MediaLive channel (`--from-medialive`) and the legacy DynamoDB
table (`--from-dynamodb`). Each output becomes `state/destinations/NAME.yaml`
(and the flow file is written if no file declares the flow yet). Every file is
checked with the same validation as `reconcile validate` before anything is
written; one that would not pass is reported as skipped, never written.

Stream keys never reach a file: files reference `{ssm: PREFIX/FLOW/OUTPUT/stream-key}`
and `--store-keys` puts the key there (SecureString), keeping an existing
parameter unless `--force`. AWS calls: MediaConnect DescribeFlow (+ ListFlows
by name, ListTagsForResource per output), MediaLive DescribeChannel, DynamoDB
Scan; with `--store-keys`, SSM GetParameters then PutParameter per new key.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.app.planning import observe_flow
from reconciler.aws import Aws
from reconciler.core.errors import AwsError, Location, ReconcilerError, StateError, StateErrors
from reconciler.core.importer import (
    Candidate,
    Converted,
    Skipped,
    flow_document,
    from_live_output,
    from_medialive,
    from_table_rows,
    output_name,
)
from reconciler.core.models import FlowSpec
from reconciler.core.regions import region_problem
from reconciler.core.secrets import redact
from reconciler.core.state import load_state
from reconciler.core.yamlfile import document_text, load_document, readable_documents


@dataclass(frozen=True)
class Target:
    """The flow the imported destinations belong to, and its file."""

    name: str
    region: str
    arn: str | None
    file: Path
    text: str  # the flow file's text (existing, or to be written)
    exists: bool


def import_destinations(
    aws: Aws,
    *,
    flow: str,
    channel_id: str | None,
    table: str | None,
    region: str | None,
    state_dir: Path,
    only: str | None,
    store_keys: bool,
    force: bool,
    ssm_prefix: str,
    enable: bool,
    echo: Callable[[str], None],
    default_region: str | None = None,
) -> None:
    """Write destination files for outputs that exist today; report each on `echo`.

    The flow's region: `region`, else the flow ARN's, else the flow file's, else
    `default_region` (AWS_REGION / AWS_DEFAULT_REGION, from app.settings)."""
    if channel_id and table:
        raise ReconcilerError("--from-medialive and --from-dynamodb cannot be combined")
    if enable and not channel_id:
        raise ReconcilerError("--enable applies to --from-medialive only")
    if store_keys and table:
        raise ReconcilerError(
            "--store-keys does not apply to --from-dynamodb: rows already name their "
            "SSM parameter (stream_key_param)"
        )
    target = _target(flow, region, state_dir, default_region)
    unmanaged: set[str] = set()
    if channel_id:
        channel = aws.medialive.describe_channel(target.region, channel_id)
        results = from_medialive(channel, flow=target.name, key_prefix=ssm_prefix, enabled=enable)
        origin = f"MediaLive channel {channel_id}"
    elif table:
        rows = [item.values for item in aws.dynamodb.scan(target.region, table)]
        results = from_table_rows(rows, flow=target.name)
        origin = f"table {table}"
    else:
        spec = FlowSpec(target.name, target.region, Location(Path("--flow")), arn=target.arn)
        live = observe_flow(spec, aws)
        results = [from_live_output(o, flow=live.name, key_prefix=ssm_prefix) for o in live.outputs]
        unmanaged = {o.name for o in live.outputs if not o.managed}
        origin = f"flow {live.name}"
    if only is not None:
        results = _only(results, only, origin)
    imported = _import(
        aws, target, results, state_dir, store_keys=store_keys, force=force, echo=echo
    )
    adopted = len(unmanaged & {c.name for c in imported})
    if adopted:
        echo(
            f"{adopted} of them were not created by reconcile: the next plan lists them as "
            "adopted with no setting changed, and apply only tags them as managed."
        )


def _wanted(name: str, only: str | None) -> bool:
    return only is None or name in (only, output_name(only))


def _only(results: Sequence[Converted], only: str, origin: str) -> list[Converted]:
    chosen = [r for r in results if _wanted(r.name, only)]
    if not chosen:
        found = ", ".join(sorted({r.name for r in results if r.name})) or "none"
        raise ReconcilerError(f"no destination named {only!r} in {origin} (found: {found})")
    return chosen


# As in schemas/flow.schema.json; the region by its shape (us-west-2, us-gov-east-1).
FLOW_ARN = re.compile(r"arn:aws[a-z-]*:mediaconnect:([a-z0-9-]+):[0-9]{12}:flow:[^:]+:([^:]+)")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


def _target(
    flow: str, region: str | None, state_dir: Path, default_region: str | None = None
) -> Target:
    """The flow by name or ARN, its region, and its file (an existing one that
    declares it, or the one to write)."""
    arn = flow if flow.startswith("arn:") else None
    parts = FLOW_ARN.fullmatch(arn) if arn else None
    if arn is not None and parts is None:
        raise ReconcilerError(
            f"--flow {arn!r} is not a MediaConnect flow ARN "
            "(arn:aws:mediaconnect:REGION:ACCOUNT:flow:ID:NAME); give the ARN or the flow's name"
        )
    if region is not None and not REGION.fullmatch(region):
        raise ReconcilerError(f"--region {region!r} is not an AWS Region name (like us-west-2)")
    if region is not None and (problem := region_problem(region)) is not None:
        raise ReconcilerError(f"--region {problem}")
    name = parts.group(2) if parts else flow
    existing = _flow_files(state_dir).get(name)
    data = load_document(existing).data if existing else {}
    region = region or (parts.group(1) if parts else None) or data.get("region") or default_region
    if not region:
        raise ReconcilerError(f"which region is flow {name!r} in? Give --region")
    if existing is not None:
        text = existing.read_text(encoding="utf-8")
        return Target(name, region, arn or data.get("arn"), existing, text, exists=True)
    file = state_dir / "flows" / f"{name}.yaml"
    if file.exists():
        raise ReconcilerError(f"{file}: exists but does not declare flow {name!r}")
    text = document_text(flow_document(name, region, arn), "flow")
    return Target(name, region, arn, file, text, exists=False)


def _flow_files(state_dir: Path) -> dict[str, Path]:
    """Flow name → the file declaring it (files that do not parse are ignored here;
    `validate` reports them)."""
    return {
        data["name"]: path
        for path, data in _documents(state_dir / "flows")
        if isinstance(data.get("name"), str)
    }


def _documents(folder: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    return ((path, data) for path, data in readable_documents(folder) if isinstance(data, dict))


def _import(
    aws: Aws,
    target: Target,
    results: Sequence[Converted],
    state_dir: Path,
    *,
    store_keys: bool,
    force: bool,
    echo: Callable[[str], None],
) -> list[Candidate]:
    """Check every candidate, store keys, write files, report each result, and
    return the candidates imported."""
    folder = state_dir / "destinations"
    declared = {(data.get("flow"), data.get("name")): path for path, data in _documents(folder)}
    skipped = [r for r in results if isinstance(r, Skipped)]
    candidates = [r for r in results if isinstance(r, Candidate)]
    texts: dict[str, str] = {}
    for candidate in candidates:
        file = folder / f"{candidate.name}.yaml"
        text = document_text(candidate.document, "destination")
        other = declared.get((target.name, candidate.name))
        if other is not None and other != file:
            skipped.append(_skip(candidate, f"already declared in {other}"))
        elif redact(text) != text:  # a key in a setting: never written to a file
            skipped.append(_skip(candidate, "its settings hold a stream key; not written"))
        elif file.exists() and not force and file.read_text(encoding="utf-8") != text:
            skipped.append(_skip(candidate, f"{file} exists (use --force to overwrite)"))
        else:
            texts[candidate.name] = text
    problems = _validation_problems(target, texts)
    skipped += [_skip(c, problems[c.name]) for c in candidates if c.name in problems]
    kept = [c for c in candidates if c.name in texts and c.name not in problems]

    key_lines = _store_keys(aws, target.region, kept, force) if store_keys else []
    if not target.exists and kept:
        target.file.parent.mkdir(parents=True, exist_ok=True)
        target.file.write_text(redact(target.text), encoding="utf-8")
        echo(f"wrote {target.file}")
    written = 0
    for candidate in kept:
        file = folder / f"{candidate.name}.yaml"
        if file.exists() and file.read_text(encoding="utf-8") == texts[candidate.name]:
            echo(f"unchanged {file} ({candidate.source})")
        else:
            folder.mkdir(parents=True, exist_ok=True)
            file.write_text(redact(texts[candidate.name]), encoding="utf-8")
            written += 1
            echo(f"wrote {file} ({candidate.source})")
        for note in candidate.notes:
            echo(f"  note: {note}")
    for line in key_lines:
        echo(line)
    for skip in skipped:
        echo(f"skipped {skip.source}: {skip.reason}")
    unstored = [c for c in kept if c.key is not None] if not store_keys else []
    if unstored:
        echo(
            f"{len(unstored)} stream key(s) not stored: run again with --store-keys, or put "
            "each into the SSM SecureString parameter its file names"
        )
    echo(f"Imported {len(kept)} destination(s) ({written} written), skipped {len(skipped)}.")
    return kept


def _skip(candidate: Candidate, reason: str) -> Skipped:
    return Skipped(candidate.name, candidate.source, reason)


def _validation_problems(target: Target, texts: dict[str, str]) -> dict[str, str]:
    """Name → the first `validate` error of its file, run on a scratch copy of the
    flow file and the candidate files (which hold references only)."""
    if not texts:
        return {}
    with tempfile.TemporaryDirectory(prefix="reconcile-import-") as scratch:
        root = Path(scratch)
        (root / "flows").mkdir()
        (root / "destinations").mkdir()
        (root / "flows" / target.file.name).write_text(redact(target.text), encoding="utf-8")
        for name, text in texts.items():
            (root / "destinations" / f"{name}.yaml").write_text(redact(text), encoding="utf-8")
        try:
            load_state(root)
        except StateErrors as e:
            problems: dict[str, str] = {}
            for error in e.errors:
                if (
                    not isinstance(error, StateError)
                    or error.location.file.parent.name != "destinations"
                ):
                    raise ReconcilerError(f"{target.file}: {error}") from None
                problems.setdefault(error.location.file.stem, error.message)
            return problems
    return {}


def _store_keys(aws: Aws, region: str, candidates: Sequence[Candidate], force: bool) -> list[str]:
    """Put each candidate's key into its SSM parameter; report one line per key.

    Existing parameters are read first (GetParameters): one that holds the same
    key is left alone, one that holds another is overwritten only with `force`.
    """
    wanted = [(c.key_parameter, c.key) for c in candidates if c.key and c.key_parameter]
    if not wanted:
        return []
    existing = aws.secrets.ssm_parameters(region, [name for name, _ in wanted]).values
    lines = []
    for name, key in wanted:
        current = existing.get(name)
        if current is not None and current == key:
            lines.append(f"kept SSM {name}: it already holds this key")
            continue
        if current is not None and not force:
            lines.append(
                f"kept SSM {name}: it holds a different key (use --force to overwrite); "
                "the next plan will change that output's key"
            )
            continue
        try:
            aws.parameters.put_secure_string(region, name, key, overwrite=force)
        except AwsError as e:
            if e.code != "ParameterAlreadyExists":
                raise
            lines.append(f"kept SSM {name}: it exists (use --force to overwrite)")
            continue
        lines.append(f"stored the key in SSM {name} (SecureString)")
    return lines
