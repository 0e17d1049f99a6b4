"""The `reconcile` command: one module per verb, each a thin wrapper that
gathers inputs, calls one use case in `reconciler.app`, renders, and returns
an exit code (see `common`).

Exit codes: 0 success (and, for `plan --detailed-exitcode` and `drift`, no
changes); 1 any error, including a refused apply and a usage error; 2 changes
present (`plan --detailed-exitcode`) or drift found (`drift`); 130 interrupted
(143 for an apply stopped by SIGTERM).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

from reconciler.app import logs
from reconciler.cli.common import Group, debug_option

# Each verb's module is imported only when that verb runs (or its own --help is
# shown), so `reconcile --help` loads none of them: name -> (module, attribute,
# the one-line help `reconcile --help` shows; tests/test_startup.py checks it
# matches the command's own).
VERBS: Mapping[str, tuple[str, str, str]] = {
    "add": ("edits", "add", "Write destinations/NAME.yaml for a new destination."),
    "apply": ("apply", "apply", "Make exactly the planned calls."),
    "cost": (
        "cost",
        "cost",
        "What the state costs a month, per flow and destination, and why.",
    ),
    "disable": (
        "edits",
        "disable",
        "Set a destination's `enabled: false` (it stays on the flow, stops sending).",
    ),
    "drift": ("drift", "drift", "Exit 2 if the live flows differ from git, 0 if they match."),
    "enable": (
        "edits",
        "enable",
        "Set a destination's `enabled: true` and show the resulting plan.",
    ),
    "iam-policy": (
        "iam",
        "iam_policy",
        "Print the least-privilege IAM policy (JSON) for the calls the tool makes on this state.",
    ),
    "freeze": (
        "freeze",
        "freeze",
        "Change freezes (`freeze:` windows in flow files).",
    ),
    "import": (
        "importing",
        "import_destinations",
        "Write destination files for outputs that exist today.",
    ),
    "plan": (
        "plan",
        "plan",
        "Show the per-output adds, updates and removals that would make AWS match git.",
    ),
    "rm": ("edits", "rm", "Delete a destination's file (apply then removes its output)."),
    "show": (
        "show",
        "show",
        "Render PLAN_FILE (from `plan --out`) as text, JSON or Markdown, as `plan` would "
        "have. Reads only the file: no AWS call, so no credentials are needed.",
    ),
    "status": (
        "status",
        "status",
        "Each output's desired and live state, drift, and health from CloudWatch.",
    ),
    "validate": (
        "validate",
        "validate",
        "Check the state files offline: schema, references, limits, AWS's rules.",
    ),
}


class LazyGroup(Group):
    """A click group that imports a verb's module on first use (see VERBS).
    Commands added with `add_command` work as in any group."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*VERBS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in VERBS:
            module, attribute, _ = VERBS[cmd_name]
            command = getattr(importlib.import_module(f"reconciler.cli.{module}"), attribute)
            self.add_command(debug_option(command), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's own, but from VERBS for verbs not loaded yet."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [
            (
                name,
                self.commands[name].get_short_help_str(limit)
                if name in self.commands
                else click.Command(name, help=VERBS[name][2]).get_short_help_str(limit),
            )
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mediaconnect-reconciler")
@click.option(
    "--debug", is_flag=True, help="Log every AWS request and response (stream keys masked)."
)
def main(debug: bool) -> None:
    """Manage AWS Elemental MediaConnect flow outputs (stream destinations) from git."""
    logs.redact_output()  # every byte printed from here on passes the redaction sink
    logs.configure(debug=debug)
