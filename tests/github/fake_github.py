"""A local fake of the few GitHub REST endpoints the workflow scripts call:
one repository's issues, their comments and labels, its pull requests (open
ones, and those a commit belongs to) and its workflow artifacts, paginated like
GitHub (`Link` headers), behind a bearer token. Every request is recorded.

It listens on 127.0.0.1 on a free port, in a thread, and stops with its context.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghs_fake_token_for_tests"
REPO = "acme/streams"


@dataclass
class Request:
    method: str
    path: str
    body: Any


@dataclass
class FakeGitHub:
    page_size: int = 100  # the most items one page holds, whatever per_page asks
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    next_link_host: str | None = None  # a hostile Link header, for one test
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False  # every write answers 502, as during an outage
    runs: list[dict[str, Any]] = field(default_factory=list)  # workflow runs
    url: str = ""

    # --- set-up, as people and earlier runs would have left things -----------

    def add_issue(self, body: str, labels=("drift",), state="open", pull_request=False) -> int:
        number = len(self.issues) + 1
        issue = {"number": number, "title": "t", "body": body, "state": state}
        issue["labels"] = [{"name": name} for name in labels]
        if pull_request:
            issue["pull_request"] = {"url": "..."}
        self.issues[number] = issue
        return number

    def add_comment(self, issue: int, body: str, user: str = "someone") -> int:
        comment_id = 1000 + len(self.comments)
        self.comments[comment_id] = {
            "id": comment_id,
            "issue": issue,
            "body": body,
            "user": {"login": user},
        }
        return comment_id

    def add_pull(self, head_sha: str, *, merge_commit_sha: str | None = None) -> int:
        """An open pull request (merged, when `merge_commit_sha` is given)."""
        number = self.add_issue("", labels=(), pull_request=True)
        self.pulls[number] = {
            "number": number,
            "state": "closed" if merge_commit_sha else "open",
            "head": {"sha": head_sha},
            "merged_at": "2026-11-28T12:00:00Z" if merge_commit_sha else None,
            "merge_commit_sha": merge_commit_sha,
        }
        return number

    def add_artifact(self, name: str, run_id: int, *, expired: bool = False, created="1") -> None:
        self.artifacts.append(
            {
                "id": len(self.artifacts) + 1,
                "name": name,
                "expired": expired,
                "created_at": created,
                "workflow_run": {"id": run_id},
            }
        )

    def labels_of(self, issue: int) -> list[str]:
        return [label["name"] for label in self.issues[issue]["labels"]]

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == issue]

    @property
    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    # --- the endpoints ---------------------------------------------------------

    def handle(self, method: str, target: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        url = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        base = f"/repos/{REPO}"
        if self.failing and method != "GET":
            return 502, {"message": "Server Error"}, {}
        if m := re.fullmatch(rf"{base}/issues/(\d+)/labels(?:/(.+))?", url.path):
            labels = self.issues[int(m[1])]["labels"]
            if method == "POST":
                labels += [{"name": n} for n in body["labels"] if {"name": n} not in labels]
            if method == "DELETE":
                name = unquote(m[2])
                if {"name": name} not in labels:
                    return 404, {"message": "Label does not exist"}, {}
                labels.remove({"name": name})
            return 200, labels, {}
        if url.path == f"{base}/pulls" and method == "POST":
            number = self.add_pull("0" * 40)
            self.pulls[number].update(
                {k: body[k] for k in ("title", "body")}, head={"sha": "0" * 40, "ref": body["head"]}
            )
            self.pulls[number]["base"] = {"ref": body["base"]}
            return 201, self.pulls[number], {}
        if (m := re.fullmatch(rf"{base}/pulls/(\d+)", url.path)) and method == "PATCH":
            pull = self.pulls[int(m[1])]
            pull.update(body)
            return 200, pull, {}
        if url.path == f"{base}/pulls" and method == "GET":
            found = [p for p in self.pulls.values() if p["state"] == query.get("state", "open")]
            return self._page(url.path, query, found)
        if m := re.fullmatch(rf"{base}/commits/([0-9a-f]+)/pulls", url.path):
            found = [
                p for p in self.pulls.values() if m[1] in (p["head"]["sha"], p["merge_commit_sha"])
            ]
            return 200, found, {}
        if m := re.fullmatch(rf"{base}/actions/workflows/([^/]+)/runs", url.path):
            found = [
                r
                for r in self.runs
                if r["workflow"] == m[1] and r["status"] == query.get("status", r["status"])
            ]
            return 200, {"total_count": len(found), "workflow_runs": found}, {}
        if url.path == f"{base}/actions/artifacts" and method == "GET":
            found = [a for a in self.artifacts if a["name"] == query.get("name", a["name"])]
            return 200, {"total_count": len(found), "artifacts": found}, {}
        if m := re.fullmatch(rf"{base}/issues/(\d+)/comments", url.path):
            issue = int(m[1])
            if issue not in self.issues:
                return 404, {"message": "Not Found"}, {}
            if method == "GET":
                return self._page(url.path, query, self.comments_on(issue))
            if method == "POST":
                comment_id = self.add_comment(issue, body["body"], user="github-actions[bot]")
                return 201, self.comments[comment_id], {}
        if (m := re.fullmatch(rf"{base}/issues/comments/(\d+)", url.path)) and method == "PATCH":
            comment = self.comments[int(m[1])]
            comment["body"] = body["body"]
            return 200, comment, {}
        if url.path == f"{base}/issues":
            if method == "GET":
                found = [
                    i
                    for i in self.issues.values()
                    if i["state"] == query.get("state", "open")
                    and (
                        "labels" not in query
                        or query["labels"] in {label["name"] for label in i["labels"]}
                    )
                ]
                found.sort(key=lambda i: i["number"], reverse=query.get("direction") != "asc")
                return self._page(url.path, query, found)
            if method == "POST":
                number = self.add_issue(body["body"], labels=body.get("labels", []))
                self.issues[number]["title"] = body["title"]
                return 201, self.issues[number], {}
        if (m := re.fullmatch(rf"{base}/issues/(\d+)", url.path)) and method == "PATCH":
            issue = self.issues[int(m[1])]
            issue.update(body)
            return 200, issue, {}
        return 404, {"message": "Not Found"}, {}

    def _page(self, path: str, query: dict[str, str], items: list[Any]):
        size = min(int(query.get("per_page", 30)), self.page_size)
        page = int(query.get("page", 1))
        headers = {}
        if page * size < len(items):
            host = self.next_link_host or self.url
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            headers["Link"] = f'<{host}{path}?{rest}&page={page + 1}>; rel="next"'
        return 200, items[(page - 1) * size : page * size], headers

    # --- the server ------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append(Request(self.command, self.path, body))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    status, payload, headers = 401, {"message": "Bad credentials"}, {}
                else:
                    status, payload, headers = fake.handle(self.command, self.path, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
