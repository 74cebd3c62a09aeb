"""LLM gateway: the only door to LLM providers (LiteLLM). ``router.stream_chat`` routes a call
(fallbacks, retries, rate limits, budget reservation, usage record); also the model catalog,
admin settings, connection probes and embeddings."""
