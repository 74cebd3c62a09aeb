"""Budgets for turning one uploaded file into passages (issue 9: parsers with budgets).

The defaults allow any honest file within the upload cap (20 MB) and refuse what only a
hostile or broken file needs: a DOCX that unpacks to hundreds of MB (a zip bomb), a PDF of
thousands of pages, or text that becomes more passages than a knowledge base can use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParseLimits:
    """Budgets for parsing one file.

    Attributes:
        timeout_s: Wall-clock time for parsing and chunking, seconds (the worker is killed after).
        memory_mb: Memory the parsing worker may use beyond its start size, MB (10**6 bytes).
        max_pages: Pages of a PDF.
        max_passages: Passages (chunks) one file may yield.
        max_text_chars: Characters of extracted text.
        max_unpacked_mb: Total uncompressed size of a DOCX archive's parts, MB.
        max_ratio: Compression ratio of any DOCX part over 1 MB (XML usually packs 5-20x).
        max_members: Parts in a DOCX archive.
    """

    timeout_s: float = 60.0
    memory_mb: int = 768
    max_pages: int = 2_000
    max_passages: int = 10_000
    max_text_chars: int = 20_000_000
    max_unpacked_mb: int = 100
    max_ratio: int = 100
    max_members: int = 2_000


DEFAULT_LIMITS = ParseLimits()
