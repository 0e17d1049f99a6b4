"""`reconcile freeze status`: the change-freeze windows of every flow, and
which are open now or open next. Offline: reads the state files only."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.app import clock
from reconciler.app.planning import validate_state
from reconciler.cli.common import EXIT_OK, handle_errors, state_option
from reconciler.render import freeze as render


@click.group()
def freeze() -> None:
    """Change freezes (`freeze:` windows in flow files)."""


@freeze.command()
@state_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
)
@handle_errors
def status(state_dir: Path, fmt: str) -> int:
    """List each flow's freeze windows: open now (until when), next, or over."""
    state = validate_state(state_dir)
    now = clock.now()
    click.echo(
        render.status_json(state, now) if fmt == "json" else render.status_text(state, now),
        nl=False,
    )
    return EXIT_OK
