"""Saved plans: what a reviewer approved, and proof it still applies.

A saved plan holds the changes (as `plan --format json` shows them), the flows
and git commit it was made from, and fingerprints of everything it depended
on: the state files, each live flow, the plan itself, and each stream key.
It holds no secret value and no function of one that can be checked offline:
an SSM key appears as its parameter's version, a Secrets Manager key as its
secret's version id, and an `{env:}` key (which has no version) as an
HMAC-SHA256 keyed with RECONCILE_PLAN_KEY, without which such a plan cannot
be saved. Secrets inside the flow and plan fingerprints are keyed the same
way, or left out when RECONCILE_PLAN_KEY is not set. At apply, everything is
read again and every fingerprint must match, or nothing is written.

Purely computational: building and checking documents; no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.cost import PlanCost
from reconciler.core.models import DesiredOutput, LiveFlow, State, Struct, Value, thaw
from reconciler.core.plandoc import plan_document
from reconciler.core.planner import FieldChange, Plan
from reconciler.core.savedcost import cost_record
from reconciler.core.secrets import Secret

FORMAT = "mediaconnect-reconciler/plan"
# 2: flows carry their status; comparable_changes (for show, --approved)
# 3: key versions instead of salted key fingerprints; secrets keyed only with
#    RECONCILE_PLAN_KEY; later, still 3 (optional additions, for display only,
#    that readers of plans saved without them do without): `cost`
#    (core.savedcost), and each flow's `max_removals` and `owned` outputs
VERSION = 3


@dataclass(frozen=True)
class Keyed:
    """Fingerprints of secret values, keyed with RECONCILE_PLAN_KEY (`pepper`).
    Without it there is no fingerprint at all: the salt is in the file, so a
    salted hash alone could be tested against guesses offline."""

    salt: bytes
    pepper: bytes = b""

    def digest(self, secret: Secret) -> str:
        if not self.pepper:
            return UNKEYED
        mac = hmac.new(self.pepper, self.salt + secret.reveal().encode(), hashlib.sha256)
        return f"hmac-sha256:{mac.hexdigest()}"


UNKEYED = "(not fingerprinted: RECONCILE_PLAN_KEY not set)"


def _canonical(value: Any, keyed: Keyed) -> Any:
    if isinstance(value, Secret):
        return {"secret": keyed.digest(value)}
    if isinstance(value, Struct):
        return _canonical(thaw(value), keyed)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v, keyed) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v, keyed) for v in value]
    return value


def _sha256(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def flow_fingerprint(live: LiveFlow, keyed: Keyed) -> str:
    """Everything about the flow's outputs a plan depends on (not its status)."""
    outputs = [
        [o.name, o.arn, o.managed, o.entitlement_arn, _canonical(dict(o.fields), keyed)]
        for o in sorted(live.outputs, key=lambda o: o.name)
    ]
    return _sha256([live.name, live.arn, outputs])


def plan_fingerprint(plan: Plan, keyed: Keyed) -> str:
    changes = [
        [
            c.action.value,
            c.flow,
            c.output,
            c.adopt,
            [[f.path, _canonical(f.before, keyed), _canonical(f.after, keyed)] for f in c.fields],
        ]
        for c in plan.changes
    ]
    return _sha256(changes)


def _identity(value: Value, *, sensitive: bool, keyed: Keyed) -> Any:
    """A field value as saved-plan JSON: sensitive values only by keyed identity."""
    if value is None:
        return None
    if isinstance(value, Secret):
        return _canonical(value, keyed)
    if sensitive:
        text = json.dumps(thaw(value), sort_keys=True, default=str)
        return {"secret": keyed.digest(Secret(text))}
    return _canonical(value, keyed)


def _field(field: FieldChange, keyed: Keyed, key: str | None) -> dict[str, Any]:
    after = _identity(field.after, sensitive=field.sensitive, keyed=keyed)
    if key is not None and isinstance(field.after, Secret):
        after = {"secret": key}  # the stream key's version (or keyed digest)
    return {
        "field": field.path,
        "before": _identity(field.before, sensitive=field.sensitive, keyed=keyed),
        "after": after,
    }


def comparable_changes(
    plan: Plan, keyed: Keyed, keys: Mapping[tuple[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """Every change with every field's before and after; secrets as keyed
    identities, and a stream key being set as its `keys` entry (by (flow,
    output): the `fingerprint` of `secret_entries`, a version where there is one)."""
    keys = keys or {}
    return [
        {
            "action": c.action.value,
            "flow": c.flow,
            "output": c.output,
            "adopt": c.adopt,
            "fields": [_field(f, keyed, keys.get((c.flow, c.output))) for f in c.fields],
        }
        for c in plan.changes
    ]


def key_identities(secrets: Iterable[Mapping[str, str]]) -> dict[tuple[str, str], str]:
    """(flow, output) → fingerprint, from `secret_entries`."""
    return {(s["flow"], s["output"]): s["fingerprint"] for s in secrets}


def secret_entries(
    state: State,
    desired: Iterable[DesiredOutput],
    keyed: Keyed,
    versions: Mapping[tuple[str, str], str] | None = None,
) -> list[dict[str, str]]:
    """One entry per resolved stream key: where it goes, its reference, and as
    its `fingerprint` the version of the stored key (`versions`, by (flow,
    output)) or, for a key without one, its keyed digest (see `Keyed`)."""
    versions = versions or {}
    specs = {(d.flow, d.name): d for d in state.destinations}
    entries = []
    for output in desired:
        spec = specs[output.flow, output.name]
        if spec.stream_key is None or spec.stream_key_path is None:
            continue
        value = output.fields[spec.stream_key_path]
        assert isinstance(value, Secret)
        entries.append(
            {
                "flow": output.flow,
                "output": output.name,
                "field": spec.stream_key_path,
                "reference": spec.stream_key.describe(),
                "fingerprint": versions.get((output.flow, output.name)) or keyed.digest(value),
            }
        )
    return entries


def document(
    plan: Plan,
    *,
    keyed: Keyed,
    state_fingerprint: str,
    state_files: Mapping[str, str],
    secrets: list[dict[str, str]],
    git: Mapping[str, Any] | None,
    created: str,
    replace_unmanaged: Iterable[str] = (),
    cost: PlanCost | None = None,
) -> dict[str, Any]:
    """The saved plan; with `cost`, what the plan does to the monthly bill, for
    `reconcile show` (display only: no fingerprint covers it)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": created,
        "git": git,
        "salt": keyed.salt.hex(),
        "keyed_with_plan_key": bool(keyed.pepper),
        "state_fingerprint": state_fingerprint,
        "state_files": dict(sorted(state_files.items())),
        "flows": [
            {
                "name": f.spec.name,
                "region": f.live.region,
                "arn": f.live.arn,
                "status": f.live.status,
                "fingerprint": flow_fingerprint(f.live, keyed),
                # what the removal guard read, so `show` states it as `plan` did
                "max_removals": f.spec.max_removals,
                "owned": sorted(o.name for o in f.live.outputs if o.managed),
            }
            for f in plan.flows
        ],
        "plan_fingerprint": plan_fingerprint(plan, keyed),
        # Unmanaged outputs the plan was allowed to replace: apply plans with the same.
        "replace_unmanaged": sorted(replace_unmanaged),
        "secrets": secrets,
        "comparable_changes": comparable_changes(plan, keyed, key_identities(secrets)),
        **plan_document(plan),
        **({"cost": cost_record(cost)} if cost is not None else {}),
    }


def problems(
    saved: Mapping[str, Any],
    *,
    plan: Plan,
    keyed: Keyed,
    state_fingerprint: str,
    state_files: Mapping[str, str],
    secrets: list[dict[str, str]],
) -> list[str]:
    """Why `saved` no longer describes what applying would do (empty: it does).

    `saved` must have passed `shape_error`."""
    found = []
    if saved["state_fingerprint"] != state_fingerprint:
        found.append(
            "the state files changed since the plan was made"
            + _changed_files(saved.get("state_files"), state_files)
        )
    now = {(s["flow"], s["output"]): s for s in secrets}
    for entry in saved["secrets"]:
        current = now.get((entry["flow"], entry["output"]))
        if current is None or current["fingerprint"] != entry["fingerprint"]:
            found.append(
                f"the stream key of {entry['flow']}/{entry['output']} ({entry['reference']}) "
                "changed since the plan was made"
            )
    live = {f.spec.name: f.live for f in plan.flows}
    for flow in saved["flows"]:
        current_flow = live.get(flow["name"])
        if current_flow is None or flow_fingerprint(current_flow, keyed) != flow["fingerprint"]:
            found.append(f"flow {flow['name']!r} changed since the plan was made")
    if not found and saved["plan_fingerprint"] != plan_fingerprint(plan, keyed):
        found.append("the changes no longer match the saved plan")
    return found


def _changed_files(before: Any, now: Mapping[str, str]) -> str:
    """`: flows/a.yaml changed, destinations/b.yaml added` (empty if unknown)."""
    if not isinstance(before, Mapping):
        return ""
    names = sorted(before.keys() | now.keys())
    changes = [
        f"{name} {'added' if name not in before else 'removed' if name not in now else 'changed'}"
        for name in names
        if before.get(name) != now.get(name)
    ]
    return f" ({', '.join(changes)})" if changes else ""


_SECRET_FIELDS = ("flow", "output", "reference", "fingerprint")


def shape_error(saved: Mapping[str, Any]) -> str | None:
    """What makes `saved` (format and version already checked) unusable, or None.

    Every field apply relies on is checked here, so a hand-edited or truncated
    plan is one clear error instead of a crash part-way through the recheck."""
    salt = saved.get("salt")
    if not isinstance(salt, str) or not salt or not _is_hex(salt):
        return "`salt` must be a string of hexadecimal digits"
    for name in ("state_fingerprint", "plan_fingerprint"):
        if not isinstance(saved.get(name), str):
            return f"`{name}` must be a string"
    if not isinstance(saved.get("keyed_with_plan_key", False), bool):
        return "`keyed_with_plan_key` must be true or false"
    flows = saved.get("flows")
    if not isinstance(flows, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("name"), str)
        and isinstance(f.get("fingerprint"), str)
        for f in flows
    ):
        return "`flows` must be a list of {name, fingerprint} entries"
    secrets = saved.get("secrets")
    if not isinstance(secrets, list) or not all(
        isinstance(e, dict) and all(isinstance(e.get(k), str) for k in _SECRET_FIELDS)
        for e in secrets
    ):
        return "`secrets` must be a list of {flow, output, reference, fingerprint} entries"
    names = saved.get("replace_unmanaged", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return "`replace_unmanaged` must be a list of output names"
    files = saved.get("state_files", {})
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return "`state_files` must map file names to fingerprints"
    return None


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)
