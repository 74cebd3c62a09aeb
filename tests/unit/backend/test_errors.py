"""One field-errors type: every service's input errors carry a field map, survive pickling and read well."""

from __future__ import annotations

import pickle

import pytest

from backend.agents.service import BlueprintInvalid
from backend.connections.service import ConnectionInputError
from backend.errors import FieldErrors
from backend.gateway.admin import LimitInputError
from backend.tools.base import InvalidInput


@pytest.mark.parametrize("cls", [BlueprintInvalid, ConnectionInputError, LimitInputError, InvalidInput])
def test_every_area_raises_the_one_field_errors_type(cls: type[FieldErrors]) -> None:
    exc = cls({"name": "Enter a name.", "model": "Pick a model."})
    assert isinstance(exc, FieldErrors) and isinstance(exc, ValueError)
    back = pickle.loads(pickle.dumps(exc))  # noqa: S301  (our own object)
    assert type(back) is cls and back.errors == exc.errors and str(back) == str(exc)


def test_messages_name_the_field_only_where_a_model_reads_them() -> None:
    assert str(ConnectionInputError({"api_key": "Enter the key."})) == "Enter the key."
    assert str(InvalidInput({"due_date": "Not a date."})) == "due_date: Not a date."
