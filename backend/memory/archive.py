"""Checks on a DOCX (zip) archive before any part of it is unpacked.

A zip declares each part's compressed and uncompressed size in its directory, and Python's
``zipfile`` never inflates a part beyond its declared size (a part that lies fails its CRC), so
the declared sizes bound what python-docx can be made to read. Parts that pack far better than
real documents do, or a total beyond the budget, are refused as a possible zip bomb. XML parts
must not declare a DTD or entities (checked with defusedxml on the prologue only), so entity
expansion ("billion laughs") cannot happen in the XML parser either.
"""

from __future__ import annotations

import io
import zipfile

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from backend.memory.limits import ParseLimits

_RATIO_FROM_BYTES = 1_000_000


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _forbid_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, error: type[Exception]) -> None:
    """Read ``info``'s XML prologue up to its root element; a DTD or entity declaration is refused."""
    try:
        with archive.open(info) as stream:
            for _event, _element in SafeET.iterparse(stream, events=("start",), forbid_dtd=True):
                return
    except DefusedXmlException:
        raise error(
            f"The Word file was refused: {info.filename} declares a DTD or XML entities, which documents never need."
        ) from None
    except (SafeET.ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # not XML after all, or damaged: python-docx reports it


def check_docx_archive(data: bytes, limits: ParseLimits, error: type[Exception]) -> None:
    """Refuse a DOCX whose parts would unpack beyond ``limits`` (before unpacking anything).

    Args:
        data: The whole file.
        limits: ``max_members``, ``max_unpacked_mb`` and ``max_ratio`` apply.
        error: The exception class to raise (the parser's ``ParseError``).

    Raises:
        error: with one plain sentence: not a zip, too many parts, a part packed suspiciously
            well, too large unpacked, or a DTD/entity declaration in an XML part.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise error(f"The Word file is damaged or not a .docx file ({type(exc).__name__}).") from None
    if len(infos) > limits.max_members:
        raise error(f"The Word file has {len(infos):,} parts; the limit is {limits.max_members:,}.")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _RATIO_FROM_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise error(
                f"The Word file was refused as a possible zip bomb: {info.filename} unpacks from "
                f"{_mb(info.compress_size)} to {_mb(info.file_size)} (more than {limits.max_ratio}x)."
            )
    if total > limits.max_unpacked_mb * 1_000_000:
        raise error(
            f"The Word file was refused as a possible zip bomb: it unpacks to {_mb(total)}, "
            f"more than the {limits.max_unpacked_mb} MB limit."
        )
    for info in infos:
        if info.filename.endswith((".xml", ".rels")):
            _forbid_dtd(archive, info, error)
