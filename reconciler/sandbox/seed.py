"""Seeding the sandbox from a state directory, so that `reconcile plan` works next.

Seeding twice changes nothing: flows and keys that exist are kept.

For each flow file, a flow of that name in its region (started, with an
rtp-fec source); for each destination's `{ssm: NAME}` key, a placeholder
SecureString; for `{secretsmanager: ...}` keys, a placeholder secret. Keys
read from the environment (`{env: NAME}`) get a placeholder `export` line.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from reconciler.core.models import State
from reconciler.core.secrets import EnvRef, SecretsManagerRef, SsmRef
from reconciler.core.state import load_state

# The sandbox accepts any credentials; these say where they belong.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}


@dataclass
class Seeded:
    """What seeding made, and the lines a shell needs to reach it."""

    flows: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)

    def export_lines(self) -> list[str]:
        """`export NAME=value ...` lines (values need no shell quoting)."""
        return [
            "export " + " ".join(f"{name}={value}" for name, value in group.items())
            for group in _groups(self.environment)
            if group
        ]


def check_state(state_dir: Path) -> State:
    """The state, validated as `reconcile validate` does (raises StateErrors)."""
    return load_state(state_dir)


def seed(endpoint: str, state: State) -> Seeded:
    """Create the state's flows and placeholder keys in the sandbox at `endpoint`."""
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    seeded = Seeded()
    regions = sorted({spec.region for spec in state.flows.values()})
    seeded.environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": regions[0] if regions else "us-east-1",
        **DUMMY_CREDENTIALS,
    }
    for spec in sorted(state.flows.values(), key=lambda f: f.name):
        client = session.client("mediaconnect", region_name=spec.region, endpoint_url=endpoint)
        existing = [f for f in client.list_flows()["Flows"] if f["Name"] == spec.name]
        if existing:  # seeded before: keep it (and whatever outputs it has)
            seeded.flows.append(f"{spec.name} ({spec.region}, already there)")
            continue
        flow = client.create_flow(
            Name=spec.name,
            Source={
                "Name": "source",
                "Protocol": "rtp-fec",
                "IngestPort": 5000,
                "WhitelistCidr": "10.0.0.0/16",
            },
        )["Flow"]
        client.start_flow(FlowArn=flow["FlowArn"])
        seeded.flows.append(f"{spec.name} ({spec.region})")
        if spec.arn is not None:
            seeded.notes.append(
                f"{spec.location}: the file names flow {spec.name!r} by arn:, which the sandbox "
                f"cannot reuse; its flow is {flow['FlowArn']} (remove arn: from a copy to plan)"
            )
    stored: dict[tuple[str, str], dict[str, str] | str] = {}  # Secrets Manager secrets
    for dest in state.destinations:
        ref, region = dest.stream_key, state.flows[dest.flow].region
        placeholder = f"placeholder-{secrets.token_hex(6)}"
        if isinstance(ref, SsmRef):
            ssm = session.client("ssm", region_name=region, endpoint_url=endpoint)
            # An existing parameter is kept: seeding twice changes nothing.
            with contextlib.suppress(ssm.exceptions.ParameterAlreadyExists):
                ssm.put_parameter(Name=ref.name, Value=placeholder, Type="SecureString")
        elif isinstance(ref, SecretsManagerRef):
            fields = stored.setdefault((region, ref.secret_id), {})
            if ref.key is None or not isinstance(fields, dict):
                stored[region, ref.secret_id] = placeholder
            else:
                fields[ref.key] = placeholder
        elif isinstance(ref, EnvRef):
            seeded.environment[ref.name] = placeholder
        else:
            continue
        seeded.keys.append(ref.describe())
    for (region, secret_id), value in stored.items():
        store = session.client("secretsmanager", region_name=region, endpoint_url=endpoint)
        text = value if isinstance(value, str) else json.dumps(value)
        if secret_id.startswith("arn:"):
            seeded.notes.append(f"secret {secret_id} is named by ARN: the sandbox cannot create it")
            continue
        with contextlib.suppress(store.exceptions.ResourceExistsException):
            store.create_secret(Name=secret_id, SecretString=text)
    return seeded


def _groups(environment: dict[str, str]) -> Iterable[dict[str, str]]:
    aws = ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")
    yield {k: v for k, v in environment.items() if k in aws}
    yield {k: v for k, v in environment.items() if k in DUMMY_CREDENTIALS}
    yield {k: v for k, v in environment.items() if k not in aws and k not in DUMMY_CREDENTIALS}
