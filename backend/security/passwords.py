"""Password hashing (Argon2id, RFC 9106) and sign-up input checks (OWASP guidance).

Hashes use argon2-cffi's :class:`~argon2.PasswordHasher` defaults, which follow the RFC 9106
low-memory profile (Argon2id, t=3, m=64 MiB, p=4). Length limits follow the OWASP
Authentication Cheat Sheet / NIST SP 800-63B: a minimum length, a generous maximum (to bound
hashing cost) and no composition rules.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit minus the angle brackets

_hasher = PasswordHasher()
# One "@"; non-empty local part; domain of dot-separated non-empty labels; no whitespace.
_EMAIL_RE = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]+")


def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id (RFC 9106) and a random salt.

    Returns:
        The PHC-format hash string (``$argon2id$v=19$m=...``), under 255 characters.

    Raises:
        argon2.exceptions.HashingError: only if the underlying library fails.
    """
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check ``password`` against ``password_hash`` in constant time.

    Returns:
        True on a match; False on a mismatch or an invalid/unsupported hash (never raises
        for those).
    """
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):  # mismatch, corrupt or unsupported
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if ``password_hash`` used weaker parameters than the current defaults.

    Call after a successful :func:`verify_password` and store a fresh hash if True. A hash
    that cannot be parsed also returns True (it must be replaced).
    """
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def validate_password(password: str) -> str | None:
    """Check a new password's length (OWASP: min length, long max, no composition rules).

    Returns:
        A user-facing error message, or None when the password is acceptable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be at most {MAX_PASSWORD_LENGTH} characters."
    return None


def normalize_email(email: str) -> str:
    """Return ``email`` stripped of surrounding whitespace and lower-cased."""
    return email.strip().lower()


def validate_email(email: str) -> str | None:
    """Practical email check: one ``@``, a dot in the domain, no spaces, <= 254 characters.

    Pass the value through :func:`normalize_email` first; surrounding spaces are rejected.

    Returns:
        ``"Enter a valid email address."`` or None when the address looks valid.
    """
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_RE.fullmatch(email):
        return "Enter a valid email address."
    return None
