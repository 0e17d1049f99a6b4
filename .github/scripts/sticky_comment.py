"""Keep one comment of ours on a pull request: create it, or edit it in place.

    sticky_comment.py --pr NUMBER --name NAME --body-file FILE

The comment starts with a hidden marker (`<!-- mediaconnect-reconciler:NAME -->`)
and is found again by it, so each push edits the same comment instead of
adding one. An identical body is left alone (no write, no notification).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from github_api import GitHub, fit, main, marker


def sticky_comment(github: GitHub, pr: int, name: str, text: str) -> str:
    """Creates or updates the comment; returns what it did, for the log."""
    body = fit(f"{marker(name)}\n{text}", "comment")
    comments = github.paginate(f"/repos/{github.repo}/issues/{pr}/comments?per_page=100")
    ours = next((c for c in comments if c["body"].startswith(marker(name))), None)
    if ours is None:
        created = github.call("POST", f"/repos/{github.repo}/issues/{pr}/comments", {"body": body})
        return f"created comment {created['id']}"
    if ours["body"] == body:
        return f"comment {ours['id']} already says this"
    github.call("PATCH", f"/repos/{github.repo}/issues/comments/{ours['id']}", {"body": body})
    return f"updated comment {ours['id']}"


def run() -> None:
    parser = argparse.ArgumentParser(description="Create or update a sticky pull request comment.")
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    parser.add_argument("--name", required=True, help="which sticky comment, e.g. plan")
    parser.add_argument("--body-file", type=Path, required=True)
    args = parser.parse_args()
    text = args.body_file.read_text(encoding="utf-8")
    print(sticky_comment(GitHub(), args.pr, args.name, text))


if __name__ == "__main__":
    main(run)
