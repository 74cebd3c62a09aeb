"""The embed widget (filled below)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["Embed widget"])
