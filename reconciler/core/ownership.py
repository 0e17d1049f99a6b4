"""The ownership manifest: which outputs of a flow are ours, kept in the flow's own tags.

DescribeFlow returns no tags, so knowing which outputs the tool made (and so
may remove) used to take one ListTagsForResource per output. The manifest
records, in the tags of the flow itself, the ids (from their ARNs) of the
outputs that are ours and of those known not to be; one ListTagsForResource on
the flow then answers for all of them. An output in neither list is checked
with its own tags, as before. The outputs' own managed-by tag stays the truth
the manifest is rebuilt from: see docs/ownership.md for the design and its
failure cases.

Tags: `reconciler:owned:N` and `reconciler:unowned:N` (N = 0, 1, ...), each
value ids separated by spaces, at most 256 characters. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from reconciler.core.models import Manifest
from reconciler.core.planner import Action, FlowPlan
from reconciler.core.results import Outcome, Result

OWNED, UNOWNED = "reconciler:owned:", "reconciler:unowned:"
MAX_TAGS, MAX_VALUE = 50, 256
# Characters a tag value may hold that an id must keep to (ids are letters,
# digits and dashes in practice); anything else is left out of the manifest.
_ID = re.compile(r"[A-Za-z0-9._:/=+@-]+")


def output_id(arn: str) -> str:
    """`arn:P:mediaconnect:R:A:output:ID:NAME` → ID (the whole ARN if not that form)."""
    parts = arn.split(":")
    return parts[6] if len(parts) >= 8 and parts[5] == "output" else arn


def read(tags: Mapping[str, str]) -> Manifest:
    """The manifest held in a flow's tags (empty if it has none)."""

    def ids(prefix: str) -> frozenset[str]:
        return frozenset(
            i for key, value in tags.items() if key.startswith(prefix) for i in value.split()
        )

    keys = frozenset(k for k in tags if k.startswith((OWNED, UNOWNED)))
    return Manifest(ids(OWNED), ids(UNOWNED), keys, len(tags) - len(keys))


def tags_for(manifest: Manifest) -> dict[str, str] | None:
    """The flow tags that record `manifest`, or None if they would not fit.

    Keys read before that are no longer needed are set to "" (so TagResource
    alone keeps the tags in step, without UntagResource). None when the flow's
    other tags leave too little room (50 tags per resource).
    """
    wanted = {
        **_chunks(OWNED, manifest.owned),
        **_chunks(UNOWNED, manifest.unowned),
    }
    stale = {k: "" for k in manifest.keys if k not in wanted}
    if manifest.other_tags + len(wanted) + len(stale) > MAX_TAGS:
        return None
    return {**stale, **wanted}


def _chunks(prefix: str, ids: Iterable[str]) -> dict[str, str]:
    values: list[str] = []
    for item in sorted(i for i in ids if _ID.fullmatch(i) and len(i) <= MAX_VALUE):
        if values and len(values[-1]) + 1 + len(item) <= MAX_VALUE:
            values[-1] += f" {item}"
        else:
            values.append(item)
    return {f"{prefix}{n}": value for n, value in enumerate(values)}


def after_apply(flow: FlowPlan, results: Sequence[Result]) -> Manifest:
    """The manifest once `results` are in effect on `flow`.

    From the outputs as planned (ownership read from the manifest or from their
    own tags), with what apply did: outputs added or adopted become owned,
    removed ones leave. Entries for protected outputs are carried over as they
    were; outputs created by entitlements are never listed.
    """
    live, protected = flow.live, flow.spec.protected
    before = live.manifest or Manifest()
    owned: set[str] = set()
    unowned: set[str] = set()
    for output in live.outputs:
        oid = output_id(output.arn)
        if output.name in protected:
            owned |= {oid} & before.owned
            unowned |= {oid} & before.unowned
        elif output.entitlement_arn is None:
            (owned if output.managed else unowned).add(oid)
    for result in results:
        change = result.change
        if result.outcome is not Outcome.DONE or result.detail == "already in place":
            continue  # "already in place": found, not made by this apply; its tags will tell
        if change.live is not None and change.action in (Action.REMOVE, Action.REPLACE):
            owned.discard(output_id(change.live.arn))
        if result.output_arn is not None and change.action is not Action.REMOVE:
            oid = output_id(result.output_arn)
            owned.add(oid)  # added, replaced or adopted: ours now (it carries our tag)
            unowned.discard(oid)
    return Manifest(frozenset(owned), frozenset(unowned - owned), before.keys, before.other_tags)
