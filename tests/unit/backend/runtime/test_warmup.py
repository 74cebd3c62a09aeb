"""Start-up warm-up (backend/runtime/warmup.py), each case in a fresh interpreter: a process's
first streamed reply must not pay the SDKs' deferred imports and tokenizer loading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

# Streams one reply through the gateway's real path to the local test server, as a process's first
# reply; prints the warm-up's steps and the modules that first reply imported (SDKs and tools).
SCRIPT = """
import asyncio, json, sys
from backend.gateway import completion
from backend.runtime.warmup import warm_up
from tests.support.llm_server import LLMTestServer

steps = warm_up() if sys.argv[1] == "warm" else []
with LLMTestServer(models=("gpt-4o-mini",)) as server:
    before = set(sys.modules)

    async def first_reply() -> str:
        events = [e async for e in completion.stream_completion(
            provider_id="openai_compatible", model="gpt-4o-mini", api_key=server.api_key,
            base_url=server.base_url, messages=[{"role": "user", "content": "Say hello"}],
            temperature=None, max_tokens=None)]
        return "".join(e.text for e in events if isinstance(e, completion.TextDelta))

    reply = asyncio.run(first_reply())
    watched = ("openai", "litellm", "tiktoken", "backend.tools")
    imported = sorted(m for m in set(sys.modules) - before if m.startswith(watched))
print(json.dumps({"steps": steps, "reply": reply, "imported": imported}))
"""


def _first_reply(mode: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_after_the_warm_up_the_first_reply_imports_nothing_more() -> None:
    warm = _first_reply("warm")
    assert warm["steps"] == ["tokenizer", "stream", "tools"]
    assert warm["reply"] == "Hello! I am a test model."
    assert warm["imported"] == []


def test_without_it_the_first_reply_imports_the_sdks_resources() -> None:
    """The cost the warm-up moves to start-up is real: a cold process imports these on its first reply."""
    cold = _first_reply("cold")
    assert cold["reply"] == "Hello! I am a test model."
    imported = cold["imported"]
    assert isinstance(imported, list)
    assert "openai.resources" in imported
    assert any(m.startswith("tiktoken") for m in imported)
