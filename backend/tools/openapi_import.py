"""Create custom HTTP tools from the ticked operations of an OpenAPI 3 document.

The document is parsed by :func:`backend.tools.openapi.parse_openapi`; each ticked operation
becomes a custom tool (URL = base URL + path, parameters mapped by location, JSON request body
schema kept) through ``backend.tools.custom.create_custom_tool``, so the same validation applies.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from backend.accounts.actor import Actor
from backend.models.tools import CustomToolCreate, CustomToolParameter, CustomToolPublic
from backend.tools.base import InvalidInput
from backend.tools.custom import create_custom_tool
from backend.tools.openapi import ApiDocument, ApiOperation, parse_openapi


def _to_create(op: ApiOperation, base_url: str, auth_header: str, auth_secret: str | None) -> CustomToolCreate:
    location = {"path": "path", "query": "query", "header": "header"}
    return CustomToolCreate(
        name=op.tool_name,
        description=(op.summary or op.description or f"{op.method} {op.path}")[:1000],
        method=op.method,
        url_template=base_url.rstrip("/") + op.path,
        parameters=[
            CustomToolParameter(
                name=p["name"],
                type=p["type"],
                description=p["description"],
                required=p["required"],
                location=location[p["in"]],
            )
            for p in op.parameters
        ],
        body_schema=op.body_schema,
        auth_header=auth_header,
        auth_secret=auth_secret,
    )


def import_operations(
    *,
    actor: Actor,
    document: str,
    operation_ids: Sequence[str],
    base_url: str | None = None,
    auth_header: str = "",
    auth_secret: str | None = None,
    parsed: ApiDocument | None = None,
    session: Session,
) -> list[CustomToolPublic]:
    """Create one custom tool per ticked operation (all or none: the caller's transaction).

    Args:
        document: The OpenAPI text (JSON or YAML).
        operation_ids: Ticked operations' ``operation_id``.
        base_url: Overrides the document's server URL (needed when it has no absolute one).
        auth_header, auth_secret: Applied to every created tool (value encrypted per tool).
        parsed: ``document`` already parsed (e.g. by ``openapi_worker.parse_openapi_in_worker``,
            off the event loop); when None it is parsed here, in the calling thread.

    Raises:
        OpenAPIInvalid: the document is invalid.
        InvalidInput: ``{field: message}``; fields are ``operations``, ``base_url`` or
            ``<operation id>.<custom tool field>`` (e.g. ``listPets.name``).
        PermissionDenied: the actor is not a member of the workspace.
    """
    doc = parsed if parsed is not None else parse_openapi(document)
    by_id = {op.operation_id: op for op in doc.operations}
    errors: dict[str, str] = {}
    unknown = [i for i in operation_ids if i not in by_id]
    if not operation_ids:
        errors["operations"] = "Tick at least one operation."
    elif unknown:
        errors["operations"] = f"Not in the document: {', '.join(unknown[:5])}."
    base = (base_url or "").strip() or doc.base_url
    if not base:
        errors["base_url"] = "The document has no absolute server URL; enter the API's base URL."
    for op_id in operation_ids:
        op = by_id.get(op_id)
        if op is not None and op.problem:
            errors[op_id] = f"Cannot import: {op.problem}."
    if errors:
        raise InvalidInput(errors)
    created: list[CustomToolPublic] = []
    for op_id in dict.fromkeys(operation_ids):
        try:
            created.append(
                create_custom_tool(
                    actor=actor, data=_to_create(by_id[op_id], str(base), auth_header, auth_secret), session=session
                )
            )
        except InvalidInput as exc:
            raise InvalidInput({f"{op_id}.{k}": v for k, v in exc.errors.items()}) from None
    return created
