"""Model catalog: LiteLLM's local price map, per-connection overrides, cost parity."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backend.accounts.actor import Actor, NotFound
from backend.connections.service import create_connection, delete_connection
from backend.db import session_scope
from backend.gateway import admin
from backend.gateway.catalog import call_cost, litellm_model_info, model_info, worst_case
from backend.gateway.completion import estimate_cost
from backend.models import ModelOverride
from tests.support.gateway import add_connection
from tests.support.llm_server import LLMTestServer


def test_litellm_map_gives_window_and_prices_per_million() -> None:
    info = litellm_model_info("openai/gpt-4o-mini")
    assert info.context_window == 128_000 and info.max_output_tokens == 16_384
    assert info.input_usd_per_1m == pytest.approx(0.15) and info.output_usd_per_1m == pytest.approx(0.6)
    assert info.price_source == "litellm" and info.priced


def test_unknown_model_has_no_price_or_window() -> None:
    info = model_info("openai_compatible", "my-local-llama")
    assert info.litellm_name == "openai/my-local-llama"
    assert (info.context_window, info.input_usd_per_1m, info.price_source) == (None, None, "unknown")
    assert call_cost(info, 100, 100) == (0.0, "price unknown for my-local-llama: counted as $0")
    assert worst_case(info, 100, 50) == (0.0, 150)


def test_override_replaces_prices_only_when_both_are_set() -> None:
    window_only = ModelOverride(connection_id="c", model="gpt-4o-mini", context_window=4096)
    info = model_info("openai", "gpt-4o-mini", window_only)
    assert info.context_window == 4096 and info.price_source == "litellm"
    priced = ModelOverride(connection_id="c", model="gpt-4o-mini", input_usd_per_1m=1.0, output_usd_per_1m=3.0)
    info = model_info("openai", "gpt-4o-mini", priced)
    assert info.price_source == "override" and info.context_window == 128_000
    assert call_cost(info, 1000, 500) == (pytest.approx(0.0025), "")


def test_call_cost_matches_litellm_for_mapped_models() -> None:
    info = litellm_model_info("openai/gpt-4o-mini")
    cost, note = call_cost(info, 1234, 567)
    assert note == "" and cost == estimate_cost("openai/gpt-4o-mini", 1234, 567)[0]
    cached, _ = call_cost(info, 1000, 0, cached_tokens=500)
    assert cached == pytest.approx(500 * 0.15e-6 + 500 * 0.075e-6)


def test_worst_case_uses_max_tokens_or_the_models_maximum() -> None:
    info = litellm_model_info("openai/gpt-4o-mini")
    usd, tokens = worst_case(info, 100, 1000)
    assert tokens == 1100 and usd == pytest.approx(100 * 0.15e-6 + 1000 * 0.6e-6)
    assert worst_case(info, 100, None)[1] == 100 + 16_384


def test_workspace_catalog_lists_models_of_its_connections(actor: Actor, llm_server: LLMTestServer) -> None:
    add_connection(actor, llm_server, "Local")
    with session_scope() as s:
        create_connection(
            actor=actor, name="OpenAI", provider="openai", api_key="sk-" + "a" * 40, base_url=None, session=s
        )
        entries = admin.get_catalog(actor=actor, session=s)
    openai = [e for e in entries if e.connection_name == "OpenAI"]
    assert {e.model for e in openai} >= {"gpt-4o-mini", "gpt-4o"}  # untested connection: the provider's examples
    mini = next(e for e in openai if e.model == "gpt-4o-mini")
    assert (mini.input_usd_per_1m, mini.output_usd_per_1m, mini.context_window) == (0.15, 0.6, 128_000)
    assert mini.provider_label == "OpenAI" and mini.price_source == "litellm"
    assert [e.connection_name for e in entries] == sorted(e.connection_name for e in entries)


def test_deleting_a_connection_deletes_its_overrides(actor: Actor, llm_server: LLMTestServer) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        admin.set_model_override(
            actor=actor, connection_id=cid, model="m", input_usd_per_1m=1, output_usd_per_1m=1, session=s
        )
    with session_scope() as s:
        delete_connection(actor=actor, connection_id=cid, session=s)
    with session_scope() as s:
        assert s.exec(select(ModelOverride).where(ModelOverride.connection_id == cid)).all() == []


def test_has_known_price_asks_the_map_then_the_connections_override(
    actor: Actor,
    make_actor,
    llm_server: LLMTestServer,  # type: ignore[no-untyped-def]
) -> None:
    cid = add_connection(actor, llm_server)
    with session_scope() as s:
        assert admin.has_known_price(actor=actor, connection_id=cid, model="gpt-4o-mini", session=s)
        assert not admin.has_known_price(actor=actor, connection_id=cid, model="my-local-llama", session=s)
        admin.set_model_override(
            actor=actor, connection_id=cid, model="my-local-llama", input_usd_per_1m=1, output_usd_per_1m=2, session=s
        )
    with session_scope() as s:
        assert admin.has_known_price(actor=actor, connection_id=cid, model="my-local-llama", session=s)
        with pytest.raises(NotFound):  # another workspace's connection looks like one that does not exist
            admin.has_known_price(actor=make_actor(), connection_id=cid, model="gpt-4o-mini", session=s)


def test_worst_case_of_a_tiered_model_is_never_below_litellms_price() -> None:
    info = litellm_model_info("gemini/gemini-2.5-pro")  # dearer above 200k prompt tokens
    for prompt in (1_000, 250_000):
        usd, tokens = worst_case(info, prompt, 1_000)
        assert tokens == prompt + 1_000
        assert usd >= estimate_cost("gemini/gemini-2.5-pro", prompt, 1_000)[0]
    assert worst_case(info, 250_000, 1_000)[0] == pytest.approx((250_000 * 2.5 + 1_000 * 15) / 1e6)
