"""Shared fixtures. No test may reach real AWS: credentials are fake, config
files point nowhere, and AWS access goes through moto and the fidelity layer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_STATE = ROOT / "state"


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch, tmp_path_factory):
    """Fake credentials and no shared config: a stray call cannot reach AWS."""
    empty = tmp_path_factory.mktemp("aws-home")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private copy of the example state/ to edit."""
    target = tmp_path / "state"
    shutil.copytree(EXAMPLE_STATE, target)
    return target
