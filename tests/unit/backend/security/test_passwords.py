"""Passwords: Argon2id hashing and sign-up validation."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from backend.security.passwords import (
    hash_password,
    needs_rehash,
    normalize_email,
    validate_email,
    validate_password,
    verify_password,
)

PASSWORD = "correct horse battery staple"


def test_hash_and_verify() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert len(hashed) <= 255
    assert verify_password(hashed, PASSWORD) is True
    assert hash_password(PASSWORD) != hashed  # random salt


def test_wrong_password_is_false() -> None:
    assert verify_password(hash_password(PASSWORD), PASSWORD + "!") is False


@pytest.mark.parametrize("bad_hash", ["", "not-a-hash", "$argon2id$v=19$m=65536,t=3,p=4$garbage"])
def test_invalid_hash_is_false_not_an_error(bad_hash: str) -> None:
    assert verify_password(bad_hash, PASSWORD) is False
    assert needs_rehash(bad_hash) is True


def test_needs_rehash() -> None:
    assert needs_rehash(hash_password(PASSWORD)) is False
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert verify_password(weak, PASSWORD) is True
    assert needs_rehash(weak) is True


_MORE = "Add another word or two. Uncommon words are better."


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "Password must be at least 10 characters."),
        ("123456789", "Password must be at least 10 characters."),
        ("violet tractor", None),
        (("violet tractor harmonica " * 11)[:256], None),
        ("x" * 257, "Password must be at most 256 characters."),
        ("pässwörd-ünïcode", None),
        ("1234567890", "This password is too easy to guess. This is a top-100 common password. " + _MORE),
        ("x" * 256, 'This password is too easy to guess. Repeats like "aaa" are easy to guess. ' + _MORE),
    ],
)
def test_validate_password(password: str, expected: str | None) -> None:
    assert validate_password(password) == expected


@pytest.mark.parametrize("email", ["ada@example.com", "a.b+tag@sub.example.co.uk", "x@y.io", "o'neil@example.org"])
def test_validate_email_accepts(email: str) -> None:
    assert validate_email(email) is None


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "a@b@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        "ada@example..com",
        "ada@.example.com",
        "ada@example.com.",
        " ada@example.com",
        "ada@example.com\n",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_validate_email_rejects(email: str) -> None:
    assert validate_email(email) == "Enter a valid email address."


def test_normalize_email() -> None:
    assert normalize_email("  Ada@Example.COM \n") == "ada@example.com"
    assert validate_email(normalize_email("  Ada@Example.COM ")) is None
