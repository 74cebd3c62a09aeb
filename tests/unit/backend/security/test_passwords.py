"""Passwords: Argon2id hashing and sign-up validation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from backend.security.passwords import (
    hash_password,
    needs_rehash,
    normalize_email,
    validate_email,
    validate_password,
    verify_password,
)
from tests.support.settings_env import app_env  # noqa: F401  (the fixture)

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


def test_production_hashes_at_the_rfc9106_cost_whatever_the_test_setting(app_env: Callable[..., None]) -> None:  # noqa: F811
    """The test suite hashes cheaply (tests/conftest.py); production never does."""
    app_env(AGENTHUB_ENV="production", AGENTHUB_PASSWORD_HASH_PROFILE="test")
    hashed = hash_password(PASSWORD)
    assert extract_parameters(hashed) == RFC_9106_LOW_MEMORY  # Argon2id, t=3, m=64 MiB, p=4
    assert "$argon2id$v=19$m=65536,t=3,p=4$" in hashed
    assert verify_password(hashed, PASSWORD) is True and needs_rehash(hashed) is False
    app_env(AGENTHUB_ENV="development", AGENTHUB_PASSWORD_HASH_PROFILE="rfc9106")  # the default profile
    assert extract_parameters(hash_password(PASSWORD)) == RFC_9106_LOW_MEMORY


def test_a_test_profile_hash_is_upgraded_on_the_production_cost(app_env: Callable[..., None]) -> None:  # noqa: F811
    app_env(AGENTHUB_PASSWORD_HASH_PROFILE="test")
    cheap = hash_password(PASSWORD)
    assert extract_parameters(cheap).memory_cost == 64 and verify_password(cheap, PASSWORD) is True
    app_env(AGENTHUB_ENV="production")
    assert verify_password(cheap, PASSWORD) is True and needs_rehash(cheap) is True


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
