"""A local HTTP API for tool tests (tests only): echoes requests as JSON, or serves scripted routes.

    with EchoServer({"/go": (302, "http://10.0.0.1/", b"")}) as server:
        server.url("/items/1?x=2")   # any other path: 200 JSON echo of the request
        server.requests[-1]          # {"method", "path", "headers", "body"}

A route is ``(status, content type or Location for 3xx, body)``; ``slow_s`` delays every answer.
Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = tuple[int, str, bytes]


class EchoServer:
    """Serve on ``127.0.0.1`` in a daemon thread; every request is recorded in ``requests``."""

    def __init__(self, routes: dict[str, Route] | None = None, *, slow_s: float = 0.0) -> None:
        self.routes = dict(routes or {})
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
                record = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                server.requests.append(record)
                if slow_s:
                    time.sleep(slow_s)
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    status, kind, payload = 200, "application/json", json.dumps(record).encode()
                else:
                    status, kind, payload = route
                self.send_response(status)
                self.send_header("Location" if 300 <= status < 400 else "Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815  (http.server's names)

            def log_message(self, *_args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
