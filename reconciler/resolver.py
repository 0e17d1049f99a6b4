"""Turning stream key references into `Secret`s, once per run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.errors import SecretError, StateErrors
from reconciler.models import DesiredOutput, DestinationSpec
from reconciler.secrets import EnvRef, Secret, SecretRef


class Resolver:
    """Resolves references from the process environment."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def lookup(self, ref: SecretRef) -> Secret | str:
        """The secret, or a reason it cannot be had (never containing the value)."""
        assert isinstance(ref, EnvRef)
        value = self._environ.get(ref.name)
        if value is None:
            return "environment variable is not set"
        if not value.strip():
            return "environment variable is empty"
        return Secret(value)


def desired_outputs(
    destinations: Iterable[DestinationSpec], resolver: Resolver
) -> list[DesiredOutput]:
    """Every destination with its stream key filled in.

    Raises StateErrors naming each destination whose key cannot be resolved;
    it is raised before any AWS call, so nothing is written.
    """
    outputs: list[DesiredOutput] = []
    errors: list[SecretError] = []
    for dest in destinations:
        fields = dict(dest.fields)
        if dest.stream_key is not None and dest.stream_key_path is not None:
            found = resolver.lookup(dest.stream_key)
            if isinstance(found, str):
                errors.append(SecretError(dest.location, dest.stream_key.describe(), found))
                continue
            fields[dest.stream_key_path] = found
        outputs.append(DesiredOutput(dest.name, dest.flow, dest.location, fields))
    if errors:
        raise StateErrors(errors)
    return outputs
