"""Parsing and chunking an uploaded file in a worker process, within budgets.

:func:`parse_and_chunk` is what ingestion calls: the file's bytes go to a separate process
(:func:`backend.sandbox.run_isolated`: memory and time limits, none of the app's secrets), which
parses (:func:`backend.memory.parsing.parse_document`), checks the text and passage budgets,
chunks, and sends back the title and the chunks. A bad file can only exhaust or crash its own
worker; every outcome becomes a :class:`ParseError` with one plain sentence for the file list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.memory.chunking import Chunk, chunk_sections
from backend.memory.limits import DEFAULT_LIMITS, ParseLimits
from backend.memory.parsing import ParseError, parse_document
from backend.sandbox import SandboxCrashed, SandboxMemory, SandboxTimeout, run_isolated

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedChunks:
    """A parsed file: its ``title`` (may be empty) and its passages, in document order."""

    title: str
    chunks: list[Chunk]


def parse_and_chunk_here(data: bytes, file_type: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedChunks:
    """Parse and chunk in the calling process (the worker's body; tests and benchmarks).

    Raises:
        ParseError: anything :func:`parse_document` refuses, more than ``limits.max_text_chars``
            characters of text, or more than ``limits.max_passages`` passages.
    """
    doc = parse_document(data, file_type, limits)
    if doc.text_length > limits.max_text_chars:
        raise ParseError(
            f"This file has more than {limits.max_text_chars:,} characters of text (the limit per file); "
            "split it into smaller files."
        )
    chunks = chunk_sections(doc.sections)
    if len(chunks) > limits.max_passages:
        raise ParseError(
            f"This file yields more than {limits.max_passages:,} passages (the limit per file); "
            "split it into smaller files."
        )
    return ParsedChunks(doc.title, chunks)


async def parse_and_chunk(data: bytes, file_type: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedChunks:
    """Parse and chunk a file in a worker process within ``limits``.

    Args:
        data: The whole file (at most the upload cap).
        file_type: One of ``parsing.FILE_TYPES``.
        limits: Time (s), memory (MB), pages, passages, text and archive budgets.

    Returns:
        The title and the chunks (at most ``limits.max_passages``).

    Raises:
        ParseError: the file is refused or damaged, or the worker ran out of time or memory or
            crashed; the message is one sentence for the builder.
    """
    try:
        return await run_isolated(
            parse_and_chunk_here, data, file_type, limits, timeout_s=limits.timeout_s, memory_mb=limits.memory_mb
        )
    except ParseError:
        raise
    except SandboxTimeout:
        raise ParseError(
            f"Reading this file took longer than {limits.timeout_s:g} s, so it was stopped; "
            "it may be damaged or far too complex."
        ) from None
    except SandboxMemory:
        raise ParseError(
            f"Reading this file needed more than {limits.memory_mb:,} MB of memory, so it was stopped; "
            "it may be a decompression bomb or far too complex."
        ) from None
    except SandboxCrashed as exc:
        raise ParseError(
            f"The file reader stopped unexpectedly on this file (status {exc.exitcode}); it may be damaged."
        ) from None
    except Exception as exc:  # a parser bug on a strange file: that file fails, the others go on
        log.warning("parsing a %s file failed in its worker: %s", file_type, type(exc).__name__)
        raise ParseError(f"The file could not be read ({type(exc).__name__}); it may be damaged.") from None
