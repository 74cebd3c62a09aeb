"""Answer a run's ``approval_needed`` event over the API: approve or deny the waiting tool call
and stream the rest of the run.

The decision goes to ``backend.runtime.resume.resume_run``, the service the chat page's
Approve/Deny buttons use (no second implementation): the run is claimed once, the decided calls
run (or go back to the model as denied), the run continues and its events stream as SSE like
``POST /agents/{agent}/runs`` (numbered from 1 again; ``GET /runs/{run_id}/events`` resumes them).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from backend.accounts.principal import RunPrincipal
from backend.api import streams
from backend.api.deps import api_key
from backend.api.edge import resolve
from backend.api.errors import ApiError
from backend.api.keys import KeyIdentity
from backend.api.openai_routes import ERRORS
from backend.api.run_routes import secret_only, visible_run
from backend.api.runner import EventStreamResponse, native_events
from backend.api.schemas import SSE_DOC, ErrorBody
from backend.db import session_scope
from backend.models import Listing
from backend.runtime.events import RunStarted
from backend.runtime.resume import resume_run
from backend.runtime.run import RunRejected

router = APIRouter(tags=["Runs"])
CONFLICT = {"model": ErrorBody, "description": "The run is not (or no longer) waiting for approval."}


class ApprovalDecision(BaseModel):
    """``approve``: run the tool call (true) or tell the model the user denied it (false).
    When the run waits on several calls at once, ``others`` decides the rest by their
    ``approval_id``s; every waiting call not decided here is denied."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"approve": True}, {"approve": False, "others": {"8c1d...": True}}]},
    )
    approve: bool
    others: dict[str, bool] = Field(default_factory=dict, max_length=50)


def _prepare(identity: KeyIdentity, run_id: str, approval_id: str, body: ApprovalDecision) -> RunPrincipal:
    """The run's principal (checked again at the edge: scope, subscription, billing) once the run
    is the key's and waits on ``approval_id``.

    Raises:
        NotFound (404): not a run of this key's creator within its scope, or no such waiting call.
        ApiError 409: the run is not waiting for approval; 422: ``others`` names unknown calls.
    """
    with session_scope() as session:
        run = visible_run(identity, run_id, session)
        if run.status != "awaiting_approval":
            raise ApiError(409, f"This run is not waiting for approval (status {run.status}).")
        waiting = {str(p.get("step_id")) for p in (run.resume_state or {}).get("pending") or []}
        if approval_id not in waiting:
            raise ApiError(404, "No approval with this id is waiting on this run.", param="approval_id")
        if set(body.others) - waiting:
            raise ApiError(422, "`others` names calls this run is not waiting on.", param="others")
        if identity.scope == "listing":
            listing = session.get(Listing, identity.scope_id)
            model = listing.slug if listing is not None else ""
        else:
            model = run.agent_id
        return resolve(identity, model, session).principal


@router.post(
    "/runs/{run_id}/approvals/{approval_id}",
    responses={**ERRORS, 409: CONFLICT, 200: SSE_DOC},
    response_model=None,
    summary="Approve or deny a tool call and continue the run",
)
async def decide(
    run_id: str, approval_id: str, body: ApprovalDecision, identity: KeyIdentity = Depends(api_key)
) -> Any:
    """Answers an ``approval_needed`` event (its ``step_id`` is the ``approval_id``) of a run
    started by this key's creator, then streams the continued run: ``started``, ``tool_step``
    (the decided calls), ``token``, ..., ``done`` (possibly ``awaiting_approval`` again) or
    ``failed``. Secret keys only. A run is answered once: a second answer gets 409."""
    secret_only(identity)
    principal = await asyncio.to_thread(_prepare, identity, run_id, approval_id, body)
    gen = resume_run(principal=principal, run_id=run_id, decisions={**body.others, approval_id: body.approve})
    try:
        started = await anext(gen)  # claims the run once (a conditional UPDATE)
    except RunRejected as exc:  # answered meanwhile by another request or the chat page
        raise ApiError(409, str(exc)) from exc
    assert isinstance(started, RunStarted)  # noqa: S101  (resume_run's first event)
    stream = streams.start(started, gen, identity.id)
    return EventStreamResponse(native_events(stream, 0, listing=identity.scope == "listing"))
