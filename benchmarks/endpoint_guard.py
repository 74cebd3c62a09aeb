"""Cost of the model-endpoint outbound policy on streamed chat: guarded client vs LiteLLM's own.

A local OpenAI-compatible stub (``benchmarks/_llm_stub.py``) answers after a fixed latency. The
same streamed calls run through ``backend.gateway.completion.stream_completion`` twice: with the
guard (a custom base URL gets ``client=AsyncOpenAI(http_client=<guarded httpx>)``, the shipped
path) and with the guard switched off for this run only (LiteLLM builds and caches its own
client, the path before the policy existed). Printed: p50/p95 overhead per call (wall time minus
the stub latency) at 1 and 50 concurrent callers, the difference, and this process's CPU
time per call (steadier than wall time on a loaded machine).

    .venv/bin/python benchmarks/endpoint_guard.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from gateway_overhead import pct, start_stub  # noqa: E402

from backend.gateway import completion, endpoints  # noqa: E402

MESSAGES = [{"role": "user", "content": "Tell me something about foxes and dogs in one sentence."}]


async def one(base_url: str) -> float:
    started = time.perf_counter()
    async for _ in completion.stream_completion(
        provider_id="openai_compatible",
        model="gpt-4o-mini",
        api_key="sk-bench-0123456789",
        base_url=base_url,
        messages=MESSAGES,
        temperature=None,
        max_tokens=64,
    ):
        pass
    return (time.perf_counter() - started) * 1000


async def load(base_url: str, calls: int, concurrency: int) -> list[float]:
    gate = asyncio.Semaphore(concurrency)

    async def run() -> float:
        async with gate:
            return await one(base_url)

    await asyncio.gather(*(run() for _ in range(10)))  # warm-up
    return list(await asyncio.gather(*(run() for _ in range(calls))))


async def main(calls: int, latency_ms: float, rounds: int = 4) -> None:
    proc, base_url = start_stub(latency_ms)
    try:
        for concurrency in (1, 50):
            guarded: list[float] = []
            bare: list[float] = []
            cpu = {"guarded": 0.0, "bare": 0.0}
            for _ in range(rounds):  # interleaved, so a load change on the machine hits both alike
                started = time.process_time()
                guarded += [t - latency_ms for t in await load(base_url, calls // rounds, concurrency)]
                cpu["guarded"] += time.process_time() - started
                original = endpoints.chat_client
                endpoints.chat_client = lambda *a, **k: None  # type: ignore[assignment]  # this benchmark only
                try:
                    started = time.process_time()
                    bare += [t - latency_ms for t in await load(base_url, calls // rounds, concurrency)]
                    cpu["bare"] += time.process_time() - started
                finally:
                    endpoints.chat_client = original  # type: ignore[assignment]
            per_call = {k: v * 1000 / (len(guarded) + 10 * rounds) for k, v in cpu.items()}
            print(
                f"c={concurrency:>3} CPU per call: litellm's own client {per_call['bare']:.2f} ms, "
                f"guarded {per_call['guarded']:.2f} ms"
            )
            for name, values in (("litellm's own client", bare), ("guarded client", guarded)):
                print(f"c={concurrency:>3} {name:<22} p50 {pct(values, 50):6.2f} ms  p95 {pct(values, 95):6.2f} ms")
            print(
                f"c={concurrency:>3} guard adds            p50 {pct(guarded, 50) - pct(bare, 50):+6.2f} ms"
                f"  p95 {pct(guarded, 95) - pct(bare, 95):+6.2f} ms"
            )
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.latency_ms))
