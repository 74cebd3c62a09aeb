"""Cost insights: what a successful run costs per agent and per model, and what the period's
recorded tokens would have cost on each model of the workspace's catalog."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from backend.accounts import permissions
from backend.accounts.actor import Actor
from backend.analytics.breakdowns import agent_names
from backend.analytics.measures import Runs, Usage, by_agent, runs_by
from backend.analytics.periods import Period
from backend.analytics.tables import Table, change, usd
from backend.gateway.catalog import get_catalog
from backend.models.gateway import usd_to_nano


@dataclass(frozen=True)
class CostInsights:
    """``per_agent``/``per_model``: cost per successful run; ``what_if``: the same tokens priced
    by each catalog model."""

    per_agent: Table
    per_model: Table
    what_if: Table

    def tables(self) -> tuple[Table, ...]:
        """All three, in page order."""
        return (self.per_agent, self.per_model, self.what_if)


def _per_run(runs: Runs) -> str | None:
    return usd(runs.cost_nano_usd // runs.succeeded) if runs.succeeded else None


def _per_success_rows(groups: dict[tuple[object, ...], Runs]) -> list[tuple[tuple[object, ...], Runs]]:
    return sorted(groups.items(), key=lambda kv: (-(kv[1].cost_nano_usd // max(kv[1].succeeded, 1)), str(kv[0])))


def _what_if(actor: Actor, session: Session, total: Usage) -> Table:
    rows = []
    for entry in get_catalog(actor=actor, session=session):
        if entry.input_usd_per_1m is None or entry.output_usd_per_1m is None:
            continue
        usd_cost = (
            total.prompt_tokens * entry.input_usd_per_1m + total.completion_tokens * entry.output_usd_per_1m
        ) / 1e6
        nano = usd_to_nano(usd_cost)
        rows.append(
            (
                entry.model,
                entry.connection_name,
                entry.input_usd_per_1m,
                entry.output_usd_per_1m,
                usd(nano),
                change(nano, total.cost_nano_usd),
                nano,
            )
        )
    rows.sort(key=lambda r: (r[-1], r[0]))
    columns = ("model", "connection", "input_usd_per_1m", "output_usd_per_1m", "estimated_cost_usd", "vs_actual_pct")
    return Table("what_if", "The same tokens on other models", columns, tuple(r[:-1] for r in rows))


def cost_insights(*, actor: Actor, period: Period, agent_id: str | None = None, session: Session) -> CostInsights:
    """Cost per successful run (all finished runs' cost / succeeded runs) per agent and per
    provider/model, and the period's prompt + completion tokens priced at each priced catalog
    model's list (or override) price, against the recorded cost.

    Returns:
        A :class:`CostInsights`; USD with 6 decimals; ``vs_actual_pct`` is the change against the
        recorded cost in percent (empty when nothing was spent).

    Raises:
        PermissionDenied: the actor is not a member of the workspace, or a viewer (``analytics.view``).
    """
    permissions.require(actor, permissions.ANALYTICS_VIEW, session)
    ws = actor.workspace_id
    s, e = period.start_hour, period.end_hour
    names = agent_names(session, ws)
    figures = by_agent(session, ws, s, e, agent_id)
    total = Usage()
    for usage, _ in figures.values():
        total.add(usage)
    agents = _per_success_rows({(a,): r for a, (_, r) in figures.items() if r.runs})
    per_agent = Table(
        "cost_per_agent",
        "Cost per successful run, by agent",
        ("agent", "runs", "succeeded", "cost_usd", "cost_per_successful_run_usd"),
        tuple(
            (names.get(str(k[0]), "(deleted agent)"), r.runs, r.succeeded, usd(r.cost_nano_usd), _per_run(r))
            for k, r in agents
        ),
    )
    models = _per_success_rows(runs_by(session, ws, s, e, agent_id, ["provider", "model"]))  # type: ignore[arg-type]
    per_model = Table(
        "cost_per_model",
        "Cost per successful run, by model",
        ("provider", "model", "runs", "succeeded", "cost_usd", "cost_per_successful_run_usd"),
        tuple(
            (str(k[0]) or "(none)", str(k[1]) or "(none)", r.runs, r.succeeded, usd(r.cost_nano_usd), _per_run(r))
            for k, r in models
        ),
    )
    return CostInsights(per_agent, per_model, _what_if(actor, session, total))
