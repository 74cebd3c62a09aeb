"""``next=`` after sign-in: a path on this site, never another origin."""

from __future__ import annotations

import pytest

from backend.security.redirects import local_path


@pytest.mark.parametrize("path", ["/agents", "/invite/tok_en-1", "/signin?next=%2Fagents", "/a/b?c=d#e"])
def test_a_local_path_is_kept(path: str) -> None:
    assert local_path(path) == path


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "https://evil.example/agents",
        "javascript:alert(1)",
        "agents",
        "",
        None,
        ["/agents"],
        "/" + "a" * 2048,
    ],
)
def test_anything_else_gives_the_default(target: object) -> None:
    assert local_path(target) == "/agents"
    assert local_path(target, "/home") == "/home"
