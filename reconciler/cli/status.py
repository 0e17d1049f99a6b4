"""`reconcile status`: each output's desired and live state, drift and health. Read-only."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.app.status import current_status
from reconciler.cli import common
from reconciler.cli.common import EXIT_OK, flow_filter_options, handle_errors, state_option
from reconciler.core.secrets import redact
from reconciler.core.selection import FlowFilter
from reconciler.render.status import RENDERERS


@click.command("status")
@state_option
@flow_filter_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
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
def status(state_dir: Path, only: FlowFilter, fmt: str, out: Path | None, minutes: int) -> int:
    """Each output's desired and live state, drift, and health from CloudWatch."""
    report = current_status(state_dir, common.aws(), os.environ, minutes=minutes, only=only)
    page = RENDERERS[fmt](report)
    if out is None:
        click.echo(page, nl=False)
    else:
        out.write_text(redact(page), encoding="utf-8")  # the redaction sink, as for stdout
        click.echo(f"{out}: status of {len(report.rows)} output(s) written")
    return EXIT_OK
