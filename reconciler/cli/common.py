"""What every command shares: exit codes, the error handler and common options."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.app.logs import redact
from reconciler.core.errors import ReconcilerError, StateErrors
from reconciler.core.secrets import scrub

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes are part of the interface: 2 means only "changes" or "drift".
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def handle_errors(command: F) -> F:
    """Map the project's errors to one line each on stderr and exit 1; Ctrl-C to
    130; anything else is a bug: its traceback is printed, scrubbed of secrets."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            code = command(*args, **kwargs)
        except StateErrors as e:
            for error in e.errors:
                click.echo(scrub(str(error)), err=True)
            sys.exit(e.exit_code)
        except ReconcilerError as e:
            click.echo(f"error: {scrub(str(e))}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except Exception:
            click.echo(redact(traceback.format_exc()), err=True)
            click.echo("internal error: this is a bug in reconcile; please report it", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


def warn(line: str) -> None:
    """One warning line on stderr, scrubbed of every secret seen."""
    click.echo(f"warning: {scrub(line)}", err=True)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


state_option = click.option(
    "--state",
    "state_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("state"),
    show_default=True,
    help="Directory holding flows/ and destinations/.",
)

PLAN_FORMATS = ("json", "markdown", "text")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(PLAN_FORMATS),
    default="text",
    show_default=True,
)
