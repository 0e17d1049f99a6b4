"""A fidelity layer over moto's MediaConnect mock: flow outputs behave like the real service.

moto 5.2.5 replaces every output on AddFlowOutputs and assigns no ARN, removes
nothing on RemoveFlowOutput (it compares names with the ARN), nulls omitted
fields on UpdateFlowOutput, returns outputs without `Transport`, answers 400 for
NotFoundException and validates nothing. `install()` replaces the affected
handlers of `moto.mediaconnect.responses.MediaConnectResponse` with ones that:

* validate every request against botocore's model plus the service rules in
  `reconciler.sandbox.rules` (400 BadRequestException listing every problem);
* store outputs and sources in the response shape (`reconciler.sandbox.stored`)
  on moto's own `Flow` objects and tags in moto's `TaggingService`, so a new
  `mock_aws()` context starts from nothing as usual;
* answer with the real status codes (201, 202, 204, 404, 420).

Handlers not listed in `HANDLERS` (start/stop/delete flow, entitlements, ...)
stay moto's; their NotFoundException is made a 404 as well.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from moto.core.exceptions import JsonRESTError
from moto.mediaconnect import exceptions as moto_exceptions
from moto.mediaconnect import urls as moto_urls
from moto.mediaconnect.responses import MediaConnectResponse
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from reconciler.sandbox import rules
from reconciler.sandbox.errors import (
    AddFlowOutputs420Exception,
    BadRequestException,
    CreateFlow420Exception,
    NotFoundException,
)
from reconciler.sandbox.model import service_model
from reconciler.sandbox.stored import (
    new_output,
    new_source,
    new_vpc_interface,
    output_members,
    output_request_view,
    updated_output,
)
from reconciler.sandbox.wire import project, request_params

# A handler returns the JSON body (HTTP 200) or the body and headers with "status".
Response = str | tuple[str, dict[str, Any]]

# ListFlows' page size when MaxResults is not given, as documented for the API.
DEFAULT_PAGE_SIZE = 10


@dataclass
class SandboxSettings:
    """Behaviour knobs for fault and asynchrony testing; the defaults model a calm service.

    updating_describes: after any output write (AddFlowOutputs, UpdateFlowOutput,
        RemoveFlowOutput) to a flow, the next `updating_describes` DescribeFlow
        calls on that flow report `status: UPDATING`; after that the flow's own
        status (the one before the write) comes back. 0 turns this off. The value
        in force at the time of the write is the one that counts. Only
        DescribeFlow reports it; ListFlows shows the flow's own status.
    """

    updating_describes: int = 0


settings = SandboxSettings()


def install() -> None:
    """Patch moto's MediaConnect mock in this process. Safe to call any number of times.

    Works for `mock_aws()` and for moto's server alike, as long as it runs in the
    process that serves the requests.
    """
    for name, handler in HANDLERS.items():
        setattr(MediaConnectResponse, name, handler)
    # moto's own handlers raise this one; the real service answers 404.
    moto_exceptions.NotFoundException.code = 404
    # moto's routes refuse a "." in ARNs, so a flow or output named "a.b" would
    # 404; moto reads url_paths whenever it builds its routes, so rewrite them.
    moto_urls.url_paths = {
        path.replace("[^/.]+", "[^/]+"): handler for path, handler in moto_urls.url_paths.items()
    }


# --- handlers (installed as methods: `self` is moto's MediaConnectResponse) ---


def create_flow(self: Any) -> Response:
    params = _params(self, "CreateFlow")
    backend = self.mediaconnect_backend
    sources = [("Source", params["Source"])] if "Source" in params else []
    sources += [(f"Sources[{i}]", s) for i, s in enumerate(params.get("Sources", []))]
    errors = [] if sources else ["Source: a flow needs a Source or Sources"]
    if "Source" in params and "Sources" in params:
        errors.append("Source: give either Source or Sources, not both")
    for path, source in sources:
        errors += rules.source_errors(source, path)
    errors += _outputs_errors(params.get("Outputs", []), [], "Outputs")
    _reject(errors)
    _check_output_limit(len(params.get("Outputs", [])), CreateFlow420Exception)

    body = _body(self)
    flow = backend.create_flow(
        availability_zone=params.get("AvailabilityZone") or f"{backend.region_name}a",
        entitlements=body.get("entitlements", []),
        name=params["Name"],
        outputs=[],
        source=new_source(params["Source"]) if "Source" in params else {},
        source_failover_config=body.get("sourceFailoverConfig", {}),
        sources=[new_source(s) for s in params.get("Sources", [])],
        vpc_interfaces=[
            new_vpc_interface(v, f"eni-{mock_random.get_random_hex(17)}")
            for v in params.get("VpcInterfaces", [])
        ],
        maintenance=body.get("maintenance"),
    )
    if not flow.source:
        flow.source = flow.sources[0]
    for source in flow.sources:
        if "ingestIp" in source:  # moto numbers them 127.0.0.N; AWS ingests on the egress IP
            source["ingestIp"] = flow.egress_ip
    _tag(backend, flow.flow_arn, params.get("FlowTags"))
    for stored, (_, request) in zip(flow.sources, sources, strict=True):
        _tag(backend, stored["sourceArn"], request.get("SourceTags"))
    _store_outputs(backend, flow, params.get("Outputs", []))
    return json.dumps({"flow": _flow_view(flow, flow.status)}), {"status": 201}


def describe_flow(self: Any) -> Response:
    params = _params(self, "DescribeFlow")
    flow = _flow(self, params["FlowArn"])
    flow.resolve_transient_states()  # moto's STARTING -> ACTIVE etc.
    return json.dumps({"flow": _flow_view(flow, _reported_status(flow))})


def list_flows(self: Any) -> Response:
    params = _params(self, "ListFlows")
    flows = list(self.mediaconnect_backend._flows.values())
    start = _page_start(params.get("NextToken"))
    end = start + params.get("MaxResults", DEFAULT_PAGE_SIZE)
    listed = ["availabilityZone", "description", "flowArn", "name", "sourceType", "status"]
    body: dict[str, Any] = {
        "flows": [
            project(_shape("ListedFlow"), f.to_dict(include=listed)) for f in flows[start:end]
        ]
    }
    if end < len(flows):
        body["nextToken"] = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
    return json.dumps(body)


def add_flow_outputs(self: Any) -> Response:
    params = _params(self, "AddFlowOutputs")
    flow = _flow(self, params["FlowArn"])
    requests = params["Outputs"]
    _reject(_outputs_errors(requests, [o["name"] for o in flow.outputs], "Outputs"))
    _check_output_limit(len(flow.outputs) + len(requests), AddFlowOutputs420Exception)
    added = _store_outputs(self.mediaconnect_backend, flow, requests)
    _mark_updating(flow)
    return json.dumps({"flowArn": flow.flow_arn, "outputs": added}), {"status": 201}


def update_flow_output(self: Any) -> Response:
    params = _params(self, "UpdateFlowOutput")
    flow = _flow(self, params["FlowArn"])
    index = _output_index(flow, params["OutputArn"])
    output = updated_output(flow.outputs[index], params)
    _reject(
        rules.output_errors(output_request_view(output), "")
        + rules.stored_output_errors(output_members(output))
    )
    flow.outputs[index] = output
    _mark_updating(flow)
    return json.dumps({"flowArn": flow.flow_arn, "output": output}), {"status": 202}


def remove_flow_output(self: Any) -> Response:
    params = _params(self, "RemoveFlowOutput")
    flow = _flow(self, params["FlowArn"])
    arn = params["OutputArn"]
    index = _output_index(flow, arn)
    if flow.outputs[index].get("entitlementArn"):
        raise BadRequestException(
            f"Output {arn} belongs to entitlement {flow.outputs[index]['entitlementArn']}: "
            "revoke the entitlement instead of removing the output."
        )
    del flow.outputs[index]
    self.mediaconnect_backend.tagger.delete_all_tags_for_resource(arn)
    _mark_updating(flow)
    return json.dumps({"flowArn": flow.flow_arn, "outputArn": arn}), {"status": 202}


def list_tags_for_resource(self: Any) -> Response:
    params = _params(self, "ListTagsForResource")
    backend = self.mediaconnect_backend
    arn = _existing_resource(backend, params["ResourceArn"])
    return json.dumps({"tags": backend.tagger.get_tag_dict_for_resource(arn)})


def tag_resource(self: Any) -> Response:
    params = _params(self, "TagResource")
    backend = self.mediaconnect_backend
    _tag(backend, _existing_resource(backend, params["ResourceArn"]), params["Tags"])
    return "", {"status": 204}


def untag_resource(self: Any) -> Response:
    params = _params(self, "UntagResource")
    backend = self.mediaconnect_backend
    arn = _existing_resource(backend, params["ResourceArn"])
    backend.tagger.untag_resource_using_names(arn, params["TagKeys"])
    return "", {"status": 204}


HANDLERS: Mapping[str, Callable[[Any], Response]] = {
    "create_flow": create_flow,
    "describe_flow": describe_flow,
    "list_flows": list_flows,
    "add_flow_outputs": add_flow_outputs,
    "update_flow_output": update_flow_output,
    "remove_flow_output": remove_flow_output,
    "list_tags_for_resource": list_tags_for_resource,
    "tag_resource": tag_resource,
    "untag_resource": untag_resource,
}


# --- request side ---


def _params(handler: Any, operation_name: str) -> dict[str, Any]:
    """The request in member names, after the model check (raises 400 on any error)."""
    query = parse_qs(handler.parsed_url.query, keep_blank_values=True)
    params = request_params(operation_name, _body(handler), handler.uri_match, query)
    _reject(rules.model_errors(operation_name, params))
    return params


def _body(handler: Any) -> dict[str, Any]:
    raw = handler.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise BadRequestException(f"request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadRequestException("request body must be a JSON object")
    return body


def _reject(errors: list[str]) -> None:
    if errors:
        raise BadRequestException("; ".join(errors))


def _outputs_errors(requests: list[Mapping[str, Any]], existing: list[str], path: str) -> list[str]:
    errors: list[str] = []
    for index, request in enumerate(requests):
        errors += rules.output_errors(request, f"{path}[{index}]")
    return errors + rules.duplicate_name_errors(existing, [r.get("Name") for r in requests], path)


def _check_output_limit(count: int, error: Callable[[str], JsonRESTError]) -> None:
    if count > rules.MAX_OUTPUTS_PER_FLOW:
        raise error(
            f"A flow can have at most {rules.MAX_OUTPUTS_PER_FLOW} outputs; "
            f"this request would make {count}."
        )


def _page_start(token: str | None) -> int:
    if token is None:
        return 0
    try:
        label, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if label == "offset" and offset.isdigit():
            return int(offset)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise BadRequestException(f"NextToken: {token!r} is not a token this service issued")


# --- state ---


def _flow(handler: Any, arn: str) -> Any:
    flow = handler.mediaconnect_backend._flows.get(arn)
    if flow is None:
        raise NotFoundException(f"Flow {arn} not found.")
    return flow


def _output_index(flow: Any, arn: str) -> int:
    for index, output in enumerate(flow.outputs):
        if output.get("outputArn") == arn:
            return index
    raise NotFoundException(f"Output {arn} not found on flow {flow.flow_arn}.")


def _store_outputs(
    backend: Any, flow: Any, requests: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Append already validated AddOutputRequests to `flow`; returns them as stored."""
    added = []
    for request in requests:
        arn = _output_arn(backend, request["Name"])
        output = new_output(request, arn, listener_address=flow.egress_ip)
        flow.outputs.append(output)
        _tag(backend, arn, request.get("OutputTags"))
        added.append(output)
    return added


def _output_arn(backend: Any, name: str) -> str:
    # Real output ids look like 2-3aBC45dEF67hiJ89-c34de5fG678h.
    output_id = f"2-{mock_random.get_random_hex(16)}-{mock_random.get_random_hex(12)}"
    region, account = backend.region_name, backend.account_id
    return f"arn:{get_partition(region)}:mediaconnect:{region}:{account}:output:{output_id}:{name}"


def _tag(backend: Any, arn: str, tags: Mapping[str, str] | None) -> None:
    if tags:
        backend.tag_resource(arn, dict(tags))


def _existing_resource(backend: Any, arn: str) -> str:
    if arn not in set(_resource_arns(backend)):
        raise NotFoundException(f"Resource {arn} not found.")
    return arn


def _resource_arns(backend: Any) -> Iterator[str]:
    """Every taggable ARN in the account and region: flows and what they contain."""
    for flow in backend._flows.values():
        yield flow.flow_arn
        for key, items in (
            ("outputArn", flow.outputs),
            ("sourceArn", flow.sources),
            ("entitlementArn", flow.entitlements),
        ):
            yield from (item[key] for item in items if key in item)


# The UPDATING countdown lives on moto's Flow object, so mock resets clear it too.
_UPDATING_LEFT = "sandbox_updating_describes_left"


def _mark_updating(flow: Any) -> None:
    setattr(flow, _UPDATING_LEFT, settings.updating_describes)


def _reported_status(flow: Any) -> str:
    left: int = getattr(flow, _UPDATING_LEFT, 0)
    if left > 0:
        setattr(flow, _UPDATING_LEFT, left - 1)
        return "UPDATING"
    return str(flow.status)


# --- response side ---


def _flow_view(flow: Any, status: str) -> dict[str, Any]:
    """The flow as DescribeFlow/CreateFlow return it (wire form of the model's Flow)."""
    data = {**flow.to_dict(), "status": status}
    # Empty optional members are absent in real responses; Entitlements and
    # Outputs are required and always present, even empty.
    data = {k: v for k, v in data.items() if v or k in ("entitlements", "outputs")}
    view: dict[str, Any] = project(_shape("Flow"), data)
    return view


def _shape(name: str) -> Any:
    return service_model().shape_for(name)
