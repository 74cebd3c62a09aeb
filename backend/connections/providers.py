"""Catalogue of the LLM providers a workspace can connect, and LiteLLM model naming.

LiteLLM picks the provider from a ``<prefix>/<model>`` name (``anthropic/claude-haiku-4-5``);
an "OpenAI-compatible endpoint" (Ollama, vLLM, llama.cpp, LM Studio, a LiteLLM proxy) is
LiteLLM's ``openai/`` prefix plus ``api_base``. Example models are ones LiteLLM's bundled price
map knows, so their cost can be computed; see
https://docs.litellm.ai/docs/providers for the prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    """One provider a connection can point at.

    Attributes:
        id: Stable identifier stored on connections, e.g. ``"anthropic"``.
        label: Human name for the UI, e.g. ``"Anthropic"``.
        litellm_prefix: LiteLLM provider prefix, e.g. ``"anthropic"`` (``"openai"`` for
            OpenAI-compatible endpoints, which also need ``api_base``).
        needs_api_key: Whether a key is required to save the connection.
        needs_base_url: Whether the user must enter a base URL.
        default_base_url: The provider's public API root (``None`` when the user supplies it);
            used to list models. Completions only pass ``api_base`` when the user set one.
        key_hint: Short UI hint about the key's shape or where to get it.
        example_models: Model ids to suggest, first one used for 1-token probes. May be empty.
    """

    id: str
    label: str
    litellm_prefix: str
    needs_api_key: bool
    needs_base_url: bool
    default_base_url: str | None
    key_hint: str
    example_models: tuple[str, ...]


_CATALOGUE: tuple[Provider, ...] = (
    Provider(
        id="openai",
        label="OpenAI",
        litellm_prefix="openai",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://api.openai.com/v1",
        key_hint="Starts with sk-; create one at platform.openai.com/api-keys",
        example_models=("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o", "gpt-4.1", "o4-mini"),
    ),
    Provider(
        id="anthropic",
        label="Anthropic",
        litellm_prefix="anthropic",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://api.anthropic.com/v1",
        key_hint="Starts with sk-ant-; create one at console.anthropic.com",
        example_models=("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"),
    ),
    Provider(
        id="deepseek",
        label="DeepSeek",
        litellm_prefix="deepseek",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://api.deepseek.com",
        key_hint="Starts with sk-; create one at platform.deepseek.com",
        example_models=("deepseek-chat", "deepseek-reasoner"),
    ),
    Provider(
        id="gemini",
        label="Google Gemini",
        litellm_prefix="gemini",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://generativelanguage.googleapis.com/v1beta",
        key_hint="Starts with AIza; create one at aistudio.google.com/apikey",
        example_models=("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"),
    ),
    Provider(
        id="mistral",
        label="Mistral",
        litellm_prefix="mistral",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://api.mistral.ai/v1",
        key_hint="Create one at console.mistral.ai",
        example_models=("mistral-small-latest", "mistral-large-latest", "codestral-latest"),
    ),
    Provider(
        id="groq",
        label="Groq",
        litellm_prefix="groq",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://api.groq.com/openai/v1",
        key_hint="Starts with gsk_; create one at console.groq.com/keys",
        example_models=("openai/gpt-oss-20b", "openai/gpt-oss-120b", "llama-3.1-8b-instant"),
    ),
    Provider(
        id="openrouter",
        label="OpenRouter",
        litellm_prefix="openrouter",
        needs_api_key=True,
        needs_base_url=False,
        default_base_url="https://openrouter.ai/api/v1",
        key_hint="Starts with sk-or-; create one at openrouter.ai/keys",
        example_models=(
            "openai/gpt-4o-mini",
            "anthropic/claude-haiku-4.5",
            "meta-llama/llama-3.3-70b-instruct",
        ),
    ),
    Provider(
        id="openai_compatible",
        label="OpenAI-compatible endpoint",
        litellm_prefix="openai",
        needs_api_key=False,
        needs_base_url=True,
        default_base_url=None,
        key_hint="Optional: only if your endpoint requires one (Ollama and llama.cpp do not)",
        example_models=(),
    ),
)

PROVIDERS: dict[str, Provider] = {p.id: p for p in _CATALOGUE}
"""All providers by id, in display order."""


def get_provider(provider_id: str) -> Provider:
    """Look up a provider by id.

    Args:
        provider_id: A key of ``PROVIDERS``, e.g. ``"openai"``.

    Returns:
        The ``Provider``.

    Raises:
        ValueError: If the id is unknown (the message lists the known ids).
    """
    try:
        return PROVIDERS[provider_id]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ValueError(f"Unknown provider {provider_id!r}; expected one of: {known}") from None


def litellm_model_name(provider_id: str, model: str) -> str:
    """The model name to pass to LiteLLM for a provider's model id.

    ``("anthropic", "claude-haiku-4-5")`` -> ``"anthropic/claude-haiku-4-5"``. A name that
    already carries the prefix is returned unchanged (``"groq/llama-3.1-8b-instant"``), except
    for OpenAI-compatible endpoints: their ids are whatever the server lists (a vLLM model may
    be called ``"openai/gpt-oss-20b"``), so they are always prefixed and LiteLLM strips exactly
    one ``openai/`` before sending.

    Args:
        provider_id: A key of ``PROVIDERS``.
        model: The provider's model id, e.g. ``"gpt-4o-mini"``.

    Returns:
        ``"<litellm_prefix>/<model>"``.

    Raises:
        ValueError: If the provider is unknown or the model name is empty.
    """
    provider = get_provider(provider_id)
    model = model.strip()
    if not model:
        raise ValueError("A model name is required.")
    prefix = f"{provider.litellm_prefix}/"
    if provider.id != "openai_compatible" and model.startswith(prefix):
        return model
    return prefix + model
