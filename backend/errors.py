"""Errors every service shares: input problems reported per form field."""

from __future__ import annotations

from typing import ClassVar


class FieldErrors(ValueError):
    """Invalid input; ``errors`` maps a form field (e.g. ``"api_key"``, ``"parameters[1].name"``) to its message.

    Services raise a subclass named for their area (``ConnectionInputError``, ``BlueprintInvalid``,
    ...) so callers can catch one area's input errors; pages show each message next to its field.
    ``str(exc)`` joins the messages with ``"; "`` (for logs and a form-level banner); with
    ``name_fields`` set on the subclass each message is prefixed by its field (``"due_date: ..."``),
    for errors read by a model rather than shown beside a form field.
    """

    name_fields: ClassVar[bool] = False

    def __init__(self, errors: dict[str, str]) -> None:
        parts = (f"{k}: {v}" if self.name_fields else v for k, v in errors.items())
        super().__init__("; ".join(parts))
        self.errors = errors

    def __reduce__(self) -> tuple[type[FieldErrors], tuple[dict[str, str]]]:
        """Pickle with the field map (errors may cross a process boundary)."""
        return (type(self), (self.errors,))


class LimitInputError(FieldErrors):
    """Invalid budget, rate-limit or price-override input (``backend.gateway.admin``)."""
