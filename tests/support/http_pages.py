"""A tiny local HTTP server with scripted routes (tests only): pages, redirects, big bodies.

    with PageServer({"/doc.html": (200, "text/html", b"<p>hi</p>"),
                     "/go": (302, "http://10.0.0.1/", b"")}) as server:
        server.url("/doc.html")  # "http://127.0.0.1:PORT/doc.html"

A route is ``(status, content type or Location for 3xx, body)``. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = tuple[int, str, bytes]


class PageServer:
    """Serve ``routes`` on ``127.0.0.1`` in a daemon thread; records requested paths in ``hits``."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = dict(routes)
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                server.hits.append(self.path)
                status, kind, body = server.routes.get(self.path, (404, "text/plain", b"not found"))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", kind)
                else:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
