"""Every vault-encrypted column is in the rotation registry (found from the models and the code)."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import SQLModel

import backend
import backend.models  # noqa: F401  (registers every table)
from backend.models.common import VAULT_ENCRYPTED
from backend.security.encrypted import ENCRYPTED_COLUMNS

BACKEND = Path(backend.__file__).parent
REGISTERED = {(spec.model.__tablename__, spec.column) for spec in ENCRYPTED_COLUMNS}  # type: ignore[attr-defined]


def _columns() -> list[tuple[str, str, dict[object, object]]]:
    return [(t.name, c.name, dict(c.info)) for t in SQLModel.metadata.sorted_tables for c in t.columns]


def encrypt_targets(source: str) -> list[str]:
    """Attribute/keyword names that receive ``<something>.encrypt(...)`` in ``source``; ``"?"``
    for a call whose destination cannot be told (which the test refuses)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "encrypt"):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Assign) and all(isinstance(t, ast.Attribute) for t in parent.targets):
            out += [t.attr for t in parent.targets if isinstance(t, ast.Attribute)]
        elif isinstance(parent, ast.keyword) and parent.arg:
            out.append(parent.arg)
        else:
            out.append("?")
    return out


def test_every_marked_column_is_registered_and_every_registered_column_is_marked() -> None:
    marked = {(table, column) for table, column, info in _columns() if info.get(VAULT_ENCRYPTED)}
    assert marked, "no column carries the vault marker: the discovery is broken"
    assert marked == REGISTERED


def test_columns_named_like_secrets_are_marked() -> None:
    suspicious = {
        (table, column)
        for table, column, info in _columns()
        if "secret" in column and not column.endswith("_hint") and not info.get(VAULT_ENCRYPTED)
    }
    assert not suspicious, f"columns named like secrets without encrypted_column(): {sorted(suspicious)}"


def test_every_encrypt_call_in_the_backend_writes_a_registered_column() -> None:
    registered_names = {column for _, column in REGISTERED}
    found: dict[str, list[str]] = {}
    for path in BACKEND.rglob("*.py"):
        if path.name == "vault.py":  # the vault itself
            continue
        targets = encrypt_targets(path.read_text(encoding="utf-8"))
        if targets:
            found[str(path.relative_to(BACKEND))] = targets
    assert found, "no encrypt call found: the scan is broken"
    unknown = {where: t for where, targets in found.items() for t in targets if t not in registered_names}
    assert not unknown, f"vault.encrypt results stored outside the rotation registry: {unknown}"


def test_the_scan_sees_assignments_keywords_and_unknown_destinations() -> None:
    source = (
        "row.api_token = get_vault().encrypt(x, associated_data=a)\n"
        "Thing(webhook_secret=vault.encrypt(y, associated_data=b))\n"
        "send(vault.encrypt(z, associated_data=c))\n"
    )
    assert sorted(encrypt_targets(source)) == ["?", "api_token", "webhook_secret"]
