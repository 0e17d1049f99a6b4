"""`reconcile iam-policy`: print the least-privilege IAM policy for the state.

Reads the state files (validating them as `validate` does) and nothing else:
no AWS call. The policy goes to stdout as JSON; notes go to stderr.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from reconciler.app.planning import validate_state
from reconciler.cli.common import EXIT_OK, handle_errors, state_option
from reconciler.core import iam
from reconciler.core.secrets import DEFAULT_KEY_PREFIX

# IAM's size limit for a managed policy, counted without whitespace.
MANAGED_POLICY_LIMIT = 6144


def _account_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9]{12}", value):
        raise click.BadParameter(f"{value!r} is not an AWS account ID (12 digits)")
    return value


@click.command("iam-policy")
@state_option
@click.option(
    "--for",
    "purposes",
    multiple=True,
    type=click.Choice(iam.PURPOSES),
    help="The role's purpose (repeatable; default apply): plan = validate, plan, drift, "
    "status, enable/disable/add/rm (reads only); apply = plan's + apply; operate = "
    "apply's + apply --sync-table; migrate = import.",
)
@click.option(
    "--account",
    metavar="ID",
    callback=_account_id,
    help="The AWS account (default: the one in the flow files' arn:, else any: *).",
)
@click.option("--partition", default="aws", show_default=True, help="aws, aws-cn, aws-us-gov.")
@click.option("--table", metavar="NAME_OR_ARN", help="The legacy table (--for operate or migrate).")
@click.option(
    "--medialive-channel",
    "medialive_channels",
    multiple=True,
    metavar="ID",
    help="A channel `import --from-medialive` reads (--for migrate; repeatable).",
)
@click.option(
    "--ssm-prefix",
    default=DEFAULT_KEY_PREFIX,
    show_default=True,
    help="Where `import --store-keys` puts keys (--for migrate).",
)
@click.option(
    "--kms-key",
    "kms_keys",
    multiple=True,
    metavar="ARN",
    help="A customer managed KMS key encrypting stream keys (repeatable); not needed "
    "for the default aws/ssm and aws/secretsmanager keys.",
)
@handle_errors
def iam_policy(
    state_dir: Path,
    purposes: tuple[str, ...],
    account: str | None,
    partition: str,
    table: str | None,
    medialive_channels: tuple[str, ...],
    ssm_prefix: str,
    kms_keys: tuple[str, ...],
) -> int:
    """Print the least-privilege IAM policy (JSON) for the calls the tool makes on this state."""
    state = validate_state(state_dir)
    if account is None:
        account = iam.flow_arn_account(state)
        if account is None:
            click.echo(
                "note: no flow file has an arn:, so the policy allows any account (*); "
                "give --account ID to name yours",
                err=True,
            )
    options = iam.PolicyOptions(
        purposes=frozenset(purposes or [iam.DEFAULT_PURPOSE]),
        account=account or iam.ANY,
        partition=partition,
        table=table,
        medialive_channels=medialive_channels,
        ssm_prefix=ssm_prefix,
        kms_keys=kms_keys,
    )
    document = iam.policy(state, options)
    text = json.dumps(document, indent=2)
    click.echo(text)
    size = len(re.sub(r"\s", "", text))
    if size > MANAGED_POLICY_LIMIT:
        click.echo(
            f"note: this policy has {size} characters; a managed policy takes at most "
            f"{MANAGED_POLICY_LIMIT} (an inline role policy up to 10240): split the state, "
            "or attach it inline",
            err=True,
        )
    return EXIT_OK
