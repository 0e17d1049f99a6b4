"""MediaConnect: the flow and flow-output calls the tool makes, typed.

There are no MediaLive or MediaPackage methods here, and no flow-level writes:
the only writes are to flow outputs.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.aws.clients import Clients
from reconciler.core import ownership
from reconciler.core.concurrency import in_parallel
from reconciler.core.errors import FlowNotReady
from reconciler.core.models import LiveFlow, LiveOutput
from reconciler.core.outputs import MANAGED_TAG, live_fields

SERVICE = "mediaconnect"

# Output changes can leave a flow UPDATING for a while; the next change to it
# waits (polling DescribeFlow) until it settles, up to the timeout.
READY, BUSY = frozenset({"ACTIVE", "STANDBY"}), frozenset({"UPDATING", "STARTING", "STOPPING"})
# Polling every 3 s, as botocore's own `flow_active` waiter does; both can be
# set in the environment (RECONCILE_FLOW_WAIT_DELAY / _TIMEOUT, in seconds,
# read and checked at start-up by app.settings).
WAIT_DELAY_SECONDS, WAIT_TIMEOUT_SECONDS = 3.0, 300.0
# While waiting, `on_wait` is told at most this often.
WAIT_REPORT_SECONDS = 10.0


@dataclass(frozen=True)
class FlowWait:
    """How to wait for a busy flow; `on_wait(flow, status, seconds waited)` is
    called on the first wait and then every WAIT_REPORT_SECONDS or so."""

    delay: float = WAIT_DELAY_SECONDS
    timeout: float = WAIT_TIMEOUT_SECONDS
    on_wait: Callable[[str, str, float], None] | None = None


class MediaConnect:
    """MediaConnect calls for one AWS account, any region."""

    def __init__(self, clients: Clients | None = None, wait: FlowWait | None = None) -> None:
        self._clients = clients or Clients()
        self._wait = wait or FlowWait()
        self._flow_lists: dict[str, list[dict[str, Any]]] = {}
        self._listing = threading.Lock()  # flows are read from several threads

    def _call(self, region: str, operation: str, **params: Any) -> Any:
        return self._clients.call(SERVICE, region, operation, **params)

    # --- reads -----------------------------------------------------------

    def flow_arns_named(self, region: str, name: str) -> list[str]:
        """ARNs of every flow called `name` in `region`.

        The region's flows are listed once (ListFlows, all pages) per instance,
        however many flow files name flows there.
        """
        with self._listing:
            if region not in self._flow_lists:
                pages = self._clients.pages(SERVICE, region, "ListFlows")
                self._flow_lists[region] = [f for page in pages for f in page["Flows"]]
        return [f["FlowArn"] for f in self._flow_lists[region] if f["Name"] == name]

    def describe_flow(
        self,
        region: str,
        arn: str,
        *,
        tags_for: Callable[[str], bool] = lambda name: True,
        with_manifest: bool = False,
    ) -> LiveFlow:
        """The flow and its outputs, essences extracted and keys wrapped.

        DescribeFlow does not return output tags. With `with_manifest`, the
        flow's own tags are read too (one ListTagsForResource, at the same time
        as DescribeFlow) and the ownership manifest in them answers for the
        outputs it lists; any other output `tags_for(name)` accepts (protected
        ones are not) is checked with one ListTagsForResource of its own.
        """
        reads: list[Callable[[], Any]] = [
            functools.partial(self._call, region, "DescribeFlow", FlowArn=arn)
        ]
        if with_manifest:
            reads.append(functools.partial(self.tags, region, arn))
        answers = in_parallel(reads)
        flow = answers[0]["Flow"]
        manifest = ownership.read(answers[1]) if with_manifest else None
        known = manifest.owned | manifest.unowned if manifest else frozenset()
        raw = flow.get("Outputs", [])
        arns = [
            o["OutputArn"]
            for o in raw
            if not o.get("EntitlementArn")
            and tags_for(o["Name"])
            and ownership.output_id(o["OutputArn"]) not in known
        ]
        flags = in_parallel([functools.partial(self.is_managed, region, a) for a in arns])
        managed = dict(zip(arns, flags, strict=True))
        if manifest:
            managed |= {
                o["OutputArn"]: True
                for o in raw
                if tags_for(o["Name"]) and ownership.output_id(o["OutputArn"]) in manifest.owned
            }
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
            manifest=manifest,
        )

    def ready_flow(self, region: str, arn: str) -> LiveFlow:
        """The flow once it is ACTIVE or STANDBY (no tag look-ups).

        Raises NotFound if it is gone, FlowNotReady if it is DELETING or in
        ERROR, or still busy after the wait's timeout.
        """
        delay, timeout = self._wait.delay, self._wait.timeout
        started = time.monotonic()
        deadline, reported = started + timeout, -WAIT_REPORT_SECONDS
        while True:
            flow = self.describe_flow(region, arn, tags_for=lambda name: False)
            if flow.status in READY:
                return flow
            if flow.status not in BUSY:
                raise FlowNotReady(
                    f"flow {flow.name!r} is {flow.status}; nothing more is changed on it"
                )
            if time.monotonic() + delay > deadline:
                raise FlowNotReady(
                    f"flow {flow.name!r} is still {flow.status} after {timeout:g} s; "
                    "run apply again once it settles"
                )
            waited = time.monotonic() - started
            if self._wait.on_wait is not None and waited - reported >= WAIT_REPORT_SECONDS:
                self._wait.on_wait(flow.name, flow.status, waited)
                reported = waited
            time.sleep(delay)

    def tags(self, region: str, resource_arn: str) -> dict[str, str]:
        """ListTagsForResource: the tags of a flow or an output."""
        tags: dict[str, str] = self._call(region, "ListTagsForResource", ResourceArn=resource_arn)[
            "Tags"
        ]
        return tags

    def is_managed(self, region: str, resource_arn: str) -> bool:
        key, value = MANAGED_TAG
        return self.tags(region, resource_arn).get(key) == value

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

    def record_ownership(self, region: str, flow_arn: str, tags: Mapping[str, str]) -> None:
        """TagResource on the flow: the ownership manifest's tags (see core.ownership)."""
        self._call(region, "TagResource", ResourceArn=flow_arn, Tags=dict(tags))
