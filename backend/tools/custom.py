"""Custom HTTP tools without code: create, update, delete and list a workspace's tools.

A custom tool is a method, a URL template with ``{param}`` placeholders and typed parameters
(see ``backend.models.tools.CustomTool``). The optional auth header's value is encrypted with
the vault (associated data ``"<workspace id>:<tool id>"``); only a masked hint leaves this
module. Validation returns every problem at once as ``{field: message}`` (``InvalidInput``),
with list fields addressed like ``parameters[1].name``. How a tool is called lives in
``backend.tools.custom_http``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from backend.accounts import permissions
from backend.accounts.actor import Actor, NotFound, require_member
from backend.models.common import utcnow
from backend.models.tools import CustomTool, CustomToolCreate, CustomToolPublic
from backend.security.keys import get_vault
from backend.security.vault import mask_secret, record_ad
from backend.tools.base import TOOL_NAME_RE, InvalidInput, schema_problem
from backend.tools.http_common import PLACEHOLDER_RE

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARAM_TYPES = ("string", "integer", "number", "boolean")
LOCATIONS = ("path", "query", "header", "body")
MAX_PARAMETERS = 30
PARAM_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
_HEADER_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
_RESERVED_HEADERS = {"host", "content-length", "content-type", "transfer-encoding", "connection", "cookie"}


def to_public(row: CustomTool) -> CustomToolPublic:
    """The builder's view of a custom tool (masked auth value only)."""
    return CustomToolPublic(
        id=row.id,
        name=row.name,
        description=row.description,
        method=row.method,
        url_template=row.url_template,
        parameters=list(row.parameters or []),
        body_schema=row.body_schema,
        auth_header=row.auth_header,
        secret_hint=row.secret_hint,
        has_secret=row.secret is not None,
        version=row.version,
        updated_at=row.updated_at,
    )


def _check_url(template: str, errors: dict[str, str]) -> set[str]:
    """Validate the URL template; returns its placeholder names."""
    if not template or len(template) > 2000:
        errors["url_template"] = "Enter the URL (at most 2,000 characters)."
        return set()
    names = PLACEHOLDER_RE.findall(template)
    if re.sub(PLACEHOLDER_RE, "", template).count("{") or re.sub(PLACEHOLDER_RE, "", template).count("}"):
        errors["url_template"] = "Unbalanced { } in the URL; placeholders look like {city}."
        return set()
    bad = [n for n in names if not PARAM_NAME_RE.match(n)]
    if bad:
        errors["url_template"] = f"Invalid placeholder {{{bad[0]}}}: use letters, digits, _ . -"
        return set()
    parts = urlsplit(PLACEHOLDER_RE.sub("x", template))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url_template"] = "The URL must start with http:// or https:// and name a host."
    elif "{" in template.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]:
        errors["url_template"] = "Placeholders can only be used in the path and query, not in the host."
    elif parts.username or parts.password:
        errors["url_template"] = "Put credentials in the auth header, not in the URL."
    return set(names)


def _check_parameters(
    data: CustomToolCreate, placeholders: set[str], errors: dict[str, str]
) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if len(data.parameters) > MAX_PARAMETERS:
        errors["parameters"] = f"At most {MAX_PARAMETERS} parameters."
        return out
    seen: set[str] = set()
    has_body_schema = data.body_schema is not None
    for i, p in enumerate(data.parameters):
        key = f"parameters[{i}]"
        name = p.name.strip()
        location = p.location or (
            "path" if name in placeholders else "query" if data.method in ("GET", "DELETE") else "body"
        )
        if not PARAM_NAME_RE.match(name):
            errors[f"{key}.name"] = "Names start with a letter or _ and use letters, digits, _ . - (at most 64)."
        elif name in seen:
            errors[f"{key}.name"] = f"Duplicate parameter {name!r}."
        elif has_body_schema and name == "body":
            errors[f"{key}.name"] = "'body' is the request body's argument; choose another name."
        seen.add(name)
        if p.type not in PARAM_TYPES:
            errors[f"{key}.type"] = "Choose string, integer, number or boolean."
        if location not in LOCATIONS:
            errors[f"{key}.location"] = "Choose path, query, header or body."
        elif location == "path" and name not in placeholders:
            errors[f"{key}.location"] = f"The URL has no {{{name}}} placeholder."
        elif location == "body" and (data.method in ("GET", "DELETE") or has_body_schema):
            errors[f"{key}.location"] = (
                "GET and DELETE requests have no body."
                if not has_body_schema
                else "Use either body parameters or a request body schema."
            )
        elif location == "header" and (name.lower() in _RESERVED_HEADERS or not _HEADER_RE.match(name)):
            errors[f"{key}.location"] = f"{name!r} cannot be sent as a header."
        if len(p.description) > 500:
            errors[f"{key}.description"] = "Descriptions are at most 500 characters."
        out.append(
            {
                "name": name,
                "type": p.type,
                "description": p.description.strip(),
                "required": bool(p.required or location == "path"),
                "location": location,
            }
        )
    for missing in sorted(placeholders - {str(p["name"]) for p in out if p["location"] == "path"}):
        errors.setdefault("url_template", f"Add a path parameter named {missing!r} for the {{{missing}}} placeholder.")
    return out


def _validate(
    data: CustomToolCreate, *, actor: Actor, tool_id: str | None, has_secret: bool, session: Session
) -> list[dict[str, object]]:
    from backend.tools.registry import builtin_registry

    errors: dict[str, str] = {}
    name = data.name.strip()
    if not TOOL_NAME_RE.match(name):
        errors["name"] = "Use lower-case letters, digits and _ (start with a letter, at most 64), e.g. get_weather."
    elif name in builtin_registry():
        errors["name"] = f"{name!r} is a built-in tool; choose another name."
    else:
        clash = session.exec(
            select(CustomTool.id).where(CustomTool.workspace_id == actor.workspace_id, CustomTool.name == name)
        ).first()
        if clash is not None and clash != tool_id:
            errors["name"] = f"This workspace already has a tool named {name!r}."
    if not data.description.strip():
        errors["description"] = "Describe what the tool does; the model reads this to decide when to use it."
    elif len(data.description) > 1000:
        errors["description"] = "Descriptions are at most 1,000 characters."
    if data.method not in METHODS:
        errors["method"] = "Choose GET, POST, PUT, PATCH or DELETE."
    placeholders = _check_url(data.url_template.strip(), errors)
    if data.body_schema is not None:
        if data.method in ("GET", "DELETE"):
            errors["body_schema"] = "GET and DELETE requests have no body."
        elif problem := schema_problem(data.body_schema):
            errors["body_schema"] = f"Not a valid JSON schema: {problem}"
    parameters = _check_parameters(data, placeholders, errors)
    header = data.auth_header.strip()
    if header:
        if not _HEADER_RE.match(header) or header.lower() in _RESERVED_HEADERS:
            errors["auth_header"] = "Not a header name you can use, e.g. Authorization or X-API-Key."
        elif any(str(p["name"]).lower() == header.lower() for p in parameters if p["location"] == "header"):
            errors["auth_header"] = "A parameter already sets this header."
        if data.auth_secret is None and not has_secret:
            errors["auth_secret"] = f"Enter the value to send in the {header} header."
    if data.auth_secret is not None and (len(data.auth_secret) > 4000 or re.search(r"[\r\n]", data.auth_secret)):
        errors["auth_secret"] = "The value must be one line of at most 4,000 characters."  # noqa: S105
    if errors:
        raise InvalidInput(errors)
    return parameters


def _get(actor: Actor, tool_id: str, session: Session) -> CustomTool:
    permissions.require(actor, permissions.TOOLS_MANAGE, session)
    row = session.get(CustomTool, tool_id)
    if row is None or row.workspace_id != actor.workspace_id:
        raise NotFound("Custom tool not found.")
    return row


def _apply(row: CustomTool, data: CustomToolCreate, parameters: list[dict[str, object]]) -> None:
    row.name, row.description = data.name.strip(), data.description.strip()
    row.method, row.url_template = data.method, data.url_template.strip()
    row.parameters, row.body_schema = parameters, data.body_schema
    row.auth_header = data.auth_header.strip()
    if not row.auth_header:
        row.secret, row.secret_hint = None, ""
    elif data.auth_secret is not None:
        row.secret = get_vault().encrypt(data.auth_secret.strip(), associated_data=record_ad(row.workspace_id, row.id))
        row.secret_hint = mask_secret(data.auth_secret)


def create_custom_tool(*, actor: Actor, data: CustomToolCreate, session: Session) -> CustomToolPublic:
    """Add a custom HTTP tool to the actor's workspace.

    Raises:
        InvalidInput: ``{field: message}`` for every problem (``name``, ``description``, ``method``,
            ``url_template``, ``parameters[i].name|type|location|description``, ``body_schema``,
            ``auth_header``, ``auth_secret``).
        PermissionDenied: the actor is not a member of the workspace.
    """
    permissions.require(actor, permissions.TOOLS_MANAGE, session)
    data = data.model_copy(update={"method": data.method.strip().upper()})
    parameters = _validate(data, actor=actor, tool_id=None, has_secret=False, session=session)
    row = CustomTool(workspace_id=actor.workspace_id, name="", url_template="", created_by=actor.user_id)
    _apply(row, data, parameters)
    session.add(row)
    session.flush()
    return to_public(row)


def update_custom_tool(*, actor: Actor, tool_id: str, data: CustomToolCreate, session: Session) -> CustomToolPublic:
    """Change a custom tool (``version`` + 1). ``data.auth_secret`` None keeps the stored value.

    Raises:
        InvalidInput, NotFound, PermissionDenied.
    """
    row = _get(actor, tool_id, session)
    data = data.model_copy(update={"method": data.method.strip().upper()})
    parameters = _validate(data, actor=actor, tool_id=row.id, has_secret=row.secret is not None, session=session)
    _apply(row, data, parameters)
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return to_public(row)


def delete_custom_tool(*, actor: Actor, tool_id: str, session: Session) -> None:
    """Delete a custom tool and its encrypted auth value. Raises NotFound, PermissionDenied."""
    session.delete(_get(actor, tool_id, session))
    session.flush()


def list_custom_tools(*, actor: Actor, session: Session) -> list[CustomToolPublic]:
    """The workspace's custom tools, by name. Raises PermissionDenied."""
    require_member(actor, session)
    rows = session.exec(
        select(CustomTool).where(CustomTool.workspace_id == actor.workspace_id).order_by(col(CustomTool.name))
    ).all()
    return [to_public(r) for r in rows]
