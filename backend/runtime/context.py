"""Building the model's context: instructions plus a token-budgeted window of recent turns."""

from __future__ import annotations

from backend.models import BlueprintVersion

# A rough, provider-independent estimate: ~4 characters per token (OpenAI's rule of thumb).
CHARS_PER_TOKEN = 4
DEFAULT_HISTORY_TOKENS = 6000


def estimate_tokens(text: str) -> int:
    """Estimated token count of ``text`` (ceil(characters / 4)), at least 1 for non-empty text."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def build_messages(
    blueprint: BlueprintVersion,
    history: list[tuple[str, str]],
    *,
    history_tokens: int = DEFAULT_HISTORY_TOKENS,
) -> list[dict[str, str]]:
    """Assemble chat messages for the model.

    Args:
        blueprint: the pinned blueprint version (its instructions become the system message).
        history: ``(role, content)`` pairs oldest first, ending with the new user message.
        history_tokens: budget for past turns; the oldest turns are dropped first, the newest
            user message is always kept.

    Returns:
        OpenAI-style ``[{"role": ..., "content": ...}]``.
    """
    kept: list[dict[str, str]] = []
    budget = history_tokens
    for index, (role, content) in enumerate(reversed(history)):
        cost = estimate_tokens(content)
        if index > 0 and cost > budget:
            break
        kept.append({"role": role, "content": content})
        budget -= cost
    kept.reverse()
    while kept and kept[0]["role"] == "assistant":
        kept.pop(0)
    system = [{"role": "system", "content": blueprint.instructions}] if blueprint.instructions.strip() else []
    return system + kept
