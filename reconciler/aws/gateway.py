"""The one place that talks to AWS (and the only module importing boto3).

Typed methods over the few MediaConnect calls the tool makes. Clients are
cached per region and configured with botocore's standard retry mode, so
throttling (429), 5xx and dropped connections are retried with backoff by
botocore itself. `ClientError` never escapes: it becomes one of the project's
`AwsError`s, whose message carries the operation and AWS's error code but
never the request parameters. Credentials and endpoints come from boto3's
standard chain, so `AWS_PROFILE`, `AWS_ENDPOINT_URL` and friends all work.

Read-only by construction where it matters: there are no MediaLive or
MediaPackage methods here at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)

from reconciler.errors import AwsError, NotFound, ReconcilerError, Throttled
from reconciler.models import LiveFlow, LiveOutput
from reconciler.outputs import MANAGED_TAG, live_fields
from reconciler.secrets import reveal_all

T = TypeVar("T")

CLIENT_CONFIG = Config(
    connect_timeout=10, read_timeout=30, user_agent_extra="mediaconnect-reconciler"
)
# botocore's standard retry mode (exponential backoff with jitter on 429, 5xx and
# connection errors), unless AWS_RETRY_MODE / AWS_MAX_ATTEMPTS or the profile say otherwise.
DEFAULT_RETRY_MODE, DEFAULT_TOTAL_ATTEMPTS = "standard", 6

# Tag look-ups are one call per output; a few at a time stays well inside
# MediaConnect's 5 requests/s steady rate (burst 30) and botocore retries 429s.
TAG_LOOKUP_THREADS = 4


class MediaConnect:
    """MediaConnect calls for one AWS account, any region."""

    def __init__(self, session: boto3.session.Session | None = None) -> None:
        self._session = session or boto3.session.Session()
        self._clients: dict[str, Any] = {}
        self._flow_lists: dict[str, list[dict[str, Any]]] = {}

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._session.client(
                "mediaconnect", region_name=region, config=self._config()
            )
        return self._clients[region]

    def _config(self) -> Config:
        settings = self._session._session  # botocore's session: env vars and profile merged
        retries = {
            "mode": settings.get_config_variable("retry_mode") or DEFAULT_RETRY_MODE,
            "total_max_attempts": settings.get_config_variable("max_attempts")
            or DEFAULT_TOTAL_ATTEMPTS,
        }
        return CLIENT_CONFIG.merge(Config(retries=retries))

    def _call(self, region: str, operation: str, **params: Any) -> Any:
        method = getattr(self._client(region), _snake(operation))
        return _translated(operation, lambda: method(**reveal_all(params)))

    # --- reads -----------------------------------------------------------

    def flow_arns_named(self, region: str, name: str) -> list[str]:
        """ARNs of every flow called `name` in `region`.

        The region's flows are listed once (ListFlows, all pages) per gateway,
        however many flow files name flows there.
        """
        if region not in self._flow_lists:
            paginator = self._client(region).get_paginator("list_flows")
            pages = _translated("ListFlows", lambda: list(paginator.paginate()))
            self._flow_lists[region] = [f for page in pages for f in page["Flows"]]
        return [f["FlowArn"] for f in self._flow_lists[region] if f["Name"] == name]

    def describe_flow(
        self, region: str, arn: str, *, tags_for: Callable[[str], bool] = lambda name: True
    ) -> LiveFlow:
        """The flow and its outputs, essences extracted and keys wrapped.

        DescribeFlow does not return output tags, so ownership needs one
        ListTagsForResource per output; `tags_for(name)` says which outputs
        need it (protected ones, for instance, do not).
        """
        flow = self._call(region, "DescribeFlow", FlowArn=arn)["Flow"]
        raw = flow.get("Outputs", [])
        arns = [o["OutputArn"] for o in raw if not o.get("EntitlementArn") and tags_for(o["Name"])]
        flags = self._in_parallel([functools.partial(self.is_managed, region, a) for a in arns])
        managed = dict(zip(arns, flags, strict=True))
        return LiveFlow(
            name=flow["Name"],
            arn=flow["FlowArn"],
            region=region,
            status=flow["Status"],
            outputs=tuple(
                LiveOutput(
                    name=o["Name"],
                    arn=o["OutputArn"],
                    fields=live_fields(o),
                    managed=managed.get(o["OutputArn"], False),
                    entitlement_arn=o.get("EntitlementArn"),
                )
                for o in raw
            ),
        )

    def is_managed(self, region: str, resource_arn: str) -> bool:
        tags = self._call(region, "ListTagsForResource", ResourceArn=resource_arn)["Tags"]
        key, value = MANAGED_TAG
        return bool(tags.get(key) == value)

    # --- writes (MediaConnect flow outputs only) -------------------------

    def add_outputs(
        self, region: str, flow_arn: str, outputs: Sequence[Mapping[str, Any]]
    ) -> dict[str, str]:
        """AddFlowOutputs for all `outputs` in one call; returns name → new ARN."""
        response = self._call(region, "AddFlowOutputs", FlowArn=flow_arn, Outputs=list(outputs))
        return {o["Name"]: o["OutputArn"] for o in response.get("Outputs", [])}

    def update_output(
        self, region: str, flow_arn: str, output_arn: str, changes: Mapping[str, Any]
    ) -> None:
        self._call(region, "UpdateFlowOutput", FlowArn=flow_arn, OutputArn=output_arn, **changes)

    def remove_output(self, region: str, flow_arn: str, output_arn: str) -> None:
        self._call(region, "RemoveFlowOutput", FlowArn=flow_arn, OutputArn=output_arn)

    def mark_managed(self, region: str, output_arn: str) -> None:
        self._call(region, "TagResource", ResourceArn=output_arn, Tags=dict([MANAGED_TAG]))

    @staticmethod
    def _in_parallel(calls: Sequence[Callable[[], T]]) -> list[T]:
        if len(calls) <= 1:
            return [call() for call in calls]
        with ThreadPoolExecutor(max_workers=TAG_LOOKUP_THREADS) as pool:
            return list(pool.map(lambda call: call(), calls))


def _translated(operation: str, call: Callable[[], T]) -> T:
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
