"""Key-ring helpers for tests: switch ``AGENTHUB_MASTER_KEYS`` and put stored secrets back after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from backend.security.keys import get_vault


def dev_ring_text() -> str:
    """The development key file's content (the session's ring, as ``AGENTHUB_MASTER_KEYS`` text)."""
    from backend.config import get_settings

    get_vault()  # makes sure the development key file exists
    return (get_settings().data_dir / "master.keys").read_text().strip()


def use_ring(value: str | None) -> None:
    """Make ``value`` the process's ``AGENTHUB_MASTER_KEYS`` (None: the development key file)."""
    from backend.config import get_settings

    if value is None:
        os.environ.pop("AGENTHUB_MASTER_KEYS", None)
    else:
        os.environ["AGENTHUB_MASTER_KEYS"] = value
    get_settings.cache_clear()
    get_vault.cache_clear()


@contextmanager
def restored_ring(extra: str) -> Iterator[None]:
    """Run a block that re-keys stored secrets; afterwards every secret is re-wrapped back under
    the development key (ring ``dev key, extra``), so later tests of the session still decrypt."""
    from backend.connections.rotation import rotate_all_secrets
    from backend.db import session_scope

    dev = dev_ring_text()
    try:
        yield
    finally:
        use_ring(f"{dev},{extra}")
        with session_scope() as session:
            rotate_all_secrets(vault=get_vault(), session=session)
        use_ring(None)
