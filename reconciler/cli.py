"""The `reconcile` command: thin wrappers that gather inputs, call one app
function, render, and return an exit code.

Exit codes: 0 success (and, for `plan --detailed-exitcode` and `drift`, no
changes); 1 any error, including a refused apply; 2 changes present (`plan
--detailed-exitcode`) or drift found (`drift`); 130 interrupted.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import app, legacy, logs, render
from reconciler.aws import Aws
from reconciler.errors import ReconcilerError, Refused, StateErrors
from reconciler.logs import redact
from reconciler.secrets import scrub

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def handle_errors(command: F) -> F:
    """Map the project's errors to one line each on stderr and exit 1; Ctrl-C to
    130; anything else is a bug: its traceback is printed, scrubbed of secrets."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
        except StateErrors as e:
            for error in e.errors:
                click.echo(scrub(str(error)), err=True)
            sys.exit(e.exit_code)
        except ReconcilerError as e:
            click.echo(f"error: {scrub(str(e))}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except Exception:
            click.echo(redact(traceback.format_exc()), err=True)
            click.echo("internal error: this is a bug in reconcile; please report it", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(render.RENDERERS)),
    default="text",
    show_default=True,
)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("state"),
    show_default=True,
    help="Directory holding flows/ and destinations/.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mediaconnect-reconciler")
@click.option(
    "--debug", is_flag=True, help="Log every AWS request and response (stream keys masked)."
)
def main(debug: bool) -> None:
    """Manage AWS Elemental MediaConnect flow outputs (stream destinations) from git."""
    logs.configure(debug=debug)


@main.command()
@state_option
@handle_errors
def validate(state_dir: Path) -> int:
    """Check the state files offline: schema, references, limits, AWS's rules."""
    state = app.validate(state_dir)
    click.echo(
        f"{state_dir}: {len(state.flows)} flow(s), {len(state.destinations)} destination(s): valid"
    )
    return EXIT_OK


@main.command()
@state_option
@format_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 with no changes, 1 on error, 2 when there are changes.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also save the plan, for `reconcile apply FILE` (holds no secret values).",
)
@handle_errors
def plan(state_dir: Path, fmt: str, detailed_exitcode: bool, out_file: Path | None) -> int:
    """Show the per-output adds, updates and removals that would make AWS match git."""
    planned = app.compute(state_dir, Aws(), os.environ)
    click.echo(render.RENDERERS[fmt](planned.plan), nl=False)
    if out_file is not None:
        app.save_plan(planned, out_file, state_dir, os.environ)
        click.echo(f"Saved the plan; apply it with: reconcile apply {out_file}", err=True)
    return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else EXIT_OK


@main.command()
@state_option
@format_option
@handle_errors
def drift(state_dir: Path, fmt: str) -> int:
    """Exit 2 if the live flows differ from git, 0 if they match."""
    result = app.plan(state_dir, Aws(), os.environ)
    click.echo(render.RENDERERS[fmt](result), nl=False)
    return EXIT_CHANGES if result.has_changes else EXIT_OK


@main.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@state_option
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
    started = app.now()
    if plan_file is not None:
        saved = app.load_saved_plan(plan_file)
        planned = app.recheck_saved_plan(saved, plan_file, state_dir, aws, os.environ)
        click.echo(render.text(planned.plan), nl=False)
    else:
        planned = app.compute(state_dir, aws, os.environ)
        click.echo(render.text(planned.plan), nl=False)
        if planned.plan.has_changes and not auto_approve:
            if not stdin_is_terminal():
                raise Refused("no terminal to confirm on; nothing was applied (use --auto-approve)")
            if not click.confirm("Apply these changes?", default=False):
                raise Refused("apply cancelled; nothing was applied")
    if planned.plan.changes:
        click.echo("\nApplying:")
    report = app.apply(planned.plan, aws, on_result=lambda r: click.echo(render.result_line(r)))
    if planned.plan.changes:
        click.echo(render.apply_text(report), nl=False)
    try:
        hls, hls_error = app.check_hls(planned, aws), None
    except ReconcilerError as e:  # still write the report, then fail
        hls, hls_error = [], e
    click.echo(render.hls_checks(hls), nl=False)
    if report_file is not None:
        app.write_report(
            report_file,
            aws=aws,
            planned=planned,
            report=report,
            hls=hls,
            state_dir=state_dir,
            started=started,
            plan_file=plan_file,
        )
    if sync_table:
        legacy.sync_table(sync_table, report, aws.dynamodb, echo=click.echo)
    if hls_error is not None:
        raise ReconcilerError(f"cannot confirm the HLS path is unchanged: {hls_error}")
    if not all(check.unchanged for check in hls):
        changed = ", ".join(c.flow for c in hls if not c.unchanged)
        raise ReconcilerError(f"the HLS path next to {changed} CHANGED during apply (see above)")
    return EXIT_OK if report.ok else EXIT_ERROR


import reconciler.cli_iam  # noqa: E402
import reconciler.cli_import  # noqa: E402,F401
from reconciler import cli_ops  # noqa: E402,F401
