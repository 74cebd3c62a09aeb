"""Embeddings through LiteLLM's real HTTP path against the local OpenAI-compatible server."""

from __future__ import annotations

import math

import pytest

from backend.gateway.embeddings import embed_texts
from backend.gateway.llm import GatewayError


async def test_vectors_in_order_normalised_and_batched(llm_server) -> None:  # type: ignore[no-untyped-def]
    texts = [f"text number {i}" for i in range(5)]
    result = await embed_texts(
        provider_id="openai_compatible",
        model="test-embed",
        api_key=llm_server.api_key,
        base_url=llm_server.base_url,
        texts=texts,
        batch_size=2,
    )
    assert result.dimension == 64 and len(result.vectors) == 5
    assert all(abs(math.sqrt(sum(v * v for v in vec)) - 1) < 1e-6 for vec in result.vectors)
    assert len(llm_server.embedding_requests) == 3  # 2 + 2 + 1
    assert llm_server.embedding_requests[0].json["encoding_format"] == "float"
    assert result.prompt_tokens == 15 and result.cost_usd == 0.0
    again = await embed_texts(
        provider_id="openai_compatible",
        model="test-embed",
        api_key=llm_server.api_key,
        base_url=llm_server.base_url,
        texts=["text number 3"],
    )
    assert again.vectors[0] == pytest.approx(result.vectors[3])


async def test_errors_are_plain_and_keyless(llm_server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GatewayError) as wrong_key:
        await embed_texts(
            provider_id="openai_compatible",
            model="test-embed",
            api_key="sk-wrong-123456789",
            base_url=llm_server.base_url,
            texts=["x"],
        )
    assert wrong_key.value.kind == "auth" and "sk-wrong" not in wrong_key.value.message
    with pytest.raises(GatewayError) as wrong_model:
        await embed_texts(
            provider_id="openai_compatible",
            model="no-such-embed",
            api_key=llm_server.api_key,
            base_url=llm_server.base_url,
            texts=["x"],
        )
    assert wrong_model.value.kind == "bad_request"
    with pytest.raises(GatewayError) as no_key:
        await embed_texts(
            provider_id="openai", model="text-embedding-3-small", api_key=None, base_url=None, texts=["x"]
        )
    assert no_key.value.kind == "auth"
