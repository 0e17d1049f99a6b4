"""`reconcile plan`: what applying would change, per output."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from reconciler.app.planning import compute_plan
from reconciler.app.saved import save_plan
from reconciler.cli import common
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    flow_filter_options,
    format_option,
    handle_errors,
    replace_unmanaged_option,
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
@replace_unmanaged_option
@handle_errors
def plan(
    state_dir: Path,
    only: FlowFilter,
    fmt: str,
    detailed_exitcode: bool,
    out_file: Path | None,
    replace_unmanaged: tuple[str, ...],
) -> int:
    """Show the per-output adds, updates and removals that would make AWS match git."""
    planned = compute_plan(
        state_dir, common.aws(), os.environ, only, replace_unmanaged=frozenset(replace_unmanaged)
    )
    if fmt == "text":
        common.echo_plan_text(RENDERERS[fmt](planned.plan))
    else:
        click.echo(RENDERERS[fmt](planned.plan), nl=False)
    if out_file is not None:
        save_plan(planned, out_file, state_dir, os.environ)
        command = shlex.join(["reconcile", "apply", str(out_file), "--state", str(state_dir)])
        click.echo(f"Saved the plan; apply it with: {command}", err=True)
    return EXIT_CHANGES if detailed_exitcode and planned.plan.has_changes else EXIT_OK
