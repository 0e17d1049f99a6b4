"""`reconcile show`: render a saved plan, with no AWS call and no credentials."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.app.saved import saved_plan_view
from reconciler.cli import common
from reconciler.cli.common import EXIT_OK, format_option, handle_errors
from reconciler.render.plan import render_plan


@click.command()
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@format_option
@handle_errors
def show(plan_file: Path, fmt: str) -> int:
    """Render PLAN_FILE (from `plan --out`) as text, JSON or Markdown, as `plan` would
    have. Reads only the file: no AWS call, so no credentials are needed.

    The plan's cost lines and guards are the ones `plan` showed (a plan saved
    before saved plans carried their cost shows no cost lines)."""
    plan, cost = saved_plan_view(plan_file)
    rendered = render_plan(fmt, plan, cost)
    if fmt == "text":
        common.echo_plan_text(rendered)
    else:
        click.echo(rendered, nl=False)
    return EXIT_OK
