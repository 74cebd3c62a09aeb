"""``/api/v1/docs``: the API reference as one HTML page, rendered on the server from the
generated OpenAPI document (no script: the app's Content-Security-Policy allows none from
other origins, so the usual CDN-hosted viewers cannot run). Every route shows its parameters,
an example request (``curl``) and its responses."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c2024}"
    "h2{margin-top:2.5rem;border-bottom:1px solid #ddd}code,pre{background:#f4f4f5;border-radius:4px}"
    "pre{padding:.75rem;overflow:auto}.m{font-weight:700;text-transform:uppercase;margin-right:.5rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}"
)


def _ref(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    return schema


def example_of(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """An example value of ``schema``: its own example, else one built from its properties."""
    schema = _ref(spec, schema)
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if depth > 4:
        return None
    if "anyOf" in schema:
        return example_of(spec, schema["anyOf"][0], depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {k: example_of(spec, v, depth + 1) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return [example_of(spec, schema.get("items", {}), depth + 1)]
    return {"string": "...", "integer": 0, "number": 0, "boolean": False}.get(str(kind))


def _curl(method: str, path: str, op: dict[str, Any], spec: dict[str, Any]) -> str:
    lines = [f'curl -X {method.upper()} "$AGENTHUB_URL/api/v1{path}"', '  -H "Authorization: Bearer $AGENTHUB_KEY"']
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example_of(spec, content["application/json"].get("schema", {}))
        lines += ['  -H "Content-Type: application/json"', f"  -d '{json.dumps(body)}'"]
    elif "multipart/form-data" in content:
        lines.append('  -F "files=@handbook.pdf"')
    return " \\\n".join(lines)


def _operation(method: str, path: str, op: dict[str, Any], spec: dict[str, Any]) -> str:
    anchor = escape(op.get("operationId", path))
    parts = [f'<h3 id="{anchor}"><span class="m">{method}</span><code>/api/v1{escape(path)}</code></h3>']
    parts.append(f"<p><strong>{escape(op.get('summary', ''))}</strong></p>")
    if op.get("description"):
        parts.append(f"<p>{escape(op['description'])}</p>")
    params = op.get("parameters", [])
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{escape(p.get('description', ''))}</td></tr>"
            for p in params
        )
        parts.append(f"<table><tr><th>Parameter</th><th>In</th><th>Meaning</th></tr>{rows}</table>")
    parts.append(f"<p>Example request:</p><pre><code>{escape(_curl(method, path, op, spec))}</code></pre>")
    items = []
    for status, response in op.get("responses", {}).items():
        example = ""
        for media, content in response.get("content", {}).items():
            value = content.get("example")
            if value is None and "schema" in content:
                value = example_of(spec, content["schema"])
            if value is not None:
                shown = value if isinstance(value, str) else json.dumps(value, indent=2)
                example = f"<pre><code>{escape(media)}\n{escape(shown)}</code></pre>"
                break
        items.append(
            f"<li><strong>{escape(str(status))}</strong> {escape(response.get('description', ''))}{example}</li>"
        )
    parts.append(f"<p>Responses:</p><ul>{''.join(items)}</ul>")
    return "\n".join(parts)


def render(spec: dict[str, Any]) -> str:
    """The whole reference page for ``spec`` (an OpenAPI 3.1 document as a dict)."""
    info = spec.get("info", {})
    sections: dict[str, list[str]] = {}
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            tag = (op.get("tags") or ["Other"])[0]
            sections.setdefault(tag, []).append(_operation(method, path, op, spec))
    body = "".join(f"<h2>{escape(tag)}</h2>{''.join(ops)}" for tag, ops in sections.items())
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(info.get('title', 'API'))}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(info.get('title', 'API'))} "
        f"<small>{escape(info.get('version', ''))}</small></h1><p>{escape(info.get('description', ''))}</p>"
        f'<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI {escape(spec.get("openapi", ""))}).</p>'
        f"{body}</body></html>"
    )
