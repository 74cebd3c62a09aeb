"""Which models a dollar budget would meet without a price, and saving their prices."""

from __future__ import annotations

from backend.db import session_scope
from backend.gateway.catalog import get_catalog
from dashboard.limits.pricing import save_prices, unpriced_models
from tests.support.gateway import add_agent, add_connection


def test_unpriced_models_of_an_agent_and_of_the_workspace(actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conn = add_connection(actor, llm_server, name="Box")
    fallback = [{"connection_id": conn, "model": "local-llama"}]
    agent = add_agent(actor, conn, model="test-model", fallbacks=fallback)
    add_agent(actor, conn, model="gpt-4o-mini")  # LiteLLM knows its price
    add_agent(actor, conn, model="test-model")  # the same model twice is listed once

    found = unpriced_models(actor, f"agent:{agent}")
    assert [(m.model, m.connection_id) for m in found] == [("test-model", conn), ("local-llama", conn)]
    assert found[0].label == "test-model on “Box” (agent “Gw”)"
    assert [m.field for m in found] == ["price-0", "price-1"]
    assert [m.model for m in unpriced_models(actor, "workspace:")] == ["test-model", "local-llama"]


def test_save_prices_needs_both_prices_and_then_the_model_is_priced(actor, llm_server) -> None:  # type: ignore[no-untyped-def]
    conn = add_connection(actor, llm_server)
    agent = add_agent(actor, conn, model="test-model")
    models = unpriced_models(actor, f"agent:{agent}")

    assert save_prices(actor, models, {"price-0-in": "0.15"}) == "test-model: Enter both prices (0 for a free model)."
    assert save_prices(actor, models, {"price-0-in": "abc", "price-0-out": "1"}).startswith("test-model: Enter a price")
    assert unpriced_models(actor, f"agent:{agent}") == models  # nothing saved

    assert save_prices(actor, models, {"price-0-in": "$0.15", "price-0-out": "0.60"}) == ""
    assert unpriced_models(actor, f"agent:{agent}") == []
    with session_scope() as s:
        entry = next(e for e in get_catalog(actor=actor, session=s) if e.model == "test-model")
    assert (entry.input_usd_per_1m, entry.output_usd_per_1m, entry.price_source) == (0.15, 0.6, "override")
