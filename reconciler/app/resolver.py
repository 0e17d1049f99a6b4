"""Turning stream key references into `Secret`s: once per run, batched.

SSM parameters are fetched with GetParameters (10 a call) and Secrets Manager
secrets with BatchGetSecretValue (20 a call), per region, the region being the
flow's. Each reference is read once however many destinations share it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

from reconciler.core.concurrency import in_parallel
from reconciler.core.errors import SecretError, StateErrors
from reconciler.core.models import DesiredOutput, State
from reconciler.core.secrets import EnvRef, Secret, SecretRef, SecretsManagerRef, SsmRef

log = logging.getLogger(__name__)


class Lookup(Protocol):
    values: dict[str, Secret]
    plain: set[str]
    failed: dict[str, str]
    versions: dict[str, str]


class SecretStores(Protocol):
    """What the resolver needs from AWS (implemented by `aws.secretstores`)."""

    def ssm_parameters(self, region: str, names: Iterable[str]) -> Lookup: ...

    def secrets(self, region: str, secret_ids: Iterable[str]) -> Lookup: ...


class Resolver:
    def __init__(self, environ: Mapping[str, str], stores: SecretStores | None = None) -> None:
        self._environ = environ
        self._stores = stores
        self._ssm: dict[tuple[str, str], Secret | str] = {}
        self._secrets: dict[tuple[str, str], Secret | str] = {}
        self.plain_ssm: set[tuple[str, str]] = set()
        self._versions: dict[tuple[str, str, str], str] = {}

    def prefetch(self, refs: Iterable[tuple[SecretRef, str]]) -> None:
        """Read every (reference, region) not read yet, in as few calls as possible."""
        ssm: dict[str, set[str]] = {}
        secrets: dict[str, set[str]] = {}
        for ref, region in refs:
            if isinstance(ref, SsmRef) and (region, ref.name) not in self._ssm:
                ssm.setdefault(region, set()).add(ref.name)
            elif (
                isinstance(ref, SecretsManagerRef) and (region, ref.secret_id) not in self._secrets
            ):
                secrets.setdefault(region, set()).add(ref.secret_id)
        if not (ssm or secrets):
            return
        if self._stores is None:
            raise RuntimeError("SSM or Secrets Manager references need a SecretStores")
        stores = self._stores
        ssm_items, secret_items = list(ssm.items()), list(secrets.items())
        found = in_parallel(  # every region and store at once
            [functools.partial(stores.ssm_parameters, r, n) for r, n in ssm_items]
            + [functools.partial(stores.secrets, r, ids) for r, ids in secret_items]
        )
        for (region, names), lookup in zip(ssm_items, found, strict=False):
            self._remember(self._ssm, region, names, lookup, "parameter not found")
            self.plain_ssm |= {(region, name) for name in names & lookup.plain}
            self._versions.update((("ssm", region, n), v) for n, v in lookup.versions.items())
        for (region, ids), lookup in zip(secret_items, found[len(ssm_items) :], strict=True):
            self._remember(self._secrets, region, ids, lookup, "secret not found")
            self._versions.update((("sm", region, n), v) for n, v in lookup.versions.items())

    @staticmethod
    def _remember(
        cache: dict[tuple[str, str], Secret | str],
        region: str,
        names: set[str],
        found: Lookup,
        missing: str,
    ) -> None:
        for name in names:
            cache[region, name] = found.values.get(name) or found.failed.get(name, missing)

    def version(self, ref: SecretRef, region: str) -> str | None:
        """The stored version of a key already read (None for `{env:}`, which has none)."""
        if isinstance(ref, SsmRef):
            return self._versions.get(("ssm", region, ref.name))
        if isinstance(ref, SecretsManagerRef):
            return self._versions.get(("sm", region, ref.secret_id))
        return None

    def lookup(self, ref: SecretRef, region: str) -> Secret | str:
        """The secret, or why it cannot be had (a reason never holds the value)."""
        if isinstance(ref, EnvRef):
            value = self._environ.get(ref.name)
            if value is None:
                return "environment variable is not set"
            if not _is_utf8(value):  # undecodable bytes, kept by Python as surrogates
                return "environment variable is not valid UTF-8"
            return Secret(value) if value.strip() else "environment variable is empty"
        self.prefetch([(ref, region)])
        if isinstance(ref, SsmRef):
            return self._ssm[region, ref.name]
        assert isinstance(ref, SecretsManagerRef)
        found = self._secrets[region, ref.secret_id]
        if isinstance(found, Secret) and ref.key is not None:
            return json_field(found, ref.key)
        return found


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_field(secret: Secret, key: str) -> Secret | str:
    """One field of a JSON secret, or why it cannot be had (never the value)."""
    try:
        document = json.loads(secret.reveal())
    except ValueError:
        return f"is not JSON, so it has no field {key!r}"
    if not isinstance(document, dict) or key not in document:
        return f"has no field {key!r}"
    value = document[key]
    if not isinstance(value, str):
        return f"field {key!r} is not a string"
    return Secret(value)


def desired_outputs(state: State, resolver: Resolver) -> list[DesiredOutput]:
    """Every destination with its stream key filled in.

    Raises StateErrors naming each destination whose key cannot be resolved,
    or cannot be masked safely in output (too short or word-like, see
    `secrets.unsafe_reason`), before anything is written. A plain-String SSM
    parameter is used, with a warning.
    """
    keyed = [d for d in state.destinations if d.stream_key and d.stream_key_path]
    region = {name: flow.region for name, flow in state.flows.items()}
    resolver.prefetch((d.stream_key, region[d.flow]) for d in keyed if d.stream_key)
    outputs: list[DesiredOutput] = []
    errors: list[SecretError] = []
    for dest in state.destinations:
        fields = dict(dest.fields)
        if dest.stream_key is not None and dest.stream_key_path is not None:
            found = resolver.lookup(dest.stream_key, region[dest.flow])
            if isinstance(found, Secret) and found.unsafe_reason() is not None:
                # A key that cannot be masked safely is never sent (see secrets.unsafe_reason).
                found = f"{found.unsafe_reason()}; use a longer, random key"
            if isinstance(found, str):
                errors.append(SecretError(dest.location, dest.stream_key.describe(), found))
                continue
            if isinstance(dest.stream_key, SsmRef) and (
                (region[dest.flow], dest.stream_key.name) in resolver.plain_ssm
            ):
                log.warning(
                    "%s: stream_key %s is a plain String parameter; anyone allowed to read "
                    "parameters can read it: store it as a SecureString",
                    dest.location,
                    dest.stream_key.describe(),
                )
            fields[dest.stream_key_path] = found
        outputs.append(DesiredOutput(dest.name, dest.flow, dest.location, fields))
    if errors:
        raise StateErrors(errors)
    return outputs
