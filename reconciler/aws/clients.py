"""The one place that imports boto3: sessions, clients, retries, errors.

Every AWS call of the tool goes through `Clients.call`. Clients are cached per
(service, region) and use botocore's standard retry mode (exponential backoff
with jitter on 429, 5xx and dropped connections) unless AWS_RETRY_MODE /
AWS_MAX_ATTEMPTS or the profile say otherwise. `ClientError` never escapes: it
becomes one of the project's `AwsError`s, whose message carries the operation
and AWS's error code but never the request parameters. Credentials and
endpoints come from boto3's standard chain, so `AWS_PROFILE`,
`AWS_ENDPOINT_URL` and friends all work.

The service modules beside this one (`mediaconnect`, ...) are thin typed
wrappers; none of them can reach a service operation this module is not asked
for by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)

from reconciler.core.errors import AwsError, NotFound, ReconcilerError, Throttled
from reconciler.core.secrets import reveal_all

T = TypeVar("T")

CLIENT_CONFIG = Config(
    connect_timeout=10, read_timeout=30, user_agent_extra="mediaconnect-reconciler"
)
DEFAULT_RETRY_MODE, DEFAULT_TOTAL_ATTEMPTS = "standard", 6


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
    `journal` lists every call made through them, in order."""

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
    ) -> None:
        """`retry_mode` / `max_attempts`: checked values (app.settings); None
        leaves it to the profile, then to the defaults here."""
        self._session = session or boto3.session.Session()
        self._retry_mode, self._max_attempts = retry_mode, max_attempts
        self._clients: dict[tuple[str, str], Any] = {}
        self.journal: list[CallRecord] = []

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service, region_name=region, config=self._config()
            )
        return self._clients[key]

    def _config(self) -> Config:
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
        return CLIENT_CONFIG.merge(Config(retries=retries))

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
            result = translated(operation, call)
        except AwsError as e:
            self.journal.append(CallRecord(started, service, region, operation, resource, e.code))
            raise
        self.journal.append(CallRecord(started, service, region, operation, resource, None))
        return result


def translated(operation: str, call: Callable[[], T]) -> T:
    """Run `call`, turning botocore's exceptions into the project's errors."""
    try:
        return call()
    except ClientError as e:
        error = e.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")) or "no message"
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
        raise AwsError(operation, type(e).__name__, str(e)) from None


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
