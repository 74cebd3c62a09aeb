"""Native run API: start a run and stream its typed events (SSE, resumable), read runs,
conversations and messages, upload knowledge and follow its ingestion.

``{agent}`` in a path is a model id from ``GET /api/v1/models`` (an agent's, or a subscribed
listing's slug). Publishable keys (the embed widget) may only start runs and read their own.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, Request, UploadFile
from sqlmodel import Session, select
from starlette.datastructures import UploadFile as StarletteUploadFile

from backend.accounts.actor import Actor, NotFound
from backend.api import streams
from backend.api.deps import api_key, client_ip
from backend.api.edge import ScopeDenied, Target, resolve
from backend.api.errors import ApiError
from backend.api.keys import KeyIdentity
from backend.api.openai_routes import ERRORS
from backend.api.runner import EventStreamResponse, check_text, native_events, start_run
from backend.api.schemas import (
    SSE_DOC,
    ConversationCreate,
    ConversationView,
    KnowledgeView,
    MessageView,
    PlanView,
    RunRequest,
    RunView,
)
from backend.chat.principal import create_conversation_for, list_conversations_for, messages_for
from backend.db import session_scope
from backend.memory.knowledge import UploadedFile, add_files, list_sources
from backend.models import Listing, Message, PlanPublic, Run
from backend.runtime.plans import plan_of_run, plans_of_conversation

router = APIRouter(tags=["Runs"])
MAX_FILES = 10
MAX_FILE_BYTES = 50_000_000  # read cap per uploaded file; the knowledge service applies the configured limit


def secret_only(identity: KeyIdentity) -> None:
    if identity.kind == "publishable":
        raise ScopeDenied("Publishable keys may only chat; use a secret key for this.")


@router.post(
    "/agents/{agent}/runs",
    responses={**ERRORS, 200: SSE_DOC},
    response_model=None,
    summary="Start a run and stream its events",
)
async def start(agent: str, body: RunRequest, request: Request, identity: KeyIdentity = Depends(api_key)) -> Any:
    """Stores the run and the message and streams ``started``, ``token``, ``tool_step``,
    ``approval_needed``, ``citation``, ``plan`` / ``plan_step`` (planner mode: the plan and each
    step's status), ``usage`` and ``done`` / ``failed`` events. If every
    reader disconnects for longer than the grace period, the run is cancelled like Stop."""
    text = check_text(body.message)
    target, stream = await start_run(
        identity, agent, text, conversation_id=body.conversation_id, browser_id=body.browser_id, ip=client_ip(request)
    )
    return EventStreamResponse(native_events(stream, 0, listing=target.listing))


@router.get(
    "/runs/{run_id}/events",
    responses={**ERRORS, 200: SSE_DOC},
    response_model=None,
    summary="Resume a run's event stream",
)
async def resume(
    run_id: str,
    identity: KeyIdentity = Depends(api_key),
    last_event_id: Annotated[str | None, Header(description="The last event id received, e.g. `12`.")] = None,
) -> Any:
    """Replays the events after ``Last-Event-ID`` and follows the run live until it ends
    (available for runs started by this key, up to ten minutes after they ended, on the app
    process that started them: event buffers are per process; elsewhere the answer is 404)."""
    stream = streams.find(run_id, identity.id)
    if stream is None:
        raise ApiError(
            404,
            "No resumable stream for this run on this server process: the run is unknown to this key, ended "
            "more than ten minutes ago, or streams from another app process (streams resume only on the "
            "process that started them). GET /api/v1/runs/{run_id} still shows its state.",
            code="stream_not_found",
        )
    listing = identity.scope == "listing"
    return EventStreamResponse(native_events(stream, streams.parse_last_event_id(last_event_id), listing=listing))


def visible_run(identity: KeyIdentity, run_id: str, session: Session) -> Run:
    run = session.get(Run, run_id)
    if run is None or run.user_id != identity.user_id:
        raise NotFound("Run not found.")
    if identity.scope == "listing":
        listing = session.get(Listing, identity.scope_id)
        ok = listing is not None and listing.agent_id == run.agent_id
    elif identity.scope == "agent":
        ok = run.agent_id == identity.scope_id and run.workspace_id == identity.workspace_id
    else:
        ok = run.workspace_id == identity.workspace_id
    if not ok:
        raise NotFound("Run not found.")
    return run


def _run_view(identity: KeyIdentity, run_id: str) -> RunView:
    with session_scope() as session:
        run = visible_run(identity, run_id, session)
        answer = session.exec(
            select(Message.content).where(Message.run_id == run.id, Message.role == "assistant")
        ).first()
        return RunView(
            id=run.id,
            conversation_id=run.conversation_id,
            status=run.status,
            error=run.error,
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            cost_nano_usd=None if identity.scope == "listing" else run.cost_nano_usd,
            latency_ms=run.latency_ms,
            created_at=run.created_at,
            finished_at=run.finished_at,
            answer=answer or "",
            plan=_plan_view(plan_of_run(run.id, session)),
        )


def _plan_view(plan: PlanPublic | None) -> PlanView | None:
    return None if plan is None else PlanView.model_validate(plan.model_dump(exclude={"run_id"}))


@router.get("/runs/{run_id}", response_model=RunView, responses=ERRORS, summary="Get a run")
async def get_run(run_id: str, identity: KeyIdentity = Depends(api_key)) -> RunView:
    """The run's status, tokens, cost and answer, and in planner mode its plan: the ordered steps
    with goal, executor, tools, status and result (runs of this key's creator within its scope)."""
    secret_only(identity)
    return await asyncio.to_thread(_run_view, identity, run_id)


def _target(identity: KeyIdentity, agent: str, session: Session) -> Target:
    secret_only(identity)
    return resolve(identity, agent, session)


def _conversations(identity: KeyIdentity, agent: str) -> list[ConversationView]:
    with session_scope() as session:
        target = _target(identity, agent, session)
        rows = list_conversations_for(principal=target.principal, session=session)
        return [ConversationView(id=c.id, title=c.title, updated_at=c.updated_at) for c in rows]


@router.get(
    "/agents/{agent}/conversations",
    response_model=list[ConversationView],
    responses=ERRORS,
    summary="List conversations",
)
async def conversations(agent: str, identity: KeyIdentity = Depends(api_key)) -> list[ConversationView]:
    """The key creator's conversations with the agent, newest first (at most 100)."""
    return await asyncio.to_thread(_conversations, identity, agent)


def _create(identity: KeyIdentity, agent: str) -> ConversationView:
    with session_scope() as session:
        target = _target(identity, agent, session)
        conv = create_conversation_for(
            principal=target.principal, session=session, blueprint_version_id=target.version_id
        )
        return ConversationView(id=conv.id, title=conv.title, updated_at=conv.updated_at)


@router.post(
    "/agents/{agent}/conversations",
    response_model=ConversationView,
    status_code=201,
    responses=ERRORS,
    summary="Create a conversation",
)
async def create_conversation(
    agent: str, body: ConversationCreate | None = None, identity: KeyIdentity = Depends(api_key)
) -> ConversationView:
    """A new, empty conversation (pass its id as ``conversation_id`` when starting runs)."""
    del body
    return await asyncio.to_thread(_create, identity, agent)


def _messages(identity: KeyIdentity, agent: str, conversation_id: str) -> list[MessageView]:
    with session_scope() as session:
        target = _target(identity, agent, session)
        rows = messages_for(principal=target.principal, conversation_id=conversation_id, session=session)
        plans = plans_of_conversation(conversation_id, session)  # {assistant message id: plan}
        return [
            MessageView(
                id=m.id,
                role=m.role,
                content=m.content,
                run_status=m.run_status,
                error=m.error,
                run_id=m.run_id,
                plan=_plan_view(plans.get(m.id)),
            )
            for m in rows
        ]


@router.get(
    "/agents/{agent}/conversations/{conversation_id}/messages",
    response_model=list[MessageView],
    responses=ERRORS,
    summary="List a conversation's messages",
)
async def messages(agent: str, conversation_id: str, identity: KeyIdentity = Depends(api_key)) -> list[MessageView]:
    """Messages in order, with the run (id, status) of assistant messages and, in planner mode,
    the run's plan with each step's status and result."""
    return await asyncio.to_thread(_messages, identity, agent, conversation_id)


def _owner_actor(identity: KeyIdentity, agent: str, session: Session) -> tuple[Actor, str]:
    target = _target(identity, agent, session)
    if target.listing:
        raise ScopeDenied("Only the agent's own workspace can change its knowledge.")
    return Actor(identity.user_id, identity.workspace_id), target.principal.agent_id


def _knowledge(identity: KeyIdentity, agent: str, files: list[UploadedFile] | None) -> list[KnowledgeView]:
    with session_scope() as session:
        actor, agent_id = _owner_actor(identity, agent, session)
        rows = (
            add_files(actor=actor, agent_id=agent_id, files=files, session=session)
            if files is not None
            else list_sources(actor=actor, agent_id=agent_id, session=session)
        )
        return [KnowledgeView(**r.model_dump(include=set(KnowledgeView.model_fields))) for r in rows]


@router.post(
    "/agents/{agent}/knowledge",
    response_model=list[KnowledgeView],
    status_code=202,
    responses=ERRORS,
    summary="Upload knowledge files (multipart)",
)
async def upload_knowledge(
    agent: str, files: Annotated[list[UploadFile], File(description="PDF, DOCX, TXT, MD, HTML, CSV...")],
    identity: KeyIdentity = Depends(api_key),
) -> list[KnowledgeView]:  # fmt: skip
    """Queues the files for ingestion (parse, chunk, index); too large, empty or unsupported
    files come back ``failed`` with the reason. Follow them with ``GET .../knowledge``."""
    if not files or len(files) > MAX_FILES:
        raise ApiError(422, f"Send 1 to {MAX_FILES} files.", param="files")
    if any(not isinstance(f, StarletteUploadFile) or not f.filename for f in files):  # a text field is not a file
        raise ApiError(422, "Every part named “files” must be a file with a file name.", param="files")
    uploads = [UploadedFile(f.filename or "untitled", await f.read(MAX_FILE_BYTES + 1)) for f in files]
    return await asyncio.to_thread(_knowledge, identity, agent, uploads)


@router.get(
    "/agents/{agent}/knowledge",
    response_model=list[KnowledgeView],
    responses=ERRORS,
    summary="Knowledge and its status",
)
async def knowledge(agent: str, identity: KeyIdentity = Depends(api_key)) -> list[KnowledgeView]:
    """The agent's knowledge sources with their ingestion status and progress."""
    return await asyncio.to_thread(_knowledge, identity, agent, None)
