"""``agenthub worker`` runs billing's pass with its maintenance: pending usage records of a paid
subscriber's runs become run charges (the console script passes it to the backend's parser)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from backend.accounts.actor import Actor
from backend.models.common import utcnow
from marketplace.cli import main
from tests.support.billing import ledger, paid_subscriber, usage


def test_worker_once_charges_pending_runs(make_actor: Callable[[], Actor]) -> None:
    paid = paid_subscriber(make_actor(), make_actor(), confirm_at=utcnow() - timedelta(minutes=1))
    usage(paid)
    usage(paid)
    assert ledger(paid)[2] == []
    assert main(["worker", "--once"]) == 0
    _, [period], charges = ledger(paid)
    assert len(charges) == 2 and period.runs == 2
