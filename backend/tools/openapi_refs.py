"""Local ``$ref`` resolution for OpenAPI documents (JSON Pointer, RFC 6901).

Only references inside the document (``#/components/...``) are followed; external files and
URLs are reported as errors, never fetched. Problems are appended to the caller's error list as
``"place: problem"`` lines instead of being raised, so one pass reports them all.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32


class RefResolver:
    """Resolves ``{"$ref": "#/a/b"}`` nodes against one document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._doc = document

    def _lookup(self, ref: Any, where: str, errors: list[str]) -> tuple[bool, Any]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            errors.append(f"{where}.$ref: only references inside the document ('#/...') are supported, got {ref!r}")
            return False, None
        node: Any = self._doc
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            key = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                errors.append(f"{where}.$ref: {ref!r} not found")
                return False, None
        return True, node

    def resolve(self, node: Any, where: str, errors: list[str]) -> Any:
        """Follow ``node``'s ``$ref`` chain (if any) to the object it names.

        Returns:
            The target, ``node`` itself when it is not a reference, or None when a reference is
            broken, external or circular (the problem is appended to ``errors``).
        """
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if isinstance(ref, str) and ref in seen:
                errors.append(f"{where}.$ref: circular reference {ref!r}")
                return None
            seen.add(str(ref))
            found, node = self._lookup(ref, where, errors)
            if not found:
                return None
        return node

    def inline(self, schema: Any, where: str, errors: list[str]) -> Any:
        """A copy of ``schema`` with every ``$ref`` replaced by its target (recursively).

        Recursive schemas (a tree node containing nodes) cannot be inlined and are reported.
        """
        return self._inline(schema, where, errors, (), 0)

    def _inline(self, node: Any, where: str, errors: list[str], stack: tuple[str, ...], depth: int) -> Any:
        if depth > MAX_DEPTH:
            errors.append(f"{where}: schema nested too deeply")
            return {}
        if isinstance(node, list):
            return [self._inline(v, f"{where}[{i}]", errors, stack, depth + 1) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:
                errors.append(f"{where}: recursive schema {ref!r} is not supported")
                return {}
            found, target = self._lookup(ref, where, errors)
            if not found:
                return {}
            return self._inline(target, where, errors, (*stack, str(ref)), depth + 1)
        return {k: self._inline(v, f"{where}.{k}", errors, stack, depth + 1) for k, v in node.items()}
