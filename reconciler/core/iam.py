"""`reconcile iam-policy`: the least-privilege IAM policy for a state.

Purely computational: `policy(state, options)` turns the typed state into an
IAM policy document and touches no file and no network. It grants exactly the
calls the AWS adapter (`reconciler/aws/`) can make for the commands of the
purposes asked for, on the resources the state names.

Purposes (one role each; several `--for` give their union):

- plan: validate, plan, drift, status, enable/disable/add/rm. Reads only.
- apply: plan's, plus `apply` (with a saved plan, `--report`): MediaConnect
  flow-output writes.
- operate: apply's, plus `apply --sync-table TABLE`: the legacy table.
- migrate: `import` (`--flow`, `--from-medialive`, `--from-dynamodb`,
  `--store-keys`): flow reads, the source named, SSM keys under the prefix.
- cost: `cost` (`--actual`, `--refresh-prices`): flow reads (no tags), Cost
  Explorer's GetCostAndUsage and the Price List's GetProducts. Neither lists a
  resource type in the SAR ("Actions defined by AWS Cost Explorer Service",
  "... by AWS Price List"), so both get `*`; they are read-only and granted to
  no other purpose.

Resource rules, from the service authorization reference (SAR) and the API
references; `*` appears only where the SAR lists no resource type:

- MediaConnect (SAR "Actions, resources, and condition keys for AWS Elemental
  MediaConnect"): DescribeFlow takes Flow*; AddFlowOutputs, UpdateFlowOutput and
  RemoveFlowOutput take Flow* and Output*; TagResource takes Output;
  ListFlows and ListTagsForResource list no resource type, so they get `*`.
  A flow is `arn:P:mediaconnect:R:A:flow:ID:NAME`: exact when the flow file has
  `arn:`, `flow:*:NAME` otherwise. An output is `output:ID:NAME`, with no trace
  of its flow.
- Adds, updates and tags only ever touch outputs named by a destination file
  (adoption updates then tags an output of a declared name), so they are scoped
  to `output:*:NAME` for those names. RemoveFlowOutput cannot be: the output of
  a deleted destination file is by definition no longer named in the state, and
  `prune: true` removes outputs nobody declared. It gets `output:*` in the
  flows' regions; what keeps it to our flows is its other required resource,
  the flow ARN, which must be one of ours (MediaConnect removes an output only
  from the flow named in the request). A tag condition (aws:ResourceTag on
  the managed-by tag) is not used: a replace of an adopted output removes an
  output that is not tagged yet, and prune removes untagged ones by design.
- Apply records which outputs are ours in the flow's own tags (the ownership
  manifest, core.ownership): TagResource on exactly the state's flows; plans
  read it with ListTagsForResource (`*`, as above).
- AddFlowOutputs with OutputTags also needs mediaconnect:TagResource on the new
  outputs, and an `Encryption.RoleArn` (from `encryption:`) needs iam:PassRole on
  exactly that role, conditioned on `iam:PassedToService: mediaconnect.amazonaws.com`
  (SAR, "API operations" table: AddFlowOutputs and UpdateFlowOutput).
- SSM GetParameters takes `parameter/NAME` (the name without its leading
  slash), in the flow's region. Keys in SecureStrings under the AWS managed key
  `aws/ssm` need no kms:Decrypt grant: that key's policy lets every principal of
  the account decrypt through SSM (Systems Manager user guide, "Restricting
  decryption of SecureString parameter values"). A customer managed key does
  need it: `kms_keys` adds kms:Decrypt on those keys, only via SSM and Secrets
  Manager in the flows' regions.
- Secrets Manager BatchGetSecretValue lists no resource type (`*`) and, per its
  API reference ("Required permissions"), needs secretsmanager:GetSecretValue on
  each secret it returns: granted per secret, `secret:NAME-??????` for a name
  (the six random characters AWS appends), the ARN itself for a full ARN, and
  `ARN-??????` for a partial one.
- MediaLive DescribeChannel takes `channel:ID`; MediaPackage DescribeChannel
  takes `channels/ID`; ListOriginEndpoints lists no resource type (`*`). They
  are granted only where a flow declares an `hls_guard` (and, for migrate, on
  the `--medialive-channel` given). No other MediaLive or MediaPackage action
  is ever granted.
- CloudWatch GetMetricData lists no resource type (`*`). DynamoDB actions take
  `table/NAME`. STS GetCallerIdentity (the audit report's caller) needs no
  permission at all (STS API reference), so it is not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.errors import ReconcilerError
from reconciler.core.models import FlowSpec, State, Struct
from reconciler.core.secrets import DEFAULT_KEY_PREFIX, SecretsManagerRef, SsmRef, key_parameter

VERSION = "2012-10-17"
PURPOSES = ("plan", "apply", "operate", "migrate", "cost")
DEFAULT_PURPOSE = "apply"
ANY = "*"
MEDIACONNECT_PRINCIPAL = "mediaconnect.amazonaws.com"
# A full secret ARN ends with "-" and the six random characters AWS appends.
FULL_SECRET_ARN = re.compile(r":secret:.+-[A-Za-z0-9]{6}$")


@dataclass(frozen=True)
class PolicyOptions:
    purposes: frozenset[str] = frozenset({DEFAULT_PURPOSE})
    account: str = ANY
    partition: str = "aws"
    table: str | None = None  # operate: --sync-table; migrate: --from-dynamodb
    medialive_channels: tuple[str, ...] = ()  # migrate: --from-medialive
    ssm_prefix: str = DEFAULT_KEY_PREFIX  # migrate: --store-keys
    kms_keys: tuple[str, ...] = ()  # customer managed keys of SecureStrings and secrets


def flow_arn_account(state: State) -> str | None:
    """The account every flow ARN in the state names, or None if none has one.

    Raises ReconcilerError if they name several: one role acts in one account.
    """
    accounts = sorted({_arn_parts(f.arn)[4] for f in state.flows.values() if f.arn})
    if len(accounts) > 1:
        raise ReconcilerError(
            f"the flow ARNs name several accounts ({', '.join(accounts)}); "
            "one role acts in one account: give --account"
        )
    return accounts[0] if accounts else None


def policy(state: State, options: PolicyOptions) -> dict[str, Any]:
    """The IAM policy document granting what `options.purposes` need for `state`.

    Statements come in a fixed order, each with sorted actions and resources,
    so the same state always prints the same document. Raises ReconcilerError
    for options that contradict each other or the state.
    """
    unknown = options.purposes - set(PURPOSES)
    if unknown:
        raise ReconcilerError(f"unknown purpose(s): {', '.join(sorted(unknown))}")
    if "operate" in options.purposes and options.table is None:
        raise ReconcilerError("--for operate (apply --sync-table TABLE) needs --table TABLE")
    if options.table is not None and not options.purposes & {"operate", "migrate"}:
        raise ReconcilerError("--table is used by --for operate or --for migrate only")
    if options.medialive_channels and "migrate" not in options.purposes:
        raise ReconcilerError("--medialive-channel is used by --for migrate only")
    for flow in state.flows.values():
        if flow.arn:
            _check_arn(flow, options)
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": sid, "Effect": "Allow", **body}
            for sid, body in _Statements(state, options).all()
            if body["Resource"]
        ],
    }


def _check_arn(flow: FlowSpec, options: PolicyOptions) -> None:
    assert flow.arn is not None
    parts = _arn_parts(flow.arn)
    if parts[1] != options.partition or options.account not in (ANY, parts[4]):
        raise ReconcilerError(
            f"{flow.location}: arn is in partition {parts[1]}, account {parts[4]}; the "
            f"policy is for partition {options.partition}, account {options.account}"
        )


def _arn_parts(arn: str) -> list[str]:
    return arn.split(":", 5)


Body = dict[str, Any]


class _Statements:
    """The statements for one state and set of purposes, in document order."""

    def __init__(self, state: State, options: PolicyOptions) -> None:
        self.state = state
        self.options = options
        purposes = options.purposes
        self.operate = "operate" in purposes
        self.apply = self.operate or "apply" in purposes
        self.plan = self.apply or "plan" in purposes
        self.migrate = "migrate" in purposes
        self.cost = "cost" in purposes
        self.flows = sorted(state.flows.values(), key=lambda f: f.name)

    def all(self) -> Iterator[tuple[str, Body]]:
        if self.plan or self.migrate or self.cost:
            yield from self.flow_reads(tags=self.plan or self.migrate)
        if self.plan:
            yield from self.plan_reads()
        if self.kms_keys_are_read():
            yield "DecryptStreamKeysWithCustomerManagedKeys", self.kms_decrypt()
        if self.apply:
            yield from self.output_writes()
        if self.operate:
            yield (
                "SyncLegacyTableAfterApply",
                _allow(
                    ["dynamodb:DescribeTable", "dynamodb:Scan", "dynamodb:UpdateItem"],
                    self.tables(),
                ),
            )
        if self.migrate:
            yield from self.imports()
        if self.cost:
            yield "ReadMediaConnectSpendFromCostExplorer", _allow(["ce:GetCostAndUsage"], [ANY])
            yield "ReadMediaConnectRatesFromPriceList", _allow(["pricing:GetProducts"], [ANY])

    # --- ARNs --------------------------------------------------------------

    def arn(self, service: str, *, region: str, resource: str) -> str:
        return f"arn:{self.options.partition}:{service}:{region}:{self.options.account}:{resource}"

    def flow_arn(self, flow: FlowSpec) -> str:
        return flow.arn or self.arn(
            "mediaconnect", region=flow.region, resource=f"flow:*:{flow.name}"
        )

    def declared_outputs(self) -> list[str]:
        """`output:*:NAME` for every destination, in its flow's region."""
        return [
            self.arn("mediaconnect", region=flow.region, resource=f"output:*:{dest.name}")
            for flow in self.flows
            for dest in self.state.destinations_of(flow.name)
        ]

    def tables(self) -> list[str]:
        table = self.options.table
        assert table is not None
        if table.startswith("arn:"):
            return [table]
        return [
            self.arn("dynamodb", region=region, resource=f"table/{table}")
            for region in self.regions()
        ]

    def regions(self) -> list[str]:
        return sorted({flow.region for flow in self.flows})

    # --- statements --------------------------------------------------------

    def flow_reads(self, *, tags: bool = True) -> Iterator[tuple[str, Body]]:
        if any(flow.arn is None for flow in self.flows):
            yield "FindFlowsDeclaredByName", _allow(["mediaconnect:ListFlows"], [ANY])
        yield (
            "ReadFlows",
            _allow(["mediaconnect:DescribeFlow"], [self.flow_arn(f) for f in self.flows]),
        )
        if tags:
            yield (
                "ReadOutputTagsToKnowWhichOutputsAreManaged",
                _allow(["mediaconnect:ListTagsForResource"], [ANY]),
            )

    def plan_reads(self) -> Iterator[tuple[str, Body]]:
        parameters: list[str] = []
        secrets: list[str] = []
        for flow in self.flows:
            for dest in self.state.destinations_of(flow.name):
                ref = dest.stream_key
                if isinstance(ref, SsmRef):
                    parameters.append(self.parameter_arn(flow.region, ref.name))
                elif isinstance(ref, SecretsManagerRef):
                    secrets += self.secret_arns(flow.region, ref.secret_id)
        yield "ReadStreamKeysFromSsm", _allow(["ssm:GetParameters"], parameters)
        if secrets:
            yield (
                "ReadStreamKeysFromSecretsManagerInBatches",
                _allow(["secretsmanager:BatchGetSecretValue"], [ANY]),
            )
        yield "ReadStreamKeySecrets", _allow(["secretsmanager:GetSecretValue"], secrets)
        guarded = [(f.hls_guard, f.hls_guard.region or f.region) for f in self.flows if f.hls_guard]
        yield (
            "ReadHlsPathMediaLiveChannels",
            _allow(
                ["medialive:DescribeChannel"],
                [
                    self.arn("medialive", region=r, resource=f"channel:{g.medialive_channel_id}")
                    for g, r in guarded
                ],
            ),
        )
        yield (
            "ReadHlsPathMediaPackageChannels",
            _allow(
                ["mediapackage:DescribeChannel"],
                [
                    self.arn(
                        "mediapackage", region=r, resource=f"channels/{g.mediapackage_channel_id}"
                    )
                    for g, r in guarded
                ],
            ),
        )
        yield (
            "ListHlsPathOriginEndpoints",
            _allow(["mediapackage:ListOriginEndpoints"], [ANY] if guarded else []),
        )
        yield "ReadOutputHealthMetricsForStatus", _allow(["cloudwatch:GetMetricData"], [ANY])

    def parameter_arn(self, region: str, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return self.arn("ssm", region=region, resource=f"parameter/{name.lstrip('/')}")

    def secret_arns(self, region: str, secret_id: str) -> list[str]:
        if not secret_id.startswith("arn:"):
            return [
                self.arn("secretsmanager", region=region, resource=f"secret:{secret_id}-??????")
            ]
        if FULL_SECRET_ARN.search(secret_id):
            return [secret_id]
        return [f"{secret_id}-??????"]

    def kms_keys_are_read(self) -> bool:
        return bool(self.options.kms_keys) and (self.plan or self.migrate)

    def kms_decrypt(self) -> Body:
        domain = "amazonaws.com.cn" if self.options.partition == "aws-cn" else "amazonaws.com"
        services = [
            f"{service}.{region}.{domain}"
            for region in self.regions()
            for service in ("secretsmanager", "ssm")
        ]
        return _allow(
            ["kms:Decrypt"],
            self.options.kms_keys,
            {"StringEquals": {"kms:ViaService": sorted(services)}},
        )

    def output_writes(self) -> Iterator[tuple[str, Body]]:
        flows = [self.flow_arn(f) for f in self.flows]
        declared = self.declared_outputs()
        yield (
            "AddAndUpdateDeclaredOutputs",
            _allow(
                ["mediaconnect:AddFlowOutputs", "mediaconnect:UpdateFlowOutput"], flows + declared
            ),
        )
        yield "TagDeclaredOutputsAsManaged", _allow(["mediaconnect:TagResource"], declared)
        yield "RecordOwnershipInFlowTags", _allow(["mediaconnect:TagResource"], flows)
        yield (
            "RemoveOutputsFromTheseFlowsOnly",
            _allow(
                ["mediaconnect:RemoveFlowOutput"],
                flows
                + [self.arn("mediaconnect", region=r, resource="output:*") for r in self.regions()],
            ),
        )
        yield (
            "PassEncryptionRolesToMediaConnect",
            _allow(
                ["iam:PassRole"],
                [role for dest in self.state.destinations for role in _role_arns(dest.fields)],
                {"StringEquals": {"iam:PassedToService": MEDIACONNECT_PRINCIPAL}},
            ),
        )

    def imports(self) -> Iterator[tuple[str, Body]]:
        prefix = self.options.ssm_prefix
        if self.options.table is not None:
            yield "ImportFromLegacyTable", _allow(["dynamodb:Scan"], self.tables())
        yield (
            "ImportFromMediaLiveChannels",
            _allow(
                ["medialive:DescribeChannel"],
                [
                    self.arn("medialive", region=region, resource=f"channel:{channel}")
                    for channel in self.options.medialive_channels
                    for region in self.regions()
                ],
            ),
        )
        yield (
            "StoreImportedStreamKeysInSsm",
            _allow(
                ["ssm:GetParameters", "ssm:PutParameter"],
                [
                    self.parameter_arn(flow.region, key_parameter(prefix, flow.name, "*"))
                    for flow in self.flows
                ],
            ),
        )


def _allow(
    actions: Iterable[str], resources: Iterable[str], condition: Mapping[str, Any] | None = None
) -> Body:
    body: Body = {"Action": sorted(set(actions)), "Resource": sorted(set(resources))}
    if condition:
        body["Condition"] = dict(condition)
    return body


def _role_arns(value: Any) -> Iterator[str]:
    """Every `RoleArn` anywhere in an output's fields (Encryption, and any other
    structure that makes MediaConnect assume a role)."""
    if isinstance(value, Mapping | Struct):
        for key, item in value.items() if isinstance(value, Mapping) else value.items:
            if key == "RoleArn" and isinstance(item, str):
                yield item
            else:
                yield from _role_arns(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from _role_arns(item)
