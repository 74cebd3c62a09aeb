"""Password hashing (Argon2id, RFC 9106) and sign-up input checks (OWASP guidance).

Hashes use the RFC 9106 low-memory profile (Argon2id, t=3, m=64 MiB, p=4; argon2-cffi's
defaults). Test runs may set ``AGENTHUB_PASSWORD_HASH_PROFILE=test`` (t=1, m=64 KiB, p=1) to skip
the deliberate cost; production ignores that setting (``backend.config``). Length limits follow the OWASP
Authentication Cheat Sheet / NIST SP 800-63B: a minimum length, a generous maximum (to bound
hashing cost) and no composition rules. NIST SP 800-63B 3.1.1.2 also asks to refuse passwords
found in lists of commonly used or breached values: :func:`validate_password` asks ``zxcvbn``
(Dropbox's estimator, which ships frequency lists of leaked passwords, common words and names)
and refuses a guessability score below ``MIN_ZXCVBN_SCORE``.

Every function here is CPU-bound (Argon2 costs ~50-100 ms and 64 MiB; zxcvbn a few ms): call them
from a thread (``asyncio.to_thread``), never on an event loop.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from zxcvbn import zxcvbn

from backend.config import get_settings

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit minus the angle brackets
MIN_ZXCVBN_SCORE = 2  # 0-4; 2 = "somewhat guessable": >= 10**6 guesses (zxcvbn's README)
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters decide

_PROFILES = {
    "rfc9106": RFC_9106_LOW_MEMORY,
    # Tests only (refused in production): same salt and hash lengths, ~1000x cheaper.
    "test": dataclasses.replace(RFC_9106_LOW_MEMORY, time_cost=1, memory_cost=64, parallelism=1),
}
# One "@"; non-empty local part; domain of dot-separated non-empty labels; no whitespace.
_EMAIL_RE = re.compile(r"[^@\s]+@(?:[^@\s.]+\.)+[^@\s.]+")


@lru_cache(maxsize=len(_PROFILES))
def _hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(_PROFILES[profile])


def _hasher() -> PasswordHasher:
    """The hasher of the configured profile (``Settings.hash_profile``; RFC 9106 in production)."""
    return _hasher_for(get_settings().hash_profile)


def hash_password(password: str) -> str:
    """Hash ``password`` with Argon2id (RFC 9106) and a random salt.

    Returns:
        The PHC-format hash string (``$argon2id$v=19$m=...``), under 255 characters.

    Raises:
        argon2.exceptions.HashingError: only if the underlying library fails.
    """
    return _hasher().hash(password)


_dummy_hashes: dict[int, str] = {}  # id(hasher) -> a throwaway hash made with its parameters


def verify_dummy(password: str) -> None:
    """Spend the time of one :func:`verify_password` on a throwaway hash.

    Sign-in calls this for an unknown email so that known and unknown addresses answer in
    the same time (no account enumeration by timing; OWASP Authentication Cheat Sheet).
    """
    hasher = _hasher()
    dummy = _dummy_hashes.get(id(hasher))
    if dummy is None:
        dummy = _dummy_hashes[id(hasher)] = hasher.hash("agenthub-dummy-password")
    verify_password(dummy, password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check ``password`` against ``password_hash`` in constant time.

    Returns:
        True on a match; False on a mismatch or an invalid/unsupported hash (never raises
        for those).
    """
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):  # mismatch, corrupt or unsupported
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if ``password_hash`` used weaker parameters than the current defaults.

    Call after a successful :func:`verify_password` and store a fresh hash if True. A hash
    that cannot be parsed also returns True (it must be replaced).
    """
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def validate_password(password: str, user_inputs: list[str] | None = None) -> str | None:
    """Check a new password: length (OWASP) and guessability (NIST SP 800-63B, via zxcvbn).

    Args:
        password: the candidate.
        user_inputs: words the password must not lean on (the email and its parts).

    Returns:
        A user-facing error message (with zxcvbn's hint, e.g. "This is a very common
        password."), or None when the password is acceptable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be at most {MAX_PASSWORD_LENGTH} characters."
    words = [w for value in user_inputs or [] for w in re.split(r"[@.+_-]", value) + [value] if w]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=words)
    if result["score"] >= MIN_ZXCVBN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    hint = " ".join(filter(None, [feedback.get("warning") or "", *(feedback.get("suggestions") or [])[:1]]))
    return f"This password is too easy to guess. {hint or 'Add a few uncommon words.'}".strip()


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
