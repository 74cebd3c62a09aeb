"""Keep-alive for streamed replies: read the last bytes of a response body before it is closed.

The OpenAI SDK (2.x) stops reading an SSE stream at ``data: [DONE]`` and closes the response at
once (``AsyncStream.__stream__``). The end of the body (the chunked terminator, or h11's
end-of-message for a ``Content-Length`` body) is then still unread, so httpcore drops the
connection instead of returning it to the pool: every streamed gateway call paid a new TCP
(and, in production, TLS) connection, plus the outbound policy's address check
(openai-python issue #3440). :class:`DrainOnClose` wraps a transport so that closing a response
first reads what is left of its body, within small bounds (:data:`DRAIN_BYTES`,
:data:`DRAIN_S`): a reply stopped mid-stream is not read to its end; its connection is dropped
as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

DRAIN_BYTES = 64 * 1024
"""Bytes read at most when a response is closed early; beyond that the connection is dropped."""
DRAIN_S = 0.05
"""Seconds waited at most for the rest of a body (the terminator follows ``[DONE]`` at once)."""


class _Draining(httpx.AsyncByteStream):
    """A response body that reads its remaining bytes (bounded) before closing."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inner.__aiter__()  # the inner stream's own iterator: no extra layer per chunk

    async def _drain(self) -> None:
        left = DRAIN_BYTES
        async for chunk in self._inner:  # continues where the reader stopped (h11 keeps the state)
            left -= len(chunk)
            if left < 0:
                return

    async def aclose(self) -> None:
        try:
            async with asyncio.timeout(DRAIN_S):
                await self._drain()
        except (TimeoutError, httpx.HTTPError, OSError, RuntimeError):
            pass  # a slow or broken rest of the body: the connection is simply not reused
        finally:
            await self._inner.aclose()


class DrainOnClose(httpx.AsyncBaseTransport):
    """An async transport whose responses read the rest of their body when closed early.

    Args:
        inner: The transport that makes the requests (e.g. the guarded one).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport; its response body drains on close."""
        response = await self._inner.handle_async_request(request)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _Draining(response.stream)
        return response

    async def aclose(self) -> None:
        """Close the inner transport (its pool)."""
        await self._inner.aclose()
