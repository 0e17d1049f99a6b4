"""What every command shares: exit codes, the error handler and common options."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.app import logs
from reconciler.app.logs import redact
from reconciler.core.errors import Interrupted, ReconcilerError, StateErrors
from reconciler.core.secrets import scrub
from reconciler.render.colour import coloured_plan

if TYPE_CHECKING:  # loaded by the commands that run, not by `reconcile --help`
    from reconciler.app.settings import Settings
    from reconciler.aws import Aws

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes are part of the interface: 2 means only "changes" or "drift".
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_INTERRUPTED = 130  # SIGINT; SIGTERM exits 143 (128 + the signal's number)
_SETTINGS = "reconcile.settings"


class Group(click.Group):
    """The `reconcile` group: a usage error (unknown option, bad value, missing
    argument) exits 1 with click's message, like any other error. Exit 2 is
    kept for "changes" and "drift"."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as e:
            e.exit_code = EXIT_ERROR  # type: ignore[misc]  # click makes it 2
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            e.exit_code = EXIT_ERROR  # type: ignore[misc]  # click makes it 2
            raise


def handle_errors(command: F) -> F:
    """Check the settings (app.settings) first, then run the command; map the
    project's errors to one line each on stderr and exit 1; Ctrl-C to 130 and
    SIGTERM to 143, with one line; anything else is a bug: its traceback is
    printed, scrubbed of secrets."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from reconciler.app.settings import load_settings

        try:
            click.get_current_context().meta[_SETTINGS] = load_settings(os.environ)
            with _sigterm_interrupts():
                code = command(*args, **kwargs)
        except StateErrors as e:
            for error in e.errors:
                click.echo(scrub(str(error)), err=True)
            sys.exit(e.exit_code)
        except ReconcilerError as e:
            click.echo(f"error: {scrub(str(e))}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt as e:
            by = getattr(e, "signal_name", "SIGINT")
            click.echo("interrupted" if by == "SIGINT" else f"interrupted ({by})", err=True)
            sys.exit(getattr(e, "exit_code", EXIT_INTERRUPTED))
        except click.exceptions.Exit:
            raise
        except Exception:
            click.echo(redact(traceback.format_exc()), err=True)
            click.echo("internal error: this is a bug in reconcile; please report it", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a cancelled CI job, `kill`) raises `Interrupted` as Ctrl-C raises
    KeyboardInterrupt, so it ends with one line and exit 143, not in silence.
    (`apply` installs its own handler while it writes.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum, signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def warn(line: str) -> None:
    """One warning line on stderr, scrubbed of every secret seen."""
    click.echo(f"warning: {scrub(line)}", err=True)


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def settings() -> Settings:
    """The settings checked when the command started."""
    from reconciler.app.settings import Settings, load_settings

    found = click.get_current_context().meta.get(_SETTINGS)
    return found if isinstance(found, Settings) else load_settings(os.environ)


def aws() -> Aws:
    """The AWS adapter for this command, configured from the settings; waits
    for busy flows are reported on stderr."""
    from reconciler.app.settings import make_aws

    return make_aws(settings(), on_wait=_report_wait)


def _report_wait(flow: str, status: str, seconds: float) -> None:
    click.echo(f"waiting for {flow} ({status}, {seconds:.0f} s)", err=True)


def colour_wanted() -> bool:
    """Colour only on a terminal, and not under NO_COLOR or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def echo_plan_text(text: str) -> None:
    """A text plan on stdout, its action lines coloured when `colour_wanted()`."""
    colour = colour_wanted()
    click.echo(coloured_plan(text) if colour else text, nl=False, color=colour or None)


def debug_option(command: click.Command) -> click.Command:
    """Accept `--debug` after the verb too (`reconcile plan --debug`)."""

    def turn_on(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            logs.configure(debug=True)

    command.params.append(
        click.Option(
            ["--debug"],
            is_flag=True,
            expose_value=False,
            callback=turn_on,
            help="Log every AWS request and response (stream keys masked).",
        )
    )
    return command


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


replace_unmanaged_option = click.option(
    "--replace-unmanaged",
    "replace_unmanaged",
    multiple=True,
    metavar="NAME",
    help="Allow replacing (removing, then adding) the unmanaged output NAME when its "
    "protocol or VPC interface must change. Repeatable.",
)


def flow_filter_options(command: F) -> F:
    """`--flow NAME` and `--region R`, both repeatable and glob-able; the command
    receives them as `only` (a FlowFilter: empty means every flow)."""

    @functools.wraps(command)
    def wrapper(*args: Any, flows: tuple[str, ...], regions: tuple[str, ...], **kw: Any) -> Any:
        from reconciler.core.selection import FlowFilter

        return command(*args, only=FlowFilter(flows, regions), **kw)

    wrapper = click.option(
        "--region",
        "regions",
        multiple=True,
        metavar="REGION",
        help="Only flows in this region (repeatable; glob patterns such as 'eu-*').",
    )(wrapper)
    wrapper = click.option(
        "--flow",
        "flows",
        multiple=True,
        metavar="NAME",
        help="Only this flow (repeatable; glob patterns such as 'events-*').",
    )(wrapper)
    return wrapper  # type: ignore[return-value]
