"""The one place that imports boto3: sessions, clients, retries, errors.

Every AWS call of the tool goes through `Clients.call`. Clients are cached per
(service, region) and use botocore's standard retry mode (exponential backoff
with jitter on 429, 5xx and dropped connections) unless AWS_RETRY_MODE /
AWS_MAX_ATTEMPTS or the profile say otherwise. `ClientError` never escapes: it
becomes one of the project's `AwsError`s, whose message carries the operation
and AWS's error code and AWS's message, masked (AWS may echo the request). Credentials and
endpoints come from boto3's standard chain, so `AWS_PROFILE`,
`AWS_ENDPOINT_URL` and friends all work.

The service modules beside this one (`mediaconnect`, ...) are thin typed
wrappers; none of them can reach a service operation this module is not asked
for by name.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.aws.debuglog import remember_operation
from reconciler.core.errors import AwsError, NotFound, ReconcilerError, Throttled
from reconciler.core.secrets import redact, remember, reveal_all

if TYPE_CHECKING:  # boto3 and botocore load on the first AWS call, not on import
    import boto3
    from botocore.config import Config

T = TypeVar("T")

DEFAULT_RETRY_MODE, DEFAULT_TOTAL_ATTEMPTS = "standard", 6

# Client-side rate limits, per (service, region, API class): (requests/s, burst).
# MediaConnect allows 5 requests/s with a burst of 30 per account and region,
# and 30/s for DescribeFlow; a little under both leaves room for timing jitter.
RATE_LIMITS: dict[tuple[str, str | None], tuple[float, float]] = {
    ("mediaconnect", "DescribeFlow"): (27.0, 25.0),
    ("mediaconnect", None): (4.5, 25.0),  # every other MediaConnect operation
    # Parameter Store's standard throughput: 40 transactions/s per account and
    # region, shared by GetParameter, GetParameters and GetParametersByPath
    # (the applications reading their own parameters take from it too).
    ("ssm", "GetParameters"): (36.0, 36.0),
}
# With Parameter Store's higher throughput enabled on the account: 3,000/s.
SSM_HIGHER_THROUGHPUT = (2700.0, 2700.0)
# When a call is still throttled after botocore's retries (another tool is
# using the account's quota), wait and try again: 1, 2, 4, 8, 16 s. A throttled
# request was refused at the door, not applied, so this is safe for writes
# too; any other failure of a write is left to botocore's retries alone.
PATIENT_RETRIES = 5
PATIENT_SERVICES = ("mediaconnect", "ssm", "secretsmanager")
# Threads that may call at once (core.concurrency's pools): one connection each.
POOL_CONNECTIONS = 128


class RateLimiter:
    """A token bucket shared by threads: `acquire` waits for a token.

    Waiters reserve their token before sleeping (the count may go below
    zero), so they leave in order at `rate` a second after the burst.
    """

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._stamp = burst, time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            time.sleep(wait)


def rate_class(service: str, operation: str) -> tuple[str, str | None] | None:
    """The RATE_LIMITS key that limits `operation`, or None if it is not limited."""
    if (service, operation) in RATE_LIMITS:
        return service, operation
    return (service, None) if (service, None) in RATE_LIMITS else None


@dataclass(frozen=True)
class CallRecord:
    """One AWS call as the audit report shows it: never its parameters, only
    the resource it named (ARNs and names are not secret)."""

    time: str
    service: str
    region: str
    operation: str
    resource: str | None
    error: str | None  # AWS's error code, or None when it succeeded


RESOURCE_PARAMETERS = ("OutputArn", "ResourceArn", "FlowArn", "ChannelId", "TableName")


class Clients:
    """boto3 clients for one account, any service and region, made on first use.
    `journal` lists every call made through them, in order. Safe to share
    between threads; every HTTP attempt to a rate-limited API first takes a
    token from that region's `RateLimiter`."""

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
        ssm_higher_throughput: bool = False,
    ) -> None:
        """`retry_mode` / `max_attempts`: checked values (app.settings); None
        leaves it to the profile, then to the defaults here. The boto3 session
        is made on the first call when not given (boto3 loads only then).
        `ssm_higher_throughput`: the account has Parameter Store's higher
        throughput, so GetParameters is paced at that quota instead."""
        self._session = session
        self._retry_mode, self._max_attempts = retry_mode, max_attempts
        self._rates = dict(RATE_LIMITS)
        if ssm_higher_throughput:
            self._rates["ssm", "GetParameters"] = SSM_HIGHER_THROUGHPUT
        self._clients: dict[tuple[str, str], Any] = {}
        self._limiters: dict[tuple[str, str, str | None], RateLimiter] = {}
        self._lock = threading.Lock()
        self.journal: list[CallRecord] = []

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            if key not in self._clients:
                if self._session is None:
                    import boto3

                    self._session = boto3.session.Session()
                client = self._session.client(service, region_name=region, config=self._config())
                client.meta.events.register(
                    f"before-send.{service}", functools.partial(self._take_token, region)
                )
                # --debug masks response bodies by their operation's model (see debuglog).
                client.meta.events.register("before-parse", remember_operation)
                client.meta.events.register("after-call", remember_operation)
                self._clients[key] = client
                credentials = self._session.get_credentials()  # resolved by client() already
                for value in (credentials.secret_key, credentials.token) if credentials else ():
                    if value:
                        remember(value)  # the redaction sink masks them too
            return self._clients[key]

    def rate_limit(self, service: str, operation: str) -> tuple[float, float] | None:
        """(requests a second, burst) this client keeps `operation` to, or None."""
        limited = rate_class(service, operation)
        return None if limited is None else self._rates[limited]

    def _take_token(self, region: str, event_name: str = "", **kwargs: Any) -> None:
        """before-send hook: wait for this attempt's token (retries take one too)."""
        service, operation = [*event_name.split("."), "", ""][1:3]
        limited = rate_class(service, operation)
        if limited is None:
            return
        with self._lock:
            limiter = self._limiters.get((region, *limited))
            if limiter is None:
                limiter = RateLimiter(*self._rates[limited])
                self._limiters[region, *limited] = limiter
        limiter.acquire()

    def _config(self) -> Config:
        from botocore.config import Config

        assert self._session is not None
        settings = self._session._session  # botocore's session: env vars and profile merged
        try:
            retries = {
                "mode": self._retry_mode
                or settings.get_config_variable("retry_mode")
                or DEFAULT_RETRY_MODE,
                "total_max_attempts": self._max_attempts
                or settings.get_config_variable("max_attempts")
                or DEFAULT_TOTAL_ATTEMPTS,
            }
        except ValueError:  # a profile's max_attempts that is not a number
            raise ReconcilerError("the AWS profile's max_attempts is not a number") from None
        return Config(
            connect_timeout=10,
            read_timeout=30,
            user_agent_extra="mediaconnect-reconciler",
            retries=retries,
            max_pool_connections=POOL_CONNECTIONS,
        )

    def call(self, service: str, region: str, operation: str, **params: Any) -> Any:
        """Make one call. Secrets in `params` are revealed only here, on the way out."""
        method = getattr(self.client(service, region), _snake(operation))
        return self._journaled(
            service, region, operation, params, lambda: method(**reveal_all(params))
        )

    def pages(self, service: str, region: str, operation: str, **params: Any) -> Iterator[Any]:
        """All pages of a paginated call, fetched before the first is returned."""
        paginator = self.client(service, region).get_paginator(_snake(operation))
        return iter(
            self._journaled(
                service, region, operation, params, lambda: list(paginator.paginate(**params))
            )
        )

    def _journaled(
        self,
        service: str,
        region: str,
        operation: str,
        params: dict[str, Any],
        call: Callable[[], T],
    ) -> T:
        resource = next((str(params[p]) for p in RESOURCE_PARAMETERS if p in params), None)
        if operation == "AddFlowOutputs":
            names = ",".join(str(o.get("Name")) for o in params.get("Outputs", []))
            resource = f"{resource} outputs={names}"
        started = datetime.now(UTC).isoformat(timespec="milliseconds")
        try:
            if service in PATIENT_SERVICES:
                result = _patiently(operation, call)
            else:
                result = translated(operation, call)
        except AwsError as e:
            self.journal.append(CallRecord(started, service, region, operation, resource, e.code))
            raise
        self.journal.append(CallRecord(started, service, region, operation, resource, None))
        return result


def _patiently(operation: str, call: Callable[[], T]) -> T:
    """`translated(call)`, trying again after a growing pause (1, 2, 4 ... s, with
    jitter) while it is Throttled, PATIENT_RETRIES times at most. Only a
    throttle is tried again: the service refused it without applying it."""
    for attempt in range(PATIENT_RETRIES):
        try:
            return translated(operation, call)
        except Throttled:
            time.sleep(2**attempt * (0.5 + random.random()))
    return translated(operation, call)


def translated(operation: str, call: Callable[[], T]) -> T:
    """Run `call`, turning botocore's exceptions into the project's errors.

    AWS's messages are untrusted text that may echo the request (stream keys
    included): they pass the redaction sink here, and again in `AwsError`."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        ParamValidationError,
    )

    try:
        return call()
    except ClientError as e:
        error = e.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = redact(str(error.get("Message", ""))) or "no message"
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        kind = NotFound if status == 404 or code == "NotFoundException" else AwsError
        if code in ("TooManyRequestsException", "ThrottlingException"):
            kind = Throttled
        raise kind(operation, code, message, status) from None
    except NoCredentialsError:
        raise ReconcilerError(
            f"{operation}: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY, or run inside a role)"
        ) from None
    except ParamValidationError:
        # Its message quotes the offending value, which may be a stream key.
        raise AwsError(operation, "ParamValidationError", "botocore rejected the request") from None
    except BotoCoreError as e:
        raise AwsError(operation, type(e).__name__, redact(str(e))) from None


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
