"""The model clients' HTTP transport: LiteLLM's aiohttp transport on a guarded connector.

httpx's own transport (httpcore + h11) costs ~3 ms more CPU per streamed call than aiohttp
(measured against bare LiteLLM, whose default transport is this one). The gateway's
``httpx.AsyncClient`` (handed to the OpenAI SDK and to LiteLLM's handler) therefore sends its
requests through :class:`GuardedAiohttpTransport`: LiteLLM's ``LiteLLMAiohttpTransport`` with

- a session whose ``TCPConnector`` enforces the model-endpoint outbound policy
  (:func:`backend.security.guarded_aiohttp.guarded_connector`: checked resolver, checked sockets);
- no environment proxies: LiteLLM reads ``HTTP(S)_PROXY`` per request unless told not to; here
  never (a proxy would make the connection on our behalf, unchecked), and ``trust_env=False``;
- no redirects (LiteLLM's transport never follows them), no cookies kept between calls.

An aiohttp session belongs to the event loop it was built in: build one transport per loop
(``backend.gateway.endpoints`` caches them per loop) and :func:`dispose` it when its loop closed.
"""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp
import httpx
from litellm.llms.custom_httpx.aiohttp_transport import LiteLLMAiohttpTransport

from backend.security.addresses import AllowRule
from backend.security.guarded_aiohttp import guarded_connector


class GuardedAiohttpTransport(LiteLLMAiohttpTransport):
    """An httpx transport sending through aiohttp, reaching only addresses the rules allow.

    Args:
        allow: Operator rules (``OutboundPolicy.rules``); empty: public addresses only.
        max_connections: Open connections at most (a stream holds one for its whole length).
    """

    def __init__(self, allow: Sequence[AllowRule], *, max_connections: int = 100) -> None:
        rules = tuple(allow)

        def session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession(
                connector=guarded_connector(rules, limit=max_connections),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
            )

        super().__init__(client=session)  # built lazily, inside the loop of the first request

    async def _get_proxy_settings(self, request: httpx.Request) -> None:
        """Never a proxy, whatever the environment says."""
        return None

    def dispose(self) -> None:
        """Close the session's connections without its (closed) event loop; no warnings at exit."""
        session = self.client
        if not isinstance(session, aiohttp.ClientSession) or session.closed:
            return
        close_now = getattr(session.connector, "_close", None)  # aiohttp's own finalizer does this
        if callable(close_now):
            try:
                close_now()
            except (RuntimeError, OSError, AttributeError):
                pass  # the loop is gone: the sockets go with the process or the garbage collector
