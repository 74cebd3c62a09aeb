"""Small building blocks shared by the builder pages."""

from __future__ import annotations

from typing import Any

import reflex as rx


def link_button(
    label: str, href: Any, *, icon: str = "", aria_label: Any = None, variant: str = "soft", size: str = "2"
) -> rx.Component:
    """A link (client-side navigation) that looks like a button.

    Args:
        label: Visible text.
        href: Target URL (a string or a string var).
        icon: Optional lucide icon name shown before the text.
        aria_label: Accessible name when the visible text is not unique on the page.
        variant: Radix button variant.
        size: Radix button size.
    """
    children = [rx.icon(icon, size=16), label] if icon else [label]
    props: dict[str, Any] = {"aria_label": aria_label} if aria_label is not None else {}
    return rx.button(
        rx.link(*children, href=href, underline="none", **props),
        as_child=True,
        variant=variant,
        size=size,
    )


def avatar(emoji: Any, *, size: str = "40px") -> rx.Component:
    """An emoji avatar in a rounded tile (decorative: the agent's name is always next to it)."""
    return rx.center(
        rx.text(emoji, font_size=f"calc({size} * 0.55)", line_height="1"),
        width=size,
        height=size,
        min_width=size,
        border_radius="10px",
        background="var(--accent-3)",
        aria_hidden="true",
    )
