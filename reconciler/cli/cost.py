"""`reconcile cost`: what the state costs a month, and why (docs/cost.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.app.costing import estimate, refresh_prices
from reconciler.cli import common
from reconciler.cli.common import EXIT_OK, format_option, handle_errors, state_option
from reconciler.core.errors import ReconcilerError
from reconciler.render import cost as render


@click.command("cost")
@state_option
@format_option
@click.option(
    "--offline",
    is_flag=True,
    help="Make no AWS call: flows are assumed running and bitrates must be declared.",
)
@click.option(
    "--deduct-free-tier",
    is_flag=True,
    help="Deduct the account-wide 100 GB/month free tier (shared by every service).",
)
@click.option(
    "--actual", is_flag=True, help="Also show last full month's spend from Cost Explorer."
)
@click.option(
    "--refresh-prices",
    "refresh",
    is_flag=True,
    help="First read current rates from the AWS Price List API into pricing.yaml.",
)
@handle_errors
def cost(
    state_dir: Path, fmt: str, offline: bool, deduct_free_tier: bool, actual: bool, refresh: bool
) -> int:
    """What the state costs a month, per flow and destination, and why.

    Flow hours and data transfer, with the assumptions used, after the design
    document's own example (docs/cost.md).
    """
    if offline and (actual or refresh):
        raise ReconcilerError("--offline cannot be combined with --actual or --refresh-prices")
    today = datetime.now(UTC).date()
    aws = None if offline else common.aws()
    if refresh and aws is not None:
        done = refresh_prices(state_dir, aws, today)
        line = f"Wrote {done.path}: Price List rates for {', '.join(done.regions) or 'no region'}"
        if done.missing:
            line += f"; none found for {', '.join(done.missing)} (the table's kept)"
        click.echo(line, err=True)
    report = estimate(
        state_dir, aws, deduct_free_tier=deduct_free_tier, actual_on=today if actual else None
    )
    click.echo(render.REPORTS[fmt](report), nl=False)
    return EXIT_OK
