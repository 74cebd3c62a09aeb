"""Markdown for text from outside (model replies, tool results, fetched pages): never raw HTML.

Reflex 0.10's ``rx.markdown`` renders raw HTML by default (``rehype-raw``), so a reply holding
``<iframe srcdoc="<script>…">`` would run script on the app's origin. :func:`safe_markdown`
turns that plugin off (react-markdown then shows HTML as plain text), keeps only ``http``,
``https`` and ``mailto`` links (plus same-site relative ones) and opens links in a new tab with
``rel="noopener noreferrer"``. Images load only from the app itself (the Content-Security-Policy
in ``dashboard/http_security.py`` forbids outside images, so a reply cannot leak data by URL).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

# react-markdown's ``urlTransform(url) -> url | ""``. A URL with a scheme has a ":" before any
# "/", "?" or "#" (the rule of react-markdown's own defaultUrlTransform); only http(s) and mailto
# schemes are kept. Browsers drop leading blanks and tabs/newlines inside a scheme, so anything
# before the colon that is not a plain scheme (" javascript:", "java\tscript:") is refused too.
_URL_TRANSFORM: Var[Any] = Var(
    _js_expr=(
        "((url) => { const u = String(url ?? ''); "
        "return (/^[^/?#]*:/.test(u) && !/^(https?|mailto):/i.test(u)) ? '' : u; })"
    )
)

LINK_REL = "noopener noreferrer"


def _link(*children: Any, **props: Any) -> rx.Component:
    # underlined: a link inside text must not be told apart by colour alone (WCAG 1.4.1)
    return rx.link(*children, is_external=True, rel=LINK_REL, underline="always", **props)


def safe_markdown(content: rx.Var | str, **props: Any) -> rx.Component:
    """Render ``content`` as markdown without raw HTML, with safe links.

    Args:
        content: the markdown source (a state Var or a string); any HTML in it shows as text.
        **props: style props passed on to ``rx.markdown``.

    Returns:
        The markdown component.
    """
    wrapper = rx.markdown(content, use_raw=False, component_map={"a": _link}, **props)
    wrapper.children[0].custom_attrs["urlTransform"] = _URL_TRANSFORM  # the ReactMarkdown element
    return wrapper
