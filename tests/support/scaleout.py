"""The scale-out profile for tests and the load harness: the processes of ``deploy/Procfile`` (2 app
instances, 2 workers) on PostgreSQL and a private Redis, behind a load balancer (a TCP proxy).

Everything outside the app is private to the run: a ``redis-server`` on a free port (restartable),
a TCP proxy to PostgreSQL that can be cut (a database restart, as the app sees it), and the load
balancer. Each process logs to ``<work dir>/<name>.log``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.support.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROCFILE = ROOT / "deploy" / "Procfile"
CHROMIUM = os.environ.get("AGENTHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """The process types of a Procfile: ``{"web": "...", "worker": "..."}``."""
    kinds: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([a-z][a-z0-9_-]*):\s*(.+)$", line)
        if match:
            kinds[match.group(1)] = match.group(2)
    return kinds


@dataclass
class Proc:
    """One started process (its own session, so ``kill`` reaches its children too)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    def alive(self) -> bool:
        """True while it runs."""
        return self.popen.poll() is None

    def kill9(self) -> None:
        """``kill -9`` the process and every child (the machine or container died)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(30)

    def terminate(self, timeout_s: float = 30) -> int:
        """SIGTERM the process group, wait, then SIGKILL what is left; returns the exit code."""
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            return self.popen.wait(timeout_s)
        except ProcessLookupError:
            return self.popen.wait(5)
        except subprocess.TimeoutExpired:
            self.kill9()
            return -9

    def tail(self, chars: int = 3000) -> str:
        """The end of its log."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class RedisServer:
    """A private ``redis-server`` (no persistence: a restart loses every key, the worst case)."""

    def __init__(self, work: Path) -> None:
        self.port, self.work = free_port(), work
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it and wait until it answers PING."""
        self.proc = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop it (SIGKILL: nothing is saved)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Profile:
    """The running profile: ``url`` is the load balancer's origin, the one browsers use."""

    work: Path
    database_url: str
    env: dict[str, str]
    redis: RedisServer
    db_proxy: TcpProxy
    lb: TcpProxy
    webs: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<load balancer port>``."""
        return f"http://{self.lb.url_host}"

    def _spawn(self, name: str, command: str, extra: dict[str, str]) -> Proc:
        log = self.work / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(  # noqa: S603
                ["/bin/bash", "-c", command],
                cwd=ROOT,
                env={**self.env, **extra},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Proc(name, popen, log, int(extra["PORT"]) if "PORT" in extra else None)

    def release(self) -> None:
        """Run the Procfile's ``release`` line (the front-end build) once, before the instances."""
        proc = self._spawn("release", procfile()["release"], {})
        if proc.popen.wait(600) != 0:
            raise RuntimeError(f"release failed:\n{proc.tail()}")

    def start_web(self, index: int, port: int) -> Proc:
        """Start app instance ``index`` (the Procfile's ``web`` line) on ``port``."""
        proc = self._spawn(f"web{index}", procfile()["web"], {"PORT": str(port)})
        if index < len(self.webs):
            self.webs[index] = proc
        else:
            self.webs.append(proc)
        return proc

    def start_worker(self, index: int) -> Proc:
        """Start worker ``index`` (the Procfile's ``worker`` line)."""
        proc = self._spawn(f"worker{index}", procfile()["worker"], {})
        if index < len(self.workers):
            self.workers[index] = proc
        else:
            self.workers.append(proc)
        return proc

    def wait_ready(self, proc: Proc, timeout_s: float = 420) -> None:
        """Wait until an app instance answers ``/api/health`` with 200 (raises with its log if it exits)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
            try:
                if httpx.get(f"http://127.0.0.1:{proc.port}/api/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{proc.name} did not start:\n{proc.tail()}")
            time.sleep(0.5)

    def health(self) -> tuple[int, dict[str, object]]:
        """``GET /api/health`` through the load balancer: ``(status, body)``."""
        response = httpx.get(f"{self.url}/api/health", timeout=15)
        return response.status_code, response.json()

    def web_serving_websocket(self) -> int:
        """The index of the app instance holding the open Reflex websocket (of a single browser)."""
        counts = [self.lb.connections(i, b"/_event") for i in range(len(self.webs))]
        assert sum(counts) >= 1, counts
        return counts.index(max(counts))

    def restart_redis(self) -> None:
        """Kill the private Redis and start an empty one on the same port."""
        self.redis.stop()
        self.redis.start()

    def stop(self) -> None:
        """Stop every process and proxy; the Redis server too."""
        for proc in [*self.webs, *self.workers]:
            if proc.alive():
                proc.terminate(20)
        self.lb.stop()
        self.db_proxy.stop()
        self.redis.stop()


def profile_env(
    work: Path, database_url: str, redis_url: str, public_url: str, extra: dict[str, str]
) -> dict[str, str]:
    """The environment every process of the profile shares (the README's scale-out table)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGENTHUB_", "REFLEX_", "GRANIAN_", "PYTEST_")) and k not in ("REDIS_URL", "PORT")
    }
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "AGENTHUB_ENV": "production",
            "AGENTHUB_INPROCESS_WORKER": "0",
            "AGENTHUB_PUBLIC_URL": public_url,
            "AGENTHUB_DATA_DIR": str(work / "data"),
            "AGENTHUB_LANCEDB_URI": str(work / "lancedb"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "REFLEX_USE_NPM": "1",
            "REFLEX_CHECK_LATEST_VERSION": "0",
            "REFLEX_WEB_WORKDIR": str(ROOT / ".web-scaleout"),
            **extra,
        }
    )
    return env


def start_profile(
    work: Path,
    database_url: str,
    *,
    extra_env: dict[str, str],
    webs: int = 2,
    workers: int = 2,
    before_start: Callable[[Profile], None] | None = None,
    redis: bool = True,
    release: bool = True,
    cuttable_db: bool = True,
) -> Profile:
    """Start a private Redis, the PostgreSQL proxy, the load balancer; run the ``release`` step (the
    front-end build), then start ``webs`` app instances and ``workers`` workers all at once (on a
    fresh database they race to migrate), and wait until every app instance is healthy.

    Args:
        database_url: the PostgreSQL database (``postgresql://...``); the processes reach it
            through a proxy that :meth:`TcpProxy.cut` can cut.
        extra_env: more variables for every process (master keys, model endpoint allow-list...).
        redis: False runs the embedded default's shape instead (no ``REDIS_URL``, in-process
            jobs; with one web instance), for side-by-side benchmarks.
        release: False skips the front-end build when one exists already (benchmarks that never
            load a page: its baked-in public URL may be another run's).
        cuttable_db: False connects the processes to PostgreSQL directly, as a deployment does
            (benchmarks): the proxy that can cut the cable forwards every query in this process,
            in Python, on the cores the app runs on.
    """
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not installed")
    (work / "data").mkdir(parents=True, exist_ok=True)
    redis_server = RedisServer(work).start()
    parts = urlsplit(database_url)
    db_proxy = TcpProxy([(parts.hostname or "127.0.0.1", parts.port or 5432)]).start()
    if database_url.startswith("postgres") and cuttable_db:
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        proxied = parts._replace(netloc=f"{userinfo}{db_proxy.url_host}").geturl()
    else:  # the embedded default (benchmarks: SQLite), or PostgreSQL directly: no proxy
        proxied = database_url
    ports = [free_port() for _ in range(webs)]
    lb = TcpProxy([("127.0.0.1", p) for p in ports]).start()
    env = profile_env(work, proxied, redis_server.url, f"http://{lb.url_host}", extra_env)
    if not redis:  # the embedded default: state in process memory, jobs in the app process
        env.pop("REDIS_URL")
        env["AGENTHUB_INPROCESS_WORKER"] = "1"
    profile = Profile(work, database_url, env, redis_server, db_proxy, lb)
    if before_start is not None:
        before_start(profile)
    try:
        if release or not (ROOT / ".web-scaleout" / "build" / "client" / "index.html").exists():
            profile.release()
        for i, port in enumerate(ports):
            profile.start_web(i, port)
        for i in range(workers):
            profile.start_worker(i)
        for web in profile.webs:
            profile.wait_ready(web)
    except BaseException:
        profile.stop()
        raise
    return profile
