"""The ``agenthub`` command: ``migrate``, ``seed-demo``, ``create-user``, ``make-admin``,
``rotate-master-key``, ``worker``.

Packages above the backend add to ``seed-demo`` by passing seeders to :func:`build_parser`,
commands of their own (``commands``: e.g. ``agenthub billing tick``) and passes of the worker's
maintenance (``maintenance``: e.g. billing's outbox and renewals) the same way
(``marketplace.cli`` is the console script's entry point; the backend never imports it).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import select

from backend.config import get_settings
from backend.db import migrate, session_scope

DEMO_EMAIL = "demo@agenthub.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105  (documented demo account, local only)

Seeder = Callable[[argparse.Namespace], None]
"""Adds more demo data after the demo user exists (idempotent; gets ``--base-url``/``--model``)."""
CommandAdder = Callable[[Any], None]
"""Adds subcommands to the ``agenthub`` parser's subparsers (``argparse._SubParsersAction``)."""
MaintenancePass = Callable[[], object]
"""A blocking pass the worker runs with each maintenance pass (every minute and at start)."""


def _services_problem() -> str | None:
    """The start-up check's message (every unreachable service, naming its variable), or None."""
    from backend.preflight import StartupError, check_services

    try:
        check_services()
    except StartupError as exc:
        return str(exc)
    return None


def _cmd_migrate(_args: argparse.Namespace) -> int:
    if problem := _services_problem():
        print(f"error: {problem}", file=sys.stderr)
        return 2
    migrate()
    print(f"Database is up to date: {get_settings().resolved_database_url.split('@')[-1]}")
    return 0


def _seed_demo_user(args: argparse.Namespace) -> None:
    """Create a demo user with an Ollama-style connection and one agent per template (once)."""
    from backend.accounts.actor import Actor
    from backend.accounts.service import sign_up
    from backend.agents.service import create_agent, fields_from_template, list_templates
    from backend.connections.service import create_connection
    from backend.models import User

    migrate()
    with session_scope() as session:
        if session.exec(select(User).where(User.email == DEMO_EMAIL)).first() is not None:
            print(f"Demo user already exists: {DEMO_EMAIL}")
            return
        user, _token = sign_up(email=DEMO_EMAIL, password=DEMO_PASSWORD, session=session)
        actor = Actor(user_id=user.id, workspace_id=user.workspace_id)
        conn = create_connection(
            actor=actor,
            name="Local Ollama",
            provider="openai_compatible",
            api_key=None,
            base_url=args.base_url,
            session=session,
        )
        for template in list_templates(session=session)[:3]:
            fields = fields_from_template(slug=template.slug, session=session)
            fields.connection_id, fields.model = conn.id, args.model
            create_agent(actor=actor, fields=fields, session=session)
    print(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD} (connection to {args.base_url}, model {args.model})")


def _seed_command(seeders: Sequence[Seeder]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        _seed_demo_user(args)
        for seeder in seeders:
            seeder(args)
        return 0

    return run


def _cmd_make_admin(args: argparse.Namespace) -> int:
    """Make an existing user a platform admin (suspends marketplace listings, works reports)."""
    from backend.models import User
    from backend.security.passwords import normalize_email

    migrate()
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == normalize_email(args.email))).first()
        if user is None:
            print(f"error: no user with email {args.email}", file=sys.stderr)
            return 2
        user.is_platform_admin = True
        session.add(user)
    print(f"{user.email} is now a platform admin.")
    return 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from backend.accounts.service import AuthError, sign_up

    migrate()
    try:
        with session_scope() as session:
            user, _ = sign_up(email=args.email, password=args.password, session=session)
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Created {user.email}")
    return 0


def _cmd_rotate_master_key(_args: argparse.Namespace) -> int:
    """Re-wrap every stored secret under the first key of AGENTHUB_MASTER_KEYS."""
    from backend.connections.rotation import rotate_all_secrets
    from backend.security.keys import get_vault

    migrate()
    vault = get_vault()
    with session_scope() as session:
        count = rotate_all_secrets(vault=vault, session=session)
    print(f"Re-wrapped {count} secret(s) under the current master key.")
    return 0


def _keys_problem() -> str | None:
    """Why the key ring cannot decrypt stored secrets, or None when it can."""
    from backend.security.keycheck import check_stored_secrets
    from backend.security.keys import get_vault
    from backend.security.vault import VaultError

    try:
        check_stored_secrets(get_vault())
    except VaultError as exc:
        return str(exc)
    return None


def _maintain(extra: Sequence[MaintenancePass]) -> None:
    from backend.runtime.sweep import run_maintenance

    runs, holds = run_maintenance()
    if runs or holds:
        print(f"Finished {runs} interrupted run(s), released {holds} expired hold(s).")
    for step in extra:
        try:
            step()
        except Exception:  # the next pass tries again
            logging.getLogger(__name__).exception("maintenance pass failed")


def _worker_command(extra: Sequence[MaintenancePass]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        """Run background jobs (ingestion, re-embedding, pruning) until interrupted; every
        ``AGENTHUB_MAINTENANCE_EVERY_S`` (and at start) also finish stale runs, release expired
        budget holds and run ``extra``. Refuses to start (exit code 2) when a service is
        unreachable or the key ring cannot decrypt stored secrets; SIGTERM stops it like Ctrl+C."""
        import asyncio
        import signal
        import time

        from backend.memory.heartbeat import Heartbeat
        from backend.memory.worker import run_pending

        problem = _services_problem()
        if problem is None:
            migrate()
            problem = _keys_problem()
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        heartbeat = Heartbeat("worker").start()
        print("Agent Hub worker started (Ctrl+C to stop).", flush=True)
        last_maintenance: float | None = None
        every = get_settings().maintenance_every_s
        try:
            while True:
                if last_maintenance is None or time.monotonic() - last_maintenance >= every:
                    last_maintenance = time.monotonic()
                    _maintain(extra)
                done = asyncio.run(run_pending())
                if args.once:
                    print(f"Did {done} job(s).")
                    return 0
                if done == 0:
                    time.sleep(args.idle_seconds)
        except KeyboardInterrupt:  # a job cut short keeps its lease until it expires, then is re-claimed
            return 0
        finally:
            heartbeat.stop()

    return run


def build_parser(
    seeders: Sequence[Seeder] = (),
    commands: Sequence[CommandAdder] = (),
    maintenance: Sequence[MaintenancePass] = (),
) -> argparse.ArgumentParser:
    """The ``agenthub`` argument parser; ``seed-demo`` runs the demo user's seed, then ``seeders``;
    each of ``commands`` adds its subcommands; ``worker`` runs ``maintenance`` with each of its
    maintenance passes."""
    parser = argparse.ArgumentParser(prog="agenthub", description="Agent Hub administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)
    seed = sub.add_parser("seed-demo", help="create a demo user, connection and agents")
    seed.add_argument("--base-url", default="http://localhost:11434/v1", help="OpenAI-compatible endpoint")
    seed.add_argument("--model", default="llama3.2", help="model name at that endpoint")
    seed.set_defaults(func=_seed_command(seeders))
    cu = sub.add_parser("create-user", help="create a user with a personal workspace")
    cu.add_argument("email")
    cu.add_argument("password")
    cu.set_defaults(func=_cmd_create_user)
    admin = sub.add_parser("make-admin", help="make a user a platform admin (marketplace moderation)")
    admin.add_argument("email")
    admin.set_defaults(func=_cmd_make_admin)
    sub.add_parser(
        "rotate-master-key", help="re-wrap stored secrets under the first key of AGENTHUB_MASTER_KEYS"
    ).set_defaults(func=_cmd_rotate_master_key)
    worker = sub.add_parser("worker", help="run background jobs (ingestion, re-embedding, pruning)")
    worker.add_argument("--once", action="store_true", help="do what is due now, then exit")
    worker.add_argument("--idle-seconds", type=float, default=2.0, help="sleep when there is nothing to do")
    worker.set_defaults(func=_worker_command(maintenance))
    for add in commands:
        add(sub)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with ``parser`` and run the command. Returns the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parser.parse_args(argv)
    return int(args.func(args))


def main(argv: Sequence[str] | None = None) -> int:
    """The backend's commands alone (``python -m backend.cli``); the console script adds the
    marketplace's demo data (``marketplace.cli.main``). Returns the process exit code."""
    return run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
