"""The fixture documents under tests/fixtures/memory/ (PDF, DOCX, HTML, text) for the memory tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "memory"


def fixture_bytes(name: str) -> bytes:
    """The bytes of a document under tests/fixtures/memory/."""
    return (FIXTURES / name).read_bytes()
