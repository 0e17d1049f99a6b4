"""Saved plans: write one after planning, read one back, and prove at apply time
that it still describes what applying would do."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.app.files import now, write_json
from reconciler.app.planning import Planned, compute_plan
from reconciler.app.provenance import git_info
from reconciler.aws import Aws
from reconciler.core import savedplan
from reconciler.core.errors import ReconcilerError

PLAN_KEY_VARIABLE = "RECONCILE_PLAN_KEY"


class StalePlan(ReconcilerError):
    def __init__(self, path: Path, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            f"refusing to apply {path}: "
            + "; ".join(reasons)
            + ". Nothing was applied; plan again."
        )


def save_plan(planned: Planned, path: Path, state_dir: Path, environ: Mapping[str, str]) -> None:
    """Write `planned` to `path` as a saved plan (no secret values inside)."""
    keyed = savedplan.Keyed(os.urandom(16), environ.get(PLAN_KEY_VARIABLE, "").encode())
    document = savedplan.document(
        planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state.fingerprint,
        state_files=planned.state.files,
        secrets=savedplan.secret_entries(planned.state, planned.desired, keyed),
        git=git_info(state_dir),
        created=now(),
        replace_unmanaged=planned.replace_unmanaged,
    )
    write_json(path, document)


def load_saved_plan(path: Path) -> dict[str, Any]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ReconcilerError(f"{path}: cannot read the saved plan: {e.strerror}") from None
    except ValueError:
        raise ReconcilerError(f"{path}: not a saved plan (invalid JSON)") from None
    if not isinstance(saved, dict) or saved.get("format") != savedplan.FORMAT:
        raise ReconcilerError(f"{path}: not a saved plan (made with `reconcile plan --out`)")
    if saved.get("version") != savedplan.VERSION:
        raise ReconcilerError(
            f"{path}: saved plan format version {saved.get('version')!r} is not supported "
            f"(this reconcile reads version {savedplan.VERSION}); plan again"
        )
    problem = savedplan.shape_error(saved)
    if problem is not None:
        raise ReconcilerError(f"{path}: not a usable saved plan: {problem}; plan again")
    return saved


def saved_replace_unmanaged(saved: Mapping[str, Any]) -> frozenset[str]:
    """The `--replace-unmanaged` names the saved plan was made with."""
    return frozenset(saved.get("replace_unmanaged", []))


def recheck_saved_plan(
    saved: dict[str, Any], path: Path, state_dir: Path, aws: Aws, environ: Mapping[str, str]
) -> Planned:
    """Plan again from the same inputs and prove nothing changed since `saved`.

    Raises StalePlan, before any write, if the state files, a live flow, a
    stream key or the resulting changes differ from the saved plan. Plans with
    the `--replace-unmanaged` names the saved plan was made with.
    """
    pepper = environ.get(PLAN_KEY_VARIABLE, "")
    if saved.get("keyed_with_plan_key") and not pepper:
        raise StalePlan(path, [f"it was made with {PLAN_KEY_VARIABLE} set; set it for apply too"])
    keyed = savedplan.Keyed(bytes.fromhex(saved["salt"]), pepper.encode())
    planned = compute_plan(
        state_dir, aws, environ, replace_unmanaged=saved_replace_unmanaged(saved)
    )
    found = savedplan.problems(
        saved,
        plan=planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state.fingerprint,
        state_files=planned.state.files,
        secrets=savedplan.secret_entries(planned.state, planned.desired, keyed),
    )
    if found:
        raise StalePlan(path, found)
    return planned
