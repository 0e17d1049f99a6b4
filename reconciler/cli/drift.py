"""`reconcile drift`: whether the live flows differ from git (exit 2 if they do),
and, with `--write`, git made to say what is live."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from reconciler.app import notifying
from reconciler.app.planning import compute_plan
from reconciler.app.writeback import describe, write_back
from reconciler.cli import common
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    flow_filter_options,
    format_option,
    handle_errors,
    state_option,
)
from reconciler.core.models import DRIFT_MODES
from reconciler.core.planner import select
from reconciler.core.selection import FlowFilter, NoFlowMatches
from reconciler.render.plan import RENDERERS


@click.command()
@state_option
@flow_filter_options
@format_option
@click.option(
    "--write",
    is_flag=True,
    help="Edit the destination files of owned outputs so that git matches the live flow "
    "(minimal edits; stream keys are never written). Exit 0 when nothing is left.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="NAME",
    help="Only this output (repeatable; shell patterns).",
)
@click.option(
    "--mode",
    type=click.Choice(DRIFT_MODES),
    help="Only the flows whose `drift:` is this mode (for the scheduled workflow).",
)
@click.option(
    "--remember",
    "memory",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Remember here which flows drift, so drift.found is announced once and "
    "drift.resolved when a flow matches again.",
)
@handle_errors
def drift(
    state_dir: Path,
    only: FlowFilter,
    fmt: str,
    write: bool,
    outputs: tuple[str, ...],
    mode: str | None,
    memory: Path | None,
) -> int:
    """Exit 2 if the live flows differ from git, 0 if they match."""
    aws = common.aws()
    try:
        # Only the flows chosen are read (--flow/--region, as for plan).
        planned = compute_plan(state_dir, aws, os.environ, only)
    except NoFlowMatches as e:
        # A filter that matches nothing has no drift (scheduled runs filter by pattern).
        click.echo(f"{e}: nothing to compare", err=True)
        return EXIT_OK
    names = [
        name for name, spec in planned.state.flows.items() if mode is None or spec.drift == mode
    ]
    result = select(planned.plan, flows=names or ["\0none"], outputs=outputs)
    if not write:
        click.echo(RENDERERS[fmt](result), nl=False)
        notifying.after_drift(
            planned.state, result, memory, environ=os.environ, stores=aws.secrets, warn=common.warn
        )
        return EXIT_CHANGES if result.has_changes else EXIT_OK
    done = write_back(replace(planned, plan=result), state_dir)
    for path, edits in done.written:
        click.echo(f"wrote {path}: {edits.flow}/{edits.output} ({describe(edits)})")
    for finding in done.left:
        click.echo(f"left {finding.flow}/{finding.output}: {finding.message}")
    click.echo(
        f"drift --write: {len(done.written)} output(s) written into git, "
        f"{len(done.left)} left for a person."
        + (" Review and commit the files." if done.written else "")
    )
    return EXIT_CHANGES if done.left else EXIT_OK
