"""`reconcile drift`: whether the live flows differ from git (exit 2 if they do)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app.planning import compute_plan
from reconciler.cli import common
from reconciler.cli.common import EXIT_CHANGES, EXIT_OK, format_option, handle_errors, state_option
from reconciler.render.plan import RENDERERS


@click.command()
@state_option
@format_option
@handle_errors
def drift(state_dir: Path, fmt: str) -> int:
    """Exit 2 if the live flows differ from git, 0 if they match."""
    result = compute_plan(state_dir, common.aws(), os.environ).plan
    click.echo(RENDERERS[fmt](result), nl=False)
    return EXIT_CHANGES if result.has_changes else EXIT_OK
