"""The layer contracts in pyproject.toml hold, and they can fail.

Each violation is planted in a scratch copy of the package, and `lint-imports`
must then break the contract that forbids it; the real package keeps them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_keeps_every_contract():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


PLANTED = [
    ("core/planner.py", "from reconciler.aws.clients import Clients", "Layers"),
    ("render/plan.py", "from reconciler.app import executor", "Layers"),
    ("core/models.py", "import boto3", "boto3 and botocore only in the AWS adapter"),
    ("app/planning.py", "from reconciler.sandbox import install", "imports the sandbox"),
    ("core/outputs.py", "import click", "The core and the renderers are pure"),
    ("core/secrets.py", "from reconciler.core import planner", "No import cycles"),
]


@pytest.mark.parametrize(("module", "line", "contract"), PLANTED)
def test_a_planted_violation_breaks_its_contract(tmp_path, module, line, contract):
    shutil.copytree(ROOT / "reconciler", tmp_path / "reconciler", symlinks=True)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "reconciler" / module
    path.write_text(f"{line}  # noqa\n{path.read_text()}")
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(contract in row for row in broken), done.stdout
