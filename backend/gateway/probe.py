"""Check a provider connection before saving it: does the key work, which models are there.

Listing models is free and proves the key: ``GET {base}/models`` with the provider's auth
header (OpenAI-style ``Authorization: Bearer``; Anthropic ``x-api-key`` + ``anthropic-version``,
https://docs.anthropic.com/en/api/models-list; Gemini ``x-goog-api-key``,
https://ai.google.dev/api/models). OpenRouter's model list is public, so its key is checked
with ``GET {base}/key`` first (https://openrouter.ai/docs/api/api-reference/api-keys).
LiteLLM's own helpers do not fit: ``get_valid_models`` swallows errors (a wrong key looks
like "no models") and ``check_valid_key`` only returns a bool. When listing is unsupported
(404/405, or an Anthropic/Gemini connection with a custom base URL) or lists nothing, the
probe makes a 1-token ``litellm.acompletion`` instead.

Both steps go through the model-endpoint outbound policy (:mod:`backend.gateway.endpoints`):
a base URL on a refused address gets the same answer as a closed port, and no request (so no
key) reaches it. Error bodies are never echoed, only the provider's JSON error message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.connections.providers import Provider, get_provider
from backend.connections.service import record_check, resolve_credentials
from backend.gateway import endpoints
from backend.gateway.completion import complete
from backend.gateway.llm import (
    GatewayError,
    error_field,
    error_for_status,
    host_of,
    scrub,
    status_phrase,
    to_gateway_error,
)
from backend.models.connection import ConnectionPublic

# How each provider lists models; None = no listing (use a 1-token completion).
_LIST_STYLE: dict[str, str] = {
    "openai": "openai",
    "deepseek": "openai",
    "mistral": "openai",
    "groq": "openai",
    "openrouter": "openai",
    "openai_compatible": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
}
_KEY_CHECK_PATH: dict[str, str] = {"openrouter": "/key"}
_NOT_CHAT = ("embed", "whisper", "tts", "dall-e", "moderation", "transcribe", "rerank")


@dataclass
class ProbeResult:
    """Outcome of ``test_connection``.

    Attributes:
        ok: True if the provider accepted the key (or needs none) and answered.
        models: Chat model ids found (sorted), or the one model a 1-token call succeeded with.
        message: One plain sentence for the UI; never contains the API key.
        latency_ms: Wall time of the whole probe, in ms.
    """

    ok: bool
    models: list[str] = field(default_factory=list)
    message: str = ""
    latency_ms: int = 0


class _Unlisted(Exception):
    """Listing models is not supported here; fall back to a completion."""


def _headers(style: str, api_key: str | None) -> dict[str, str]:
    if not api_key:
        return {}
    if style == "anthropic":
        return {"x-api-key": api_key, "anthropic-version": "2023-06-01"}
    if style == "gemini":
        return {"x-goog-api-key": api_key}
    return {"Authorization": f"Bearer {api_key}"}


def _error_text(response: httpx.Response) -> str:
    """The provider's JSON error message, else ``HTTP <status> <phrase>`` (never the raw body)."""
    return error_field(response.content) or status_phrase(response.status_code)


def _model_ids(style: str, body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    if style == "gemini":
        rows = [m for m in body.get("models") or [] if isinstance(m, dict)]
        rows = [m for m in rows if "generateContent" in (m.get("supportedGenerationMethods") or ["generateContent"])]
        ids = [str(m.get("name", "")).removeprefix("models/") for m in rows]
    else:
        ids = [str(m.get("id", "")) for m in body.get("data") or [] if isinstance(m, dict)]
    return sorted({i for i in ids if i and not any(word in i.lower() for word in _NOT_CHAT)})


async def _list_models(provider: Provider, api_key: str | None, base: str, timeout_s: float) -> list[str]:
    """``GET`` the provider's model list. Raises ``GatewayError`` or ``_Unlisted``."""
    style = _LIST_STYLE[provider.id]
    headers = _headers(style, api_key)
    params = {"pageSize": "1000"} if style == "gemini" else {"limit": "1000"} if style == "anthropic" else None
    # No redirects: custom auth headers (x-api-key, x-goog-api-key) would follow to any host.
    async with endpoints.probe_client(timeout_s) as client:
        for path in (_KEY_CHECK_PATH.get(provider.id), "/models"):
            if path is None:
                continue
            response = await client.get(base.rstrip("/") + path, headers=headers, params=params)
            if response.status_code in (404, 405, 501) or response.is_redirect:
                raise _Unlisted
            if response.status_code >= 400:
                retry_after = response.headers.get("retry-after")
                wait = float(retry_after) if retry_after and retry_after.isdigit() else None
                raise error_for_status(response.status_code, _error_text(response), secret=api_key, retry_after_s=wait)
        try:
            return _model_ids(style, response.json())
        except ValueError:
            raise _Unlisted from None


async def test_connection(
    *,
    provider_id: str,
    api_key: str | None,
    base_url: str | None,
    timeout_s: float = 10.0,
    model: str | None = None,
) -> ProbeResult:
    """Check that a provider answers and accepts the key; list its chat models.

    Args:
        provider_id: A key of ``providers.PROVIDERS``.
        api_key: The key to check (plaintext, in memory only), or None.
        base_url: API root overriding the provider default; required for
            ``openai_compatible``, e.g. ``"http://localhost:11434/v1"``.
        timeout_s: Seconds to wait for each HTTP step (connect, each read).
        model: Model for the 1-token fallback call (used only when the model list is
            unavailable or empty); default: the provider's first example model.

    Returns:
        ``ProbeResult``. Failures are returned (``ok=False``) with plain messages, e.g.
        "The provider rejected the API key (401 Unauthorized): ...", "Could not reach
        host:port: the address is not allowed or not answering.", "The provider did not answer
        within 10 s.", "Enter a valid web address ..." (a malformed base URL).

    Raises:
        ValueError: If ``provider_id`` is unknown.
    """
    provider = get_provider(provider_id)
    started = time.perf_counter()

    def result(ok: bool, models: list[str], message: str) -> ProbeResult:
        elapsed = int((time.perf_counter() - started) * 1000)
        return ProbeResult(ok, models, scrub(message, api_key), elapsed)

    if provider.needs_base_url and not base_url:
        return result(False, [], f"{provider.label} needs a base URL, e.g. http://localhost:11434/v1.")
    if provider.needs_api_key and not api_key:
        return result(False, [], f"Enter your {provider.label} API key.")
    if base_url:
        try:
            endpoints.check_base_url(base_url)
        except GatewayError as exc:
            return result(False, [], exc.message)
    base = base_url or provider.default_base_url or ""
    host = host_of(base, provider.id)
    listed: list[str] = []
    custom_base_for_native = bool(base_url) and _LIST_STYLE[provider.id] != "openai"
    if base and not custom_base_for_native:
        try:
            listed = await _list_models(provider, api_key, base, timeout_s)
        except _Unlisted:
            listed = []
        except GatewayError as exc:
            return result(False, [], exc.message)
        except Exception as exc:
            return result(False, [], to_gateway_error(exc, host=host, timeout_s=timeout_s, secret=api_key).message)
        if listed:
            noun = "model" if len(listed) == 1 else "models"
            return result(True, listed, f"Connected to {provider.label}: {len(listed)} {noun} available.")
    probe_model = model or (provider.example_models[0] if provider.example_models else None)
    if probe_model is None:
        return result(
            False,
            [],
            f"{host} answered but lists no models at {base.rstrip('/')}/models; "
            "check the base URL (it usually ends in /v1) or name a model to test.",
        )
    try:
        await complete(
            provider_id=provider.id,
            model=probe_model,
            api_key=api_key,
            base_url=base_url,
            messages=[{"role": "user", "content": "Say OK."}],
            max_tokens=1,
            timeout_s=timeout_s,
        )
    except GatewayError as exc:
        return result(False, [], exc.message)
    return result(True, [probe_model], f"Connected to {provider.label}: a 1-token test call to {probe_model} worked.")


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


async def check_connection(*, actor: Actor, connection_id: str, session: Session) -> ConnectionPublic:
    """Ask the provider of a stored connection (model list or a 1-token completion); store the outcome.

    Returns:
        The updated connection; ``status`` is ``ok`` or ``error`` with the provider's message.

    Raises:
        NotFound, PermissionDenied; ``VaultError`` if the stored key cannot be decrypted.
    """
    creds = resolve_credentials(actor=actor, connection_id=connection_id, session=session)
    result = await test_connection(provider_id=creds.provider, api_key=creds.api_key, base_url=creds.base_url)
    return record_check(
        actor=actor,
        connection_id=connection_id,
        ok=result.ok,
        message=result.message,
        models=result.models,
        session=session,
    )
