"""Start-up warm-up: the work LiteLLM and the OpenAI SDK put off until a process's first call.

Measured on the scale-out profile (``benchmarks/load_chat.py``, py-spy on each app instance),
the first chat reply of a process paid, on top of its own work, about one second of one-off
set-up that every reply in flight waited behind:

- ``AsyncOpenAI.chat`` imports ``openai.resources`` (every resource module, ~0.65 s, on the
  event loop);
- LiteLLM's token counter loads the ``cl100k_base`` encoding (~0.15 s);
- LiteLLM's ``completion`` imports its proxy types and builds its provider-config map
  (~0.15 s, holding the GIL in a worker thread);
- the built-in tool registry imports the tool modules.

:func:`warm_up` does all of it before the app serves anyone, by making one streamed call the
way the gateway does (``litellm.acompletion`` with an ``AsyncOpenAI`` client), answered in
memory by :class:`httpx.MockTransport` (nothing leaves the process), and by counting tokens
once. Every step is best effort: a failure is logged and the app starts anyway (it only means
the first reply pays that step).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import litellm
import openai

from backend.gateway.calls import count_prompt, count_text
from backend.gateway.completion import stream_assembled
from backend.tools.registry import builtin_registry

log = logging.getLogger(__name__)

_MODEL = "gpt-4o-mini"  # a model of LiteLLM's price map: the default (cl100k) tokenizer
_BASE_URL = "http://warm-up.invalid/v1"  # never connected to: the transport answers in memory


def _sse(*events: dict[str, object]) -> bytes:
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return body.encode()


def _answer(request: httpx.Request) -> httpx.Response:
    """A two-chunk streamed reply with a closing usage chunk, as an OpenAI-compatible API sends."""
    base = {"id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": _MODEL}
    body = _sse(
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}},
    )
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body, request=request)


async def _one_streamed_call() -> str:
    """One ``litellm.acompletion(stream=True)`` through the OpenAI SDK path; returns the text."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(_answer))
    client = openai.AsyncOpenAI(api_key="warm-up", base_url=_BASE_URL, http_client=http, max_retries=0)
    parts: list[str] = []
    try:
        response = await litellm.acompletion(
            model=f"openai/{_MODEL}",
            api_base=_BASE_URL,
            api_key="warm-up",
            messages=[{"role": "user", "content": "warm-up"}],
            stream=True,
            stream_options={"include_usage": True},
            client=client,
        )
        async for chunk in response:
            for choice in getattr(chunk, "choices", None) or []:
                parts.append(getattr(choice.delta, "content", None) or "")
            if stream_assembled(response):  # stop where the gateway stops
                break
        await response.aclose()
    finally:
        await http.aclose()
    return "".join(parts)


def _step(name: str, done: list[str], fn) -> None:  # type: ignore[no-untyped-def]
    try:
        fn()
        done.append(name)
    except Exception as exc:  # noqa: BLE001  (best effort: the first call then pays this step)
        log.warning("warm-up step %s failed: %s", name, type(exc).__name__)


def warm_up(timeout_s: float = 60.0) -> list[str]:
    """Do the SDKs' deferred set-up now (see the module notes); call once at process start.

    Safe to call from a thread that runs an event loop (the streamed call runs on its own loop in
    a short-lived thread). Takes ~1-2 s of CPU, once.

    Args:
        timeout_s: Seconds to wait for the streamed call (it answers from memory in milliseconds).

    Returns:
        The names of the steps that completed: ``["tokenizer", "stream", "tools"]`` when all did.
        Never raises.
    """
    started, done = time.perf_counter(), []  # type: ignore[var-annotated]
    messages = [{"role": "user", "content": "warm-up"}]
    _step("tokenizer", done, lambda: (count_prompt(_MODEL, messages), count_text(_MODEL, "warm-up")))

    def stream() -> None:
        with ThreadPoolExecutor(1, thread_name_prefix="warm-up") as pool:
            pool.submit(asyncio.run, _one_streamed_call()).result(timeout_s)

    _step("stream", done, stream)
    _step("tools", done, builtin_registry)
    log.info("warm-up: %s in %.0f ms", ", ".join(done) or "nothing", (time.perf_counter() - started) * 1000)
    return done
