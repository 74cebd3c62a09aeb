"""A TCP proxy for the scale-out tests: a load balancer in front of app instances, and a cable to
PostgreSQL that can be cut.

It forwards bytes only (HTTP, websockets and the PostgreSQL protocol pass unchanged). New
connections go round-robin to the upstreams; an upstream that refuses is skipped (what a load
balancer's health check does), so after ``kill -9`` of one app instance browsers reconnect to the
other. :meth:`TcpProxy.cut` drops every open connection and refuses new ones until
:meth:`TcpProxy.restore` (a database restart, as the app sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Link:
    upstream: int
    first_bytes: bytes
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


class TcpProxy:
    """Listen on a free local port; forward each connection to one of ``upstreams`` (host, port)."""

    def __init__(self, upstreams: list[tuple[str, int]]) -> None:
        self.upstreams = list(upstreams)
        self.port = 0
        self._rr = itertools.count()
        self._links: set[_Link] = set()
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    @property
    def url_host(self) -> str:
        """``127.0.0.1:<port>``."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        """Bind a free port and start forwarding; returns self."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._handle, sock=sock))
        return self

    def _call(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def stop(self) -> None:
        """Close everything and stop the thread."""
        self.cut()
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones (accepted, then closed at once)."""
        self._cut = True

        async def _drop() -> None:
            for link in list(self._links):
                for writer in link.writers:
                    with contextlib.suppress(Exception):
                        writer.transport.abort()
            self._links.clear()

        self._call(_drop())

    def restore(self) -> None:
        """Accept and forward connections again."""
        self._cut = False

    def connections(self, upstream: int, marker: bytes = b"") -> int:
        """Open connections to ``upstreams[upstream]`` whose first bytes contain ``marker``
        (e.g. ``b"GET /_event"``: the Reflex websocket)."""
        return sum(1 for link in list(self._links) if link.upstream == upstream and marker in link.first_bytes)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.transport.abort()
            return
        start = next(self._rr)
        for i in range(len(self.upstreams)):
            index = (start + i) % len(self.upstreams)
            host, port = self.upstreams[index]
            try:
                up_reader, up_writer = await asyncio.open_connection(host, port)
            except OSError:
                continue
            break
        else:
            writer.transport.abort()
            return
        link = _Link(index, b"", [writer, up_writer])
        self._links.add(link)
        try:
            await asyncio.gather(self._pipe(reader, up_writer, link), self._pipe(up_reader, writer, None))
        finally:
            self._links.discard(link)
            for w in link.writers:
                with contextlib.suppress(Exception):
                    w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link | None) -> None:
        try:
            while data := await reader.read(65536):
                if link is not None and len(link.first_bytes) < 256:
                    link.first_bytes += data[: 256 - len(link.first_bytes)]
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.transport.abort() if self._cut else writer.close()
