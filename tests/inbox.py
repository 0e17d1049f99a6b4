"""A local webhook for notification tests: an HTTP server on 127.0.0.1 that
records what Apprise's `json://` target posts to it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def inbox() -> Iterator[tuple[int, list[dict]]]:
    """An HTTP server on 127.0.0.1 recording each POST's path and JSON body."""
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posts.append({"path": self.path, "raw": body.decode(), **json.loads(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], posts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
