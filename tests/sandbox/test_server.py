"""`python -m reconciler.sandbox` serves the fidelity layer over HTTP on loopback."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

import boto3
import pytest

READY_TIMEOUT = 30.0
EXIT_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def first_line(stream: IO[str], timeout: float) -> str:
    """The first line of `stream`, or "" if none arrives within `timeout` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture
def server(aws_env: None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A running sandbox process and its announced endpoint; killed if a test leaves it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = first_line(process.stdout, READY_TIMEOUT)
        assert line == f"sandbox listening on http://127.0.0.1:{port}\n", line
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(EXIT_TIMEOUT)


def test_the_server_answers_boto3_with_the_fidelity_layer_and_stops_on_sigterm(
    server: tuple[subprocess.Popen[str], str],
) -> None:
    process, endpoint = server
    client: Any = boto3.client("mediaconnect", endpoint_url=endpoint, region_name="us-west-2")
    flow_arn = client.create_flow(
        Name="served", Source={"Name": "in", "Protocol": "rtp-fec", "IngestPort": 5000}
    )["Flow"]["FlowArn"]
    for name in ("a", "b"):
        client.add_flow_outputs(
            FlowArn=flow_arn,
            Outputs=[{"Name": name, "Protocol": "rtp", "Destination": "192.0.2.1", "Port": 5000}],
        )
    outputs = client.describe_flow(FlowArn=flow_arn)["Flow"]["Outputs"]
    assert [o["Name"] for o in outputs] == ["a", "b"]  # appended: the layer is installed
    assert outputs[0]["Transport"]["Protocol"] == "rtp"
    # Other moto services are served too.
    sts: Any = boto3.client("sts", endpoint_url=endpoint, region_name="us-west-2")
    assert sts.get_caller_identity()["Account"] == "123456789012"

    process.terminate()
    assert process.wait(EXIT_TIMEOUT) == 0


def test_a_port_in_use_is_an_error_not_a_hang(aws_env: None) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "reconciler.sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=READY_TIMEOUT,
        )

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"127.0.0.1:{port}" in result.stderr
