"""OpenAPI documents that expand far beyond their size ($ref fan-out, YAML aliases) are refused
quickly with a clear message, and parsing runs in a worker process (issue 9, finding 3)."""

from __future__ import annotations

import time

import pytest

from backend.tools.openapi import OpenAPIInvalid, parse_openapi
from backend.tools.openapi_worker import parse_openapi_in_worker
from tests.support import bombs


@pytest.mark.parametrize("text", [bombs.ref_bomb_small(), bombs.ref_bomb_large()], ids=["2.5kB", "6.5kB"])
def test_a_ref_bomb_is_refused_quickly_with_a_clear_message(text: str) -> None:
    started = time.monotonic()
    with pytest.raises(OpenAPIInvalid) as caught:
        parse_openapi(text)
    assert time.monotonic() - started < 5  # ~1-2 s on a busy 2-core machine; minutes before the budget
    assert caught.value.errors[0].startswith("This OpenAPI document expands to more than 250,000 objects")


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(OpenAPIInvalid) as caught:
        parse_openapi(bombs.yaml_alias_bomb())
    assert time.monotonic() - started < 5  # ~1-2 s on a busy 2-core machine; minutes before the budget
    assert "expands to more than" in caught.value.errors[0] and "YAML aliases" in caught.value.errors[0]


def test_a_document_with_a_few_shared_refs_still_parses() -> None:
    doc = parse_openapi(bombs.ref_bomb(levels=3, fan_out=3, operations=20))
    assert len(doc.operations) == 20
    assert doc.operations[0].body_schema is not None
    assert set(doc.operations[0].body_schema["properties"]) == {"p0", "p1", "p2"}


async def test_the_worker_refuses_the_large_bomb_within_seconds() -> None:
    started = time.monotonic()
    with pytest.raises(OpenAPIInvalid) as caught:
        await parse_openapi_in_worker(bombs.ref_bomb_large())
    assert time.monotonic() - started < 10
    assert "expands to more than" in caught.value.errors[0]


async def test_the_worker_returns_the_operations_of_a_good_document() -> None:
    doc = await parse_openapi_in_worker(bombs.ref_bomb(levels=2, fan_out=2, operations=2))
    assert [op.operation_id for op in doc.operations] == ["op0", "op1"]
