"""Notifications through Apprise: who to tell comes from the flow files'
`notify:` targets, what to say from `render.notification`.

A target's URL is resolved like a stream key (`{ssm: ...}`, `{env: ...}`,
`{secretsmanager: ...}`, in the flow's region) and becomes a `Secret` at once,
so it is scrubbed from every log record and error from then on. Apprise's and
urllib3's own loggers are silenced while sending: they would log parts of the
URL (hosts, paths with tokens) that scrubbing cannot recognise.

Never raises: a target that cannot be resolved or reached is reported as one
line to `warn` (for all targets together), and the command's exit code stays
what it was. Each send is bounded: connect 3 s, read 5 s, no retries.

The budget guard (issue 14) announces through `announce(...)` with a
`Message("budget.exceeded", flows, title, body)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler.app.files import write_json
from reconciler.app.resolver import Resolver, SecretStores
from reconciler.core.errors import ReconcilerError, StateError
from reconciler.core.models import State
from reconciler.core.notify import NotifyTarget
from reconciler.core.planner import Plan
from reconciler.core.results import ApplyReport, Result
from reconciler.core.secrets import Secret, scrub
from reconciler.core.state import load_state
from reconciler.render.notification import (
    Message as Message,
)
from reconciler.render.notification import (
    apply_message,
    drift_message,
    failed_message,
    override_message,
    resolved_message,
)

CONNECT_TIMEOUT, READ_TIMEOUT = 3.0, 5.0
QUIET_LOGGERS = ("apprise", "urllib3", "requests")
TOKEN_LENGTH = 16  # URL parts this long are taken for tokens

Warn = Callable[[str], None]


def url_problem(url: str) -> str | None:
    """Why Apprise cannot use `url` (None: it can). Never echoes the URL."""
    import apprise  # slow to import (its plugins): only when needed

    if apprise.Apprise.instantiate(url) is None:
        return "not a URL Apprise can send to (see the Apprise wiki for each service's form)"
    return None


def announce(
    state: State,
    messages: Iterable[Message],
    *,
    environ: Mapping[str, str],
    stores: SecretStores | None,
    warn: Warn,
) -> int:
    """Send each message to every target of its flows that takes its event
    (one message per target, however many of its flows share it). Returns how
    many were delivered; failures are reported in one line to `warn`."""
    resolver = Resolver(environ, stores)
    sent, failures = 0, []
    for message in messages:
        for target, region in _targets(state, message):
            try:
                problem = _deliver(target, region, message, resolver)
            except Exception as e:  # a notifier must never break the command
                problem = f"not delivered ({type(e).__name__})"
            if problem is None:
                sent += 1
            else:
                failures.append(f"{message.event} to {target.describe()}: {problem}")
    if failures:
        warn(scrub(f"notifications not delivered ({len(failures)}): " + "; ".join(failures)))
    return sent


def _targets(state: State, message: Message) -> list[tuple[NotifyTarget, str]]:
    found: dict[str, tuple[NotifyTarget, str]] = {}
    for name in message.flows:
        flow = state.flows.get(name)
        if flow is None:
            continue
        for target in flow.notify:
            if message.event in target.events:
                key = target.url if isinstance(target.url, str) else target.url.describe()
                found.setdefault(f"{flow.region}|{key}", (target, flow.region))
    return list(found.values())


def _deliver(target: NotifyTarget, region: str, message: Message, resolver: Resolver) -> str | None:
    if isinstance(target.url, str):
        url: Secret | str = Secret(target.url)
    else:
        url = resolver.lookup(target.url, region)
    if isinstance(url, str):
        return url  # why the reference could not be resolved
    _register_parts(url)
    import apprise

    plugin = apprise.Apprise.instantiate(url.reveal())
    if plugin is None:
        return "not a URL Apprise can send to"
    plugin.socket_connect_timeout = CONNECT_TIMEOUT
    plugin.socket_read_timeout = READ_TIMEOUT
    sender = apprise.Apprise()
    sender.add(plugin)
    with _quiet():
        delivered = sender.notify(body=message.body, title=message.title)
    return None if delivered else "not delivered (the service did not accept it or is down)"


def _register_parts(url: Secret) -> None:
    """Make the long parts of a URL (tokens in its path, user, password or query)
    secrets in their own right, so that scrubbing catches them apart from the URL."""
    parts = urlsplit(url.reveal())
    pieces = [*parts.path.split("/"), parts.username or "", parts.password or ""]
    pieces += [value for _, value in parse_qsl(parts.query)]
    for piece in pieces:
        if len(piece) >= TOKEN_LENGTH:
            Secret(piece)  # registers it (see core.secrets)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence these loggers and their children (a level is inherited; the
    `disabled` flag is not)."""
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


def target_errors(state: State) -> list[StateError]:
    """Literal `notify:` URLs Apprise cannot use (references are checked when sent)."""
    return [
        StateError(target.location, f"notify: url: {problem}")
        for flow in state.flows.values()
        for target in flow.notify
        if isinstance(target.url, str) and (problem := url_problem(target.url)) is not None
    ]


# --- the events ---------------------------------------------------------------------


def apply_messages(state: State, report: ApplyReport, environ: Mapping[str, str]) -> list[Message]:
    """One `apply.*` message per flow the apply changed (or tried to)."""
    by_flow: dict[str, list[Result]] = {}
    for result in report.results:
        by_flow.setdefault(result.change.flow, []).append(result)
    return [
        apply_message(flow, results, environ, region=state.flows[flow].region)
        for flow, results in by_flow.items()
    ]


@contextmanager
def announce_failure(
    state_dir: Path, environ: Mapping[str, str], stores: SecretStores | None, warn: Warn
) -> Iterator[None]:
    """Around apply's planning: a ReconcilerError (AWS unreachable, a flow gone,
    a stale saved plan) is announced as `apply.failed` to every flow's targets,
    then raised on. Silent when the state itself is invalid: then there is no
    telling who to tell."""
    try:
        yield
    except ReconcilerError as error:
        try:
            state = load_state(state_dir)
        except ReconcilerError:
            raise error from None
        flows = tuple(sorted(state.flows))
        message = failed_message(flows, scrub(str(error)), environ)
        announce(state, [message], environ=environ, stores=stores, warn=warn)
        raise


def override_messages(override: Mapping[str, Any], environ: Mapping[str, str]) -> list[Message]:
    """One `freeze-override` message per flow whose freeze --break-glass broke
    (`override` as `guardrails.Override.as_dict()` gives it)."""
    flows = sorted({w["flow"] for w in override["windows"]})
    return [
        override_message(
            flow,
            reason=override["reason"],
            caller=override["caller"],
            windows=[w for w in override["windows"] if w["flow"] == flow],
            environ=environ,
        )
        for flow in flows
    ]


def after_drift(
    state: State,
    plan: Plan,
    memory: Path | None,
    *,
    environ: Mapping[str, str],
    stores: SecretStores | None,
    warn: Warn,
) -> None:
    """Announce drift found (and resolved, with a `memory` file from the last
    run), then update `memory`."""
    before = None
    if memory is not None:
        try:
            before = json.loads(memory.read_text(encoding="utf-8")).get("drifting", {})
        except FileNotFoundError:
            before = {}
        except (OSError, ValueError, AttributeError):
            warn(f"{memory}: unreadable drift memory; starting afresh")
            before = {}
    messages, now = drift_messages(plan, environ, before)
    announce(state, messages, environ=environ, stores=stores, warn=warn)
    if memory is not None:  # flows not looked at this time keep their record
        write_json(memory, {"drifting": {**(before or {}), **now}})


def drift_messages(
    plan: Plan, environ: Mapping[str, str], before: Mapping[str, bool] | None
) -> tuple[list[Message], dict[str, bool]]:
    """`drift.found` for each drifting flow (only newly drifting ones when
    `before`, the last run's record, is given) and `drift.resolved` for each
    flow `before` says drifted that no longer does; and the new record."""
    now = {f.spec.name: any(not c.adoption_only for c in f.changes) for f in plan.flows}
    messages = []
    for flow in plan.flows:
        name = flow.spec.name
        if now[name] and not (before or {}).get(name, False):
            messages.append(drift_message(flow, environ))
        elif not now[name] and (before or {}).get(name, False):
            messages.append(resolved_message(name, environ))
    return messages, now
