"""Parsing real documents of every supported type, and the plain-words errors for bad files."""

from __future__ import annotations

import pytest

from backend.memory.parsing import ParseError, decode_text, file_type_for, parse_document
from tests.support.documents import fixture_bytes


def test_pdf_pages_become_sections_with_locations() -> None:
    doc = parse_document(fixture_bytes("handbook.pdf"), "pdf")
    assert doc.title == "Northwind Handbook"
    assert [s.location for s in doc.sections] == ["p. 1", "p. 2"]
    assert "180 euros" in doc.sections[0].text and "4417" in doc.sections[1].text


def test_docx_paragraphs_and_tables() -> None:
    doc = parse_document(fixture_bytes("policy.docx"), "docx")
    assert doc.title == "Returns policy"
    assert "45 days" in doc.sections[0].text and "Lagervej 12, Aarhus" in doc.sections[0].text


def test_html_keeps_text_and_drops_scripts_styles_and_navigation() -> None:
    doc = parse_document(fixture_bytes("page.html"), "html")
    text = doc.sections[0].text
    assert doc.title == "Orbital Coffee FAQ"
    assert "roasted every Tuesday in Tallinn" in text and "tenth coffee free" in text
    assert "do-not-index" not in text and "font-family" not in text and "Menu" not in text


def test_csv_rows_become_header_value_lines() -> None:
    text = parse_document(fixture_bytes("prices.csv"), "csv").sections[0].text
    assert text.splitlines()[1] == "product: Summit parka; price_eur: 249.50; warehouse: Gdansk"


def test_markdown_title_and_plain_text() -> None:
    assert parse_document(fixture_bytes("notes.md"), "md").title == "Release notes"
    assert "28 percent" in parse_document(fixture_bytes("readme.txt"), "txt").sections[0].text


@pytest.mark.parametrize("name", ["ukrainian.txt", "german.txt", "japanese.txt"])
def test_non_latin_and_accented_text_decodes(name: str) -> None:
    text = parse_document(fixture_bytes(name), "txt").sections[0].text
    assert any(word in text for word in ("Києв", "Київ", "schließt", "東京"))


def test_legacy_encodings_are_detected() -> None:
    assert "schließt" in decode_text("Die Bibliothek schließt um acht Uhr.".encode("cp1252"))
    assert decode_text("Привіт".encode("utf-16")) == "Привіт"


@pytest.mark.parametrize(
    ("data", "file_type", "message"),
    [
        (fixture_bytes("encrypted.pdf"), "pdf", "password-protected"),
        (fixture_bytes("corrupt.pdf"), "pdf", "damaged or not a PDF"),
        (b"this is not a pdf", "pdf", "damaged or not a PDF"),
        (b"PK\x03\x04 broken zip", "docx", "damaged or not a .docx"),
        (b"", "txt", "The file is empty."),
        (b"   \n\n  ", "md", "No text found"),
        (b"\x00\x01\x02binary\x00", "txt", "not look like a text file"),
    ],
)
def test_bad_files_raise_plain_errors(data: bytes, file_type: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_document(data, file_type)


def test_file_type_by_extension_then_content_type() -> None:
    assert file_type_for("Report.PDF") == "pdf"
    assert file_type_for("page", "text/html; charset=utf-8") == "html"
    assert file_type_for("tool.exe") is None
