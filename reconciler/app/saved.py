"""Saved plans: write one after planning, read one back, and prove at apply time
that it still describes what applying would do."""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.app.files import now, write_json
from reconciler.app.planning import Planned, compute_plan
from reconciler.app.provenance import git_info
from reconciler.aws import Aws
from reconciler.core import approval, savedplan, savedview
from reconciler.core.cost import PlanCost
from reconciler.core.errors import ReconcilerError
from reconciler.core.planner import Plan
from reconciler.core.selection import FlowFilter, NoFlowMatches

PLAN_KEY_VARIABLE = "RECONCILE_PLAN_KEY"
REQUIRED_KEYS = (
    "salt",
    "keyed_with_plan_key",
    "state_fingerprint",
    "flows",
    "plan_fingerprint",
    "secrets",
    "comparable_changes",
)


class StalePlan(ReconcilerError):
    def __init__(self, path: Path, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__(
            f"refusing to apply {path}: "
            + "; ".join(reasons)
            + ". Nothing was applied; plan again."
        )


def save_plan(planned: Planned, path: Path, state_dir: Path, environ: Mapping[str, str]) -> None:
    """Write `planned` to `path` as a saved plan (no secret values inside, and
    nothing that can be checked against a guessed key offline).

    Raises ReconcilerError, writing nothing, when a key has no stored version
    (`{env:}`) and RECONCILE_PLAN_KEY is not set."""
    keyed = savedplan.Keyed(os.urandom(16), environ.get(PLAN_KEY_VARIABLE, "").encode())
    unversioned = [
        d
        for d in planned.state.destinations
        if d.stream_key is not None and (d.flow, d.name) not in planned.key_versions
    ]
    if unversioned and not keyed.pepper:
        first = unversioned[0]
        reference = first.stream_key.describe() if first.stream_key else ""
        raise ReconcilerError(
            f"{first.location}: stream_key {reference} has no stored version to record, so "
            f"saving a plan needs {PLAN_KEY_VARIABLE} (a secret of your CI) to fingerprint it; "
            "set it for plan and apply"
        )
    document = savedplan.document(
        planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state.fingerprint,
        state_files=planned.state.files,
        secrets=savedplan.secret_entries(
            planned.state, planned.desired, keyed, planned.key_versions
        ),
        git=git_info(state_dir),
        created=now(),
        replace_unmanaged=planned.replace_unmanaged,
        cost=planned.cost,
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
    missing = [key for key in REQUIRED_KEYS if key not in saved]
    if missing:
        raise ReconcilerError(f"{path}: not a saved plan (incomplete: no {missing[0]!r})")
    try:
        savedview.plan_of(saved, path)
        bytes.fromhex(saved["salt"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        problem = f"{type(e).__name__} {e}"
        raise ReconcilerError(f"{path}: not a saved plan (corrupt: {problem})") from None
    return saved


def saved_replace_unmanaged(saved: Mapping[str, Any]) -> frozenset[str]:
    """The `--replace-unmanaged` names the saved plan was made with."""
    return frozenset(saved.get("replace_unmanaged", []))


def saved_plan_view(path: Path) -> tuple[Plan, PlanCost | None]:
    """The plan saved in `path` and the cost it was shown with (None when saved
    without one), for rendering only: no AWS call, no credentials. Only this
    reads the cost: it is for display, so apply never depends on it."""
    saved = load_saved_plan(path)
    plan = savedview.plan_of(saved, path)
    try:
        return plan, savedview.cost_of(saved, plan)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        problem = f"{type(e).__name__} {e}"
        raise ReconcilerError(f"{path}: not a saved plan (corrupt cost: {problem})") from None


class NotApproved(ReconcilerError):
    def __init__(self, path: Path, approved: Path, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(
            f"refusing to apply {path}: its changes differ from the reviewed plan {approved}:\n"
            + "".join(f"  - {d}\n" for d in differences)
            + "Nothing was applied. Review the new plan (open a pull request, or re-run the "
            "apply workflow by hand through its protected environment)."
        )


def check_approved(
    planned: Planned,
    *,
    path: Path,
    approved: dict[str, Any],
    approved_path: Path,
    environ: Mapping[str, str],
) -> None:
    """Raise NotApproved unless `planned` (already proven to match the saved plan
    `path`) makes exactly the changes of the reviewed plan `approved`, to the same
    flows; secrets are compared by identity under the reviewed plan's key."""
    pepper = environ.get(PLAN_KEY_VARIABLE, "")
    if approved.get("keyed_with_plan_key") and not pepper:
        raise NotApproved(
            path,
            approved_path,
            [f"the reviewed plan was made with {PLAN_KEY_VARIABLE} set; set it for apply too"],
        )
    keyed = savedplan.Keyed(bytes.fromhex(approved["salt"]), pepper.encode())
    found = approval.differences(
        f"`{path.name}`",
        savedplan.comparable_changes(
            planned.plan,
            keyed,
            savedplan.key_identities(
                savedplan.secret_entries(
                    planned.state, planned.desired, keyed, planned.key_versions
                )
            ),
        ),
        approved["comparable_changes"],
        my_flows={f.spec.name: f.live.arn for f in planned.plan.flows},
        approved_flows={f["name"]: f["arn"] for f in approved["flows"]},
    )
    if found:
        raise NotApproved(path, approved_path, found)


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
    # Exactly the flows it was made for (a plan made with --flow/--region covers some).
    only = FlowFilter(names=tuple(glob.escape(f["name"]) for f in saved["flows"]))
    try:
        planned = compute_plan(
            state_dir, aws, environ, only, replace_unmanaged=saved_replace_unmanaged(saved)
        )
    except NoFlowMatches as e:
        raise StalePlan(path, [f"a flow it planned is no longer in the state ({e})"]) from None
    found = savedplan.problems(
        saved,
        plan=planned.plan,
        keyed=keyed,
        state_fingerprint=planned.state.fingerprint,
        state_files=planned.state.files,
        secrets=savedplan.secret_entries(
            planned.state, planned.desired, keyed, planned.key_versions
        ),
    )
    if found:
        raise StalePlan(path, found)
    return planned
