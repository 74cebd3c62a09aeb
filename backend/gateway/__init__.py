"""LLM gateway: the only door to LLM providers (LiteLLM): catalogue, probes, completions."""
