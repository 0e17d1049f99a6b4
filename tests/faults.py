"""Fault injection for in-process tests, at botocore's transport boundary.

A `Faults` object takes the place of moto's own `before-send` hook (botocore
calls every before-send handler and keeps the first answer, so it must replace
moto's rather than run ahead of it): for the operations it is told about it
answers with an AWS error without applying the request, or lets moto apply it
and then drops the response, the worst case for a client (the change happened,
but the caller saw a connection error). Everything else goes to moto as usual.
Clients created inside `injected(...)` get it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.handlers import BUILTIN_HANDLERS
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

ERRORS = {
    "throttle": (429, "TooManyRequestsException", "Too many requests"),
    "ssm-throttle": (400, "ThrottlingException", "Rate exceeded"),
    "denied": (400, "AccessDeniedException", "User is not authorized to perform this action"),
    "500": (500, "InternalServerErrorException", "Internal failure"),
    "503": (503, "ServiceUnavailableException", "Service unavailable"),
}


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def echo_response(request: Any) -> AWSResponse:
    """A 400 whose message repeats the whole request: as sent (JSON), as a
    Python repr, and every string in it raw, as a careless service might."""
    body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = body
    message = f"Invalid request: {body} parsed as {data!r}; bad values: {' '.join(_strings(data))}"
    payload = json.dumps({"__type": "BadRequestException", "message": message, "Message": message})
    headers = {"x-amzn-errortype": "BadRequestException", "content-type": "application/json"}
    return AWSResponse(request.url, 400, headers, MockRawResponse(payload))  # type: ignore[arg-type]


def error_response(url: str, kind: str) -> AWSResponse:
    status, code, message = ERRORS[kind]
    body = json.dumps({"__type": code, "message": message, "Message": message})
    headers = {"x-amzn-errortype": code, "content-type": "application/json"}
    return AWSResponse(url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]


@dataclass
class Faults:
    """`plan(service, operation) -> kind | None` decides each request's fate:
    an ERRORS kind, "echo" (a 400 repeating the request, see `echo_response`),
    "drop" (applied, then the response is lost), or None."""

    plan: Callable[[str, str], str | None]
    injected: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".")[:3]
        kind = self.plan(service, operation)
        if kind is None:
            return botocore_stubber(event_name, request, **kwargs)
        self.injected.append((service, operation, kind))
        if kind == "drop":
            botocore_stubber(event_name, request, **kwargs)  # moto applies it...
            raise ReadTimeoutError(endpoint_url=request.url)  # ...and the answer never arrives
        if kind == "echo":
            return echo_response(request)
        return error_response(request.url, kind)


@contextmanager
def injected(plan: Callable[[str, str], str | None]) -> Iterator[Faults]:
    faults = Faults(plan)
    moto_entry = ("before-send", botocore_stubber)
    index = BUILTIN_HANDLERS.index(moto_entry)
    BUILTIN_HANDLERS[index] = ("before-send", faults)
    try:
        yield faults
    finally:
        BUILTIN_HANDLERS[index] = moto_entry


def always(service: str, operation: str, kind: str) -> Callable[[str, str], str | None]:
    return lambda s, o: kind if (s, o) == (service, operation) else None


def seeded(seed: int, rate: float, kinds: tuple[str, ...]) -> Callable[[str, str], str | None]:
    """Random faults on MediaConnect writes and reads, reproducible from `seed`."""
    rng = random.Random(seed)
    return lambda s, o: rng.choice(kinds) if s == "mediaconnect" and rng.random() < rate else None
