"""``python -m dashboard.serve``: one app instance of the scale-out profile, serving a prebuilt front end.

``reflex run --env prod`` builds the front end at every start, and each build names its files
differently (Reflex embeds a per-directory project hash and the build time), so two instances
behind one load balancer would serve pages whose scripts the other instance does not have. The
scale-out profile therefore builds once (``reflex export --frontend-only --no-zip --env prod``,
with ``AGENTHUB_PUBLIC_URL`` set: the browser's backend address is baked into the build) and runs
any number of identical instances of this command on that build.

It is what ``reflex run --env prod`` does after its build (Reflex's own ``environment`` switches
for production mode, a mounted compiled front end and no recompilation, then a Granian server),
with one difference: a backend worker that dies (``kill -9``, out of memory) is started again
instead of taking the whole instance down (Granian's ``respawn_failed_workers``).

Usage: ``python -m dashboard.serve --port 3000 [--host 0.0.0.0] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def _build_dir() -> Path:
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the app on ``--port`` with ``--workers`` Granian workers until SIGTERM/SIGINT.

    Returns:
        The exit code: 2 when a service is unreachable (one line each, naming its variable) or the
        front end was not built (the message says how to build it).
    """
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))  # noqa: S104  (a server)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "1")))
    args = parser.parse_args(argv)
    if args.workers > 1:
        os.environ.setdefault("GRANIAN_WORKERS", str(args.workers))  # rxconfig refuses it without Redis
    from backend.preflight import StartupError, check_services

    try:  # before any worker starts: a worker failing at start would be respawned forever
        check_services()
    except StartupError as exc:
        print(exc, file=sys.stderr)
        return 2
    sys.path.insert(0, os.getcwd())
    from reflex.config import get_config
    from reflex_base import constants
    from reflex_base.environment import environment

    config = get_config()
    if not (_build_dir() / "index.html").exists():
        print(
            f"error: no front-end build in {_build_dir()}; run `reflex export --frontend-only --no-zip --env prod` "
            "first (with AGENTHUB_PUBLIC_URL set, and the same REFLEX_WEB_WORKDIR)",
            file=sys.stderr,
        )
        return 2
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)
    environment.REFLEX_SKIP_COMPILE.set(True)
    multiprocessing.set_start_method("spawn", force=True)  # LanceDB is not fork-safe

    from granian.constants import Interfaces, RuntimeModes
    from granian.server import Server

    Server(
        target=f"{config.module}:{constants.CompileVars.APP}",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        # Granian picks its multi-threaded Rust runtime for ASGI; with websockets open at SIGTERM it
        # can panic while stopping a worker ("Cannot drop pointer into Python heap without the
        # thread being attached": a known Granian bug of the multi-threaded runtime), killing the worker
        # and the replies it was finishing. Python runs on one event loop either way.
        runtime_mode=RuntimeModes.st,
        workers=args.workers,
        respawn_failed_workers=True,
        workers_kill_timeout=25,  # graceful stop: past AGENTHUB_SHUTDOWN_GRACE_S (20 s), a worker is killed after 25 s
    ).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
