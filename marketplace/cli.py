"""The ``agenthub`` console script: the backend's commands, with ``seed-demo`` also filling the
marketplace, billing's ``agenthub billing tick|reconcile``, and billing's pass in the worker's
maintenance (``pyproject.toml`` points the script here, so the backend need not import us)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from backend.cli import build_parser, run
from backend.db import session_scope
from billing.cli import add_billing_commands
from billing.worker import run_billing_pass


def _seed_marketplace(args: argparse.Namespace) -> None:
    from marketplace.seed import seed_marketplace

    with session_scope() as session:
        added = seed_marketplace(base_url=args.base_url, model=args.model, session=session)
    print(f"Marketplace demo: {added} listing(s) added." if added else "Marketplace demo listings already exist.")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``agenthub``. Returns the process exit code."""
    parser = build_parser(seeders=[_seed_marketplace], commands=[add_billing_commands], maintenance=[run_billing_pass])
    return run(parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
