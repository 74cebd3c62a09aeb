"""A tiny OpenAI-compatible server with a fixed latency, for benchmarks (stdlib asyncio only).

``POST /v1/chat/completions`` waits ``--latency-ms`` (the "upstream time") and then answers at
once: a streamed reply (SSE, usage in the last chunk when ``stream_options.include_usage``) or a
plain JSON one. ``GET /v1/models`` lists the served model. HTTP/1.1 keep-alive; no auth check.

Planning (planner mode): a request whose system message starts with "You are planning how to
answer" gets a plan of ``PLAN_STEPS`` steps (JSON, agent "self", no tools) as its text reply.

Tool calls: when the request offers ``tools`` and its last message is the user's (not a tool
result), the reply is one call of the first tool with ``--tool-arguments`` (default
``{"expression": "6*7"}``), streamed as OpenAI ``delta.tool_calls`` fragments; after the tool
result the normal text reply follows. Requests without ``tools`` are unchanged.

    python benchmarks/_llm_stub.py --port 0 --latency-ms 50
    # prints "listening 127.0.0.1:PORT" when ready
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

REPLY_WORDS = "The quick brown fox jumps over the lazy dog and then rests in the shade for a while .".split()


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


TOOL_ARGUMENTS = {"expression": "6*7"}
PLAN_STEPS = 3
PLANNING = "You are planning how to answer"


def _is_planning(messages: object) -> bool:
    return isinstance(messages, list) and any(
        isinstance(m, dict) and m.get("role") == "system" and str(m.get("content", "")).startswith(PLANNING)
        for m in messages
    )


def _tool_call(body: dict[str, object]) -> dict[str, object] | None:
    """The call to make for this request, or None for a text reply."""
    tools, messages = body.get("tools"), body.get("messages")
    if not isinstance(tools, list) or not tools or not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user":
        return None
    name = tools[0].get("function", {}).get("name", "") if isinstance(tools[0], dict) else ""
    arguments = json.dumps(TOOL_ARGUMENTS)
    return {"id": "call_stub_1", "type": "function", "function": {"name": name, "arguments": arguments}}


def _tool_reply(body: dict[str, object], call: dict[str, object], usage: dict[str, int]) -> bytes:
    model, ident, created = str(body.get("model", "stub")), "chatcmpl-stub", int(time.time())
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        payload = {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": usage,
        }
        return _response("200 OK", json.dumps(payload).encode(), "application/json")
    fn = call["function"]
    assert isinstance(fn, dict)
    args = str(fn["arguments"])
    head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": fn["name"], "arguments": ""}}
    deltas: list[dict[str, object]] = [{"role": "assistant", "content": None, "tool_calls": [head]}]
    half = len(args) // 2
    for piece in (args[:half], args[half:]):
        deltas.append({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    chunks = [{"index": 0, "delta": d, "finish_reason": None} for d in deltas]
    chunks.append({"index": 0, "delta": {}, "finish_reason": "tool_calls"})
    events = [
        {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [c]}
        for c in chunks
    ]
    events.append(
        {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
        }
    )
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return _response("200 OK", sse.encode(), "text/event-stream")


def _chat(body: dict[str, object]) -> bytes:
    model = str(body.get("model", "stub"))
    messages = body.get("messages") or []
    prompt = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
    max_tokens = body.get("max_tokens")
    words = REPLY_WORDS[: max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None]
    if _is_planning(messages):
        steps = [{"goal": f"Part {n} of the request", "agent": "self", "tools": []} for n in range(1, PLAN_STEPS + 1)]
        words = [json.dumps({"complex": True, "steps": steps})]
    usage = {"prompt_tokens": prompt, "completion_tokens": len(words), "total_tokens": prompt + len(words)}
    call = _tool_call(body)
    if call is not None:
        return _tool_reply(body, call, {"prompt_tokens": prompt, "completion_tokens": 8, "total_tokens": prompt + 8})
    ident, created = "chatcmpl-stub", int(time.time())
    if not body.get("stream"):
        payload = {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": " ".join(words)}, "finish_reason": "stop"}
            ],
            "usage": usage,
        }
        return _response("200 OK", json.dumps(payload).encode(), "application/json")
    events = []
    for i, word in enumerate(words):
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": " " + word}
        chunk = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        events.append(chunk)
    events.append(
        {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
    )
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        events.append(
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
        )
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return _response("200 OK", sse.encode(), "text/event-stream")


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency_s: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
            raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            if method == "POST" and path.endswith("/chat/completions"):
                await asyncio.sleep(latency_s)
                writer.write(_chat(json.loads(raw or b"{}")))
            elif method == "GET" and path.endswith("/models"):
                body = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "stub"}]}
                writer.write(_response("200 OK", json.dumps(body).encode(), "application/json"))
            else:
                writer.write(_response("404 Not Found", b'{"error": {"message": "not found"}}', "application/json"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionResetError, ValueError):
        pass
    finally:
        writer.close()


async def main(port: int, latency_ms: float) -> None:
    """Serve until killed; prints ``listening HOST:PORT`` once bound."""
    server = await asyncio.start_server(lambda r, w: _serve(r, w, latency_ms / 1000), "127.0.0.1", port, backlog=1024)
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"listening {host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--tool-arguments", default=json.dumps(TOOL_ARGUMENTS), help="JSON object for tool calls")
    args = parser.parse_args()
    TOOL_ARGUMENTS = json.loads(args.tool_arguments)
    try:
        asyncio.run(main(args.port, args.latency_ms))
    except KeyboardInterrupt:
        pass
