"""Hostile documents for the parser-budget tests: ``$ref`` fan-out, YAML aliases, DOCX zip bombs.

Each builder returns the bytes/text an attacker would upload; sizes are chosen to match the
review's findings (issue 9): a ~2.5 kB and a ~6.5 kB OpenAPI ``$ref`` bomb, a ~0.75 MB DOCX whose
``word/document.xml`` inflates to hundreds of MB, and a small DOCX that yields >20,000 passages.
"""

from __future__ import annotations

import functools
import io
import json
import random
import zipfile
from collections.abc import Callable
from typing import BinaryIO

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def ref_bomb(levels: int, fan_out: int, operations: int = 1, size: int = 0) -> str:
    """An OpenAPI 3 JSON document whose request body fans out ``fan_out ** levels`` objects.

    Schema ``L{i}`` has ``fan_out`` properties, each a ``$ref`` to ``L{i+1}``; every operation's
    body refers to ``L0``. The text stays a few kB (padded to ``size`` characters with an
    ``info.description``); the inlined schema grows exponentially.
    """
    schemas: dict[str, object] = {}
    for i in range(levels):
        props = {f"p{j}": {"$ref": f"#/components/schemas/L{i + 1}"} for j in range(fan_out)}
        schemas[f"L{i}"] = {"type": "object", "properties": props}
    schemas[f"L{levels}"] = {"type": "string"}
    body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}}
    paths = {f"/p{k}": {"post": {"operationId": f"op{k}", "requestBody": body}} for k in range(operations)}
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "bomb", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }
    text = json.dumps(doc, separators=(",", ":"))
    if len(text) < size:
        doc["info"] = {"title": "bomb", "version": "1", "description": "x" * (size - len(text) - 18)}
        text = json.dumps(doc, separators=(",", ":"))
    return text


def ref_bomb_small() -> str:
    """2.5 kB: 9 levels of fan-out 4 (262,144 leaves) behind one operation."""
    return ref_bomb(levels=9, fan_out=4, operations=1, size=2500)


def ref_bomb_large() -> str:
    """6.5 kB: 12 levels of fan-out 6 (2.2 billion leaves), behind three operations."""
    return ref_bomb(levels=12, fan_out=6, operations=3, size=6500)


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" YAML OpenAPI document: ``width ** levels`` strings through aliases.

    The bomb sits in the request body schema (``enum``), which the importer inlines.
    """
    lines = ["openapi: 3.0.3", "info: {title: laughs, version: '1'}", "x-laughs:"]
    lines.append("  l0: &l0 [" + ", ".join(["lol"] * width) + "]")
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    lines += [
        "servers: [{url: 'https://api.example.com'}]",
        "paths:",
        "  /laugh:",
        "    post:",
        "      operationId: laugh",
        "      requestBody:",
        "        content:",
        "          application/json:",
        f"            schema: {{type: object, properties: {{x: {{enum: *l{levels - 1}}}}}}}",
    ]
    return "\n".join(lines) + "\n"


def _docx_with_body(write_body: Callable[[BinaryIO], None]) -> bytes:
    """A minimal valid DOCX whose ``word/document.xml`` body is streamed by ``write_body(fh)``."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", rels)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
            fh.write(head.encode())
            write_body(fh)
            fh.write(b"</w:body></w:document>")
    return buf.getvalue()


@functools.cache
def docx_zip_bomb(megabytes: int = 250) -> bytes:
    """~0.75 MB on disk; ``word/document.xml`` inflates to ``megabytes`` MB (10**6 bytes) of paragraphs."""

    def body(fh: BinaryIO) -> None:
        rng = random.Random(9)
        block = "".join(
            f"<w:p><w:r><w:t>Row {rng.randrange(10) if rng.random() < 0.002 else 0} of the bomb</w:t></w:r></w:p>"
            for _ in range(200_000)
        ).encode()
        for _ in range(megabytes * 1_000_000 // len(block)):
            fh.write(block)

    return _docx_with_body(body)


@functools.cache
def docx_many_passages(paragraphs: int = 20_001) -> bytes:
    """A small DOCX (~85 kB) of ``paragraphs`` long, distinct paragraphs: one passage each."""

    def body(fh: BinaryIO) -> None:
        filler = " ".join(["lorem ipsum dolor sit amet"] * 46)  # ~1,200 characters
        for i in range(paragraphs):
            fh.write(f"<w:p><w:r><w:t>Paragraph {i}. {filler}</w:t></w:r></w:p>".encode())

    return _docx_with_body(body)
