"""`reconcile apply`: make exactly the planned calls (or a saved plan's)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from reconciler.app import applying, clock, guardrails, notifying
from reconciler.app.files import check_writable
from reconciler.app.planning import Planned, compute_plan
from reconciler.app.saved import (
    check_approved,
    load_saved_plan,
    recheck_saved_plan,
    saved_replace_unmanaged,
)
from reconciler.cli import common
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    flow_filter_options,
    handle_errors,
    replace_unmanaged_option,
    state_option,
)
from reconciler.core.errors import Interrupted, ReconcilerError, Refused
from reconciler.core.selection import FlowFilter
from reconciler.render import plan as render


@click.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@state_option
@flow_filter_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a JSON audit report: caller, time, commit, plan fingerprint, every AWS call.",
)
@click.option(
    "--approved",
    "approved_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The reviewed saved plan: apply PLAN_FILE only if it makes exactly these changes.",
)
@click.option("--sync-table", metavar="TABLE", help="Write output ARNs back to this legacy table.")
@click.option(
    "--accept-cost",
    is_flag=True,
    help="Apply even if the plan raises a flow's estimated cost above its budget_usd_month.",

)
@click.option(
    "--allow-removals",
    type=click.IntRange(min=0),
    metavar="N",
    help="Let the mass-removal guard pass a plan removing or replacing up to N outputs.",
)
@click.option(
    "--break-glass",
    metavar="REASON",
    help="Apply inside a change freeze; the reason and who you are go into the report.",
)
@replace_unmanaged_option
@handle_errors
def apply(
    plan_file: Path | None,
    state_dir: Path,
    only: FlowFilter,
    auto_approve: bool,
    report_file: Path | None,
    sync_table: str | None,
    accept_cost: bool,
    approved_file: Path | None,
    replace_unmanaged: tuple[str, ...],
    allow_removals: int | None,
    break_glass: str | None,
) -> int:
    """Make exactly the planned calls.

    With PLAN_FILE (from `plan --out`), apply that reviewed plan, and nothing at
    all if the state files, a live flow or a stream key changed since it was made.
    With --approved REVIEWED too, apply nothing unless PLAN_FILE's changes are
    exactly REVIEWED's (the plan shown on the pull request).
    Without it, plan now, show the plan and ask before applying.

    Interrupted (Ctrl-C, SIGTERM), it stops, still writes the report and lists
    what was not done, and exits 130 (143 for SIGTERM).
    """
    if plan_file is not None and only:
        raise ReconcilerError(
            "--flow and --region choose flows for a new plan; a saved plan applies to the "
            "flows it was made for (make it with `reconcile plan --flow ... --out FILE`)"
        )
    if report_file is not None:
        check_writable(report_file)  # before any AWS call, so before the first write
    aws = common.aws()
    if plan_file is not None:
        saved = load_saved_plan(plan_file)
        approved = load_saved_plan(approved_file) if approved_file is not None else None
        if replace_unmanaged and frozenset(replace_unmanaged) != saved_replace_unmanaged(saved):
            raise ReconcilerError(
                f"{plan_file}: --replace-unmanaged must name the same outputs as when the plan "
                "was made (or be left out: the saved plan carries them)"
            )
        with notifying.announce_failure(state_dir, os.environ, aws.secrets, common.warn):
            planned = recheck_saved_plan(saved, plan_file, state_dir, aws, os.environ)
        if approved_file is not None and approved is not None:
            check_approved(
                planned,
                path=plan_file,
                approved=approved,
                approved_path=approved_file,
                environ=os.environ,
            )
        common.echo_plan_text(render.text(planned.plan, planned.cost))
        _check_budget(planned, accept_cost)
        cleared = guardrails.check(
            planned, aws, now=clock.now(), allow_removals=allow_removals, break_glass=break_glass
        )
    else:
        if approved_file is not None:
            raise ReconcilerError("--approved needs PLAN_FILE: the plan to compare with it")
        with notifying.announce_failure(state_dir, os.environ, aws.secrets, common.warn):
            planned = compute_plan(
                state_dir, aws, os.environ, only, replace_unmanaged=frozenset(replace_unmanaged)
            )
        common.echo_plan_text(render.text(planned.plan, planned.cost))
        _check_budget(planned, accept_cost)
        cleared = guardrails.check(
            planned, aws, now=clock.now(), allow_removals=allow_removals, break_glass=break_glass
        )
        if planned.plan.has_changes and not auto_approve:
            if not common.stdin_is_terminal():
                raise Refused("no terminal to confirm on; nothing was applied (use --auto-approve)")
            if not click.confirm("Apply these changes?", default=False):
                raise Refused("apply cancelled; nothing was applied")

    def notify(messages: list[notifying.Message]) -> None:
        notifying.announce(
            planned.state, messages, environ=os.environ, stores=aws.secrets, warn=common.warn
        )

    if cleared.override is not None:
        notify(notifying.override_messages(cleared.override.as_dict(), os.environ))
    if planned.plan.changes:
        click.echo("\nApplying:")
    with _signals_interrupt():
        applied = applying.apply(
            planned,
            aws,
            state_dir=state_dir,
            plan_file=plan_file,
            report_file=report_file,
            on_result=lambda r: click.echo(render.result_line(r)),
            audit={"guardrails": cleared.as_dict()},
        )
    if planned.plan.changes:
        click.echo(render.apply_text(applied.report), nl=False)
    notify(notifying.apply_messages(planned.state, applied.report, os.environ))
    if applied.interrupted is not None:
        raise applied.interrupted
    click.echo(render.hls_checks(applied.hls), nl=False)
    if sync_table:
        applying.sync_legacy_table(sync_table, applied, aws, echo=click.echo)
    problem = applied.problem()
    if problem is not None:
        raise problem
    return EXIT_OK if applied.report.ok else EXIT_ERROR


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While applying, SIGINT and SIGTERM raise `Interrupted`; a second signal
    is ignored so that the report can still be written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)
        raise Interrupted(signum, signal.Signals(signum).name)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _check_budget(planned: Planned, accept_cost: bool) -> None:
    """Refuse, before anything is written, a plan that crosses a flow's budget."""
    over = planned.cost.over_budget if planned.cost is not None else ()
    if over and not accept_cost:
        raise Refused(
            "; ".join(check.message for check in over)
            + ". Nothing was applied; give --accept-cost to apply anyway"
        )
