"""The apply use case: carry out a plan, then prove the HLS path was left alone
and write the audit report; afterwards, when asked, the legacy table.

No printing: progress goes to the callbacks the caller gives.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reconciler.app import executor, legacy
from reconciler.app.files import now, write_json
from reconciler.app.planning import Planned
from reconciler.app.provenance import git_info
from reconciler.aws import Aws
from reconciler.core import savedplan
from reconciler.core.errors import ReconcilerError
from reconciler.core.hlsguard import HlsCheck
from reconciler.core.results import ApplyReport, Outcome, Result

INTERRUPTED_DETAIL = "not done: apply was interrupted (it may have reached AWS; plan again)"


@dataclass(frozen=True)
class Applied:
    """What an apply did, and what is known of the HLS path afterwards."""

    report: ApplyReport
    hls: list[HlsCheck]
    hls_error: ReconcilerError | None = None
    interrupted: KeyboardInterrupt | None = None  # re-raise it once the report is shown

    def problem(self) -> ReconcilerError | None:
        """Why apply must fail even if every call succeeded (the HLS path)."""
        if self.hls_error is not None:
            return ReconcilerError(f"cannot confirm the HLS path is unchanged: {self.hls_error}")
        changed = [c.flow for c in self.hls if not c.unchanged]
        if changed:
            return ReconcilerError(
                f"the HLS path next to {', '.join(changed)} CHANGED during apply (see above)"
            )
        return None


def apply(
    planned: Planned,
    aws: Aws,
    *,
    state_dir: Path,
    plan_file: Path | None = None,
    report_file: Path | None = None,
    on_result: Callable[[Result], None] = lambda r: None,
    audit: Mapping[str, Any] | None = None,
) -> Applied:
    """Make the plan's calls, check the HLS path and write the report.

    The report is written even when the HLS path cannot be read afterwards, and
    when the apply is interrupted (KeyboardInterrupt, `core.errors.Interrupted`):
    then the changes not done are reported SKIPPED, the HLS path is not read,
    and `Applied.interrupted` holds the interruption for the caller to re-raise.
    `audit` adds sections to it (e.g. what the guardrails let through).
    """
    started = now()
    done: list[Result] = []

    def record(result: Result) -> None:
        done.append(result)
        on_result(result)

    interrupted: KeyboardInterrupt | None = None
    hls: list[HlsCheck] = []
    hls_error: ReconcilerError | None = None
    try:
        report = executor.apply(planned.plan, aws.mediaconnect, on_result=record)
    except KeyboardInterrupt as e:
        interrupted = e
        reported = {id(r.change) for r in done}
        skipped = [
            Result(c, Outcome.SKIPPED, INTERRUPTED_DETAIL)
            for c in planned.plan.changes
            if id(c) not in reported
        ]
        report = ApplyReport((*done, *skipped))
    else:
        try:
            hls = check_hls(planned, aws)
        except ReconcilerError as e:
            hls_error = e
    if report_file is not None:
        write_report(
            report_file,
            aws=aws,
            planned=planned,
            report=report,
            hls=hls,
            state_dir=state_dir,
            started=started,
            plan_file=plan_file,
            audit=audit,
            interrupted=(str(interrupted) or "SIGINT") if interrupted is not None else None,
        )
    return Applied(report, hls, hls_error, interrupted)


def sync_legacy_table(
    table: str, applied: Applied, aws: Aws, *, echo: Callable[[str], None]
) -> None:
    """Write the applied outputs' ARNs back to the legacy table."""
    legacy.sync_table(table, applied.report, aws.dynamodb, echo=echo)


def check_hls(planned: Planned, aws: Aws) -> list[HlsCheck]:
    """Read each guarded HLS path again and pair it with what plan saw."""
    checks = []
    for flow in planned.plan.flows:
        guard, before = flow.spec.hls_guard, flow.live.hls
        if guard is not None and before is not None:
            after = aws.hls.observe(guard, guard.region or flow.spec.region)
            checks.append(HlsCheck(flow.spec.name, before, after))
    return checks


def write_report(
    path: Path,
    *,
    aws: Aws,
    planned: Planned,
    report: ApplyReport,
    hls: list[HlsCheck],
    state_dir: Path,
    started: str,
    plan_file: Path | None,
    audit: Mapping[str, Any] | None = None,
    interrupted: str | None = None,
) -> None:
    """The audit report of one apply: who, when, from which commit, which plan,
    every AWS call with its result, and each change's outcome. No secrets."""
    keyed = savedplan.Keyed(os.urandom(16))
    try:
        caller: dict[str, Any] = aws.identity()
    except ReconcilerError as e:
        caller = {"error": str(e)}
    document = {
        "format": "mediaconnect-reconciler/apply-report",
        "version": 1,
        "started": started,
        "finished": now(),
        "caller": caller,
        "git": git_info(state_dir),
        "plan_file": str(plan_file) if plan_file else None,
        "plan_fingerprint": savedplan.plan_fingerprint(planned.plan, keyed),
        "state_fingerprint": planned.state.fingerprint,
        "ok": report.ok and interrupted is None,
        "interrupted": interrupted,  # the signal that stopped the apply, if one did
        "results": [
            {
                "flow": r.change.flow,
                "output": r.change.output,
                "action": r.change.action.value,
                "outcome": r.outcome.value,
                "detail": r.detail,
                "output_arn": r.output_arn,
            }
            for r in report.results
        ],
        "hls_path": [
            {
                "flow": c.flow,
                "unchanged": c.unchanged,
                "before": c.before.fingerprint,
                "after": c.after.fingerprint,
            }
            for c in hls
        ],
        "calls": [asdict(call) for call in aws.clients.journal],
        **(audit or {}),
    }
    write_json(path, document)
