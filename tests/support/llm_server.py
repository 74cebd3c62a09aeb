"""A test-only OpenAI-compatible HTTP server (never used by production code).

It speaks just enough of the OpenAI REST API for LiteLLM's real HTTP path
(``model="openai/<id>"`` + ``api_base``): ``GET /v1/models`` and
``POST /v1/chat/completions`` with or without ``stream``, and ``POST /v1/embeddings``
(deterministic vectors: a hashed bag of character trigrams, L2-normalised, ``EMBEDDING_DIM``
long; ``encoding_format`` ``float`` or ``base64``).

In pytest::

    with LLMTestServer(models=("test-model",)) as server:
        base_url = server.base_url  # "http://127.0.0.1:PORT/v1"
        server.fail_next(429)
        server.script = [  # scripted turns, one per chat request (then the normal reply)
            {"tool_calls": [{"name": "create_task", "arguments": {"title": "Call Bob"}}]},
            {"content": "Done!"},
        ]

As a subprocess::

    python -m tests.support.llm_server --port 8765 --api-key sk-test --reply "Hi there"

Token accounting is deterministic: ``prompt_tokens`` is the number of
whitespace-separated words over all message contents, ``completion_tokens`` is
the number of content chunks (one per word of the reply).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import math
import re
import signal
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

DEFAULT_REPLY = "Hello! I am a test model."
DEFAULT_MODELS = ("test-model", "gpt-4o-mini")
DEFAULT_EMBEDDING_MODELS = ("test-embed",)
EMBEDDING_DIM = 64
HANG = "hang"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received.

    Attributes:
        method: HTTP method, e.g. ``"POST"``.
        path: URL path, e.g. ``"/v1/chat/completions"``.
        headers: Request headers, lower-case names.
        json: Parsed JSON body, or ``None`` for bodiless / non-JSON requests.
        client_port: The client's TCP port (the same on a kept-alive connection), if known.
    """

    method: str
    path: str
    headers: dict[str, str]
    json: dict[str, Any] | None
    client_port: int | None = None


@dataclass(frozen=True)
class _Failure:
    status: int | str  # an HTTP status, or HANG
    retry_after_s: int | None


def _error(status: int, message: str, type_: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def count_prompt_tokens(messages: Iterable[dict[str, Any]]) -> int:
    """Words over all message contents: the server's deterministic ``prompt_tokens``."""
    return sum(len(_content_text(m.get("content")).split()) for m in messages)


def trigram_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """Deterministic embedding: each character trigram of the lower-cased, space-padded text adds
    +1 or -1 (from its BLAKE2 hash) to one of ``dim`` buckets; the result is L2-normalised.

    Texts sharing many trigrams (the same words, inflected forms) get a high cosine similarity.
    """
    vector = [0.0] * dim
    padded = f"  {' '.join(text.lower().split())}  "
    for i in range(len(padded) - 2):
        digest = hashlib.blake2b(padded[i : i + 3].encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        vector[value % dim] += 1.0 if (value >> 32) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def split_reply(reply: str) -> list[str]:
    """Split a reply into stream chunks, one per word (trailing whitespace kept)."""
    return re.findall(r"\s*\S+\s*", reply) or [reply]


class LLMTestServer:
    """Scriptable OpenAI-compatible server on ``127.0.0.1`` running in a background thread.

    Args:
        api_key: Key required as ``Authorization: Bearer <key>``; ``None`` accepts any or no key.
        models: Model ids served by ``GET /v1/models``; other ids get a 404 ``model_not_found``.
        embedding_models: Model ids ``POST /v1/embeddings`` accepts (not listed by ``/v1/models``).
        reply: Scripted reply; ``None`` echoes ``"You said: <last user message>"``.
        chunk_delay_ms: Pause between streamed chunks, in ms.
        first_token_delay_ms: Pause before the response starts (headers included), in ms.
        send_usage: Whether usage is reported at all (off: like providers that never send it).
        port: TCP port; 0 picks a free one.

    Attributes:
        requests: Every received request, in order (``RecordedRequest``).
        script: Scripted turns, consumed one per chat request (first in, first out); when empty
            the normal reply is used. A turn is ``{"content": str}`` and/or
            ``{"tool_calls": [{"name": str, "arguments": dict | str, "id": str (optional)}]}``;
            ``{"delay_ms": int}`` waits before answering. Tool calls are streamed as OpenAI
            ``delta.tool_calls`` fragments (the arguments split over several chunks), or sent
            whole in a non-streamed reply, with ``finish_reason: "tool_calls"``.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "sk-test-0123456789",
        models: Iterable[str] = DEFAULT_MODELS,
        embedding_models: Iterable[str] = DEFAULT_EMBEDDING_MODELS,
        reply: str | None = DEFAULT_REPLY,
        chunk_delay_ms: int = 0,
        first_token_delay_ms: int = 0,
        send_usage: bool = True,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.embedding_models = list(embedding_models)
        self.reply = reply
        self.chunk_delay_ms = chunk_delay_ms
        self.first_token_delay_ms = first_token_delay_ms
        self.send_usage = send_usage
        self.requests: list[RecordedRequest] = []
        self.script: list[dict[str, Any]] = []
        self._failures: deque[_Failure] = deque()
        self._lock = threading.Lock()
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            ]
        )

    # ----------------------------------------------------------------- control
    def fail_next(self, status: int | str, times: int = 1, retry_after_s: int | None = 1) -> None:
        """Queue forced failures, consumed one per request (any endpoint).

        Args:
            status: HTTP status to answer with (e.g. 500, 429), or ``"hang"`` to never answer
                until the client gives up or the server stops.
            times: How many consecutive requests fail.
            retry_after_s: ``Retry-After`` header value (seconds) sent with 429s.
        """
        with self._lock:
            for _ in range(times):
                self._failures.append(_Failure(status, retry_after_s))

    @property
    def embedding_requests(self) -> list[RecordedRequest]:
        """Only the recorded ``POST /v1/embeddings`` requests."""
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the recorded ``POST /v1/chat/completions`` requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def received_tools(self) -> list[list[dict[str, Any]] | None]:
        """The ``tools`` list of each chat request, in order (None when none was sent)."""
        return [(r.json or {}).get("tools") for r in self.chat_requests]

    @property
    def received_messages(self) -> list[list[dict[str, Any]]]:
        """The ``messages`` of each chat request, in order."""
        return [(r.json or {}).get("messages") or [] for r in self.chat_requests]

    def _next_turn(self) -> dict[str, Any] | None:
        with self._lock:
            return self.script.pop(0) if self.script else None

    def start(self) -> str:
        """Start serving in a daemon thread; returns the base URL ``http://127.0.0.1:PORT/v1``."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1, access_log=False
        )
        self._server = uvicorn.Server(config)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="llm-test-server"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("LLM test server did not start")
            time.sleep(0.01)
        self._port = port
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    def stop(self) -> None:
        """Stop the server and wait (max ~5 s) for its thread; hanging requests are released."""
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> LLMTestServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- handlers
    async def _sleep(self, ms: int) -> None:
        """Sleep ``ms`` milliseconds, returning early when the server is stopping."""
        deadline = time.monotonic() + ms / 1000
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, 0.05))

    async def _record(self, request: Request) -> dict[str, Any] | None:
        body: dict[str, Any] | None = None
        raw = await request.body()
        if raw:
            try:
                parsed = json.loads(raw)
                body = parsed if isinstance(parsed, dict) else None
            except ValueError:
                body = None
        port = request.client.port if request.client else None
        headers = dict(request.headers.items())
        self.requests.append(RecordedRequest(request.method, request.url.path, headers, body, port))
        return body

    async def _gate(self) -> Response | None:
        """Apply a queued failure, if any."""
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is None:
            return None
        if failure.status == HANG:
            await self._sleep(3600_000)
            return _error(504, "Server stopping", "server_error", "timeout")
        status = int(failure.status)
        if status == 429:
            headers = {"Retry-After": str(failure.retry_after_s)} if failure.retry_after_s is not None else None
            return _error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", headers)
        return _error(status, f"Forced test failure ({status})", "server_error", "server_error")

    def _check_key(self, request: Request) -> Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        return None

    async def _list_models(self, request: Request) -> Response:
        await self._record(request)
        problem = await self._gate() or self._check_key(request)
        if problem is not None:
            return problem
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.models]
        return JSONResponse({"object": "list", "data": data})

    async def _embeddings(self, request: Request) -> Response:
        body = await self._record(request)
        problem = await self._gate() or self._check_key(request)
        if problem is not None:
            return problem
        raw = body.get("input") if body is not None else None
        inputs = [raw] if isinstance(raw, str) else raw
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
            return _error(400, "'input' must be a string or a list of strings", "invalid_request_error", "invalid")
        model = str(body.get("model", "")) if body is not None else ""
        if model not in self.embedding_models:
            return _error(404, f"The model `{model}` does not exist", "invalid_request_error", "model_not_found")
        as_base64 = (body or {}).get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = trigram_embedding(text)
            encoded: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(t.split()) for t in inputs)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def _reply_for(self, messages: list[dict[str, Any]]) -> str:
        if self.reply is not None:
            return self.reply
        users = [m for m in messages if m.get("role") == "user"]
        return "You said: " + (_content_text(users[-1].get("content")) if users else "")

    async def _chat(self, request: Request) -> Response:
        body = await self._record(request)
        problem = await self._gate() or self._check_key(request)
        if problem is not None:
            return problem
        if body is None or not isinstance(body.get("messages"), list):
            return _error(400, "'messages' is required", "invalid_request_error", "invalid_request")
        model = str(body.get("model", ""))
        if model not in self.models:
            return _error(404, f"The model `{model}` does not exist", "invalid_request_error", "model_not_found")
        messages: list[dict[str, Any]] = body["messages"]
        turn = self._next_turn()
        calls: list[dict[str, Any]] = []
        if turn is not None:
            text = str(turn.get("content") or "")
            for i, raw in enumerate(turn.get("tool_calls") or []):
                args = raw.get("arguments", {})
                calls.append(
                    {
                        "id": str(raw.get("id") or f"call_{uuid.uuid4().hex[:10]}_{i}"),
                        "type": "function",
                        "function": {
                            "name": raw["name"],
                            "arguments": args if isinstance(args, str) else json.dumps(args),
                        },
                    }
                )
            chunks = split_reply(text) if text else []
            await self._sleep(int(turn.get("delay_ms") or 0))
        else:
            chunks = split_reply(self._reply_for(messages))
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if isinstance(max_tokens, int) and max_tokens > 0:
            chunks = chunks[:max_tokens]
        prompt_tokens = count_prompt_tokens(messages)
        completion_tokens = len(chunks) + sum(len(c["function"]["arguments"].split()) + 1 for c in calls)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        await self._sleep(self.first_token_delay_ms)
        ident = f"chatcmpl-test-{uuid.uuid4().hex[:12]}"
        finish_reason = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(chunks) or (None if calls else "")}
            if calls:
                message["tool_calls"] = calls
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                    "usage": usage if self.send_usage else None,
                }
            )
        stream_options = body.get("stream_options") or {}
        include_usage = bool(stream_options.get("include_usage")) and self.send_usage
        return StreamingResponse(
            self._sse(ident, model, chunks, usage if include_usage else None, calls),
            media_type="text/event-stream",
        )

    async def _sse(
        self,
        ident: str,
        model: str,
        chunks: list[str],
        usage: dict[str, int] | None,
        calls: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[str]:
        created = int(time.time())

        def event(choices: list[dict[str, Any]], final_usage: dict[str, int] | None = None) -> str:
            payload: dict[str, Any] = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
            }
            if usage is not None:
                payload["usage"] = final_usage
            return f"data: {json.dumps(payload)}\n\n"

        for i, text in enumerate(chunks):
            if i:
                await self._sleep(self.chunk_delay_ms)
            delta = {"role": "assistant", "content": text} if i == 0 else {"content": text}
            yield event([{"index": 0, "delta": delta, "finish_reason": None}])
        for index, call in enumerate(calls or []):
            args = call["function"]["arguments"]
            third = max(1, len(args) // 3)
            pieces = [args[:third], args[third : 2 * third], args[2 * third :]]
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            first: dict[str, Any] = {"tool_calls": [head]}
            if not chunks and index == 0:
                first = {"role": "assistant", "content": None, "tool_calls": [head]}
            yield event([{"index": 0, "delta": first, "finish_reason": None}])
            for piece in pieces:
                if piece:
                    frag = {"index": index, "function": {"arguments": piece}}
                    yield event([{"index": 0, "delta": {"tool_calls": [frag]}, "finish_reason": None}])
        yield event([{"index": 0, "delta": {}, "finish_reason": "tool_calls" if calls else "stop"}])
        if usage is not None:
            yield event([], usage)
        yield "data: [DONE]\n\n"


def main(argv: list[str] | None = None) -> None:
    """CLI entry point: serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description="OpenAI-compatible test server (tests only).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="sk-test-0123456789", help="'' accepts any key")
    parser.add_argument("--reply", default=DEFAULT_REPLY, help="'' echoes the last user message")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated model ids")
    parser.add_argument("--chunk-delay-ms", type=int, default=0)
    parser.add_argument("--first-token-delay-ms", type=int, default=0)
    args = parser.parse_args(argv)
    server = LLMTestServer(
        api_key=args.api_key or None,
        models=[m for m in args.models.split(",") if m],
        reply=args.reply or None,
        chunk_delay_ms=args.chunk_delay_ms,
        first_token_delay_ms=args.first_token_delay_ms,
        port=args.port,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"LLM test server listening on {server.start()}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
