"""Local ``$ref`` resolution for OpenAPI documents (JSON Pointer, RFC 6901).

Only references inside the document (``#/components/...``) are followed; external files and
URLs are reported as errors, never fetched. Problems are appended to the caller's error list as
``"place: problem"`` lines instead of being raised, so one pass reports them all.

Inlining is bounded by depth and, over the whole document, by the number of objects produced
and their approximate JSON size: a few kB of schemas that refer to each other several times
per level expand exponentially (a 6.5 kB document reached 6.7 GB), so past the budget
:class:`ExpansionTooLarge` is raised instead.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32
MAX_NODES = 250_000
MAX_BYTES = 8_000_000
MAX_ERRORS = 100  # problems recorded while inlining; the document reports at most 50


class ExpansionTooLarge(ValueError):
    """Resolving the document's ``$ref``s would produce more than the node or byte budget."""


class RefResolver:
    """Resolves ``{"$ref": "#/a/b"}`` nodes against one document."""

    def __init__(self, document: dict[str, Any], *, max_nodes: int = MAX_NODES, max_bytes: int = MAX_BYTES) -> None:
        """Args: ``max_nodes`` objects and ``max_bytes`` (approximate JSON bytes) over every inline."""
        self._doc = document
        self._max_nodes, self._max_bytes = max_nodes, max_bytes
        self._nodes = self._bytes = 0
        self._found: dict[Any, Any] = {}  # reference -> target, for references found before

    def _spend(self, node: Any) -> None:
        self._nodes += 1
        if isinstance(node, dict):
            self._bytes += 2 + sum(len(str(k)) + 4 for k in node)
        else:
            self._bytes += len(node) + 2 if isinstance(node, str) else 8
        if self._nodes > self._max_nodes:
            raise ExpansionTooLarge(
                f"This OpenAPI document expands to more than {self._max_nodes:,} objects when its $refs are "
                "resolved, so it was refused; remove repeated references or import a smaller part of the API."
            )
        if self._bytes > self._max_bytes:
            raise ExpansionTooLarge(
                f"This OpenAPI document expands to more than {self._max_bytes / 1_000_000:g} MB when its $refs "
                "are resolved, so it was refused; remove repeated references or import a smaller part of the API."
            )

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

        Raises:
            ExpansionTooLarge: the inlined schemas of this resolver exceed its node/byte budget.
        """
        return self._inline(schema, (where,), errors, (), 0)

    def _inline(self, node: Any, where: _Place, errors: list[str], stack: tuple[str, ...], depth: int) -> Any:
        # ``where`` is built lazily ((parent, suffix) pairs): formatting a place string per node
        # cost more than the inlining itself.
        if depth > MAX_DEPTH:
            self._spend({})  # the {} put in its place
            if len(errors) < MAX_ERRORS:
                errors.append(f"{_place(where)}: schema nested too deeply")
            return {}
        if not (isinstance(node, dict) and "$ref" in node):
            self._spend(node)
        if isinstance(node, list):
            return [self._inline(v, (where, f"[{i}]"), errors, stack, depth + 1) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in stack:
                errors.append(f"{_place(where)}: recursive schema {ref!r} is not supported")
                return {}
            found, target = (
                self._lookup(ref, _place(where), errors) if ref not in self._found else (True, self._found[ref])
            )
            if not found:
                return {}
            self._found[ref] = target
            return self._inline(target, where, errors, (*stack, str(ref)), depth + 1)
        return {k: self._inline(v, (where, f".{k}"), errors, stack, depth + 1) for k, v in node.items()}


_Place = tuple[Any, ...]


def _place(where: _Place) -> str:
    """``(("paths./a", ".b"), "[0]")`` -> ``"paths./a.b[0]"``."""
    parts: list[str] = []
    node: Any = where
    while len(node) == 2:
        node, suffix = node
        parts.append(suffix)
    parts.append(node[0])
    return "".join(reversed(parts))


def expanded_size(data: Any, limit: int) -> int:
    """How many values ``data`` holds once shared (aliased) containers are counted at every use.

    ``yaml.safe_load`` turns an alias into a second reference to the same object, so a "billion
    laughs" document loads small but expands to ``width ** levels`` values when walked. Counted
    once per distinct container (memoised by identity; a cycle counts as 0), so this is linear.

    Returns:
        The count, or ``limit + 1`` as soon as it passes ``limit``.
    """
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        if id(node) in memo:
            return memo[id(node)]
        memo[id(node)] = 0
        children = list(node.values()) if isinstance(node, dict) else node
        total = 1 + len(children) * isinstance(node, dict) + sum(size(v) for v in children)
        memo[id(node)] = min(total, limit + 1)
        return memo[id(node)]

    return size(data)
