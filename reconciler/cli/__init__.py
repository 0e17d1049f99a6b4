"""The `reconcile` command: one module per verb, each a thin wrapper that
gathers inputs, calls one use case in `reconciler.app`, renders, and returns
an exit code (see `common`).

Exit codes: 0 success (and, for `plan --detailed-exitcode` and `drift`, no
changes); 1 any error, including a refused apply and a usage error; 2 changes
present (`plan --detailed-exitcode`) or drift found (`drift`); 130 interrupted
(143 for an apply stopped by SIGTERM).
"""

from __future__ import annotations

import click

from reconciler.app import logs
from reconciler.cli.apply import apply
from reconciler.cli.common import Group, debug_option
from reconciler.cli.drift import drift
from reconciler.cli.edits import add, disable, enable, rm
from reconciler.cli.freeze import freeze
from reconciler.cli.iam import iam_policy
from reconciler.cli.importing import import_destinations
from reconciler.cli.plan import plan
from reconciler.cli.show import show
from reconciler.cli.status import status
from reconciler.cli.validate import validate


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mediaconnect-reconciler")
@click.option(
    "--debug", is_flag=True, help="Log every AWS request and response (stream keys masked)."
)
def main(debug: bool) -> None:
    """Manage AWS Elemental MediaConnect flow outputs (stream destinations) from git."""
    logs.configure(debug=debug)


for command in (
    validate,
    plan,
    show,
    drift,
    apply,
    status,
    enable,
    disable,
    add,
    rm,
    import_destinations,
    iam_policy,
    freeze,
):
    main.add_command(debug_option(command))
