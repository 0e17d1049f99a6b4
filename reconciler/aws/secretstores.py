"""SSM Parameter Store and Secrets Manager: batched reads of stream keys.

Values come back already wrapped in `Secret`. Failures come back per name, as
a reason that never contains a value, so one missing key does not hide the
others.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.clients import Clients
from reconciler.core.concurrency import in_parallel
from reconciler.core.errors import AwsError
from reconciler.core.secrets import Secret

SSM_BATCH = 10  # GetParameters takes at most 10 names
SECRETS_BATCH = 20  # BatchGetSecretValue takes at most 20 ids
# Batches read at once, per region (at most aws.clients.POOL_CONNECTIONS): 1,280
# SSM keys in one round trip when the quota allows it; the rate limiter in
# aws.clients, not this, sets the pace.
SECRET_THREADS = 128


@dataclass
class Lookup:
    """Results of a batched read: values, plain-String warnings, failures."""

    values: dict[str, Secret] = field(default_factory=dict)
    plain: set[str] = field(default_factory=set)  # SSM String instead of SecureString
    failed: dict[str, str] = field(default_factory=dict)
    # The stored version of each value read (SSM Version, Secrets Manager
    # VersionId): what a saved plan records instead of anything about the value.
    versions: dict[str, str] = field(default_factory=dict)


class SecretStores:
    def __init__(self, clients: Clients | None = None) -> None:
        self._clients = clients or Clients()

    def ssm_parameters(self, region: str, names: Iterable[str]) -> Lookup:
        """GetParameters (WithDecryption) in batches of 10, the batches at once."""
        result = Lookup()
        batches = list(_batches(sorted(set(names)), SSM_BATCH))
        answers = in_parallel(
            [functools.partial(self._get_parameters, region, b) for b in batches], SECRET_THREADS
        )
        for batch, response in zip(batches, answers, strict=True):
            if isinstance(response, AwsError):
                result.failed.update(
                    (name, _reason("ssm:GetParameters", response)) for name in batch
                )
                continue
            for parameter in response.get("Parameters", []):
                name = parameter["Name"]
                result.values[name] = Secret(parameter["Value"])
                result.versions[name] = f"ssm-version:{parameter.get('Version')}"
                if parameter.get("Type") == "String":
                    result.plain.add(name)
                elif parameter.get("Type") == "StringList":
                    result.failed[name] = "is a StringList parameter; store the key as SecureString"
                    del result.values[name]
            for name in response.get("InvalidParameters", []):
                result.failed[name] = "parameter not found"
        return result

    def _get_parameters(self, region: str, names: Sequence[str]) -> dict[str, Any] | AwsError:
        try:
            response: dict[str, Any] = self._clients.call(
                "ssm", region, "GetParameters", Names=list(names), WithDecryption=True
            )
        except AwsError as e:
            return e
        return response

    def secrets(self, region: str, secret_ids: Iterable[str]) -> Lookup:
        """BatchGetSecretValue in batches of 20, the batches at once. Values are
        the raw SecretString."""
        result = Lookup()
        batches = list(_batches(sorted(set(secret_ids)), SECRETS_BATCH))
        answers = in_parallel(
            [functools.partial(self._secret_batch, region, b) for b in batches], SECRET_THREADS
        )
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, AwsError):
                reason = _reason("secretsmanager:BatchGetSecretValue", answer)
                result.failed.update((secret_id, reason) for secret_id in batch)
                continue
            entries, errors = answer
            for secret_id in batch:
                entry = next((e for e in entries if _names(e, secret_id)), None)
                if entry is None:
                    error: dict[str, str] = next(
                        (e for e in errors if e.get("SecretId") == secret_id), {}
                    )
                    result.failed[secret_id] = _error_reason(error.get("ErrorCode", "not found"))
                elif "SecretString" not in entry:
                    result.failed[secret_id] = "is a binary secret; store the key as a string"
                else:
                    result.values[secret_id] = Secret(entry["SecretString"])
                    version = entry.get("VersionId")
                    result.versions[secret_id] = f"secretsmanager-version:{version}"
        return result

    def _secret_batch(
        self, region: str, secret_ids: Sequence[str]
    ) -> tuple[list[dict[str, str]], list[dict[str, str]]] | AwsError:
        try:
            return self._batch_get_secret_value(region, secret_ids)
        except AwsError as e:
            return e

    def _batch_get_secret_value(
        self, region: str, secret_ids: Sequence[str]
    ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        # botocore has no paginator for it, but the answer can still come in pages.
        entries, errors, token = [], [], None
        while True:
            extra: dict[str, str] = {"NextToken": token} if token else {}
            page = self._clients.call(
                "secretsmanager",
                region,
                "BatchGetSecretValue",
                SecretIdList=list(secret_ids),
                **extra,
            )
            entries += page.get("SecretValues", [])
            errors += page.get("Errors", [])
            token = page.get("NextToken")
            if not token:
                return entries, errors


def _names(entry: dict[str, str], secret_id: str) -> bool:
    arn = entry.get("ARN", "")
    # A partial ARN (without the random suffix) names the secret too.
    return secret_id in (entry.get("Name"), arn) or arn.startswith(f"{secret_id}-")


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def _error_reason(code: str) -> str:
    return {
        "ResourceNotFoundException": "secret not found",
        "AccessDeniedException": "access denied (secretsmanager:GetSecretValue)",
        "DecryptionFailure": "cannot be decrypted (KMS)",
    }.get(code, code)


def _reason(action: str, error: AwsError) -> str:
    if error.code in ("AccessDeniedException", "AccessDenied"):
        return f"access denied ({action})"
    if error.code in ("ThrottlingException", "TooManyRequestsException"):
        return f"throttled ({action}) after retries; try again"
    return f"{action} failed: {error.code}"
