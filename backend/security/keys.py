"""The process-wide vault, built from ``AGENTHUB_MASTER_KEYS`` or the development key file."""

from __future__ import annotations

from functools import lru_cache

from backend.config import get_settings
from backend.security.vault import Vault, load_or_create_keyring


@lru_cache(maxsize=1)
def get_vault() -> Vault:
    """Return the vault for this process (clear with ``get_vault.cache_clear()`` in tests).

    Raises:
        VaultError: production without ``AGENTHUB_MASTER_KEYS``, or a malformed key ring.
    """
    settings = get_settings()
    keyring = load_or_create_keyring(
        env_value=settings.master_keys,
        data_dir=settings.ensure_data_dir(),
        production=settings.is_production,
    )
    return Vault(keyring)
