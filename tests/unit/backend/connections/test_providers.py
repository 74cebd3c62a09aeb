"""Provider catalogue and LiteLLM model naming."""

from __future__ import annotations

import dataclasses

import pytest

from backend.connections.providers import PROVIDERS, Provider, get_provider, litellm_model_name


def test_catalogue_has_the_supported_providers() -> None:
    assert set(PROVIDERS) == {
        "openai",
        "anthropic",
        "deepseek",
        "gemini",
        "mistral",
        "groq",
        "openrouter",
        "openai_compatible",
    }
    for pid, provider in PROVIDERS.items():
        assert provider.id == pid
        assert provider.label and provider.key_hint and provider.litellm_prefix


def test_provider_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROVIDERS["openai"].label = "x"  # type: ignore[misc]


def test_openai_compatible_needs_base_url_not_key() -> None:
    p = get_provider("openai_compatible")
    assert isinstance(p, Provider)
    assert p.label == "OpenAI-compatible endpoint"
    assert (p.needs_base_url, p.needs_api_key, p.litellm_prefix, p.default_base_url) == (
        True,
        False,
        "openai",
        None,
    )


def test_hosted_providers_need_key_and_have_default_base_and_examples() -> None:
    for pid in ("openai", "anthropic", "deepseek", "gemini", "mistral", "groq", "openrouter"):
        p = get_provider(pid)
        assert p.needs_api_key and not p.needs_base_url
        assert p.default_base_url and p.default_base_url.startswith("https://")
        assert p.example_models


def test_get_provider_unknown_raises_value_error() -> None:
    with pytest.raises(ValueError, match="Unknown provider 'nope'.*openai"):
        get_provider("nope")


@pytest.mark.parametrize(
    ("provider_id", "model", "expected"),
    [
        ("anthropic", "claude-3-5-haiku-latest", "anthropic/claude-3-5-haiku-latest"),
        ("anthropic", "anthropic/claude-haiku-4-5", "anthropic/claude-haiku-4-5"),
        ("openai", "gpt-4o-mini", "openai/gpt-4o-mini"),
        ("openai", "openai/gpt-4o-mini", "openai/gpt-4o-mini"),
        ("gemini", "gemini-2.5-flash", "gemini/gemini-2.5-flash"),
        ("groq", "openai/gpt-oss-20b", "groq/openai/gpt-oss-20b"),
        ("groq", "groq/llama-3.1-8b-instant", "groq/llama-3.1-8b-instant"),
        ("openrouter", "openai/gpt-4o-mini", "openrouter/openai/gpt-4o-mini"),
        ("deepseek", " deepseek-chat ", "deepseek/deepseek-chat"),
        ("mistral", "mistral-small-latest", "mistral/mistral-small-latest"),
        ("openai_compatible", "llama3.1:8b", "openai/llama3.1:8b"),
        # custom endpoints: ids are exactly what the server lists, so always prefixed
        ("openai_compatible", "openai/gpt-oss-20b", "openai/openai/gpt-oss-20b"),
    ],
)
def test_litellm_model_name(provider_id: str, model: str, expected: str) -> None:
    assert litellm_model_name(provider_id, model) == expected


def test_litellm_model_name_rejects_empty_and_unknown() -> None:
    with pytest.raises(ValueError):
        litellm_model_name("openai", "  ")
    with pytest.raises(ValueError):
        litellm_model_name("nope", "x")


def test_example_models_of_priced_providers_are_in_litellm_price_map() -> None:
    from backend.gateway.completion import price_per_million

    for pid in ("openai", "anthropic", "deepseek", "gemini", "mistral"):
        first = get_provider(pid).example_models[0]
        assert price_per_million(litellm_model_name(pid, first)) is not None, (pid, first)
