"""`reconcile drift`: whether the live flows differ from git (exit 2 if they do)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app import notifying
from reconciler.app.planning import compute_plan
from reconciler.cli import common
from reconciler.cli.common import EXIT_CHANGES, EXIT_OK, format_option, handle_errors, state_option
from reconciler.render.plan import RENDERERS


@click.command()
@state_option
@format_option
@click.option(
    "--remember",
    "memory",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Remember here which flows drift, so drift.found is announced once and "
    "drift.resolved when a flow matches again.",
)
@handle_errors
def drift(state_dir: Path, fmt: str, memory: Path | None) -> int:
    """Exit 2 if the live flows differ from git, 0 if they match."""
    aws = common.aws()
    planned = compute_plan(state_dir, aws, os.environ)
    result = planned.plan
    click.echo(RENDERERS[fmt](result), nl=False)
    notifying.after_drift(
        planned.state, result, memory, environ=os.environ, stores=aws.secrets, warn=common.warn
    )
    return EXIT_CHANGES if result.has_changes else EXIT_OK
