"""The AWS adapter: every call the tool makes to AWS goes through this package."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.aws.clients import Clients
from reconciler.aws.cloudwatch import CloudWatch
from reconciler.aws.dynamodb import DynamoDb
from reconciler.aws.hls import HlsPath
from reconciler.aws.mediaconnect import FlowWait, MediaConnect
from reconciler.aws.medialive import MediaLive
from reconciler.aws.parameters import Parameters
from reconciler.aws.secretstores import SecretStores

IDENTITY_REGION = "us-east-1"


@dataclass
class Aws:
    """The service adapters for one run, sharing one boto3 session and its clients."""

    clients: Clients = field(default_factory=Clients)
    flow_wait: FlowWait = field(default_factory=FlowWait)

    def __post_init__(self) -> None:
        self.mediaconnect = MediaConnect(self.clients, self.flow_wait)
        self.secrets = SecretStores(self.clients)
        self.hls = HlsPath(self.clients)  # read-only
        self.cloudwatch = CloudWatch(self.clients)
        # Migration only (`reconcile import`, `apply --sync-table`).
        self.medialive = MediaLive(self.clients)
        self.dynamodb = DynamoDb(self.clients)
        self.parameters = Parameters(self.clients)

    def identity(self) -> dict[str, str]:
        """STS GetCallerIdentity: who is making these calls."""
        found = self.clients.call("sts", IDENTITY_REGION, "GetCallerIdentity")
        return {k: found[k] for k in ("Account", "Arn", "UserId")}
