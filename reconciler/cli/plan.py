"""`reconcile plan`: what applying would change, per output."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app.planning import compute_plan
from reconciler.app.saved import save_plan
from reconciler.aws import Aws
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    flow_filter_options,
    format_option,
    handle_errors,
    state_option,
)
from reconciler.core.selection import FlowFilter
from reconciler.render.plan import RENDERERS


@click.command()
@state_option
@flow_filter_options
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
def plan(
    state_dir: Path, only: FlowFilter, fmt: str, detailed_exitcode: bool, out_file: Path | None
) -> int:
    """Show the per-output adds, updates and removals that would make AWS match git."""
    planned = compute_plan(state_dir, Aws(), os.environ, only)
    click.echo(RENDERERS[fmt](planned.plan), nl=False)
    if out_file is not None:
        save_plan(planned, out_file, state_dir, os.environ)
        click.echo(f"Saved the plan; apply it with: reconcile apply {out_file}", err=True)
    return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else EXIT_OK
