"""`reconcile apply`: make exactly the planned calls (or a saved plan's)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app import applying
from reconciler.app.planning import compute_plan
from reconciler.app.saved import load_saved_plan, recheck_saved_plan
from reconciler.aws import Aws
from reconciler.cli import common
from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    flow_filter_options,
    handle_errors,
    state_option,
)
from reconciler.core.errors import ReconcilerError, Refused
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
@click.option("--sync-table", metavar="TABLE", help="Write output ARNs back to this legacy table.")
@handle_errors
def apply(
    plan_file: Path | None,
    state_dir: Path,
    only: FlowFilter,
    auto_approve: bool,
    report_file: Path | None,
    sync_table: str | None,
) -> int:
    """Make exactly the planned calls.

    With PLAN_FILE (from `plan --out`), apply that reviewed plan, and nothing at
    all if the state files, a live flow or a stream key changed since it was made.
    Without it, plan now, show the plan and ask before applying.
    """
    aws = Aws()
    if plan_file is not None and only:
        raise ReconcilerError(
            "--flow and --region choose flows for a new plan; a saved plan applies to the "
            "flows it was made for (make it with `reconcile plan --flow ... --out FILE`)"
        )
    if plan_file is not None:
        saved = load_saved_plan(plan_file)
        planned = recheck_saved_plan(saved, plan_file, state_dir, aws, os.environ)
        click.echo(render.text(planned.plan), nl=False)
    else:
        planned = compute_plan(state_dir, aws, os.environ, only)
        click.echo(render.text(planned.plan), nl=False)
        if planned.plan.has_changes and not auto_approve:
            if not common.stdin_is_terminal():
                raise Refused("no terminal to confirm on; nothing was applied (use --auto-approve)")
            if not click.confirm("Apply these changes?", default=False):
                raise Refused("apply cancelled; nothing was applied")
    if planned.plan.changes:
        click.echo("\nApplying:")
    applied = applying.apply(
        planned,
        aws,
        state_dir=state_dir,
        plan_file=plan_file,
        report_file=report_file,
        on_result=lambda r: click.echo(render.result_line(r)),
    )
    if planned.plan.changes:
        click.echo(render.apply_text(applied.report), nl=False)
    click.echo(render.hls_checks(applied.hls), nl=False)
    if sync_table:
        applying.sync_legacy_table(sync_table, applied, aws, echo=click.echo)
    problem = applied.problem()
    if problem is not None:
        raise problem
    return EXIT_OK if applied.report.ok else EXIT_ERROR
