"""Day-to-day operation: `enable`, `disable`, `add`, `rm` and `status`.

The four edits change one destination file (see `reconciler.editing`), check
that the whole state is still valid, and print the plan the edit leads to, so
the operator sees what applying it will do before committing it. The edit is
a git edit: if AWS cannot be asked (no credentials, no network, a missing
stream key), it stands and the plan part says why it is missing (exit 0).

`status` is read-only: one row per output with desired and live state,
drift, and health from CloudWatch.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from reconciler import app, editing, render, status
from reconciler.aws import Aws
from reconciler.cli import EXIT_OK, handle_errors, main, state_option
from reconciler.errors import AwsError, ReconcilerError, StateErrors
from reconciler.secrets import scrub
from reconciler.state import load_state

flow_option = click.option(
    "--flow", help="The destination's flow (needed when the name is used on several flows)."
)


def _report(edit: editing.Edit, state_dir: Path) -> int:
    click.echo(edit.message)
    if not edit.changed:
        return EXIT_OK
    try:
        result = app.plan(state_dir, Aws(), os.environ)
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


@main.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def enable(name: str, flow: str | None, state_dir: Path) -> int:
    """Set a destination's `enabled: true` and show the resulting plan."""
    return _report(editing.set_enabled(state_dir, name, True, flow), state_dir)


@main.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def disable(name: str, flow: str | None, state_dir: Path) -> int:
    """Set a destination's `enabled: false` (it stays on the flow, stops sending)."""
    return _report(editing.set_enabled(state_dir, name, False, flow), state_dir)


@main.command()
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


@main.command()
@click.argument("name")
@flow_option
@state_option
@handle_errors
def rm(name: str, flow: str | None, state_dir: Path) -> int:
    """Delete a destination's file (apply then removes its output)."""
    return _report(editing.remove(state_dir, name, flow), state_dir)


@main.command("status")
@state_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(status.RENDERERS)),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--minutes",
    type=click.IntRange(1, 1440),
    default=5,
    show_default=True,
    help="Judge health on the metrics of the last N minutes.",
)
@handle_errors
def status_command(state_dir: Path, fmt: str, out: Path | None, minutes: int) -> int:
    """Each output's desired and live state, drift, and health from CloudWatch."""
    aws = Aws()
    result = app.plan(state_dir, aws, os.environ)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(minutes=minutes)
    metrics: dict[status.MetricQuery, tuple[float, ...]] = {}
    unavailable: dict[str, str] = {}
    for region, queries in status.metric_queries(result).items():
        try:
            metrics.update(
                aws.cloudwatch.metric_data(
                    region, queries, start=start, end=end, period=status.PERIOD
                )
            )
        except AwsError as e:
            unavailable[region] = str(e)
    report = status.build(
        load_state(state_dir),
        result,
        metrics,
        as_of=end,
        minutes=minutes,
        unavailable=unavailable,
    )
    page = status.RENDERERS[fmt](report)
    if out is None:
        click.echo(page, nl=False)
    else:
        out.write_text(page, encoding="utf-8")
        click.echo(f"{out}: status of {len(report.rows)} output(s) written")
    return EXIT_OK
