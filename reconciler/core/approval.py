"""What a reviewer approved, compared with what is about to be applied.

A saved plan carries its changes in a comparable form
(`savedplan.comparable_changes`): flow, output, action, adoption and each
field's before and after, where a sensitive value is replaced by its keyed
identity (never the value). Two plans are compared under the approved plan's
key, so equal secrets compare equal.

Purely computational: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.core.models import freeze

VERBS = {"add": "adds", "update": "updates", "replace": "replaces", "remove": "removes"}


def _show(entry: Mapping[str, Any], side: str) -> str:
    value = entry.get(side)
    if value is None:
        return "(none)"
    if isinstance(value, Mapping) and set(value) == {"secret"}:
        return "(sensitive)"
    return str(freeze(value)) if isinstance(value, dict | list) else json.dumps(value)


def _where(change: Mapping[str, Any]) -> str:
    return f"`{change['output']}` on flow `{change['flow']}`"


def _field_differences(
    subject: str, mine: Mapping[str, Any], approved: Mapping[str, Any]
) -> list[str]:
    where = _where(mine)
    found = []
    approved_fields = {f["field"]: f for f in approved["fields"]}
    my_fields = {f["field"]: f for f in mine["fields"]}
    for path, entry in my_fields.items():
        other = approved_fields.get(path)
        if other is None:
            found.append(
                f"{subject} also changes `{path}` of {where} (not in the reviewed plan)"
            )
        elif (entry["before"], entry["after"]) != (other["before"], other["after"]):
            if "(sensitive)" in (_show(entry, "after"), _show(other, "after")):
                found.append(
                    f"{subject} changes `{path}` of {where} to a different value than the "
                    "reviewed plan (sensitive: compared by fingerprint)"
                )
            else:
                found.append(
                    f"{subject} changes `{path}` of {where} "
                    f"{_show(entry, 'before')} → {_show(entry, 'after')}; the reviewed plan "
                    f"{_show(other, 'before')} → {_show(other, 'after')}"
                )
    found += [
        f"{subject} no longer changes `{path}` of {where} (the reviewed plan did)"
        for path in approved_fields
        if path not in my_fields
    ]
    return found


def differences(
    subject: str,
    mine: Sequence[Mapping[str, Any]],
    approved: Sequence[Mapping[str, Any]],
    *,
    my_flows: Mapping[str, str] | None = None,
    approved_flows: Mapping[str, str] | None = None,
) -> list[str]:
    """Each way `mine` (named `subject` in messages) differs from `approved`, both
    from `comparable_changes` under the same key; `*_flows` map flow names to
    ARNs. Empty: they make exactly the same changes to the same flows."""
    found = []
    for name, arn in (my_flows or {}).items():
        approved_arn = (approved_flows or {}).get(name)
        if approved_arn is not None and approved_arn != arn:
            found.append(
                f"flow `{name}` is {arn} in {subject} but {approved_arn} in the reviewed plan"
            )
    by_key = {(c["flow"], c["output"]): c for c in approved}
    seen = set()
    for change in mine:
        key = (change["flow"], change["output"])
        seen.add(key)
        other = by_key.get(key)
        verb = VERBS.get(change["action"], change["action"])
        if other is None:
            found.append(f"{subject} also {verb} {_where(change)} (not in the reviewed plan)")
        elif (change["action"], change["adopt"]) != (other["action"], other["adopt"]):
            found.append(
                f"{subject} {verb} {_where(change)}"
                f"{' (adopting it)' if change['adopt'] else ''}; the reviewed plan "
                f"{VERBS.get(other['action'], other['action'])} it"
                f"{' (adopting it)' if other['adopt'] else ''}"
            )
        else:
            found += _field_differences(subject, change, other)
    found += [
        f"the reviewed plan {VERBS.get(c['action'], c['action'])} {_where(c)}; "
        f"{subject} does not"
        for c in approved
        if (c["flow"], c["output"]) not in seen
    ]
    return found

