"""After planning a pull request: keep its sticky plan comment, warn when another
open pull request changes the same flow, and label it when it removes outputs.

    pr_plan.py --pr NUMBER --plan-json FILE --body-file FILE

FILE for --plan-json is `reconcile show SAVED --format json`; --body-file is the
comment's Markdown. The comment records the flows the plan changes in a hidden
line, so the plan job of another pull request can find overlaps; each plan
comment involved gets (or loses) a warning linking the other pull requests.
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from github_api import GitHub, fit, main, marker
from sticky_comment import sticky_comment

LABEL = "reconcile: removes outputs"
FLOWS = re.compile(r"<!-- mediaconnect-reconciler:flows (\[.*?\]) -->")
OVERLAP_START = "<!-- mediaconnect-reconciler:overlap -->"
OVERLAP_END = "<!-- /mediaconnect-reconciler:overlap -->"


def changed_flows(plan: Mapping[str, Any]) -> list[str]:
    return sorted({c["flow"] for c in plan["changes"]})


def removes_outputs(plan: Mapping[str, Any]) -> bool:
    return any(c["action"] in ("remove", "replace") for c in plan["changes"])


def set_label(github: GitHub, pr: int, wanted: bool) -> str:
    """Adds or removes LABEL; returns what it did, for the log."""
    labels = {
        label["name"] for label in github.call("GET", f"/repos/{github.repo}/issues/{pr}/labels")
    }
    if wanted and LABEL not in labels:
        github.call("POST", f"/repos/{github.repo}/issues/{pr}/labels", {"labels": [LABEL]})
        return f"added label {LABEL!r}"
    if not wanted and LABEL in labels:
        name = urllib.parse.quote(LABEL, safe="")
        github.call("DELETE", f"/repos/{github.repo}/issues/{pr}/labels/{name}")
        return f"removed label {LABEL!r}"
    return f"label {LABEL!r} already {'set' if wanted else 'absent'}"


def overlap_section(overlaps: Mapping[int, list[str]]) -> str:
    lines = [OVERLAP_START]
    for number, flows in sorted(overlaps.items()):
        names = ", ".join(f"`{f}`" for f in flows)
        lines.append(
            f"> [!WARNING]\n> #{number} also changes {names}. Whichever merges second is "
            "applied only if main's plan still matches its reviewed plan: push to it again "
            "after the first one merges, to review the combined plan."
        )
    lines.append(OVERLAP_END)
    return "\n".join(lines)


def with_overlap(body: str, section: str) -> str:
    """`body` with its overlap section replaced by `section`."""
    start, end = body.find(OVERLAP_START), body.find(OVERLAP_END)
    if start < 0 or end < 0:
        return body
    return body[:start] + section + body[end + len(OVERLAP_END) :]


def plan_comment(github: GitHub, pr: int) -> dict[str, Any] | None:
    comments = github.paginate(f"/repos/{github.repo}/issues/{pr}/comments?per_page=100")
    return next((c for c in comments if c["body"].startswith(marker("plan"))), None)


def overlaps_of(pr: int, flows_by_pr: Mapping[int, list[str]]) -> dict[int, list[str]]:
    mine = set(flows_by_pr.get(pr, []))
    return {
        other: sorted(mine & set(flows))
        for other, flows in flows_by_pr.items()
        if other != pr and mine & set(flows)
    }


def publish(github: GitHub, pr: int, plan: Mapping[str, Any], text: str) -> list[str]:
    """The label, this pull request's plan comment, and the warnings on the others."""
    # A failed plan says nothing about removals: the label stays as the last plan left it.
    done = [] if plan.get("failed") else [set_label(github, pr, removes_outputs(plan))]
    others = {}
    for pull in github.paginate(f"/repos/{github.repo}/pulls?state=open&per_page=100"):
        if pull["number"] != pr and (found := plan_comment(github, pull["number"])) is not None:
            others[pull["number"]] = found
    flows_by_pr = {pr: changed_flows(plan)}
    for number, found in others.items():
        if match := FLOWS.search(found["body"]):
            flows_by_pr[number] = json.loads(match[1])
    head = f"<!-- mediaconnect-reconciler:flows {json.dumps(flows_by_pr[pr])} -->"
    section = overlap_section(overlaps_of(pr, flows_by_pr))
    done.append(sticky_comment(github, pr, "plan", f"{head}\n{section}\n{text}"))
    for number, found in others.items():
        body = fit(
            with_overlap(found["body"], overlap_section(overlaps_of(number, flows_by_pr))),
            "comment",
        )
        if body != found["body"]:
            github.call(
                "PATCH", f"/repos/{github.repo}/issues/comments/{found['id']}", {"body": body}
            )
            done.append(f"updated the overlap warning on #{number}")
    return done


def run() -> None:
    parser = argparse.ArgumentParser(description="Publish a pull request's plan.")
    parser.add_argument("--pr", type=int, required=True)
    parser.add_argument("--plan-json", type=Path, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    args = parser.parse_args()
    plan = json.loads(args.plan_json.read_text(encoding="utf-8"))
    text = args.body_file.read_text(encoding="utf-8")
    print("\n".join(publish(GitHub(), args.pr, plan, text)))


if __name__ == "__main__":
    main(run)
