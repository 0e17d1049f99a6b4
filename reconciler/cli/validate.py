"""`reconcile validate`: the state files checked offline."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.app.planning import validate_state
from reconciler.cli.common import EXIT_OK, handle_errors, state_option


@click.command()
@state_option
@handle_errors
def validate(state_dir: Path) -> int:
    """Check the state files offline: schema, references, limits, AWS's rules."""
    state = validate_state(state_dir)
    click.echo(
        f"{state_dir}: {len(state.flows)} flow(s), {len(state.destinations)} destination(s): valid"
    )
    return EXIT_OK
