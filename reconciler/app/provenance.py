"""Where a plan or an apply came from: the git commit of the state files."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def git_info(path: Path) -> dict[str, Any] | None:
    """The commit checked out at `path` and whether its files differ from it,
    or None when `path` is not in a git work tree (or git is missing)."""
    try:
        head = _git(path, "rev-parse", "HEAD")
        status = _git(path, "status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return None
    if head is None or status is None:
        return None
    return {"commit": head.strip(), "dirty": bool(status.strip())}


def _git(path: Path, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout if done.returncode == 0 else None
