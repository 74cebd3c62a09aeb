"""Accessibility checks for the end-to-end tests: axe-core run inside the page under test.

axe-core's script comes from the ``axe-playwright-python`` package (it ships ``axe.min.js``), so
the check works offline once the test extras are installed. Use::

    from tests.support.axe import axe_violations, describe

    found = axe_violations(page)  # serious and critical problems of the page as it is now
    assert not found, describe(found)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SERIOUS = ("serious", "critical")

_RUN_JS = """async ([exclude, options]) => {
    const context = exclude.length ? {include: [document], exclude: exclude.map(s => [s])} : document;
    const results = await window.axe.run(context, options);
    return results.violations.map(v => ({
        id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary || "", html: n.html})),
    }));
}"""


@dataclass(frozen=True)
class Violation:
    """One axe-core rule the page breaks.

    Attributes:
        rule: axe-core rule id, e.g. ``"label"`` or ``"color-contrast"``.
        impact: ``"minor"``, ``"moderate"``, ``"serious"`` or ``"critical"``.
        help: What the rule asks for, in a sentence.
        help_url: Deque's page about the rule.
        nodes: ``(CSS selector, why it fails, the element's HTML)`` of each failing element.
    """

    rule: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[tuple[str, str, str], ...]

    def __str__(self) -> str:
        lines = [f"[{self.impact}] {self.rule}: {self.help} ({self.help_url})"]
        for target, summary, html in self.nodes[:5]:
            lines.append(f"    at {target}: {html[:160]}")
            lines.extend(f"        {line}" for line in summary.splitlines() if line.strip())
        if len(self.nodes) > 5:
            lines.append(f"    ... and {len(self.nodes) - 5} more elements")
        return "\n".join(lines)


@cache
def _axe_script() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


_SETTLE_JS = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null)))"""


def axe_violations(
    page: Any,
    *,
    impacts: tuple[str, ...] = SERIOUS,
    exclude: tuple[str, ...] = (),
    rules: dict[str, bool] | None = None,
) -> list[Violation]:
    """Run axe-core (WCAG 2.x A/AA and best-practice rules) on ``page`` as it is now.

    Args:
        page: A Playwright (sync API) ``Page``, already showing what should be checked.
        impacts: Which impacts to return; serious and critical by default.
        exclude: CSS selectors of regions to leave out (e.g. a third-party widget).
        rules: axe rule ids switched on (True) or off (False) for this run.

    Returns:
        The violations with one of ``impacts``, each with the failing elements; empty when none.
    """
    page.evaluate(_SETTLE_JS)  # a dialog fading in has half its colours: check the settled page
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["rules"] = {rule: {"enabled": on} for rule, on in rules.items()}
    found = page.evaluate(_RUN_JS, [list(exclude), options])
    return [
        Violation(
            rule=v["id"],
            impact=v["impact"],
            help=v["help"],
            help_url=v["helpUrl"],
            nodes=tuple((n["target"], n["summary"], n["html"]) for n in v["nodes"]),
        )
        for v in found
        if v["impact"] in impacts
    ]


def describe(violations: list[Violation]) -> str:
    """A readable report of ``violations`` for an assertion message."""
    if not violations:
        return "no accessibility violations"
    return f"{len(violations)} accessibility violation(s):\n" + "\n".join(str(v) for v in violations)
