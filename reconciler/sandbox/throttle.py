"""Latency, MediaConnect's rate limit and Parameter Store's throughput for the sandbox server.

`Limits` wraps the server's WSGI application. Every request waits
`latency_ms` first (a simulated round trip). MediaConnect requests then take a
token from a bucket per region and API class, as MediaConnect's quotas page
describes: DescribeFlow 30 requests/s (burst 30), every other MediaConnect
operation 5/s (burst 30). An empty bucket answers 429 TooManyRequestsException
without reaching moto. Parameter Store's reads of values (GetParameter,
GetParameters, GetParametersByPath) share one bucket per region at its
standard throughput, 40/s, or 3,000/s with `ssm_higher_throughput`, and an
empty one answers 400 ThrottlingException "Rate exceeded" as SSM does (its
burst is not documented: one second's worth here). Counts of requests and
throttles per operation are kept.

Control endpoint (same host and port, no signature needed):
GET `/_sandbox/limits` → counts, settings and the server's CPU time as JSON;
POST it with a JSON object to change `latency_ms`, `throttle` and
`ssm_higher_throughput`; `{"reset": true}` also refills the buckets and clears
the counts.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

CONTROL_PATH = "/_sandbox/limits"

# (rate per second, burst) per API class, from MediaConnect's quotas page.
DESCRIBE_FLOW_RATE, DESCRIBE_FLOW_BURST = 30.0, 30.0
OTHER_RATE, OTHER_BURST = 5.0, 30.0
# Parameter Store's throughput quota, standard and higher, shared by these reads.
SSM_STANDARD_RATE, SSM_HIGHER_RATE = 40.0, 3000.0
SSM_READS = frozenset({"GetParameter", "GetParameters", "GetParametersByPath"})

_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request")
_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), operation)
    for method, pattern, operation in (
        ("GET", r"^/v1/flows/?$", "ListFlows"),
        ("POST", r"^/v1/flows/?$", "CreateFlow"),
        ("GET", r"^/v1/flows/[^/]+$", "DescribeFlow"),
        ("DELETE", r"^/v1/flows/[^/]+$", "DeleteFlow"),
        ("POST", r"^/v1/flows/[^/]+/outputs$", "AddFlowOutputs"),
        ("PUT", r"^/v1/flows/[^/]+/outputs/[^/]+$", "UpdateFlowOutput"),
        ("DELETE", r"^/v1/flows/[^/]+/outputs/[^/]+$", "RemoveFlowOutput"),
        ("GET", r"^/tags/", "ListTagsForResource"),
        ("POST", r"^/tags/", "TagResource"),
        ("DELETE", r"^/tags/", "UntagResource"),
    )
)

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` held."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Limits:
    """The middleware. `throttle` off lets every request through (set-up)."""

    app: App
    latency_ms: float = 0.0
    throttle: bool = False
    ssm_higher_throughput: bool = False
    calls: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    _buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONTROL_PATH:
            return self._control(environ, start_response)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        service, region, operation = classify(environ)
        with self._lock:
            self.calls[operation] += 1
            limited = self.throttle and (
                service == "mediaconnect" or (service == "ssm" and operation in SSM_READS)
            )
            allowed = not limited or self._take(service, region, operation)
            if not allowed:
                self.throttled[operation] += 1
        if allowed:
            return self.app(environ, start_response)
        if service == "ssm":
            status, code, message = "400 Bad Request", "ThrottlingException", "Rate exceeded"
            body = json.dumps({"__type": code, "message": message}).encode()
        else:
            status, code = "429 Too Many Requests", "TooManyRequestsException"
            body = json.dumps({"message": "Too many requests, please try again later."}).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", code),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    def _take(self, service: str, region: str, operation: str) -> bool:
        if service == "ssm":
            api_class = "ssm"
            rate = SSM_HIGHER_RATE if self.ssm_higher_throughput else SSM_STANDARD_RATE
            limit = (rate, rate)
        elif operation == "DescribeFlow":
            api_class, limit = "DescribeFlow", (DESCRIBE_FLOW_RATE, DESCRIBE_FLOW_BURST)
        else:
            api_class, limit = "other", (OTHER_RATE, OTHER_BURST)
        bucket = self._buckets.get((region, api_class))
        if bucket is None:
            bucket = self._buckets[region, api_class] = Bucket(*limit)
        return bucket.take()

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            change = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with self._lock:
                self.latency_ms = float(change.get("latency_ms", self.latency_ms))
                self.throttle = bool(change.get("throttle", self.throttle))
                higher = bool(change.get("ssm_higher_throughput", self.ssm_higher_throughput))
                if higher != self.ssm_higher_throughput:
                    self.ssm_higher_throughput = higher
                    self._buckets = {k: b for k, b in self._buckets.items() if k[1] != "ssm"}
                if change.get("reset"):
                    self.calls.clear()
                    self.throttled.clear()
                    self._buckets.clear()
        with self._lock:
            body = json.dumps(
                {
                    "latency_ms": self.latency_ms,
                    "throttle": self.throttle,
                    "ssm_higher_throughput": self.ssm_higher_throughput,
                    "calls": dict(self.calls),
                    "throttled": dict(self.throttled),
                    "cpu_s": time.process_time(),  # the server's CPU time so far
                }
            ).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


def classify(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(service, region, operation) of a signed request; operation "?" if unknown."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    region, service = found.groups() if found else ("", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return service, region, target.rsplit(".", 1)[-1]
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    if service == "mediaconnect":
        for verb, pattern, operation in _ROUTES:
            if verb == method and pattern.match(path):
                return service, region, operation
    return service, region, f"{service}:{method}" if service else "?"
