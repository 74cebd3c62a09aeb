"""Connection base URLs under the model-endpoint outbound policy (``backend.security.outbound``).

A base URL a user typed is an address the server will connect to, with the user's key. Every
call to one goes through the policy (public addresses only, plus ``AGENTHUB_MODEL_ENDPOINT_ALLOW``,
plus loopback in development), enforced where the connection is made whenever LiteLLM lets us
hand it the HTTP client:

- chat and embeddings on the OpenAI SDK path (``openai/`` models: OpenAI, OpenAI-compatible
  endpoints; Mistral embeddings): ``client=openai.AsyncOpenAI(http_client=<guarded httpx>)``;
- chat through LiteLLM's own HTTP handler (Anthropic, Gemini, DeepSeek, Mistral, Groq,
  OpenRouter): ``client=AsyncHTTPHandler(transport=<guarded transport>)``;
- Gemini embeddings, whose LiteLLM path builds its own client: the host's addresses are
  resolved and checked right before the call. Residual: a DNS answer that changes between
  this check and LiteLLM's own lookup (rebinding) is not caught there.

The guarded HTTP client is shared per event loop (connection reuse); it follows no redirects, so
a key never travels to a second host. It sends through aiohttp (``backend.gateway.transport``:
~3 ms less CPU per streamed call than httpx's own transport) on a connector that enforces the
same policy (``backend.security.guarded_aiohttp``); Test connection keeps the httpx guard.
The ``AsyncOpenAI`` wrapping it is cached per event loop by (base URL, fingerprint of the key)
(:func:`_openai_client`): calls with the same key to the same URL reuse it; another key or URL
gets its own client, so a client never sends one connection's key for another. The cache holds
no plaintext key in its index (a BLAKE2b digest) and is bounded. Calls without a custom base
URL go to the provider's fixed public API and are not wrapped.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

from backend.gateway.draining import DrainOnClose
from backend.gateway.llm import UNREACHABLE, GatewayError
from backend.gateway.transport import GuardedAiohttpTransport
from backend.security.outbound import (
    INVALID_URL,
    AllowRule,
    BadURL,
    BlockedAddress,
    GuardedTransport,
    checked_addresses,
    model_endpoint_policy,
    validate_url,
)

_OPENAI_SDK_CHAT = frozenset({"openai", "openai_compatible"})
_OPENAI_SDK_EMBED = frozenset({"openai", "openai_compatible", "mistral"})
_HANDLER_CHAT = frozenset({"anthropic", "gemini", "deepseek", "mistral", "groq", "openrouter"})
_MAX_CONNECTIONS = 1000  # a stream holds one for its whole length; the OpenAI SDK's own default
_MAX_SDK_CLIENTS = 256  # per event loop: cached AsyncOpenAI wrappers, least recently used dropped


@dataclass
class _Shared:
    transport: GuardedAiohttpTransport
    http: httpx.AsyncClient
    handler: AsyncHTTPHandler
    sdk: OrderedDict[tuple[str, bytes], openai.AsyncOpenAI] = field(default_factory=OrderedDict)


_by_loop: dict[asyncio.AbstractEventLoop, dict[tuple[AllowRule, ...], _Shared]] = {}


def _shared(rules: tuple[AllowRule, ...]) -> _Shared:
    """The guarded clients of this event loop for these rules (aiohttp sessions are loop-bound).

    Entries of closed loops (``asyncio.run`` in the memory worker's thread, tests) are dropped
    here, so their pools do not pile up.
    """
    for gone in [loop for loop in list(_by_loop) if loop.is_closed()]:  # list(): other threads add loops
        for dropped in _by_loop.pop(gone, {}).values():
            dropped.transport.dispose()
    per_loop = _by_loop.setdefault(asyncio.get_running_loop(), {})
    shared = per_loop.get(rules)
    if shared is None or shared.http.is_closed:
        transport = GuardedAiohttpTransport(rules, max_connections=_MAX_CONNECTIONS)
        draining = DrainOnClose(transport)  # streamed replies give their connection back (see draining)
        http = httpx.AsyncClient(transport=draining, follow_redirects=False, trust_env=False)
        handler = AsyncHTTPHandler(transport=draining, follow_redirects=False)
        shared = per_loop[rules] = _Shared(transport, http, handler)
    return shared


@atexit.register
def _dispose_all() -> None:
    """At exit: close every cached session's connections (aiohttp warns about unclosed ones)."""
    for per_loop in list(_by_loop.values()):
        for shared in list(per_loop.values()):
            shared.transport.dispose()


def check_base_url(base_url: str) -> httpx.URL:
    """Shape-check a base URL before any call (``0177.0.0.1`` and the like are refused).

    Raises:
        GatewayError: kind ``bad_request`` with the plain "Enter a valid web address ..." message.
    """
    try:
        return validate_url(base_url)
    except BadURL as exc:
        raise GatewayError("bad_request", str(exc) or INVALID_URL, None) from None


def unreachable(host: str) -> GatewayError:
    """The one error for refused-by-policy, closed, unresolvable and silent addresses."""
    return GatewayError("unreachable", UNREACHABLE.format(host=host), None)


async def precheck(base_url: str, host: str) -> None:
    """Resolve the base URL's host and check every address against the policy (no connection).

    For LiteLLM paths that cannot take our client (see the module notes).

    Raises:
        GatewayError: ``bad_request`` for a malformed URL, ``unreachable`` when refused.
    """
    url = check_base_url(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        await checked_addresses(url.host, port, model_endpoint_policy().rules)
    except BlockedAddress:
        raise unreachable(host) from None


def key_fingerprint(api_key: str) -> bytes:
    """A 16-byte BLAKE2b digest of ``api_key``: the cache's index (never logged, never stored)."""
    return hashlib.blake2b(api_key.encode(), digest_size=16, person=b"agenthub-sdk").digest()


def _openai_client(api_key: str, base_url: str) -> openai.AsyncOpenAI:
    """The ``AsyncOpenAI`` for this key and base URL on the shared guarded client (cached).

    One client per (event loop, outbound rules, base URL, key fingerprint): building one costs
    ~0.08 ms of CPU per call and LiteLLM only sets ``max_retries`` (always 0 here) on a client
    it is given. Two connections share a client only when both key and URL are identical.
    """
    shared = _shared(model_endpoint_policy().rules)
    index = (base_url, key_fingerprint(api_key))
    client = shared.sdk.get(index)
    if client is not None and client.api_key == api_key:  # digest collision: impossible in practice, still checked
        shared.sdk.move_to_end(index)
        return client
    client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=shared.http, max_retries=0)
    shared.sdk[index] = client
    while len(shared.sdk) > _MAX_SDK_CLIENTS:
        shared.sdk.popitem(last=False)
    return client


def chat_client(provider_id: str, api_key: str, base_url: str | None) -> Any | None:
    """The ``client=`` for ``litellm.acompletion`` to a custom base URL, or None (provider default).

    Must be called inside the event loop that makes the call. ``api_key`` is what LiteLLM would
    send anyway (the OpenAI SDK client carries it itself).
    """
    if not base_url:
        return None
    if provider_id in _OPENAI_SDK_CHAT:
        return _openai_client(api_key, base_url)
    if provider_id in _HANDLER_CHAT:
        return _shared(model_endpoint_policy().rules).handler
    return None


def embedding_client(provider_id: str, api_key: str, base_url: str | None) -> Any | None:
    """The ``client=`` for ``litellm.aembedding`` to a custom base URL, or None (then :func:`precheck`)."""
    if base_url and provider_id in _OPENAI_SDK_EMBED:
        return _openai_client(api_key, base_url)
    return None


def needs_precheck(provider_id: str, base_url: str | None, *, embedding: bool) -> bool:
    """True when a custom base URL's call cannot carry our client (checked before the call instead)."""
    if not base_url:
        return False
    guarded = _OPENAI_SDK_EMBED if embedding else _OPENAI_SDK_CHAT | _HANDLER_CHAT
    return provider_id not in guarded


def probe_client(timeout_s: float) -> httpx.AsyncClient:
    """A guarded client for Test connection's model listing (no redirects, no environment proxies)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(model_endpoint_policy().rules),
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=False,
    )
