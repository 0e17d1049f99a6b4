"""The few GitHub REST calls the workflows make, with the standard library only.

The API root comes from GITHUB_API_URL (set by Actions, and by the tests to a
local fake), the token from GITHUB_TOKEN, the repository from GITHUB_REPOSITORY.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# GitHub refuses a comment or issue body longer than this many characters.
BODY_LIMIT = 65_536
TIMEOUT_SECONDS = 30


class GitHubError(Exception):
    pass


class GitHub:
    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        missing = [k for k in ("GITHUB_REPOSITORY", "GITHUB_TOKEN") if not environ.get(k)]
        if missing:
            raise GitHubError(f"{' and '.join(missing)} must be set")
        self.api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        self.repo = environ["GITHUB_REPOSITORY"]
        self._token = environ["GITHUB_TOKEN"]

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self._send(method, f"{self.api}{path}", body)[0]

    def paginate(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following `Link: <...>; rel="next"`."""
        url: str | None = f"{self.api}{path}"
        while url:
            items, headers = self._send("GET", url, None)
            yield from items
            match = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("Link", ""))
            url = match[1] if match else None
            if url and not url.startswith(self.api + "/"):
                # The token goes to the API root only, wherever a header points.
                raise GitHubError(f"refusing to follow a next page outside {self.api}: {url}")

    def _send(
        self, method: str, url: str, body: Mapping[str, Any] | None
    ) -> tuple[Any, Mapping[str, str]]:
        request = urllib.request.Request(
            url,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "User-Agent": "mediaconnect-reconciler-workflows",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
                return (json.loads(raw) if raw else None), response.headers
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:500]
            raise GitHubError(f"{method} {url} answered {e.code}: {detail}") from None
        except urllib.error.URLError as e:
            raise GitHubError(f"{method} {url} failed: {e.reason}") from None


def marker(name: str) -> str:
    """The hidden HTML comment a body starts with, by which it is found again."""
    return f"<!-- mediaconnect-reconciler:{name} -->"


def run_url(environ: Mapping[str, str] = os.environ) -> str:
    """This workflow run's page, or "" outside Actions."""
    parts = [environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY")]
    run_id = environ.get("GITHUB_RUN_ID", "")
    return f"{parts[0]}/{parts[1]}/actions/runs/{run_id}" if all(parts) and run_id else ""


def fit(body: str, what: str) -> str:
    """`body`, or a short note where GitHub would refuse it as too long."""
    if len(body) <= BODY_LIMIT:
        return body
    where = run_url() or "the workflow run"
    first_line = body.split("\n", 1)[0]
    return f"{first_line}\n\nThe {what} is too long for GitHub; read it in {where}.\n"


def main(run: Callable[[], None]) -> None:
    """Run `run()`, turning a GitHub error into one line on stderr and exit 1."""
    try:
        run()
    except GitHubError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
