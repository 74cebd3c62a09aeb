"""Load harness: N simulated users chatting over the app's real websocket protocol (issue 17).

Starts a profile (``tests/support/scaleout.py``): ``--profile scaleout`` is ``deploy/Procfile``
(``--webs`` app instances behind a load balancer, ``--workers`` workers, PostgreSQL, a private
Redis); ``--profile embedded`` is the embedded default's shape (one instance, SQLite, state in
memory). The model is ``benchmarks/_llm_stub.py`` with a fixed latency (50 ms).

Each user is a Socket.IO client (python-socketio, the protocol the browser's Reflex client
speaks): it connects to ``/_event`` with its session cookie, hydrates the chat page
(``hydrate_and_load``), then sends ``--messages`` messages with ``ChatState.send`` one after the
other (``--think-ms``: with a pause before each, as people read and type), measuring time to
first token (the first delta carrying reply text) and time to the end
of the reply (``streaming`` false). Users are created and signed in beforehand through the
account service (argon2 runs in this process, not in the app), so the figures are the chat's.

Prints: users held, messages/s, TTFT and reply latency p50/p95/p99, errors, CPU per message of
the app's processes (all of them: instances, workers, Redis excluded), and the load average.

    .venv/bin/python benchmarks/load_chat.py --users 50 --messages 3 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_load
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHAT = "reflex___state____state.dashboard___chat___state____chat_state"
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(sessions: set[int]) -> float:
    """User + system CPU seconds of every live process in the given sessions (``/proc``)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sessions:  # field 6 (session id), counted after "pid (comm)"
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _user(url: str, cookie: str, agent_id: str, messages: int, think_ms: int, out: dict[str, list]) -> None:
    """One simulated browser tab: connect, hydrate the chat page, send ``messages`` messages."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    router = {"pathname": "/chat/", "asPath": f"/chat/?agent={agent_id}", "query": {"agent": agent_id}}
    hydrated = asyncio.Event()
    state: dict[str, object] = {"t0": 0.0, "first": False, "done": asyncio.Event(), "conv": ""}

    @sio.on("event", namespace="/_event")
    async def on_event(update: dict) -> None:  # type: ignore[type-arg]
        delta = update.get("delta", {})
        if delta.get("reflex___state____state", {}).get("is_hydrated_rx_state_") is True:
            hydrated.set()
        chat = delta.get(CHAT, {})
        if chat.get("conversation_id_rx_state_"):
            state["conv"] = chat["conversation_id_rx_state_"]
        now = time.perf_counter()
        if state["t0"] and not state["first"] and chat.get("stream_text_rx_state_"):
            state["first"] = True
            out["ttft"].append((now - float(state["t0"])) * 1000)
        if state["t0"] and chat.get("streaming_rx_state_") is False:
            out["reply"].append((now - float(state["t0"])) * 1000)
            if not state["first"]:
                out["errors"].append("reply ended without streamed text")
            state["done"].set()  # type: ignore[union-attr]

    try:
        await sio.connect(
            f"{url}?token={uuid.uuid4()}",
            namespaces=["/_event"],
            socketio_path="/_event",
            transports=["websocket"],
            headers={"Cookie": f"agenthub_session={cookie}", "Origin": url},
            wait_timeout=30,
        )
        event = {"name": "reflex___state____state.hydrate_and_load", "payload": {}, "router_data": router}
        await sio.emit("event", event, namespace="/_event")
        await asyncio.wait_for(hydrated.wait(), 60)
        out["held"].append(1)
        for i in range(messages):
            if think_ms:  # reading the last reply and typing: spread over 0.5x..1.5x think_ms
                await asyncio.sleep(think_ms / 1000 * (0.5 + random.random()))  # noqa: S311
            state.update(t0=time.perf_counter(), first=False, done=asyncio.Event())
            form = {"__reflex_form_data__": [["conversation", state["conv"]], ["message", f"Message {i}"]]}
            await sio.emit("event", {"name": f"{CHAT}.send", "payload": {"form": form}, "router_data": router},
                           namespace="/_event")  # fmt: skip
            await asyncio.wait_for(state["done"].wait(), 120)  # type: ignore[union-attr]
            out["sent"].append(1)
    except Exception as exc:  # noqa: BLE001  (counted and printed)
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        await sio.disconnect()


def _seed(users: int, stub_url: str) -> list[tuple[str, str]]:
    """Create ``users`` accounts, each with a connection to the stub and an agent; returns
    ``[(session token, agent id)]``."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent
    from backend.config import get_settings
    from backend.connections.service import create_connection
    from backend.db import migrate, session_scope
    from backend.models import BlueprintFields

    get_settings.cache_clear()
    migrate()
    seeded = []
    for i in range(users):
        with session_scope() as s:
            user, token = sign_up(email=f"load-{uuid.uuid4().hex[:8]}-{i}@example.com", password="load-test-pass-42",
                                  session=s)  # fmt: skip
            actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
            conn = create_connection(actor=actor, name="Stub", provider="openai_compatible", api_key="sk-load",
                                     base_url=stub_url, session=s)  # fmt: skip
            fields = BlueprintFields(name="Load", connection_id=conn.id, model="gpt-4o-mini", instructions="Be brief.")
            agent_id = create_agent(actor=actor, fields=fields, session=s)
        seeded.append((token, agent_id))
    return seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("scaleout", "embedded"), default="scaleout")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, help="messages per user, one after the other")
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--think-ms", type=int, default=0, help="mean pause before each message (0: none)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL database (WIPED) for --profile scaleout")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="load-chat-"))
    from backend.security.vault import KeyRing

    if args.profile == "scaleout":
        if not args.database_url.startswith("postgres"):
            parser.error("--profile scaleout needs --database-url postgresql://... (it is wiped)")
        from tests.conftest import _reset_postgres

        _reset_postgres(args.database_url)
        database_url = args.database_url
    else:
        database_url = f"sqlite:///{work / 'data' / 'agenthub.db'}"
        args.webs, args.workers = 1, 0
    stub = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "_llm_stub.py"), "--port", "0",
                             "--latency-ms", str(args.latency_ms)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert stub.stdout is not None
    stub_url = "http://" + stub.stdout.readline().split()[-1] + "/v1"
    keys = KeyRing.generate_key_string("load1")
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "AGENTHUB_MASTER_KEYS": keys,
            "AGENTHUB_DATA_DIR": str(work / "data"),
            "AGENTHUB_LANCEDB_URI": str(work / "lancedb"),
        }
    )
    extra = {"AGENTHUB_MASTER_KEYS": keys, "AGENTHUB_MODEL_ENDPOINT_ALLOW": stub_url.split("/")[2]}
    from tests.support.scaleout import start_profile

    print(f"starting the {args.profile} profile ({args.webs} app instance(s), {args.workers} worker(s))...", flush=True)
    profile = start_profile(work, database_url, extra_env=extra, webs=args.webs, workers=args.workers,
                            redis=args.profile == "scaleout")  # fmt: skip
    try:
        seeded = _seed(args.users, stub_url)
        sessions = {p.popen.pid for p in [*profile.webs, *profile.workers]}
        out: dict[str, list] = {"ttft": [], "reply": [], "errors": [], "held": [], "sent": []}  # type: ignore[type-arg]
        load_before = os.getloadavg()
        cpu0, t0 = _cpu_seconds(sessions), time.perf_counter()

        async def run_all() -> None:
            users = [_user(profile.url, tok, agent, args.messages, args.think_ms, out) for tok, agent in seeded]
            await asyncio.gather(*users)

        asyncio.run(run_all())
        wall, cpu = time.perf_counter() - t0, _cpu_seconds(sessions) - cpu0
        sent = len(out["sent"])
        print(
            f"profile {args.profile}: {args.webs} app instance(s), {args.workers} worker(s), stub {args.latency_ms} ms"
        )
        print(
            f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (1-min); {os.cpu_count()} CPUs"
        )
        print(f"users held {len(out['held'])}/{args.users}; messages {sent} in {wall:.1f} s = {sent / wall:.1f}/s")
        for name in ("ttft", "reply"):
            v = out[name]
            print(f"{name:5} ms: p50 {_pct(v, 0.5):.0f}  p95 {_pct(v, 0.95):.0f}  p99 {_pct(v, 0.99):.0f}  "
                  f"mean {statistics.fmean(v) if v else float('nan'):.0f}  (n={len(v)})")  # fmt: skip
        print(f"errors {len(out['errors'])}" + (f": {sorted(set(out['errors']))[:5]}" if out["errors"] else ""))
        print(f"app CPU {cpu:.1f} s = {cpu / max(sent, 1) * 1000:.1f} ms per message (all app processes)")
    finally:
        profile.stop()
        stub.terminate()


if __name__ == "__main__":
    main()
