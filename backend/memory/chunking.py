"""Splitting text into overlapping chunks that respect paragraphs and sentences.

Sizes are in characters (~4 characters per token for English; see ``runtime.context``):
the default 1,200-character chunk is ~300 tokens and the 200-character overlap carries the end
of one chunk into the next so a fact split at a boundary is still found whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from backend.memory.parsing import Section

DEFAULT_CHUNK_CHARS = 1200
DEFAULT_OVERLAP_CHARS = 200
# Sentence ends: Latin/Cyrillic punctuation followed by space, or CJK full stops (no space needed).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])|\n")
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    """One chunk: ``text``, its ``location`` (from the section) and ``position`` in the document."""

    text: str
    location: str
    position: int


def _pieces(paragraph: str, limit: int) -> Iterable[str]:
    """A paragraph cut into sentences, and over-long sentences into word (or character) windows."""
    for sentence in _SENTENCE_END.split(paragraph):
        sentence = sentence.strip()
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            yield sentence[:cut].strip()
            sentence = sentence[cut:].strip()
        if sentence:
            yield sentence


def _tail(text: str, overlap: int) -> str:
    """The last ``overlap`` characters of ``text``, starting at a sentence or word boundary."""
    if overlap <= 0 or len(text) <= overlap:
        return "" if overlap <= 0 else text
    tail = text[-overlap:]
    for boundary in (". ", "。", "\n", " "):
        at = tail.find(boundary)
        if at != -1 and at < len(tail) - 1:
            return tail[at + len(boundary) :].strip()
    return tail.strip()


def chunk_sections(
    sections: Iterable[Section], *, max_chars: int = DEFAULT_CHUNK_CHARS, overlap_chars: int = DEFAULT_OVERLAP_CHARS
) -> list[Chunk]:
    """Pack paragraphs into chunks of at most ``max_chars``, overlapping by about ``overlap_chars``.

    Paragraphs (blank-line separated) are kept whole when they fit; longer ones are split at
    sentence ends (``.!?…`` and ``。！？``), then at spaces, then hard. A chunk never spans two
    sections (PDF pages), so each chunk has one location.

    Args:
        sections: Parsed sections in document order.
        max_chars: Largest chunk, characters (>= 200).
        overlap_chars: Characters of the previous chunk repeated at the start of the next
            (0 to disable; less than half of ``max_chars``).

    Returns:
        Chunks with ``position`` 0, 1, 2, ... over the whole document.

    Raises:
        ValueError: ``max_chars`` < 200 or ``overlap_chars`` >= ``max_chars`` / 2.
    """
    if max_chars < 200 or not 0 <= overlap_chars < max_chars // 2:
        raise ValueError("Chunks need max_chars >= 200 and 0 <= overlap_chars < max_chars / 2.")
    chunks: list[Chunk] = []
    body_limit = max_chars - overlap_chars
    for section in sections:
        current: list[str] = []
        size = 0
        carry = ""

        def flush(location: str = section.location) -> None:
            nonlocal current, size, carry
            if not current:
                return
            body = "\n\n".join(current)
            text = f"{carry} {body}".strip() if carry else body
            chunks.append(Chunk(text, location, len(chunks)))
            carry = _tail(body, overlap_chars)
            current, size = [], 0

        for paragraph in _PARAGRAPH.split(section.text):
            paragraph = paragraph.strip()
            if not paragraph:
                continue
            parts = [paragraph] if len(paragraph) <= body_limit else list(_pieces(paragraph, body_limit))
            for part in parts:
                if size and size + len(part) + 2 > body_limit:
                    flush()
                current.append(part)
                size += len(part) + 2
        flush()
    return chunks
