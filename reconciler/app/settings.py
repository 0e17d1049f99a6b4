"""Every setting reconcile takes from the environment, read and checked once.

`load_settings` runs at start-up, before any AWS call: a bad value is one
`SettingsError` naming the variable, never a crash in the middle of an apply.
The AWS adapter is then built from these values (`make_aws`) and reads no
environment variable of ours itself. (boto3 still reads its own standard
variables for credentials, region and endpoint.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.aws import Aws
from reconciler.aws.clients import Clients
from reconciler.aws.mediaconnect import WAIT_DELAY_SECONDS, WAIT_TIMEOUT_SECONDS, FlowWait
from reconciler.core.errors import ReconcilerError

WAIT_DELAY, WAIT_TIMEOUT = "RECONCILE_FLOW_WAIT_DELAY", "RECONCILE_FLOW_WAIT_TIMEOUT"
MAX_ATTEMPTS, RETRY_MODE = "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"
PLAN_KEY = "RECONCILE_PLAN_KEY"
SSM_THROUGHPUT = "RECONCILE_SSM_THROUGHPUT"
SSM_THROUGHPUTS = ("standard", "higher")  # Parameter Store's two settings
REGIONS = ("AWS_REGION", "AWS_DEFAULT_REGION")
RETRY_MODES = ("legacy", "standard", "adaptive")
# Variables whose values are secret: never quoted in an error.
SECRET_VARIABLES = frozenset({PLAN_KEY})


class SettingsError(ReconcilerError):
    """An environment variable has a value reconcile cannot use."""


@dataclass(frozen=True)
class Settings:
    """What the environment says, checked. None: not set (botocore's or the
    profile's value applies)."""

    flow_wait_delay: float = WAIT_DELAY_SECONDS
    flow_wait_timeout: float = WAIT_TIMEOUT_SECONDS
    max_attempts: int | None = None
    retry_mode: str | None = None
    plan_key: str = ""
    region: str | None = None  # AWS_REGION, else AWS_DEFAULT_REGION
    ssm_higher_throughput: bool = False  # the account's Parameter Store throughput


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Parse and check every setting; raises SettingsError for the first bad one."""
    for name in (WAIT_DELAY, WAIT_TIMEOUT, MAX_ATTEMPTS, RETRY_MODE, PLAN_KEY, SSM_THROUGHPUT,
                 *REGIONS):  # fmt: skip
        if name in environ:
            _check_text(name, environ[name])
    region = next((environ[n].strip() for n in REGIONS if environ.get(n, "").strip()), None)
    return Settings(
        flow_wait_delay=_seconds(environ, WAIT_DELAY, WAIT_DELAY_SECONDS),
        flow_wait_timeout=_seconds(environ, WAIT_TIMEOUT, WAIT_TIMEOUT_SECONDS),
        max_attempts=_max_attempts(environ),
        retry_mode=_choice(environ, RETRY_MODE, RETRY_MODES),
        plan_key=environ.get(PLAN_KEY, ""),
        region=region,
        ssm_higher_throughput=_choice(environ, SSM_THROUGHPUT, SSM_THROUGHPUTS) == "higher",
    )


def make_aws(
    settings: Settings, *, on_wait: Callable[[str, str, float], None] | None = None
) -> Aws:
    """The AWS adapter configured from `settings`; `on_wait(flow, status, seconds)`
    is told while apply waits for a busy flow."""
    clients = Clients(
        retry_mode=settings.retry_mode,
        max_attempts=settings.max_attempts,
        ssm_higher_throughput=settings.ssm_higher_throughput,
    )
    wait = FlowWait(settings.flow_wait_delay, settings.flow_wait_timeout, on_wait)
    return Aws(clients, flow_wait=wait)


def _check_text(name: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SettingsError(f"{name} is not valid UTF-8") from None


def _bad(name: str, value: str, need: str) -> SettingsError:
    shown = "(value hidden)" if name in SECRET_VARIABLES else repr(value)
    return SettingsError(f"{name}={shown}: {need}")


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _bad(name, raw, "must be a positive number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise _bad(name, raw, "must be a positive number of seconds")
    return value


def _max_attempts(environ: Mapping[str, str]) -> int | None:
    raw = environ.get(MAX_ATTEMPTS)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw)
    except ValueError:
        raise _bad(MAX_ATTEMPTS, raw, "must be a whole number of attempts, 1 or more") from None
    if value < 1:
        raise _bad(MAX_ATTEMPTS, raw, "must be a whole number of attempts, 1 or more")
    return value


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return None
    if raw.strip() not in choices:
        raise _bad(name, raw, f"must be one of {', '.join(choices)}")
    return raw.strip()
