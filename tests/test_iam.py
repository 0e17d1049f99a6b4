"""`reconcile iam-policy`: the policy it prints allows every call the tool makes,
resource by resource, and nothing the tool never does.

Three layers. A run against the sandbox records every (action, resource) IAM
would authorize for each call the tool makes (from the request, per the service
authorization reference) and checks each one against the generated policy with
a small IAM evaluator (Allow statements, Action/Resource wildcards, the
condition operators the policy uses); then calls the tool never makes are
checked to be denied. Table tests pin the policy's shape. And conftest's
suite-wide hook (tested here to fail a run) checks that every action the tool
calls anywhere in the suite is granted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from tests.conftest import (
    ACCOUNT,
    EXAMPLE_STATE,
    FLOW_NAME,
    REGION,
    ROOT,
    TOOL_ACTIONS,
    called_by_the_tool,
    write_full_state,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/MediaConnectSecrets"
PASSED_TO_MEDIACONNECT = (("iam:PassedToService", "mediaconnect.amazonaws.com"),)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def policy_for(state: Path, *args: str) -> dict[str, Any]:
    result = run("iam-policy", "--state", str(state), *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# --- a tiny IAM evaluator: Allow statements only ------------------------------------


@dataclass(frozen=True)
class Request:
    """One authorization IAM makes for a call: an action on one resource."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def glob(pattern: str, text: str, *, fold: bool = False) -> bool:
    """IAM wildcards: `*` any run of characters, `?` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE if fold else 0) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """Per the IAM Resource element rules: wildcards work within an ARN segment
    (between colons); only a `*` at the very end matches across segments."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":"), arn.split(":")
    if len(given) > len(wanted) and pattern.endswith("*"):
        given = [*given[: len(wanted) - 1], ":".join(given[len(wanted) - 1 :])]
    return len(wanted) == len(given) and all(map(glob, wanted, given))


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        assert operator in ("StringEquals", "StringLike"), f"the evaluator lacks {operator}"
        for key, values in keys.items():
            values = values if isinstance(values, list) else [values]
            if key not in context:
                return False
            if operator == "StringEquals" and context[key] not in values:
                return False
            if operator == "StringLike" and not any(glob(v, context[key]) for v in values):
                return False
    return True


def allowed(policy: Mapping[str, Any], request: Request) -> bool:
    context = dict(request.context)
    return any(
        statement["Effect"] == "Allow"
        and any(glob(a, request.action, fold=True) for a in statement["Action"])
        and any(resource_matches(r, request.resource) for r in statement["Resource"])
        and conditions_hold(statement.get("Condition", {}), context)
        for statement in policy["Statement"]
    )


# --- what IAM authorizes for each call the tool makes ----------------------------------


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def parameter_arn(region: str, name: str) -> str:
    return name if name.startswith("arn:") else arn("ssm", region, f"parameter/{name.lstrip('/')}")


def table_arn(region: str, table: str) -> str:
    return table if table.startswith("arn:") else arn("dynamodb", region, f"table/{table}")


def passed_roles(value: Any) -> Iterator[Request]:
    """An Encryption (or any) RoleArn in a request: MediaConnect is passed that role."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "RoleArn":
                yield Request("iam:PassRole", item, PASSED_TO_MEDIACONNECT)
            else:
                yield from passed_roles(item)
    elif isinstance(value, list):
        for item in value:
            yield from passed_roles(item)


def authorizations(
    service: str, operation: str, params: Mapping[str, Any], region: str
) -> list[Request]:
    """The (action, resource) pairs IAM checks for one call, per the service
    authorization reference: `*` where an action has no resource type."""
    action = f"{service}:{operation}"
    match service, operation:
        case (
            ("mediaconnect", "ListFlows" | "ListTagsForResource")
            | ("mediapackage", "ListOriginEndpoints")
            | ("cloudwatch", "GetMetricData")
        ):
            return [Request(action, "*")]
        case "mediaconnect", "DescribeFlow":
            return [Request(action, params["FlowArn"])]
        case "mediaconnect", "AddFlowOutputs":  # the new outputs: see `Recorder.after`
            return [Request(action, params["FlowArn"]), *passed_roles(params["Outputs"])]
        case "mediaconnect", "UpdateFlowOutput" | "RemoveFlowOutput":
            resources = [Request(action, params["FlowArn"]), Request(action, params["OutputArn"])]
            return [*resources, *passed_roles(params)]
        case "mediaconnect", "TagResource":
            return [Request(action, params["ResourceArn"])]
        case "ssm", "GetParameters":
            return [Request(action, parameter_arn(region, name)) for name in params["Names"]]
        case "ssm", "PutParameter":
            return [Request(action, parameter_arn(region, params["Name"]))]
        case "secretsmanager", "BatchGetSecretValue":  # and GetSecretValue on each secret
            return [
                Request(action, "*"),
                *(
                    Request("secretsmanager:GetSecretValue", f"{region}|{s}")
                    for s in params["SecretIdList"]
                ),
            ]
        case "medialive", "DescribeChannel":
            return [Request(action, arn("medialive", region, f"channel:{params['ChannelId']}"))]
        case "mediapackage", "DescribeChannel":
            return [Request(action, arn("mediapackage", region, f"channels/{params['Id']}"))]
        case "dynamodb", _:
            return [Request(action, table_arn(region, params["TableName"]))]
        case "sts", "GetCallerIdentity":
            return []  # needs no permission
    raise AssertionError(f"no authorization rule for {action}: add it from the reference")


class Recorder:
    """botocore hooks: the authorizations of every call the tool makes."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.tagged_on_add: set[str] = set()

    def before(self, model, params, context, **kwargs) -> None:
        if not called_by_the_tool():
            return
        service, operation = model.service_model.service_name, model.name
        self.requests += authorizations(service, operation, params, context["client_region"])
        if operation == "AddFlowOutputs":
            self.tagged_on_add = {o["Name"] for o in params["Outputs"] if o.get("OutputTags")}

    def after(self, model, parsed, **kwargs) -> None:
        """AddFlowOutputs authorizes the new outputs too (Output*), and tagging
        them on creation needs TagResource: their ARNs come with the response."""
        if model.name != "AddFlowOutputs" or not called_by_the_tool():
            return
        for output in parsed.get("Outputs", []):
            self.requests.append(Request("mediaconnect:AddFlowOutputs", output["OutputArn"]))
            if output["Name"] in self.tagged_on_add:
                self.requests.append(Request("mediaconnect:TagResource", output["OutputArn"]))

    def take(self) -> list[Request]:
        """The requests so far (secret ids resolved to their ARNs), and forget them."""
        taken, self.requests = self.requests, []
        return [resolve_secret(r) for r in taken]


def resolve_secret(request: Request) -> Request:
    if request.action != "secretsmanager:GetSecretValue":
        return request
    region, secret_id = request.resource.split("|", 1)
    found = boto3.client("secretsmanager", region_name=region).describe_secret(SecretId=secret_id)
    return Request(request.action, found["ARN"])


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    from botocore.handlers import BUILTIN_HANDLERS

    recording = Recorder()
    entries = [("provide-client-params", recording.before), ("after-call", recording.after)]
    BUILTIN_HANDLERS.extend(entries)
    try:
        yield recording
    finally:
        for entry in entries:
            BUILTIN_HANDLERS.remove(entry)


# --- the sandbox with every feature ---------------------------------------------------


@dataclass
class World:
    state: Path
    flow: str  # the ARN of the flow the state names without arn:
    seen: set[str] = field(default_factory=set)  # every action authorized so far


@pytest.fixture
def world(tmp_path, sandbox, stream_keys) -> World:
    """Two flows (one found by name, one by `arn:` that prunes), a MediaLive
    channel feeding MediaPackage, a key in Secrets Manager, an
    unmanaged output that git adopts, and one that prune removes."""
    main_flow = sandbox.create_flow()
    events = sandbox.create_flow("lunora-events")
    package = boto3.client("mediapackage", region_name=REGION)
    package.create_channel(Id="lunora-hls")
    package.create_origin_endpoint(ChannelId="lunora-hls", Id="hls-main", ManifestName="index")
    live = boto3.client("medialive", region_name=REGION)
    channel = live.create_channel(
        Name="lunora-live",
        Destinations=[{"Id": "mp", "MediaPackageSettings": [{"ChannelId": "lunora-hls"}]}],
    )["Channel"]["Id"]
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="lunora/twitch", SecretString=json.dumps({"stream_key": "tw-5566-7788"})
    )
    sandbox.add_hand_made_output(main_flow, "restream")  # adopted: updated, then tagged
    sandbox.add_hand_made_output(events, "legacy-feed")  # undeclared on a pruning flow: removed
    state = write_full_state(tmp_path / "state", events_flow_arn=events, medialive_channel=channel)
    return World(state, main_flow)


def denied_calls(
    world: World, recorder: Recorder, purpose: str | tuple[str, ...], *command: str
) -> list[Request]:
    """Run one command; the authorizations it needed that the policy for
    `purpose` (or these iam-policy arguments), generated from the state as it
    is now, would deny."""
    args = ("--for", purpose) if isinstance(purpose, str) else purpose
    policy = policy_for(world.state, *args)
    recorder.take()
    result = run(*command, "--state", str(world.state))
    assert result.exit_code in (0, 2), result.output
    requests = recorder.take()
    world.seen.update(r.action for r in requests)
    return [r for r in requests if not allowed(policy, r)]


def test_every_call_of_plan_apply_drift_and_status_is_allowed_by_its_role(
    world, recorder, sandbox, tmp_path
):
    for command in (["validate"], ["plan"], ["drift"], ["status"]):
        assert denied_calls(world, recorder, "plan", *command) == [], command
    report = str(tmp_path / "audit.json")
    assert (
        denied_calls(world, recorder, "apply", "apply", "--auto-approve", "--report", report) == []
    )
    youtube = world.state / "destinations" / "youtube-main.yaml"
    youtube.write_text(youtube.read_text().replace("Main YouTube channel", "YouTube (main)"))
    assert denied_calls(world, recorder, "apply", "apply", "--auto-approve") == []
    # A deleted destination's output is removed although the state no longer names it.
    (world.state / "destinations" / "linkedin.yaml").unlink()
    assert "linkedin" in sandbox.outputs(world.flow)
    assert denied_calls(world, recorder, "apply", "apply", "--auto-approve") == []
    assert "linkedin" not in sandbox.outputs(world.flow)
    for command in (["plan"], ["drift"], ["status"]):
        assert denied_calls(world, recorder, "plan", *command) == [], command
    assert world.seen >= {
        "mediaconnect:ListFlows",
        "mediaconnect:DescribeFlow",
        "mediaconnect:ListTagsForResource",
        "mediaconnect:AddFlowOutputs",
        "mediaconnect:UpdateFlowOutput",
        "mediaconnect:RemoveFlowOutput",
        "mediaconnect:TagResource",
        "iam:PassRole",
        "ssm:GetParameters",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetSecretValue",
        "medialive:DescribeChannel",
        "mediapackage:DescribeChannel",
        "mediapackage:ListOriginEndpoints",
        "cloudwatch:GetMetricData",
    }


TABLE = "lunora-destinations"


def test_import_and_sync_table_are_allowed_by_the_migrate_and_operate_roles(
    tmp_path, sandbox, recorder
):
    """Import from the flow, a MediaLive channel and the legacy table (storing
    keys under the SSM prefix), then apply --sync-table: each command's calls
    against the role for it, generated from the state as it is then. The flow
    file comes first: the policy is for the flows the state declares."""
    flow = sandbox.create_flow()
    sandbox.add_hand_made_output(flow, "hand-made")
    channel = boto3.client("medialive", region_name=REGION).create_channel(
        Name="lunora-live",
        Destinations=[
            {
                "Id": "yt",
                "Settings": [{"Url": "rtmp://a.rtmp.youtube.com/live2", "StreamName": "yt-9f8e-7d6c"}],
            }
        ],
        EncoderSettings={
            "AudioDescriptions": [],
            "VideoDescriptions": [{"Name": "video"}],
            "TimecodeConfig": {"Source": "SYSTEMCLOCK"},
            "OutputGroups": [
                {
                    "Name": "rtmp",
                    "OutputGroupSettings": {"RtmpGroupSettings": {}},
                    "Outputs": [
                        {
                            "OutputName": "YouTube Main",
                            "OutputSettings": {
                                "RtmpOutputSettings": {"Destination": {"DestinationRefId": "yt"}}
                            },
                            "VideoDescriptionName": "video",
                        }
                    ],
                }
            ],
        },
    )["Channel"]["Id"]
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "destination_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "destination_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    row = {
        "destination_id": {"S": "d-002"},
        "name": {"S": "restream"},
        "rtmp_url": {"S": "rtmp://live.restream.io/live"},
        "stream_key_param": {"S": "/lunora/streaming/d-002/stream-key"},
    }
    dynamodb.put_item(TableName=TABLE, Item=row)
    sandbox.put_key("/lunora/streaming/d-002/stream-key", "re_1111111_aaaaaaaa")
    world = World(tmp_path / "state", flow)
    (world.state / "flows").mkdir(parents=True)
    (world.state / "flows" / f"{FLOW_NAME}.yaml").write_text(
        f"name: {FLOW_NAME}\nregion: {REGION}\n"
    )
    migrate = ("--for", "migrate", "--table", TABLE, "--medialive-channel", channel)
    for command in (
        ["import", "--flow", FLOW_NAME, "--store-keys"],
        ["import", "--from-medialive", channel, "--flow", FLOW_NAME, "--store-keys", "--enable"],
        ["import", "--from-dynamodb", TABLE, "--flow", FLOW_NAME],
    ):
        assert denied_calls(world, recorder, migrate, *command) == [], command
    operate = ("--for", "operate", "--table", TABLE)
    sync = ["apply", "--auto-approve", "--sync-table", TABLE]
    assert denied_calls(world, recorder, operate, *sync) == []
    assert world.seen >= {
        "mediaconnect:DescribeFlow",
        "medialive:DescribeChannel",
        "dynamodb:Scan",
        "ssm:PutParameter",
        "mediaconnect:AddFlowOutputs",
        "mediaconnect:TagResource",
        "dynamodb:DescribeTable",
        "dynamodb:UpdateItem",
    }
    (synced,) = dynamodb.scan(TableName=TABLE)["Items"]
    assert synced["output_type"] == {"S": "mediaconnect"}


def test_the_plan_role_cannot_write(world, recorder):
    """The apply run's writes, judged against the plan role: all denied."""
    plan = policy_for(world.state, "--for", "plan")
    assert run("apply", "--state", str(world.state), "--auto-approve").exit_code == 0
    writes = [
        r
        for r in recorder.take()
        if r.action.split(":")[1].startswith(("Add", "Update", "Remove", "Tag", "Pass"))
    ]
    assert {r.action for r in writes} >= {"mediaconnect:AddFlowOutputs", "iam:PassRole"}
    assert [r for r in writes if allowed(plan, r)] == []


def flow_arn(name: str, account: str = ACCOUNT, flow_id: str = "1-0a1b2c3d") -> str:
    return f"arn:aws:mediaconnect:{REGION}:{account}:flow:{flow_id}:{name}"


def output_arn(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:mediaconnect:{REGION}:{account}:output:2-9f8e7d6c:{name}"


CHANNEL = "3714710"


def what_the_tool_never_does() -> Iterator[tuple[str, Request]]:
    mediaconnect = "mediaconnect:DescribeFlow", "mediaconnect:AddFlowOutputs"
    for action in mediaconnect:
        yield "another flow's name", Request(action, flow_arn("someone-elses-flow"))
        yield "another account", Request(action, flow_arn(FLOW_NAME, account="999999999999"))
        yield "another region", Request(action, flow_arn(FLOW_NAME).replace(REGION, "eu-west-1"))
    yield (
        "an output not in the state",
        Request("mediaconnect:UpdateFlowOutput", output_arn("intruder")),
    )
    yield (
        "an output in another account",
        Request(
            "mediaconnect:RemoveFlowOutput", output_arn("youtube-main", account="999999999999")
        ),
    )
    yield "tagging another flow", Request("mediaconnect:TagResource", flow_arn("someone-elses-flow"))
    yield "deleting a flow", Request("mediaconnect:DeleteFlow", flow_arn(FLOW_NAME))
    yield "stopping a flow", Request("mediaconnect:StopFlow", flow_arn(FLOW_NAME))
    yield (
        "a parameter not referenced",
        Request(
            "ssm:GetParameters", parameter_arn(REGION, "/lunora/streaming/unreferenced/stream-key")
        ),
    )
    yield (
        "writing a key parameter",
        Request(
            "ssm:PutParameter", parameter_arn(REGION, "/lunora/streaming/youtube-main/stream-key")
        ),
    )
    yield (
        "another secret",
        Request(
            "secretsmanager:GetSecretValue",
            arn("secretsmanager", REGION, "secret:lunora/other-AbCdEf"),
        ),
    )
    yield (
        "the role passed to another service",
        Request("iam:PassRole", ROLE, (("iam:PassedToService", "ec2.amazonaws.com"),)),
    )
    yield (
        "another role",
        Request("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/Admin", PASSED_TO_MEDIACONNECT),
    )
    channel = arn("medialive", REGION, f"channel:{CHANNEL}")
    for action in (
        "StopChannel",
        "UpdateChannel",
        "DeleteChannel",
        "StartChannel",
        "BatchUpdateSchedule",
    ):
        yield f"MediaLive {action}", Request(f"medialive:{action}", channel)
    yield (
        "another MediaLive channel",
        Request("medialive:DescribeChannel", arn("medialive", REGION, "channel:999")),
    )
    package = arn("mediapackage", REGION, "channels/lunora-hls")
    for action in ("UpdateChannel", "DeleteChannel", "RotateIngestEndpointCredentials"):
        yield f"MediaPackage {action}", Request(f"mediapackage:{action}", package)
    for action in ("CreateOriginEndpoint", "DeleteOriginEndpoint", "UpdateOriginEndpoint"):
        yield f"MediaPackage {action}", Request(f"mediapackage:{action}", "*")
    yield (
        "the legacy table",
        Request("dynamodb:UpdateItem", arn("dynamodb", REGION, "table/lunora-destinations")),
    )


@pytest.mark.parametrize(
    ("why", "request_"),
    list(what_the_tool_never_does()),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_calls_the_tool_never_makes_are_denied(tmp_path, why, request_):
    state = write_full_state(tmp_path / "state", events_flow_arn=flow_arn("lunora-events"))
    for purpose in ("plan", "apply"):
        assert not allowed(policy_for(state, "--for", purpose), request_), (purpose, why)


def test_the_same_calls_on_the_declared_resources_are_allowed(tmp_path):
    """The negative checks above are not denied by a blind evaluator."""
    state = write_full_state(tmp_path / "state", events_flow_arn=flow_arn("lunora-events"))
    apply = policy_for(state, "--for", "apply")
    for request in (
        Request("mediaconnect:DescribeFlow", flow_arn(FLOW_NAME)),
        Request("mediaconnect:AddFlowOutputs", flow_arn("lunora-events")),
        Request("mediaconnect:UpdateFlowOutput", output_arn("youtube-main")),
        Request("mediaconnect:RemoveFlowOutput", output_arn("deleted-long-ago")),
        Request("iam:PassRole", ROLE, PASSED_TO_MEDIACONNECT),
        Request(
            "ssm:GetParameters", parameter_arn(REGION, "/lunora/streaming/restream/stream-key")
        ),
        Request(
            "secretsmanager:GetSecretValue",
            arn("secretsmanager", REGION, "secret:lunora/twitch-AbCdEf"),
        ),
        Request("medialive:DescribeChannel", arn("medialive", REGION, f"channel:{CHANNEL}")),
    ):
        assert allowed(apply, request), request


# --- the policy's shape ----------------------------------------------------------------


def statements(policy: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def actions(policy: Mapping[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


# The SAR lists no resource type for these: `*` is the only way to grant them.
NO_RESOURCE_TYPE = {
    "mediaconnect:ListFlows",
    "mediaconnect:ListTagsForResource",
    "secretsmanager:BatchGetSecretValue",
    "mediapackage:ListOriginEndpoints",
    "cloudwatch:GetMetricData",
}
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1"
# Each purpose with every option it takes.
PURPOSE_ARGS = {
    "plan": ("--for", "plan", "--kms-key", KMS_KEY),
    "apply": ("--for", "apply", "--kms-key", KMS_KEY),
    "operate": ("--for", "operate", "--kms-key", KMS_KEY, "--table", "lunora-destinations"),
    "migrate": (
        "--for",
        "migrate",
        "--kms-key",
        KMS_KEY,
        "--table",
        "lunora-destinations",
        "--medialive-channel",
        CHANNEL,
    ),
}


@pytest.fixture
def full_state(tmp_path) -> Path:
    return write_full_state(tmp_path / "state", events_flow_arn=flow_arn("lunora-events"))


@pytest.mark.parametrize("purpose", PURPOSE_ARGS)
def test_star_only_where_the_reference_allows_nothing_narrower(full_state, purpose):
    policy = policy_for(full_state, *PURPOSE_ARGS[purpose])
    for statement in policy["Statement"]:
        starred = any(r == "*" or r.endswith(":*") for r in statement["Resource"])
        if "*" in statement["Resource"]:
            assert (
                statement["Resource"] == ["*"] and set(statement["Action"]) <= NO_RESOURCE_TYPE
            ), statement
        elif starred:  # a region's outputs: only removal, bound to our flows
            assert statement["Action"] == ["mediaconnect:RemoveFlowOutput"], statement
        for resource in statement["Resource"]:
            assert (
                resource == "*"
                or f":{ACCOUNT}:" in resource
                or resource.startswith(f"arn:aws:iam::{ACCOUNT}:")
            ), resource


def test_plan_role_reads_only(full_state):
    plan = actions(policy_for(full_state, "--for", "plan"))
    assert plan == {
        "mediaconnect:ListFlows",
        "mediaconnect:DescribeFlow",
        "mediaconnect:ListTagsForResource",
        "ssm:GetParameters",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetSecretValue",
        "medialive:DescribeChannel",
        "mediapackage:DescribeChannel",
        "mediapackage:ListOriginEndpoints",
        "cloudwatch:GetMetricData",
    }
    apply = actions(policy_for(full_state, "--for", "apply"))
    assert apply - plan == {
        "mediaconnect:AddFlowOutputs",
        "mediaconnect:UpdateFlowOutput",
        "mediaconnect:RemoveFlowOutput",
        "mediaconnect:TagResource",
        "iam:PassRole",
    }


def test_pass_role_is_exactly_the_encryption_roles_to_mediaconnect(full_state, tmp_path):
    (passing,) = [s for s in policy_for(full_state)["Statement"] if "iam:PassRole" in s["Action"]]
    assert passing["Action"] == ["iam:PassRole"] and passing["Resource"] == [ROLE]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "mediaconnect.amazonaws.com"}
    }
    assert "iam:PassRole" not in actions(policy_for(EXAMPLE_STATE))


def test_hls_reads_only_where_a_guard_is_declared(full_state):
    hls = {
        a for a in actions(policy_for(full_state)) if a.startswith(("medialive:", "mediapackage:"))
    }
    assert hls == {
        "medialive:DescribeChannel",
        "mediapackage:DescribeChannel",
        "mediapackage:ListOriginEndpoints",
    }
    sids = statements(policy_for(full_state))
    assert sids["ReadHlsPathMediaLiveChannels"]["Resource"] == [
        arn("medialive", REGION, f"channel:{CHANNEL}")
    ]
    assert sids["ReadHlsPathMediaPackageChannels"]["Resource"] == [
        arn("mediapackage", REGION, "channels/lunora-hls")
    ]
    example = actions(policy_for(EXAMPLE_STATE))
    assert not any(a.startswith(("medialive:", "mediapackage:")) for a in example)


def test_flows_by_arn_or_by_name(full_state, tmp_path):
    sids = statements(policy_for(full_state))
    assert sids["ReadFlows"]["Resource"] == [
        arn("mediaconnect", REGION, f"flow:*:{FLOW_NAME}"),  # a flow ARN ends with its name
        flow_arn("lunora-events"),  # the flow file's arn:
    ]
    assert sids["FindFlowsDeclaredByName"]["Resource"] == ["*"]
    only_by_arn = tmp_path / "by-arn"
    write_full_state(only_by_arn, events_flow_arn=flow_arn("lunora-events"))
    flow = only_by_arn / "flows" / f"{FLOW_NAME}.yaml"
    flow.write_text(flow.read_text() + f"arn: {flow_arn(FLOW_NAME)}\n")
    assert "mediaconnect:ListFlows" not in actions(policy_for(only_by_arn))


def test_outputs_updated_and_tagged_are_the_declared_names(full_state):
    sids = statements(policy_for(full_state))
    names = ["custom-rtmp", "linkedin", "restream", "youtube-main", "srt-backup", "twitch"]
    declared = sorted(arn("mediaconnect", REGION, f"output:*:{n}") for n in names)
    assert sids["TagDeclaredOutputsAsManaged"]["Resource"] == declared
    flows = sorted([flow_arn("lunora-events"), arn("mediaconnect", REGION, f"flow:*:{FLOW_NAME}")])
    # the ownership manifest: tags on the state's own flows, and no other resource
    assert sids["RecordOwnershipInFlowTags"]["Resource"] == flows
    assert sids["AddAndUpdateDeclaredOutputs"]["Resource"] == sorted(flows + declared)
    assert sids["RemoveOutputsFromTheseFlowsOnly"]["Resource"] == sorted(
        [*flows, arn("mediaconnect", REGION, "output:*")]
    )


def test_stream_keys_are_the_referenced_parameters_and_secrets(full_state):
    sids = statements(policy_for(full_state, "--for", "plan"))
    assert sids["ReadStreamKeysFromSsm"]["Resource"] == sorted(
        arn("ssm", REGION, f"parameter/lunora/streaming/{n}/stream-key")
        for n in ("custom-rtmp", "linkedin", "restream", "youtube-main")
    )
    assert sids["ReadStreamKeySecrets"]["Resource"] == [
        arn("secretsmanager", REGION, "secret:lunora/twitch-??????")
    ]
    assert sids["ReadStreamKeysFromSecretsManagerInBatches"]["Resource"] == ["*"]
    assert "secretsmanager:BatchGetSecretValue" not in actions(policy_for(EXAMPLE_STATE))


@pytest.mark.parametrize(
    ("secret", "granted"),
    [
        (
            "lunora/twitch",
            "arn:aws:secretsmanager:us-west-2:123456789012:secret:lunora/twitch-??????",
        ),
        (
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lunora/twitch-AbC123",
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lunora/twitch-AbC123",
        ),
        (
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lunora/twitch",
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lunora/twitch-??????",
        ),
    ],
)
def test_secrets_by_name_full_arn_or_partial_arn(tmp_path, secret, granted):
    state = write_full_state(
        tmp_path / "state", events_flow_arn=flow_arn("lunora-events"), secret_id=secret
    )
    assert statements(policy_for(state))["ReadStreamKeySecrets"]["Resource"] == [granted]


def test_account_comes_from_the_flow_arns_or_is_any_with_a_note(full_state):
    result = run("iam-policy", "--state", str(full_state))
    assert result.stderr == "" and f":{ACCOUNT}:flow:*:{FLOW_NAME}" in result.stdout
    example = run("iam-policy", "--state", str(EXAMPLE_STATE))
    assert example.exit_code == 0
    assert "no flow file has an arn:, so the policy allows any account (*)" in example.stderr
    assert f"us-west-2:*:flow:*:{FLOW_NAME}" in example.stdout
    pinned = run("iam-policy", "--state", str(EXAMPLE_STATE), "--account", "111122223333")
    assert pinned.stderr == "" and f"us-west-2:111122223333:flow:*:{FLOW_NAME}" in pinned.stdout
    other = run("iam-policy", "--state", str(full_state), "--account", "111122223333")
    assert other.exit_code == 1
    assert (
        "arn is in partition aws, account 123456789012; the policy is for partition aws, account 111122223333"
        in other.stderr
    )


def test_migrate_reads_the_sources_and_writes_keys_under_the_prefix(full_state):
    policy = policy_for(
        full_state,
        "--for",
        "migrate",
        "--table",
        "legacy",
        "--medialive-channel",
        "42",
        "--ssm-prefix",
        "/keys",
    )
    sids = statements(policy)
    assert sids["ImportFromLegacyTable"] == {
        "Sid": "ImportFromLegacyTable",
        "Effect": "Allow",
        "Action": ["dynamodb:Scan"],
        "Resource": [arn("dynamodb", REGION, "table/legacy")],
    }
    assert sids["ImportFromMediaLiveChannels"]["Resource"] == [
        arn("medialive", REGION, "channel:42")
    ]
    assert sids["StoreImportedStreamKeysInSsm"]["Action"] == [
        "ssm:GetParameters",
        "ssm:PutParameter",
    ]
    assert sids["StoreImportedStreamKeysInSsm"]["Resource"] == [
        arn("ssm", REGION, f"parameter/keys/{flow}/*/stream-key")
        for flow in ("lunora-events", FLOW_NAME)
    ]
    assert not any(
        a.startswith("mediaconnect:") and not a.split(":")[1].startswith(("Describe", "List"))
        for a in actions(policy)
    )


def test_operate_adds_the_legacy_table_to_apply(full_state):
    operate = policy_for(
        full_state,
        "--for",
        "operate",
        "--table",
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/legacy",
    )
    apply = policy_for(full_state, "--for", "apply")
    assert operate["Statement"][: len(apply["Statement"])] == apply["Statement"]
    (extra,) = operate["Statement"][len(apply["Statement"]) :]
    assert extra["Action"] == ["dynamodb:DescribeTable", "dynamodb:Scan", "dynamodb:UpdateItem"]
    assert extra["Resource"] == [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/legacy"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "operate"], "--for operate (apply --sync-table TABLE) needs --table TABLE"),
        (
            ["--for", "apply", "--table", "t"],
            "--table is used by --for operate or --for migrate only",
        ),
        (
            ["--for", "plan", "--medialive-channel", "1"],
            "--medialive-channel is used by --for migrate only",
        ),
    ],
)
def test_arguments_that_do_not_fit_the_purpose_are_refused(args, message):
    result = run("iam-policy", "--state", str(EXAMPLE_STATE), "--account", ACCOUNT, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_kms_decrypt_only_for_the_keys_named_and_only_through_ssm_and_secrets_manager(full_state):
    assert not any(a.startswith("kms:") for a in actions(policy_for(full_state)))
    (kms,) = [
        s
        for s in policy_for(full_state, "--kms-key", KMS_KEY)["Statement"]
        if s["Action"] == ["kms:Decrypt"]
    ]
    assert kms["Resource"] == [KMS_KEY]
    assert kms["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [
                f"secretsmanager.{REGION}.amazonaws.com",
                f"ssm.{REGION}.amazonaws.com",
            ]
        }
    }


def test_one_document_stable_with_sids_that_say_why(full_state):
    first = run("iam-policy", "--state", str(full_state), "--for", "plan", "--for", "apply").stdout
    assert first == run("iam-policy", "--state", str(full_state), "--for", "apply").stdout
    policy = json.loads(first)
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    for statement in policy["Statement"]:
        assert statement["Action"] == sorted(statement["Action"])
        assert statement["Resource"] == sorted(statement["Resource"]) and statement["Resource"]


def test_an_invalid_state_is_reported_like_validate(tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "f.yaml").write_text("name: f\n")
    result = run("iam-policy", "--state", str(tmp_path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == run("validate", "--state", str(tmp_path)).stderr
    assert result.stderr == f"{tmp_path / 'flows' / 'f.yaml'}:1: `region` is a required property\n"


# --- the suite-wide check (conftest) ---------------------------------------------------


def test_the_suite_recorder_counts_the_tools_calls_not_the_tests(sandbox, stream_keys, state_dir):
    sandbox.create_flow()  # the test's own call: not the tool's
    assert run("plan", "--state", str(state_dir)).exit_code == 0
    assert ("mediaconnect", "DescribeFlow") in TOOL_ACTIONS
    assert ("mediaconnect", "CreateFlow") not in TOOL_ACTIONS


def test_the_run_fails_when_the_policy_misses_an_action_the_tool_called(tmp_path):
    """With a policy that lacks DescribeFlow, a run whose test plans exits 1
    and names the action; its tests themselves pass."""
    (tmp_path / "drop_describe_flow.py").write_text(
        "import reconciler.core.iam as iam\n"
        "original = iam.policy\n"
        "def policy(*args, **kwargs):\n"
        "    document = original(*args, **kwargs)\n"
        "    for statement in document['Statement']:\n"
        "        statement['Action'] = [a for a in statement['Action'] if a != 'mediaconnect:DescribeFlow']\n"
        "    return document\n"
        "iam.policy = policy\n"
    )
    test = "tests/test_iam.py::test_the_suite_recorder_counts_the_tools_calls_not_the_tests"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "drop_describe_flow",
            "-p",
            "no:cacheprovider",
            test,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "AWS actions the tool called that `reconcile iam-policy` does not grant" in result.stdout
    assert "  mediaconnect:DescribeFlow\n" in result.stdout


def test_the_documented_commands_for_the_two_roles_work_on_the_example_state():
    commands = [
        line.split(">")[0].split()[1:]
        for line in (ROOT / "docs" / "github.md").read_text().splitlines()
        if line.startswith("reconcile iam-policy --state state")
    ]
    assert [c[c.index("--for") + 1] for c in commands] == ["plan", "apply"]
    for command in commands:
        args = [str(EXAMPLE_STATE) if a == "state" else a for a in command]
        result = run(*args)
        assert result.exit_code == 0 and result.stderr == "", result.output
        assert json.loads(result.stdout)["Version"] == "2012-10-17"
