"""The publish form's fields: dollars typed by a publisher become integer cents (budgets nano-USD),
bad numbers are reported on their own field, and every service error lands beside a field."""

from __future__ import annotations

from marketplace.pages.listing_fields import OWN_CONNECTION, field_errors, form_values, listing_input
from marketplace.pages.rows import rating_text
from marketplace.schemas import ExamplePair, ListingInput, RatingSummary


def test_prices_typed_in_dollars_become_cents_and_the_budget_nano_usd() -> None:
    data, errors = listing_input(
        {
            "title": "Invoice helper",
            "plan_kind": "monthly",
            "monthly_price": "$1,200.50",
            "included_runs": "100",
            "price_per_run": "0.07",
            "subscriber_monthly_budget": "2.5",
            "subscriber_requests_per_min": "",
            "connection_id": OWN_CONNECTION,
            "tags": "finance, invoices ,",
        }
    )
    assert errors == {}
    assert (data.monthly_price_cents, data.included_runs, data.price_per_run_cents) == (120050, 100, 7)
    assert data.subscriber_monthly_budget_nano == 2_500_000_000
    assert data.subscriber_requests_per_min is None
    assert data.connection_id == ""  # the agent's own connection pays
    assert data.tags == ["finance", "invoices"]


def test_text_in_a_number_field_is_an_error_on_that_field_only() -> None:
    _, errors = listing_input({"title": "X", "monthly_price": "nine dollars", "included_runs": "1.5"})
    shown = field_errors(errors)
    assert shown["monthly_price"] == "Type an amount in dollars, e.g. 9.50."
    assert shown["included_runs"] == "Type a whole number."
    assert shown["title"] == ""


def test_empty_example_slots_are_dropped_and_errors_find_their_example() -> None:
    data, _ = listing_input(
        {"example_prompt_0": "", "example_answer_0": "", "example_prompt_2": "Hi?", "example_answer_2": "Hello!"}
    )
    assert data.examples == [ExamplePair(prompt="Hi?", answer="Hello!")]
    shown = field_errors({"examples[1].prompt": "Write the example prompt.", "monthly_price_cents": "Too low."})
    assert shown["example_prompt_1"] == "Write the example prompt."
    assert shown["monthly_price"] == "Too low."


def test_the_form_shows_a_saved_listing_as_typed_back() -> None:
    saved = ListingInput(
        title="Tutor",
        plan_kind="per_run",
        price_per_run_cents=250,
        subscriber_monthly_budget_nano=1_500_000_000,
        connection_id="conn-1",
        examples=[ExamplePair(prompt="2+2?", answer="4")],
        tags=["math"],
    )
    values = form_values(saved)
    assert (values["price_per_run"], values["subscriber_monthly_budget"], values["tags"]) == ("2.50", "1.5", "math")
    again, errors = listing_input({**values, "plan_kind": "per_run"})
    assert errors == {} and again == saved


def test_ratings_read_naturally() -> None:
    assert rating_text(RatingSummary(0.0, 0)) == "No reviews yet"
    assert rating_text(RatingSummary(5.0, 1)) == "5.0 ★ (1 review)"
    assert rating_text(RatingSummary(4.25, 1200)) == "4.2 ★ (1,200 reviews)"
