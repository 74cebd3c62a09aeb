"""Turning uploaded files into plain text: txt, md, pdf (pypdf), html (BeautifulSoup), csv, docx.

Every failure is a :class:`ParseError` whose message is one plain sentence for the builder's
file list ("The PDF is password-protected; ..."), so one bad file never stops the others.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import charset_normalizer
import docx
import pypdf
from bs4 import BeautifulSoup
from pypdf.errors import FileNotDecryptedError, PdfReadError

from backend.memory.archive import check_docx_archive
from backend.memory.limits import DEFAULT_LIMITS, ParseLimits

FILE_TYPES = ("txt", "md", "pdf", "html", "csv", "docx")
_EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".docx": "docx",
}
_CONTENT_TYPES = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
_BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "pre",
    "blockquote",
    "dt",
    "dd",
    "table",
    "ul",
    "ol",
    "header",
    "aside",
    "figure",
    "figcaption",
]
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "head")


class ParseError(ValueError):
    """The file cannot be turned into text; the message says why in plain words."""


@dataclass(frozen=True)
class Section:
    """A piece of a document: ``text`` and where it is (``location``, e.g. ``"p. 3"``; may be empty)."""

    text: str
    location: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed document: its ``title`` (from the file or its content) and text ``sections``."""

    title: str
    sections: list[Section]

    @property
    def text_length(self) -> int:
        """Characters of text over all sections."""
        return sum(len(s.text) for s in self.sections)


def file_type_for(name: str, content_type: str = "") -> str | None:
    """The parser for a file name (by extension) or, failing that, an HTTP content type.

    Returns:
        One of ``FILE_TYPES``, or None when unsupported.
    """
    ext = PurePath(name.lower()).suffix
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    return _CONTENT_TYPES.get(content_type.split(";", 1)[0].strip().lower())


def unsupported_message(name: str) -> str:
    """The plain-words error for a file type we do not read."""
    ext = PurePath(name).suffix or "(no extension)"
    return f"Unsupported file type {ext}: upload .txt, .md, .pdf, .html, .csv or .docx."


def decode_text(data: bytes) -> str:
    """Decode text bytes: UTF-8 (BOM allowed), UTF-16 with BOM, else charset detection.

    Raises:
        ParseError: the bytes look binary (NUL bytes without a UTF-16 BOM, or undetectable).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise ParseError("This does not look like a text file (unknown encoding).") from None
        text = str(best)
    if "\x00" in text:
        raise ParseError("This does not look like a text file (it contains binary data).")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _first_heading(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            return line.lstrip("#").strip()[:200]
    return ""


def _parse_pdf(data: bytes, limits: ParseLimits) -> ParsedDocument:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError("The PDF is password-protected: remove the password and upload it again.")
        if len(reader.pages) > limits.max_pages:
            raise ParseError(f"The PDF has {len(reader.pages):,} pages; the limit is {limits.max_pages:,}.")
        pages = list(reader.pages)
        sections = []
        for number, page in enumerate(pages, start=1):
            text = (page.extract_text() or "").strip()
            if text:
                sections.append(Section(text, f"p. {number}"))
        title = ""
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title)[:200]
    except ParseError:
        raise
    except FileNotDecryptedError:
        raise ParseError("The PDF is password-protected: remove the password and upload it again.") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise ParseError(f"The PDF is damaged or not a PDF ({type(exc).__name__}).") from None
    if not sections:
        raise ParseError("No text found in the PDF (scanned pages need OCR, which is not supported yet).")
    return ParsedDocument(title, sections)


def _parse_docx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    check_docx_archive(data, limits, ParseError)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ParseError(f"The Word file is damaged or not a .docx file ({type(exc).__name__}).") from None
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                parts.append(" | ".join(cells))
    title = (document.core_properties.title or "").strip()[:200]
    return ParsedDocument(title, [Section("\n\n".join(parts))])


def _parse_html(data: bytes) -> ParsedDocument:
    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True)[:200] if soup.title else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    lines = (" ".join(line.split()) for line in soup.get_text().split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return ParsedDocument(title, [Section(text)])


def _parse_csv(data: bytes) -> ParsedDocument:
    text = decode_text(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise ParseError(f"The CSV file could not be read ({exc}).") from None
    if not rows:
        return ParsedDocument("", [Section("")])
    header, body = rows[0], rows[1:]
    if not body:
        return ParsedDocument("", [Section(", ".join(header))])
    lines = []
    for row in body:
        named = enumerate(zip(header, row, strict=False))
        pairs = [f"{h.strip() or f'column {i + 1}'}: {v.strip()}" for i, (h, v) in named]
        lines.append("; ".join(p for p in pairs if not p.endswith(": ")))
    return ParsedDocument("", [Section("\n".join(lines))])


def parse_document(data: bytes, file_type: str, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """Extract text from a file's bytes.

    This runs the parser in the calling process; uploads go through
    :func:`backend.memory.parse_worker.parse_and_chunk`, which runs it in a worker process.

    Args:
        data: The whole file.
        file_type: One of ``FILE_TYPES`` (see :func:`file_type_for`).
        limits: ``max_pages`` (PDF) and the DOCX archive budgets apply here.

    Returns:
        ``ParsedDocument``; PDF sections are pages (``location`` ``"p. N"``).

    Raises:
        ParseError: empty file, encrypted/damaged PDF, too many pages, damaged DOCX or one
            refused as a zip bomb, binary data in a text file, no text at all, or an
            unsupported ``file_type``.
    """
    if not data:
        raise ParseError("The file is empty.")
    if file_type == "pdf":
        doc = _parse_pdf(data, limits)
    elif file_type == "docx":
        doc = _parse_docx(data, limits)
    elif file_type == "html":
        doc = _parse_html(data)
    elif file_type == "csv":
        doc = _parse_csv(data)
    elif file_type in ("txt", "md"):
        text = decode_text(data)
        doc = ParsedDocument(_first_heading(text) if file_type == "md" else "", [Section(text)])
    else:
        raise ParseError(f"Unsupported file type {file_type!r}.")
    if not any(s.text.strip() for s in doc.sections):
        raise ParseError("No text found in the file.")
    return doc
