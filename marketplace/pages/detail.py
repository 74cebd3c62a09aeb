"""``/marketplace/[slug]``: a listing's page: description, pricing, rating and reviews, publisher,
examples, tools and what data leaves, version and changelog, trust figures, Try it, Subscribe,
review and report."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.shell.forms import banner, labelled
from dashboard.shell.markdown import safe_markdown
from marketplace.pages.common import MUTED, empty, frame, loading
from marketplace.pages.detail_state import CHAT_PREFIX, DetailState
from marketplace.pages.trial_panel import trial_panel
from marketplace.reviews import MAX_REPLY_CHARS, MAX_REVIEW_CHARS

S: Any = DetailState


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.el.section(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="2", width="100%"),
        style={"width": "100%"},
        aria_label=title,
    )


def _actions() -> rx.Component:
    signed_out = rx.link(rx.button("Sign in to subscribe"), href="/signin?next=/marketplace/" + S.slug)
    subscribed = rx.hstack(
        rx.badge("Subscribed", color_scheme="green", size="2"),
        rx.text("You run version ", S.running_version, size="2"),
        rx.link(
            rx.button(rx.icon("message_square", size=16), "Chat"),
            href="/chat?agent=" + CHAT_PREFIX + S.listing_id,
            aria_label="Chat with " + S.title,
        ),
        align="center",
        spacing="3",
    )
    subscribe = rx.button(
        rx.icon("plus", size=16),
        rx.cond(S.paid, "Subscribe · " + S.price, "Subscribe (free)"),
        on_click=S.subscribe,
        disabled=S.status != "published",
    )
    signed_in = rx.cond(
        S.is_publisher,
        rx.hstack(
            rx.badge("Your listing", size="2"), rx.link("Manage in Publisher", href="/publisher"), align="center"
        ),
        rx.cond(S.subscribed, subscribed, subscribe),
    )
    report = rx.button(
        rx.icon("flag", size=14), "Report", variant="ghost", color_scheme="gray", on_click=S.open_report("listing")
    )
    return rx.hstack(
        rx.cond(S.signed, signed_in, signed_out), rx.spacer(), rx.cond(S.signed, report), width="100%", align="center"
    )


def _summary() -> rx.Component:
    return rx.hstack(
        rx.text(S.icon, size="9", aria_hidden="true"),
        rx.vstack(
            rx.text(S.tagline, size="4"),
            rx.hstack(
                rx.text("by ", rx.text.strong(S.publisher), size="2"),
                rx.badge(S.category, variant="outline"),
                rx.text(S.rating, size="2"),
                rx.text(S.subscribers, " subscribers", size="2", color=MUTED),
                rx.badge(S.price, color_scheme="green", variant="soft", size="2"),
                rx.text("Version ", S.version, size="2", color=MUTED),
                rx.cond(S.status != "published", rx.badge(S.status, color_scheme="amber")),
                spacing="3",
                align="center",
                flex_wrap="wrap",
            ),
            spacing="2",
        ),
        spacing="4",
        align="center",
        width="100%",
    )


def _example(pair: Any) -> rx.Component:
    return rx.card(
        rx.text("You: ", pair.first, weight="medium", white_space="pre-wrap"),
        rx.box(safe_markdown(pair.second), class_name="example-answer"),
        width="100%",
    )


def _pair_line(pair: Any) -> rx.Component:
    return rx.el.li(rx.text.strong(pair.first), ": ", pair.second)


def _change(entry: Any) -> rx.Component:
    return rx.box(
        rx.text("Version ", entry.version, " · ", entry.date, weight="medium", size="2"),
        safe_markdown(entry.changelog),
        width="100%",
    )


def _reply_form(review: Any) -> rx.Component:
    return rx.form(
        rx.input(type="hidden", name="review_id", value=review.id),
        labelled(
            "Reply to " + review.author,
            rx.text_area(id="reply-" + review.id, name="reply", max_length=MAX_REPLY_CHARS),
            "reply-" + review.id,
        ),
        rx.button("Publish reply", type="submit", size="1"),
        on_submit=S.reply,
        width="100%",
    )


def _review(review: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(
                    review.stars_text, aria_label=review.stars.to_string() + " of 5 stars", color="var(--amber-10)"
                ),
                rx.text.strong(review.author),
                rx.text(review.date, size="1", color=MUTED),
                rx.spacer(),
                rx.cond(
                    S.signed & ~review.mine,
                    rx.button(
                        "Report",
                        size="1",
                        variant="ghost",
                        color_scheme="gray",
                        on_click=S.open_report(review.id),
                        aria_label="Report review by " + review.author,
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.text(review.text, white_space="pre-wrap"),
            rx.cond(
                review.reply != "",
                rx.box(
                    rx.text("Reply from the publisher", size="1", weight="bold"),
                    rx.text(review.reply, size="2", white_space="pre-wrap"),
                    padding_left="16px",
                    border_left="3px solid var(--accent-6)",
                ),
                rx.cond(S.is_publisher, _reply_form(review)),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="review",
    )


def _review_form() -> rx.Component:
    stars = rx.select.root(
        rx.select.trigger(id="review-stars"),
        rx.select.content(*[rx.select.item("★" * n + f" ({n})", value=str(n)) for n in range(5, 0, -1)]),
        value=S.my_stars,
        on_change=S.set_stars,
    )
    return rx.form(
        rx.vstack(
            rx.heading(rx.cond(S.has_review, "Edit your review", "Write a review"), size="3", as_="h3"),
            labelled("Stars", stars, "review-stars"),
            labelled(
                "Your review",
                rx.text_area(
                    id="review_text", name="review_text", default_value=S.my_text, max_length=MAX_REVIEW_CHARS
                ),
                "review_text",
            ),
            banner(S.review_error),
            rx.button("Save review", type="submit"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_review,
        width="100%",
    )


def _reviews() -> rx.Component:
    return _section(
        "Reviews",
        rx.text(S.rating, size="3", weight="medium", id="rating-summary"),
        rx.el.ul(rx.foreach(S.histogram, _pair_line), style={"margin": "0"}),
        rx.cond(S.can_review, _review_form()),
        rx.cond(
            S.reviews.length() == 0,
            rx.text("No reviews yet. Subscribers who have used the agent can write one.", color=MUTED),
            rx.vstack(rx.foreach(S.reviews, _review), width="100%", spacing="2"),
        ),
    )


def _report_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.report_target == "listing", "Report this listing", "Report this review")),
            rx.dialog.description("Tell the moderators what is wrong. They will look at it.", size="2"),
            rx.form(
                labelled("Reason", rx.text_area(id="report-reason", name="reason", max_length=1000), "report-reason"),
                banner(S.report_error),
                rx.hstack(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                    rx.button("Send report", type="submit", color_scheme="red"),
                    justify="end",
                    spacing="3",
                    margin_top="12px",
                ),
                on_submit=S.send_report,
            ),
            max_width="480px",
        ),
        open=S.report_target != "",
        on_open_change=S.report_dialog,
    )


def _body() -> rx.Component:
    return rx.vstack(
        _summary(),
        _actions(),
        banner(S.notice, kind="success"),
        banner(S.error),
        _section("About", rx.box(safe_markdown(S.description), class_name="listing-description", width="100%")),
        trial_panel(S.listing_id),
        rx.cond(S.examples.length() > 0, _section("Examples", rx.foreach(S.examples, _example))),
        _section(
            "Tools and your data",
            rx.cond(
                S.tools.length() == 0,
                rx.text("This agent uses no tools.", color=MUTED),
                rx.el.ul(rx.foreach(S.tools, _pair_line)),
            ),
            rx.callout(S.data_leaves, icon="shield", color_scheme="gray", size="1"),
        ),
        _section("Trust", rx.el.ul(rx.foreach(S.trust, _pair_line), id="trust-figures")),
        _section("Version and changelog", rx.text("Current version: ", S.version), rx.foreach(S.changelog, _change)),
        _reviews(),
        _report_dialog(),
        width="100%",
        spacing="5",
    )


def listing_page() -> rx.Component:
    """``/marketplace/[slug]``: the listing, or "not found" (drafts and suspended ones are hidden)."""
    return frame(
        rx.cond(S.found, S.title, "Marketplace"),
        lambda: rx.cond(
            S.loading,
            loading(),
            rx.cond(
                S.found,
                _body(),
                empty(
                    "🧭",
                    "Listing not found",
                    "It may have been unlisted or removed.",
                    rx.link(rx.button("Browse the marketplace"), href="/marketplace"),
                ),
            ),
        ),
        public=True,
    )
