"""The sandbox as a local HTTP endpoint: moto's server with the fidelity layer installed.

Every moto service is served (MediaConnect with `install()` applied, SSM, STS,
...). Clients reach it with `AWS_ENDPOINT_URL=http://127.0.0.1:PORT` and any
dummy credentials.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from reconciler.sandbox.mediaconnect import install
from reconciler.sandbox.throttle import Limits

HOST = "127.0.0.1"  # loopback only: the sandbox accepts anything from anyone who reaches it


class PortUnavailable(RuntimeError):
    """The requested port cannot be bound on 127.0.0.1."""


class _Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves which host.

    moto looks the host up on every request (a directory listing of its own
    package and a few hundred patterns, under one lock); the answer depends on
    the host only, so it is kept after the first request.
    """

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class _LimitedServer(ThreadedMotoServer):
    """moto's threaded server with `Limits` (latency, MediaConnect's rate limit) in front."""

    def __init__(self, port: int, limits: Limits) -> None:
        super().__init__(ip_address=HOST, port=port, verbose=False)
        self._limits = limits

    def _server_entry(self) -> None:
        self._limits.app = _Dispatcher()
        self._server = make_server(
            HOST, self._port, self._limits, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def serve(
    port: int,
    stop: threading.Event | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    latency_ms: float = 0.0,
    throttle: bool = False,
) -> None:
    """Serve on 127.0.0.1:`port` until SIGTERM/SIGINT, or until `stop` is set.

    Prints exactly one line to stdout, `sandbox listening on http://127.0.0.1:PORT`,
    once requests are accepted (port 0 picks a free port; the line names it),
    then calls `on_ready(endpoint)` (an exception there stops the server).
    Signal handlers are installed only when called from the main thread.
    Raises PortUnavailable if the port is taken. `latency_ms` delays every
    request; `throttle` applies MediaConnect's rate limit (see `throttle`);
    both can be changed later through the control endpoint.
    """
    _check_bindable(port)
    install()
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    limits = Limits(app=lambda environ, start: [], latency_ms=latency_ms, throttle=throttle)
    server = _LimitedServer(port, limits)
    server.start()
    try:
        host, bound = server.get_host_and_port()
        print(f"sandbox listening on http://{host}:{bound}", flush=True)
        if on_ready is not None:
            on_ready(f"http://{host}:{bound}")
            sys.stdout.flush()
        # Short waits keep the main thread responsive to signals on every platform.
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()


def _check_bindable(port: int) -> None:
    # ThreadedMotoServer.start() waits forever if its thread fails to bind, so
    # find out first and fail with a message instead.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise PortUnavailable(f"cannot listen on {HOST}:{port}: {error.strerror}") from None
