"""Day-to-day edits: `enable`, `disable`, `add` and `rm`.

The four edits change one destination file (see `reconciler.app.editing`), check
that the whole state is still valid, and print the plan the edit leads to, so
the operator sees what applying it will do before committing it. The edit is
a git edit: if AWS cannot be asked (no credentials, no network, a missing
stream key), it stands and the plan part says why it is missing (exit 0).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app import editing
from reconciler.app.planning import compute_plan
from reconciler.cli import common
from reconciler.cli.common import EXIT_OK, handle_errors, state_option
from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.secrets import scrub
from reconciler.render import plan as render

flow_option = click.option(
    "--flow", help="The destination's flow (needed when the name is used on several flows)."
)


def _report(edit: editing.Edit, state_dir: Path) -> int:
    click.echo(edit.message)
    if not edit.changed:
        return EXIT_OK
    try:
        result = compute_plan(state_dir, common.aws(), os.environ).plan
    except ReconcilerError as e:
        reasons = e.errors if isinstance(e, StateErrors) else [e]
        click.echo("\nPlan not computed, so what applying will do is not shown:")
        for reason in reasons:
            click.echo(f"  {scrub(str(reason))}")
        click.echo(f"The edit stands. Commit {edit.path}; run `reconcile plan` once AWS answers.")
        return EXIT_OK
    click.echo("\nPlan after this edit:")
    click.echo(render.text(result), nl=False)
    click.echo(f"\nCommit {edit.path} to keep it; `reconcile apply` makes it so.")
    return EXIT_OK


@click.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def enable(name: str, flow: str | None, state_dir: Path) -> int:
    """Set a destination's `enabled: true` and show the resulting plan."""
    return _report(editing.set_enabled(state_dir, name, True, flow), state_dir)


@click.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def disable(name: str, flow: str | None, state_dir: Path) -> int:
    """Set a destination's `enabled: false` (it stays on the flow, stops sending)."""
    return _report(editing.set_enabled(state_dir, name, False, flow), state_dir)


@click.command()
@click.argument("name")
@click.option("--flow", required=True, help="The flow (a `name` from flows/) to send from.")
@click.option("--url", required=True, help="Ingest URL without the key, e.g. rtmps://host/app.")
@click.option(
    "--stream-key-ssm",
    "stream_key_ssm",
    required=True,
    metavar="PARAM",
    help="SSM SecureString parameter holding the stream key.",
)
@click.option("--description", help="The output's Description.")
@click.option("--platform", help="Informational: youtube, twitch, ...")
@click.option("--disabled", is_flag=True, help="Add it switched off (enabled: false).")
@state_option
@handle_errors
def add(
    name: str,
    flow: str,
    url: str,
    stream_key_ssm: str,
    description: str | None,
    platform: str | None,
    disabled: bool,
    state_dir: Path,
) -> int:
    """Write destinations/NAME.yaml for a new destination."""
    edit = editing.add(
        state_dir,
        name,
        flow=flow,
        url=url,
        stream_key_ssm=stream_key_ssm,
        description=description,
        platform=platform,
        enabled=not disabled,
    )
    return _report(edit, state_dir)


@click.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def rm(name: str, flow: str | None, state_dir: Path) -> int:
    """Delete a destination's file (apply then removes its output)."""
    return _report(editing.remove(state_dir, name, flow), state_dir)
