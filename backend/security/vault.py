"""Envelope encryption for provider API keys (AES-256-GCM, NIST SP 800-38D).

Each secret gets a fresh random 256-bit data key that encrypts the plaintext. The data key
is wrapped with AES-256-GCM under the ring's current master key (GCM rather than RFC 3394
key wrap, because key wrap cannot authenticate associated data). Token, urlsafe base64
without padding::

    v1.<key id>.<b64 data nonce>.<b64 wrap nonce || wrapped data key>.<b64 ciphertext>

The caller's associated data (e.g. ``f"{workspace_id}:{record_id}"``) is authenticated by
both the wrap and the ciphertext, so a token copied to another row fails. Nonces are 96-bit
random values (SP 800-38D §8.2.2); each data key is used once. Plaintext and key material
never appear in logs, exceptions or reprs.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger(__name__)

KEYS_FILE_NAME = "master.keys"
_VERSION, _KEY_LEN, _NONCE_LEN, _TAG_LEN = "v1", 32, 12, 16
_WRAPPED_LEN = _NONCE_LEN + _KEY_LEN + _TAG_LEN
_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64_RE = re.compile(r"[A-Za-z0-9_-]*")
_BAD_ID = "key id must be 1-32 characters of A-Z a-z 0-9 _ -"
_DECRYPT_FAILED = "Secret could not be decrypted (corrupt token, wrong record or unknown key)."
_MASK_PREFIXES = ("sk-proj-", "sk-ant-", "sk-", "gsk_", "xai-", "AIza")


class VaultError(Exception):
    """Bad key configuration or an undecryptable token. Messages never carry secrets."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    """Strict urlsafe base64 decode (padding optional, canonical only); ValueError if not."""
    body = text.rstrip("=")
    if not _B64_RE.fullmatch(body) or len(text) - len(body) > 2:
        raise ValueError("not urlsafe base64")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except binascii.Error:
        raise ValueError("not urlsafe base64") from None
    if _b64e(raw) != body:
        raise ValueError("non-canonical base64")
    return raw


def _valid_key_id(key_id: str) -> bool:
    return bool(_KEY_ID_RE.fullmatch(key_id))


class KeyRing:
    """Master keys by id; the current one wraps new data keys, all of them unwrap.

    Args:
        keys: ``{key_id: 32-byte key}``; ids are 1-32 chars of ``[A-Za-z0-9_-]`` (never
            ``.``, ``:`` or ``,``, which separate tokens and config entries).
        current_key_id: the id used for new encryptions; must be in ``keys``.

    Raises:
        VaultError: on an invalid id, a key that is not 32 bytes, or an unknown current id.
    """

    def __init__(self, keys: Mapping[str, bytes], current_key_id: str) -> None:
        if not all(_valid_key_id(k) for k in keys):
            raise VaultError(f"Master {_BAD_ID}.")
        if not all(isinstance(v, bytes) and len(v) == _KEY_LEN for v in keys.values()):
            raise VaultError("Master keys must be exactly 32 bytes.")
        if current_key_id not in keys:
            raise VaultError("The current master key id is not in the key ring.")
        self._keys, self._current = dict(keys), current_key_id

    @property
    def current_key_id(self) -> str:
        """The id of the key that wraps new data keys."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids, current first."""
        return (self._current, *(k for k in self._keys if k != self._current))

    def _key(self, key_id: str) -> bytes:
        if key_id not in self._keys:
            raise VaultError(_DECRYPT_FAILED)
        return self._keys[key_id]

    def __repr__(self) -> str:
        return f"KeyRing(current_key_id={self._current!r}, key_ids={list(self.key_ids)!r})"

    @classmethod
    def from_env_string(cls, value: str, *, source: str = "AGENTHUB_MASTER_KEYS") -> KeyRing:
        """Parse ``"kid1:<urlsafe b64 of 32 bytes>,kid2:..."``; the first entry is current.

        Args:
            value: comma-separated entries; whitespace around entries is ignored.
            source: the name used in error messages (env var or file path).

        Raises:
            VaultError: on empty input, a malformed entry, a bad or duplicate id, or a key that
                is not 32 bytes. Messages name the entry position, never its content.
        """
        entries = [e.strip() for e in value.split(",")] if value.strip() else []
        if not entries:
            raise VaultError(f"{source} is empty; expected 'kid:base64key[,kid:base64key...]'.")
        keys: dict[str, bytes] = {}
        for pos, entry in enumerate(entries, start=1):
            key_id, sep, encoded = entry.partition(":")
            where = f"{source} entry {pos}"
            if not sep:
                raise VaultError(f"{where} is malformed; expected 'kid:base64key'.")
            if not _valid_key_id(key_id):
                raise VaultError(f"{where}: {_BAD_ID}.")
            if key_id in keys:
                raise VaultError(f"{where}: duplicate key id.")
            try:
                keys[key_id] = _b64d(encoded)
            except ValueError:
                raise VaultError(f"{where}: key is not urlsafe base64.") from None
            if len(keys[key_id]) != _KEY_LEN:
                raise VaultError(f"{where}: key must decode to exactly 32 bytes.")
        return cls(keys, next(iter(keys)))

    @staticmethod
    def generate_key_string(key_id: str) -> str:
        """Return a fresh ``"kid:<urlsafe b64 of 32 random bytes>"`` entry.

        Raises:
            VaultError: if ``key_id`` is not 1-32 characters of ``[A-Za-z0-9_-]``.
        """
        if not _valid_key_id(key_id):
            raise VaultError(f"Master {_BAD_ID}.")
        return f"{key_id}:{_b64e(AESGCM.generate_key(bit_length=256))}"


def load_or_create_keyring(*, env_value: str | None, data_dir: Path, production: bool) -> KeyRing:
    """Build the ring from ``AGENTHUB_MASTER_KEYS``, else from ``data_dir/master.keys``.

    Outside production a missing key file is created (mode 0600) with a fresh key and a
    WARNING is logged with its path (never the key).

    Raises:
        VaultError: in production without ``env_value``, or when the keys are malformed.
    """
    if env_value and env_value.strip():
        return KeyRing.from_env_string(env_value)
    if production:
        raise VaultError("AGENTHUB_MASTER_KEYS is required in production")
    path = data_dir / KEYS_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; read its file
            fd = -1
        if fd >= 0:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(KeyRing.generate_key_string("dev1") + "\n")
            logger.warning(
                "Generated a development master key at %s. Back it up (losing it makes stored "
                "provider keys unreadable) and set AGENTHUB_MASTER_KEYS in production.",
                path,
            )
    return KeyRing.from_env_string(path.read_text(encoding="ascii"), source=str(path))


def _aad(kind: str, associated_data: str, key_id: str = "") -> bytes:
    if not isinstance(associated_data, str) or not associated_data:
        raise VaultError("associated_data must be a non-empty string.")
    return "\x00".join(("agenthub-vault", _VERSION, kind, key_id, associated_data)).encode()


class Vault:
    """Encrypts and decrypts text secrets under a :class:`KeyRing` (format: module docstring)."""

    def __init__(self, keyring: KeyRing) -> None:
        self._ring = keyring

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of the ring's master keys, current first (never key material)."""
        return self._ring.key_ids

    def __repr__(self) -> str:
        return f"Vault(current_key_id={self._ring.current_key_id!r}, key_ids={list(self._ring.key_ids)!r})"

    def _seal(self, data_key: bytes, nonce: bytes, ciphertext: bytes, associated_data: str) -> str:
        key_id, wrap_nonce = self._ring.current_key_id, os.urandom(_NONCE_LEN)
        wrapped = AESGCM(self._ring._key(key_id)).encrypt(wrap_nonce, data_key, _aad("wrap", associated_data, key_id))
        return ".".join((_VERSION, key_id, _b64e(nonce), _b64e(wrap_nonce + wrapped), _b64e(ciphertext)))

    @staticmethod
    def _parse(token: str) -> tuple[str, bytes, bytes, bytes]:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 5 or parts[0] != _VERSION or not _valid_key_id(parts[1]):
            raise VaultError(_DECRYPT_FAILED)
        try:
            nonce, wrapped, ciphertext = (_b64d(p) for p in parts[2:])
        except ValueError:
            raise VaultError(_DECRYPT_FAILED) from None
        if len(nonce) != _NONCE_LEN or len(wrapped) != _WRAPPED_LEN or len(ciphertext) < _TAG_LEN:
            raise VaultError(_DECRYPT_FAILED)
        return parts[1], nonce, wrapped, ciphertext

    def _open(self, token: str, associated_data: str) -> tuple[bytes, bytes, bytes, bytes]:
        """Authenticate wrap and ciphertext; returns (plaintext, data key, nonce, ciphertext)."""
        key_id, nonce, wrapped, ciphertext = self._parse(token)
        master = AESGCM(self._ring._key(key_id))
        try:
            data_key = master.decrypt(wrapped[:_NONCE_LEN], wrapped[_NONCE_LEN:], _aad("wrap", associated_data, key_id))
            raw = AESGCM(data_key).decrypt(nonce, ciphertext, _aad("data", associated_data))
        except InvalidTag:
            raise VaultError(_DECRYPT_FAILED) from None
        return raw, data_key, nonce, ciphertext

    def encrypt(self, plaintext: str, *, associated_data: str) -> str:
        """Encrypt ``plaintext`` bound to ``associated_data``; each call gives a new token.

        Returns:
            ``v1.<key id>.<nonce>.<wrapped key>.<ciphertext>`` (ASCII, no ``=`` padding).

        Raises:
            VaultError: if ``plaintext`` is not a str or ``associated_data`` is empty.
        """
        if not isinstance(plaintext, str):
            raise VaultError("Only text secrets can be encrypted.")
        data_key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(_NONCE_LEN)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), _aad("data", associated_data))
        return self._seal(data_key, nonce, ciphertext, associated_data)

    def decrypt(self, token: str, *, associated_data: str) -> str:
        """Return the plaintext of ``token`` if it was made for ``associated_data``.

        Raises:
            VaultError: with a generic message for a malformed or tampered token, wrong
                associated data or an unknown key id.
        """
        raw = self._open(token, associated_data)[0]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError(_DECRYPT_FAILED) from None

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` is wrapped under a key other than the current one.

        Raises:
            VaultError: if ``token`` is not a well-formed v1 token.
        """
        return self._parse(token)[0] != self._ring.current_key_id

    def rotate(self, token: str, *, associated_data: str) -> str:
        """Re-wrap ``token``'s data key under the current master key; ciphertext is kept.

        The token is fully authenticated first, so a tampered token is never re-wrapped.

        Raises:
            VaultError: as :meth:`decrypt`.
        """
        _, data_key, nonce, ciphertext = self._open(token, associated_data)
        return self._seal(data_key, nonce, ciphertext, associated_data)


def record_ad(workspace_id: str, record_id: str) -> str:
    """The associated data a record's secret is encrypted with: ``"<workspace id>:<record id>"``.

    Binding the token to its workspace and row means a token copied into another row or
    workspace does not decrypt.
    """
    return f"{workspace_id}:{record_id}"


def mask_secret(secret: str) -> str:
    """Show a secret as a hint: known prefix + ``…`` + last 4 chars (``"sk-…a1b2"``).

    Known prefixes: ``sk-proj-``, ``sk-ant-``, ``sk-``, ``gsk_``, ``xai-``, ``AIza``; one is
    kept only while at least 4 other characters stay hidden. Under 8 characters gives
    ``"••••"``; empty (or blank) gives ``""``.
    """
    secret = secret.strip()
    if not secret:
        return ""
    if len(secret) < 8:
        return "••••"
    prefix = next((p for p in _MASK_PREFIXES if secret.startswith(p)), "")
    if len(secret) - len(prefix) - 4 < 4:
        prefix = ""
    return f"{prefix}…{secret[-4:]}"
