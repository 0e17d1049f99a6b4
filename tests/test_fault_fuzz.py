"""Hundreds of randomized plans applied under seeded faults: throttling (429),
500 and 503 answers, and responses lost after the service applied the change.

For every seed: run 1 under faults either converges or reports precisely what
is left (nothing it called done is still to do, nothing outside its plan was
touched); run 2 without faults always converges; the HLS path stays
byte-identical throughout, and no output is ever duplicated or lost.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import boto3
import pytest

from reconciler.app import executor
from reconciler.app.planning import compute_plan
from reconciler.aws import Aws
from reconciler.aws.clients import Clients
from reconciler.aws.mediaconnect import FlowWait
from reconciler.core.errors import ReconcilerError
from reconciler.core.models import HlsGuard
from reconciler.core.results import Outcome
from tests.conftest import REGION
from tests.faults import injected

SEEDS = int(os.environ.get("FAULT_SEEDS", "200"))
NAMES = [f"d{i}" for i in range(6)]
KINDS = ("throttle", "500", "503", "drop")
NO_WAIT = FlowWait(delay=0.001)  # the sandbox settles at once
# Hand-made outputs may be replaced here (--replace-unmanaged for every name).
ALL = frozenset(NAMES)
KEYS = {"/fuzz/k1": "fuzz-key-one", "/fuzz/k2": "fuzz-key-two"}


class Policy:
    """Which requests fail: a seeded coin per MediaConnect request while `rate` > 0."""

    def __init__(self) -> None:
        self.rng, self.rate = random.Random(0), 0.0

    def __call__(self, service: str, operation: str) -> str | None:
        if service != "mediaconnect" or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(KINDS)
        # a lost response only makes sense for a write the service could apply
        return "500" if kind == "drop" and operation.startswith(("Describe", "List")) else kind


def destination(rng: random.Random) -> dict:
    return {
        "scheme": rng.choice(["rtmp", "rtmps", "udp"]),
        "port": rng.choice([1935, 1936]),
        "enabled": rng.random() < 0.7,
        "key": rng.choice(sorted(KEYS)),
    }


def write_state(root: Path, flow: str, desired: dict[str, dict]) -> None:
    (root / "flows").mkdir(parents=True)
    (root / "destinations").mkdir()
    (root / "flows" / "f.yaml").write_text(f"name: {flow}\nregion: {REGION}\n")
    for name, d in desired.items():
        if d["scheme"] == "udp":
            body = f"url: udp://10.0.0.1:{d['port']}\n"
        else:
            body = f"url: {d['scheme']}://{name}.example.com:{d['port']}/live\nstream_key: {{ssm: {d['key']}}}\n"
        enabled = "" if d["enabled"] else "enabled: false\n"
        (root / "destinations" / f"{name}.yaml").write_text(
            f"name: {name}\nflow: {flow}\n{body}{enabled}"
        )


def seed_live(client, arn: str, rng: random.Random) -> None:
    outputs = []
    for name in NAMES:
        roll = rng.random()
        if roll < 0.4:
            continue
        d = destination(rng)
        output = {
            "Name": name,
            "Destination": f"{name}.example.com",
            "Port": d["port"],
            "OutputStatus": "ENABLED" if d["enabled"] else "DISABLED",
        }
        if d["scheme"] == "udp":
            output.update(Protocol="udp", Destination="10.0.0.1")
        else:
            output.update(
                Protocol="rtmp-push",
                RtmpPushSettings={"ApplicationName": "live", "StreamName": KEYS[d["key"]]},
            )
        if roll < 0.85:  # ours; the rest were made by hand
            output["OutputTags"] = {"reconciler:managed-by": "mediaconnect-reconciler"}
        outputs.append(output)
    if outputs:
        client.add_flow_outputs(FlowArn=arn, Outputs=outputs)


def outputs_of(client, arn: str) -> dict[str, dict]:
    found = client.describe_flow(FlowArn=arn)["Flow"].get("Outputs", [])
    names = Counter(o["Name"] for o in found)
    assert all(count == 1 for count in names.values()), f"duplicate outputs: {names}"
    return {o["Name"]: o for o in found}


@pytest.fixture
def hls_path(sandbox):
    package = boto3.client("mediapackage", region_name=REGION)
    package.create_channel(Id="hls")
    package.create_origin_endpoint(ChannelId="hls", Id="hls-ep", ManifestName="index")
    live = boto3.client("medialive", region_name=REGION)
    channel = live.create_channel(
        Name="ch",
        Destinations=[{"Id": "mp", "MediaPackageSettings": [{"ChannelId": "hls"}]}],
        EncoderSettings={
            "VideoDescriptions": [],
            "AudioDescriptions": [],
            "TimecodeConfig": {"Source": "EMBEDDED"},
            "OutputGroups": [
                {
                    "OutputGroupSettings": {
                        "MediaPackageGroupSettings": {"Destination": {"DestinationRefId": "mp"}}
                    },
                    "Outputs": [],
                }
            ],
        },
    )["Channel"]
    live.describe_channel(ChannelId=channel["Id"])
    return HlsGuard(channel["Id"], "hls")


def test_randomized_plans_under_faults_converge(tmp_path, sandbox, hls_path, monkeypatch):
    monkeypatch.setattr(
        "botocore.endpoint.time.sleep", lambda seconds: None
    )  # no real backoff waits
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")  # one retry: enough faults get through
    for name, value in KEYS.items():
        sandbox.put_key(name, value)
    policy = Policy()
    hls_before = Aws().hls.observe(hls_path, REGION).snapshot
    stats = Counter()
    with injected(policy) as faults:
        # Made inside `injected`, so its clients get the faults; shared by every run
        # (each run still gets its own adapters and caches through `Aws`).
        clients = Clients(boto3.Session(region_name=REGION))
        for seed in range(SEEDS):
            rng = random.Random(seed)
            flow = f"fuzz-{seed}"
            arn = sandbox.client.create_flow(
                Name=flow, Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
            )["Flow"]["FlowArn"]
            seed_live(sandbox.client, arn, rng)
            desired = {n: destination(rng) for n in NAMES if rng.random() < 0.7}
            root = tmp_path / flow / "state"
            write_state(root, flow, desired)
            before = outputs_of(sandbox.client, arn)

            policy.rng, policy.rate = random.Random(seed), 0.25
            try:
                planned = compute_plan(
                    root, Aws(clients, flow_wait=NO_WAIT), {}, replace_unmanaged=ALL
                )
            except ReconcilerError:
                stats["plan failed under faults"] += 1
                planned = None
            if planned is not None:
                report = executor.apply(planned.plan, Aws(clients, flow_wait=NO_WAIT).mediaconnect)
                stats["converged in one run" if report.ok else "reported leftovers"] += 1
                touched = {r.change.output for r in report.results}
                after = outputs_of(sandbox.client, arn)
                for name, output in before.items():  # nothing outside the plan moved
                    if name not in touched:
                        assert after.get(name) == output, (seed, name)
                policy.rate = 0.0
                left = compute_plan(
                    root, Aws(clients, flow_wait=NO_WAIT), {}, replace_unmanaged=ALL
                ).plan
                not_done = {
                    r.change.output for r in report.results if r.outcome is not Outcome.DONE
                }
                assert {c.output for c in left.changes} <= not_done, (
                    seed,
                    left.changes,
                    report.results,
                )

            policy.rate = 0.0
            second = compute_plan(root, Aws(clients, flow_wait=NO_WAIT), {}, replace_unmanaged=ALL)
            assert executor.apply(second.plan, Aws(clients, flow_wait=NO_WAIT).mediaconnect).ok, (
                seed
            )
            assert not compute_plan(
                root, Aws(clients, flow_wait=NO_WAIT), {}, replace_unmanaged=ALL
            ).plan.has_changes, seed
            final = outputs_of(sandbox.client, arn)
            unmanaged = {n for n, o in before.items() if n not in desired}
            assert set(final) == set(desired) | {n for n in unmanaged if n in final}, seed
    assert Aws().hls.observe(hls_path, REGION).snapshot == hls_before
    assert stats["reported leftovers"] > SEEDS // 10 and stats["converged in one run"] > 0, stats
    assert {kind for _, _, kind in faults.injected} == set(KINDS)
    assert {op for _, op, kind in faults.injected if kind == "drop"} >= {
        "AddFlowOutputs",
        "RemoveFlowOutput",
    }
