"""Marketplace settings, from the environment (``AGENTHUB_MARKETPLACE_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketplaceSettings(BaseSettings):
    """Try-it limits (see :mod:`marketplace.trial`).

    Attributes:
        try_runs_per_visitor: runs a visitor (one browser, or one signed-in user) may try of one
            listing per window (``AGENTHUB_MARKETPLACE_TRY_RUNS_PER_VISITOR``, default 3).
        try_runs_per_ip: runs one IP address may try of one listing per window, across browsers
            (``AGENTHUB_MARKETPLACE_TRY_RUNS_PER_IP``, default 10: an office behind one NAT).
        try_window: the window, a ``limits`` period word: ``minute``, ``hour`` or ``day`` (default).
    """

    model_config = SettingsConfigDict(env_prefix="AGENTHUB_MARKETPLACE_", extra="ignore")

    try_runs_per_visitor: int = 3
    try_runs_per_ip: int = 10
    try_window: str = "day"


@lru_cache(maxsize=1)
def get_marketplace_settings() -> MarketplaceSettings:
    """The process-wide marketplace settings (tests clear the cache after changing the environment)."""
    return MarketplaceSettings()
