"""Conversation service: the note saying which fallback model answered a run."""

from __future__ import annotations

from backend.chat.service import fallback_note

NAMES = {"c1": "Primary", "c2": "Backup"}


def test_no_note_when_the_main_model_answered_or_none_did() -> None:
    assert fallback_note([], NAMES) == ""
    assert fallback_note([{"connection_id": "c1", "model": "gpt-4o-mini", "outcome": "ok", "tries": 1}], NAMES) == ""
    failed = [{"connection_id": "c1", "model": "m", "outcome": "error", "status_code": 500, "tries": 3}]
    assert fallback_note(failed, NAMES) == ""


def test_note_names_the_fallback_and_why_the_others_failed() -> None:
    path = [
        {"connection_id": "c1", "model": "gpt-4o-mini", "outcome": "error", "error_kind": "server", "status_code": 500,
         "tries": 3},
        {"connection_id": "gone", "model": "big", "outcome": "skipped", "error_kind": "missing"},
        {"connection_id": "c3", "model": "small", "outcome": "skipped", "error_kind": "context_window"},
        {"connection_id": "c2", "model": "test-model", "outcome": "ok", "tries": 1},
    ]  # fmt: skip
    assert fallback_note(path, NAMES) == (
        "Answered by test-model on Backup (fallback 3) after gpt-4o-mini on Primary failed (HTTP 500, 3 tries); "
        "big skipped (connection deleted); small skipped (context window too small)."
    )
    timeout = [
        {"connection_id": "c1", "model": "a", "outcome": "error", "error_kind": "timeout", "tries": 1},
        {"connection_id": "c2", "model": "b", "outcome": "ok", "tries": 1},
    ]
    assert fallback_note(timeout, NAMES) == "Answered by b on Backup (fallback 1) after a on Primary failed (timeout)."
