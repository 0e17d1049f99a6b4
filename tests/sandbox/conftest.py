"""Fixtures for the sandbox tests: fake credentials, moto with the fidelity layer, a client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from reconciler.sandbox import SandboxSettings, install, settings

REGION = "us-west-2"
ACCOUNT = "123456789012"  # moto's default account

# The source every test flow gets unless a test says otherwise.
DEFAULT_SOURCE = {
    "Name": "ingest",
    "Protocol": "rtp-fec",
    "IngestPort": 5000,
    "MaxBitrate": 50_000_000,
    "WhitelistCidr": "10.0.0.0/16",
}


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One botocore session for all tests: loading the service model per client is slow.

    Credentials are resolved at the first client, inside a test with `aws_env` set.
    """
    return boto3.Session(region_name=REGION)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and a fixed region; nothing can reach real AWS."""
    for name in ("ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SECURITY_TOKEN", "SESSION_TOKEN"):
        monkeypatch.setenv(f"AWS_{name}", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_MEDIACONNECT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sandbox(aws_env: None) -> Iterator[SandboxSettings]:
    """moto with the fidelity layer installed, fresh state; yields the sandbox settings."""
    install()
    with mock_aws():
        yield settings
    # Settings are process-wide; give the next test the defaults back.
    for name, value in vars(SandboxSettings()).items():
        setattr(settings, name, value)


@pytest.fixture
def mediaconnect(sandbox: SandboxSettings, boto_session: boto3.Session) -> Any:
    """A boto3 MediaConnect client talking to the sandbox."""
    return boto_session.client("mediaconnect")


@pytest.fixture
def raw_mediaconnect(sandbox: SandboxSettings, boto_session: boto3.Session) -> Any:
    """A client that skips botocore's own parameter checks, so requests botocore
    would stop (missing members, wrong types) reach the sandbox as another
    client could send them."""
    return boto_session.client("mediaconnect", config=Config(parameter_validation=False))


@pytest.fixture
def make_flow(mediaconnect: Any) -> Callable[..., str]:
    """Create a flow (rtp-fec source on port 5000, 50 Mb/s) and return its ARN.

    Keyword arguments are passed to CreateFlow and override the defaults.
    """

    def make(name: str = "test-flow", **create: Any) -> str:
        request: dict[str, Any] = {"Name": name, "Source": dict(DEFAULT_SOURCE), **create}
        arn: str = mediaconnect.create_flow(**request)["Flow"]["FlowArn"]
        return arn

    return make


@pytest.fixture
def flow_arn(make_flow: Callable[..., str]) -> str:
    """The ARN of one fresh default flow."""
    return make_flow()
