"""The AWS adapter: every call the tool makes to AWS goes through this package."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.aws.clients import Clients
from reconciler.aws.cloudwatch import CloudWatch
from reconciler.aws.mediaconnect import MediaConnect
from reconciler.aws.secretstores import SecretStores


@dataclass
class Aws:
    """The service adapters for one run, sharing one boto3 session and its clients."""

    clients: Clients = field(default_factory=Clients)

    def __post_init__(self) -> None:
        self.mediaconnect = MediaConnect(self.clients)
        self.secrets = SecretStores(self.clients)
        self.cloudwatch = CloudWatch(self.clients)
