"""`reconcile import`: destination files from what exists today (see
`reconciler.app.importing`)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.app.importing import import_destinations as import_destinations_from
from reconciler.cli import common
from reconciler.cli.common import EXIT_OK, handle_errors, state_option
from reconciler.core.secrets import DEFAULT_KEY_PREFIX


@click.command("import")
@click.option(
    "--flow",
    "flow",
    required=True,
    metavar="NAME_OR_ARN",
    help="The MediaConnect flow: imported from (alone) or the target of the files.",
)
@click.option(
    "--from-medialive",
    "channel_id",
    metavar="CHANNEL_ID",
    help="Import the RTMP outputs of this MediaLive channel (DescribeChannel only).",
)
@click.option(
    "--from-dynamodb",
    "table",
    metavar="TABLE",
    help="Import the rows of this legacy destinations table (Scan).",
)
@click.option("--region", help="AWS Region (default: the flow ARN's, the flow file's, AWS_REGION).")
@state_option
@click.option("--only", metavar="NAME", help="Import just this destination.")
@click.option(
    "--store-keys",
    is_flag=True,
    help="Put each live stream key into its SSM SecureString parameter.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite existing destination files and SSM parameters."
)
@click.option(
    "--ssm-prefix",
    default=DEFAULT_KEY_PREFIX,
    show_default=True,
    help="Key parameters are named PREFIX/FLOW/OUTPUT/stream-key.",
)
@click.option(
    "--enable",
    is_flag=True,
    help="(--from-medialive) Write `enabled: true`; by default the files say false so "
    "the output can be added before the channel's own RTMP output is removed.",
)
@handle_errors
def import_destinations(
    flow: str,
    channel_id: str | None,
    table: str | None,
    region: str | None,
    state_dir: Path,
    only: str | None,
    store_keys: bool,
    force: bool,
    ssm_prefix: str,
    enable: bool,
) -> int:
    """Write destination files for outputs that exist today."""
    import_destinations_from(
        common.aws(),
        flow=flow,
        channel_id=channel_id,
        table=table,
        region=region,
        state_dir=state_dir,
        only=only,
        store_keys=store_keys,
        force=force,
        ssm_prefix=ssm_prefix,
        enable=enable,
        echo=click.echo,
        default_region=common.settings().region,
    )
    return EXIT_OK
