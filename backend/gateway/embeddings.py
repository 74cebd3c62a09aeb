"""Text embeddings through LiteLLM (``litellm.aembedding``) for a connection's credentials.

Used by knowledge and memory retrieval (``backend.memory``). Same rules as chat completions:
no retries here, the user's key only (never this server's environment keys), errors raised as
``GatewayError`` with plain messages that never contain the key. Vectors are returned
L2-normalised so cosine similarity is a dot product. ``encoding_format="float"`` is sent
explicitly: the OpenAI SDK otherwise asks for base64, which many local servers do not speak.
A custom base URL is called through the model-endpoint outbound policy
(:mod:`backend.gateway.endpoints`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from backend.connections.providers import get_provider, litellm_model_name
from backend.gateway import endpoints
from backend.gateway.completion import NO_KEY
from backend.gateway.llm import GatewayError, host_of, litellm, to_gateway_error

MAX_BATCH = 64
MAX_INPUT_CHARS = 8000


@dataclass(frozen=True)
class EmbeddingResult:
    """Vectors for the inputs, in input order.

    Attributes:
        vectors: One L2-normalised ``list[float]`` of length ``dimension`` per input text.
        dimension: Vector length, e.g. 1536.
        prompt_tokens: Input tokens reported by the provider (0 if it reported none).
        cost_usd: Cost in USD from LiteLLM's price map; 0.0 when unknown.
        latency_ms: Wall time of all calls, ms.
    """

    vectors: list[list[float]]
    dimension: int
    prompt_tokens: int
    cost_usd: float
    latency_ms: int


def _normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [float(v) / norm for v in vector]


def _vector_of(item: Any) -> list[float]:
    raw = item.get("embedding") if isinstance(item, dict) else getattr(item, "embedding", None)
    if not isinstance(raw, list) or not raw:
        raise GatewayError("provider", "The provider returned no embedding vector.", None)
    return [float(v) for v in raw]


async def embed_texts(
    *,
    provider_id: str,
    model: str,
    api_key: str | None,
    base_url: str | None,
    texts: Sequence[str],
    timeout_s: float = 60.0,
    batch_size: int = MAX_BATCH,
) -> EmbeddingResult:
    """Embed texts with a provider's embedding model, in batches.

    Args:
        provider_id: A key of ``providers.PROVIDERS``, e.g. ``"openai"``.
        model: The provider's embedding model id, e.g. ``"text-embedding-3-small"``.
        api_key: The decrypted key (memory only), or None where the provider needs none.
        base_url: API root overriding the provider default, e.g. ``"http://localhost:11434/v1"``.
        texts: Inputs; each is cut to 8,000 characters, empty ones become a single space.
        timeout_s: Seconds per call (connect and read).
        batch_size: Inputs per provider call (1-64).

    Returns:
        ``EmbeddingResult`` (vectors in input order, all of one dimension).

    Raises:
        GatewayError: ``auth``, ``rate_limit``, ``timeout``, ``unreachable``, ``bad_request``
            (also: the model returned vectors of differing lengths) or ``provider``.
        ValueError: unknown provider or empty model name.
    """
    provider = get_provider(provider_id)
    if provider.needs_base_url and not base_url:
        raise GatewayError("bad_request", f"{provider.label} needs a base URL.", None)
    if not api_key and provider.needs_api_key:
        raise GatewayError("auth", f"No API key is set for {provider.label}.", None)
    if base_url:
        endpoints.check_base_url(base_url)
    name = litellm_model_name(provider_id, model)
    host = host_of(base_url, host_of(provider.default_base_url, provider_id))
    api_base = base_url.rstrip("/") if base_url else None
    inputs = [(t[:MAX_INPUT_CHARS] or " ") for t in texts]
    batch_size = max(1, min(batch_size, MAX_BATCH))
    vectors: list[list[float]] = []
    tokens = 0
    cost = 0.0
    started = time.perf_counter()
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        kwargs: dict[str, Any] = {
            "model": name,
            "input": batch,
            "api_key": api_key or NO_KEY,
            "timeout": timeout_s,
            "num_retries": 0,
            "max_retries": 0,
            "encoding_format": "float",
        }
        try:
            if api_base:
                kwargs["api_base"] = api_base
                if endpoints.needs_precheck(provider_id, api_base, embedding=True):
                    await endpoints.precheck(api_base, host)
                client = endpoints.embedding_client(provider_id, kwargs["api_key"], api_base)
                if client is not None:
                    kwargs["client"] = client
            response = await litellm.aembedding(**kwargs)
        except Exception as exc:
            raise to_gateway_error(exc, host=host, timeout_s=timeout_s, secret=api_key) from None
        data = list(getattr(response, "data", None) or [])
        if len(data) != len(batch):
            raise GatewayError("provider", f"The provider returned {len(data)} vectors for {len(batch)} texts.", None)
        vectors.extend(_normalise(_vector_of(item)) for item in data)
        usage = getattr(response, "usage", None)
        tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        cost += float((getattr(response, "_hidden_params", None) or {}).get("response_cost") or 0.0)
    dimension = len(vectors[0]) if vectors else 0
    if any(len(v) != dimension for v in vectors):
        raise GatewayError("bad_request", "The embedding model returned vectors of different lengths.", None)
    return EmbeddingResult(vectors, dimension, tokens, cost, int((time.perf_counter() - started) * 1000))
