"""Chunking: paragraphs kept whole, long text split at sentences, overlap, one location per chunk."""

from __future__ import annotations

import pytest

from backend.memory.chunking import chunk_sections
from backend.memory.parsing import Section


def test_short_paragraphs_pack_into_one_chunk() -> None:
    chunks = chunk_sections([Section("First paragraph.\n\nSecond paragraph.")])
    assert [c.text for c in chunks] == ["First paragraph.\n\nSecond paragraph."]


def test_long_text_splits_with_overlap_and_size_limit() -> None:
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(200)]
    chunks = chunk_sections([Section(" ".join(sentences))], max_chars=400, overlap_chars=80)
    assert len(chunks) > 10
    assert all(len(c.text) <= 400 + 80 for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    # the start of each chunk repeats the end of the previous one
    for prev, nxt in zip(chunks, chunks[1:], strict=False):
        assert nxt.text[:30] in prev.text
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_japanese_splits_at_full_stops() -> None:
    text = "東京本社は品川駅の近くにあります。" * 60
    chunks = chunk_sections([Section(text)], max_chars=300, overlap_chars=0)
    assert len(chunks) > 1 and all(c.text.endswith("。") for c in chunks)


def test_chunks_never_span_sections() -> None:
    chunks = chunk_sections([Section("Page one text.", "p. 1"), Section("Page two text.", "p. 2")])
    assert [(c.text, c.location) for c in chunks] == [("Page one text.", "p. 1"), ("Page two text.", "p. 2")]


def test_word_without_spaces_is_hard_split() -> None:
    chunks = chunk_sections([Section("x" * 1000)], max_chars=300, overlap_chars=0)
    assert "".join(c.text for c in chunks) == "x" * 1000


def test_invalid_sizes_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_sections([Section("a")], max_chars=100)
    with pytest.raises(ValueError):
        chunk_sections([Section("a")], max_chars=400, overlap_chars=300)
