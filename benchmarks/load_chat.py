"""Load harness: N simulated users chatting over the app's real websocket protocol (issue 17).

Starts a profile (``tests/support/scaleout.py``): ``--profile scaleout`` is ``deploy/Procfile``
(``--webs`` app instances behind a load balancer, ``--workers`` workers, PostgreSQL, a private
Redis); ``--profile embedded`` is the embedded default's shape (one instance, SQLite, state in
memory). The model is ``benchmarks/_llm_stub.py`` with a fixed latency (50 ms). Both profiles sit
behind the tests' load balancer (a TCP proxy in this process); the app reaches PostgreSQL
directly, as deployed (``--db-proxy``: through the fault tests' cuttable proxy instead).

Each user is a Socket.IO client (python-socketio, the protocol the browser's Reflex client
speaks). It signs in as the browser does: connects to ``/_event`` without a cookie, hydrates
``/signin``, sends the sign-in form (``AuthFormState.submit_sign_in``: the password is checked
in the app), receives the single-use login ticket in a state delta and posts it to
``/api/auth/session``, which sets the session cookie. Then, like the page the browser opens
next, it connects again with that cookie, hydrates the chat page (``hydrate_and_load``) and
sends ``--messages`` messages with ``ChatState.send`` one after the other (``--think-ms``: with
a pause before each, as people read and type), measuring time to first token (the first delta
carrying reply text) and time to the end of the reply (``streaming`` false). Accounts and their
agents are created beforehand through the services (sign-up is not measured); every user signs
in, then all start chatting together.

Prints: users held, sign-in latency, the chat page's opening time (connect, hydrate, ``load``),
messages/s, TTFT (also by the message's place in its conversation) and reply latency
p50/p95/p99, errors, CPU of the app's processes (all of them: instances, workers, Redis
excluded) for the sign-ins and per chat message (also net of the app's idle background CPU,
measured for a few seconds before the sign-ins; split into app instances and workers, beside the
harness's own CPU), the share of
the machine's CPU time the hypervisor took (steal), the share of wall time the app's CPU was busy,
and the load average.

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ROOT_STATE = "reflex___state____state"
CHAT = f"{ROOT_STATE}.dashboard___chat___state____chat_state"  # set from the app's classes in main()
AUTH = f"{ROOT_STATE}.dashboard___auth___pages____auth_form_state"
PASSWORD = "load-test-pass-42"  # noqa: S105  (the simulated users' password)
TICKS = os.sysconf("SC_CLK_TCK")
IDLE_S = 5.0  # seconds of the app's idle CPU measured before the sign-ins


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


def _steal_share() -> tuple[int, int]:
    """``(steal, total)`` CPU ticks of the machine since boot (``/proc/stat``): time the
    hypervisor gave this virtual machine's CPUs to others."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return fields[7], sum(fields)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _form(**fields: str) -> dict[str, object]:
    """A form submission's payload as the browser's Reflex client sends it."""
    return {"form": {"__reflex_form_data__": [[k, v] for k, v in fields.items()]}}


async def _connect(url: str, router: Mapping[str, object], cookie: str, on_delta) -> Any:  # type: ignore[no-untyped-def]
    """A Socket.IO connection to ``/_event`` (as one page load of the browser), hydrated."""
    import socketio

    sio = socketio.AsyncClient(reconnection=False)
    hydrated = asyncio.Event()

    @sio.on("event", namespace="/_event")
    async def on_event(update: dict) -> None:  # type: ignore[type-arg]
        delta = update.get("delta", {})
        if delta.get(ROOT_STATE, {}).get("is_hydrated_rx_state_") is True:
            hydrated.set()
        on_delta(delta)

    headers = {"Origin": url, **({"Cookie": f"agenthub_session={cookie}"} if cookie else {})}
    await sio.connect(f"{url}?token={uuid.uuid4()}", namespaces=["/_event"], socketio_path="/_event",
                      transports=["websocket"], headers=headers, wait_timeout=30)  # fmt: skip
    event = {"name": f"{ROOT_STATE}.hydrate_and_load", "payload": {}, "router_data": router}
    await sio.emit("event", event, namespace="/_event")
    await asyncio.wait_for(hydrated.wait(), 60)
    return sio


async def _sign_in(url: str, email: str) -> str:
    """Sign in over the websocket as the sign-in page does; returns the session cookie's value.

    Raises:
        RuntimeError: no ticket came back, or ``/api/auth/session`` set no cookie.
    """
    import httpx

    router = {"pathname": "/signin/", "asPath": "/signin/", "query": {}}
    ticket: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_delta(delta: dict) -> None:  # type: ignore[type-arg]
        auth = delta.get(AUTH, {})
        error = auth.get("form_error_rx_state_") or auth.get("password_error_rx_state_")
        if not ticket.done() and (auth.get("ticket_rx_state_") or error):
            ticket.set_result(auth.get("ticket_rx_state_") or f"error: {error}")

    sio = await _connect(url, router, "", on_delta)
    try:
        event = {"name": f"{AUTH}.submit_sign_in", "payload": _form(email=email, password=PASSWORD),
                 "router_data": router}  # fmt: skip
        await sio.emit("event", event, namespace="/_event")
        got = await asyncio.wait_for(ticket, 60)
    finally:
        await sio.disconnect()
    if got.startswith("error: "):
        raise RuntimeError(f"sign-in refused: {got[7:]}")
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:  # the page's hidden form post
        response = await http.post("/api/auth/session", data={"ticket": got, "next": "/chat"}, headers={"Origin": url})
    cookie = response.cookies.get("agenthub_session")
    if response.status_code != 303 or not cookie:
        raise RuntimeError(f"/api/auth/session answered {response.status_code} without a session cookie")
    return cookie


async def _user(  # noqa: PLR0913  (one simulated user's whole script)
    url: str, email: str, agent_id: str, args: argparse.Namespace, out: dict[str, list], signed_in: asyncio.Barrier
) -> None:
    """One simulated browser tab: sign in, wait for everyone, open the chat page, send messages."""
    router = {"pathname": "/chat/", "asPath": f"/chat/?agent={agent_id}", "query": {"agent": agent_id}}
    state: dict[str, Any] = {"t0": 0.0, "first": False, "done": asyncio.Event(), "conv": "", "i": 0}

    def on_delta(delta: dict) -> None:  # type: ignore[type-arg]
        chat = delta.get(CHAT, {})
        if chat.get("conversation_id_rx_state_"):
            state["conv"] = chat["conversation_id_rx_state_"]
        now = time.perf_counter()
        if state["t0"] and not state["first"] and chat.get("stream_text_rx_state_"):
            state["first"] = True
            out["ttft"].append((now - float(state["t0"])) * 1000)
            out.setdefault(f"ttft{state['i']}", []).append(out["ttft"][-1])
        if state["t0"] and chat.get("streaming_rx_state_") is False:
            out["reply"].append((now - float(state["t0"])) * 1000)
            if not state["first"]:
                out["errors"].append("reply ended without streamed text")
            state["done"].set()

    sio = None
    try:
        began = time.perf_counter()
        try:
            cookie = await _sign_in(url, email)
            out["signin"].append((time.perf_counter() - began) * 1000)
        finally:
            await signed_in.wait()  # the chat phase (and its CPU count) starts with every user in
        opened = time.perf_counter()
        sio = await _connect(url, router, cookie, on_delta)
        out["open"].append((time.perf_counter() - opened) * 1000)
        out["held"].append(1)
        for i in range(args.messages):
            if args.think_ms:  # reading the last reply and typing: spread over 0.5x..1.5x think_ms
                await asyncio.sleep(args.think_ms / 1000 * (0.5 + random.random()))  # noqa: S311
            state.update(t0=time.perf_counter(), first=False, done=asyncio.Event(), i=i)
            event = {"name": f"{CHAT}.send", "payload": _form(conversation=str(state["conv"]), message=f"Message {i}"),
                     "router_data": router}  # fmt: skip
            await sio.emit("event", event, namespace="/_event")
            await asyncio.wait_for(state["done"].wait(), 120)
            out["sent"].append(1)
    except Exception as exc:  # noqa: BLE001  (counted and printed)
        out["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        if sio is not None:
            await sio.disconnect()


def _seed(users: int, stub_url: str) -> list[tuple[str, str]]:
    """Create ``users`` accounts (password :data:`PASSWORD`), each with a connection to the stub and
    an agent; returns ``[(email, agent id)]``."""
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
            email = f"load-{uuid.uuid4().hex[:8]}-{i}@example.com"
            user, _ = sign_up(email=email, password=PASSWORD, session=s)
            actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
            conn = create_connection(actor=actor, name="Stub", provider="openai_compatible", api_key="sk-load",
                                     base_url=stub_url, session=s)  # fmt: skip
            fields = BlueprintFields(name="Load", connection_id=conn.id, model="gpt-4o-mini", instructions="Be brief.")
            agent_id = create_agent(actor=actor, fields=fields, session=s)
        seeded.append((email, agent_id))
    return seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("scaleout", "embedded"), default="scaleout")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3, help="messages per user, one after the other")
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--think-ms", type=int, default=0,
                        help="mean pause before each message, spread 0.5x..1.5x (0: none, back to back)")  # fmt: skip
    parser.add_argument("--reuse-build", action="store_true",
                        help="skip the front-end build if one exists (the harness never loads pages)")  # fmt: skip
    parser.add_argument("--db-proxy", action="store_true",
                        help="route PostgreSQL through the fault tests' cuttable proxy (in this process, in Python); "
                             "by default the app connects to it directly, as deployed")  # fmt: skip
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL database (WIPED) for --profile scaleout")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="load-chat-"))
    global CHAT, AUTH  # noqa: PLW0603  (the states' wire names, wherever their modules live)
    from dashboard.auth.pages import AuthFormState
    from dashboard.chat.state import ChatState

    CHAT, AUTH = ChatState.get_full_name(), AuthFormState.get_full_name()
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
                            redis=args.profile == "scaleout", release=not args.reuse_build,
                            cuttable_db=args.db_proxy)  # fmt: skip
    try:
        seeded = _seed(args.users, stub_url)
        sessions = {p.popen.pid for p in [*profile.webs, *profile.workers]}
        webs = {p.popen.pid for p in profile.webs}
        out: dict[str, list] = {"ttft": [], "reply": [], "errors": [], "held": [], "sent": [], "signin": [], "open": []}  # type: ignore[type-arg]
        marks: dict[str, float] = {}

        async def run_all() -> None:
            def chat_starts() -> None:
                marks.update(cpu=_cpu_seconds(sessions), t=time.perf_counter(), load=os.getloadavg()[0],
                             web=_cpu_seconds(webs), own=time.process_time(), steal=_steal_share())  # fmt: skip

            signed_in = asyncio.Barrier(len(seeded) + 1)
            users = [asyncio.ensure_future(_user(profile.url, email, agent, args, out, signed_in))
                     for email, agent in seeded]  # fmt: skip
            await signed_in.wait()
            chat_starts()
            await asyncio.gather(*users)

        idle_cpu0, idle_t0 = _cpu_seconds(sessions), time.perf_counter()
        time.sleep(IDLE_S)  # the app's background work (job loops, heartbeats) with no user: subtracted below
        idle_rate = (_cpu_seconds(sessions) - idle_cpu0) / (time.perf_counter() - idle_t0)
        load_before = os.getloadavg()
        cpu0, t0 = _cpu_seconds(sessions), time.perf_counter()
        asyncio.run(run_all())
        wall, cpu = time.perf_counter() - marks["t"], _cpu_seconds(sessions) - marks["cpu"]
        web_cpu, own_cpu = _cpu_seconds(webs) - marks["web"], time.process_time() - marks["own"]
        steal, ticks = (now - then for now, then in zip(_steal_share(), marks["steal"], strict=True))
        sent = len(out["sent"])
        print(
            f"profile {args.profile}: {args.webs} app instance(s), {args.workers} worker(s), stub {args.latency_ms} ms"
        )
        print(
            f"load average (1-min) before {load_before[0]:.1f}, at the chat's start {marks['load']:.1f}, "
            f"after {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs"
        )
        signin = out["signin"]
        print(f"signed in over the websocket {len(signin)}/{args.users} in {marks['t'] - t0:.1f} s: "
              f"p50 {_pct(signin, 0.5):.0f} ms, p95 {_pct(signin, 0.95):.0f} ms; "
              f"app CPU {marks['cpu'] - cpu0:.1f} s")  # fmt: skip
        print(f"users held {len(out['held'])}/{args.users}; messages {sent} in {wall:.1f} s = {sent / wall:.1f}/s")
        for name in ("open", "ttft", "reply"):
            v = out[name]
            print(f"{name:5} ms: p50 {_pct(v, 0.5):.0f}  p95 {_pct(v, 0.95):.0f}  p99 {_pct(v, 0.99):.0f}  "
                  f"mean {statistics.fmean(v) if v else float('nan'):.0f}  (n={len(v)})")  # fmt: skip
        for i in range(args.messages):  # first messages come closest together: everyone opened the chat at once
            v = out.get(f"ttft{i}", [])
            print(f"  ttft of message {i + 1}: p50 {_pct(v, 0.5):.0f}  p95 {_pct(v, 0.95):.0f}  "
                  f"max {max(v, default=0):.0f}")  # fmt: skip
        print(f"errors {len(out['errors'])}" + (f": {sorted(set(out['errors']))[:5]}" if out["errors"] else ""))
        print(f"app CPU {cpu:.1f} s = {cpu / max(sent, 1) * 1000:.1f} ms per message (all app processes)")
        print(f"  of which app instances {web_cpu:.1f} s, workers {cpu - web_cpu:.1f} s; this harness (the users' "
              f"clients) {own_cpu:.1f} s; CPU time stolen by the hypervisor {steal / max(ticks, 1):.0%}")  # fmt: skip
        net = cpu - idle_rate * wall
        print(f"  net of the idle background ({idle_rate * 1000:.0f} ms of CPU per second over {IDLE_S:.0f} s before "
              f"the sign-ins): {net:.1f} s = {net / max(sent, 1) * 1000:.1f} ms per message")  # fmt: skip
        cores = os.cpu_count() or 1
        print(f"app CPU busy {cpu / wall:.0%} of one core = {cpu / wall / cores:.0%} of the machine's {cores} "
              f"over the chat's {wall:.1f} s (think time {args.think_ms} ms)")  # fmt: skip
    finally:
        profile.stop()
        stub.terminate()


if __name__ == "__main__":
    main()
