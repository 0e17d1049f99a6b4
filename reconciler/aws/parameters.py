"""SSM Parameter Store writes: storing a stream key as a SecureString.

Reads stay in `secretstores` (batched GetParameters); this module is the only
place the tool writes a parameter, and only when asked (`import --store-keys`).
"""

from __future__ import annotations

from reconciler.aws.clients import Clients
from reconciler.core.secrets import Secret


class Parameters:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def put_secure_string(
        self, region: str, name: str, value: Secret, *, overwrite: bool = False
    ) -> None:
        """PutParameter, Type SecureString (the account's default KMS key).

        Without `overwrite` an existing parameter is left as it is and AWS
        answers ParameterAlreadyExists (an AwsError with that code). The value
        is revealed only inside `Clients.call`, on its way to AWS.
        """
        self._clients.call(
            "ssm",
            region,
            "PutParameter",
            Name=name,
            Value=value,
            Type="SecureString",
            Overwrite=overwrite,
        )
