"""Parsing a pasted OpenAPI document in a worker process, off the app's event loop.

:func:`backend.tools.openapi.parse_openapi` is bounded (document size, YAML aliases, ``$ref``
expansion), but YAML parsing of a 2 MB document alone can take seconds of CPU. The builder's
handlers therefore await :func:`parse_openapi_in_worker`, which runs it in a separate process
with a time and memory limit (:func:`backend.sandbox.run_isolated`).
"""

from __future__ import annotations

from backend.sandbox import SandboxCrashed, SandboxMemory, SandboxTimeout, run_isolated
from backend.tools.openapi import ApiDocument, OpenAPIInvalid, parse_openapi

TIMEOUT_S = 20.0
MEMORY_MB = 512


async def parse_openapi_in_worker(
    text: str, *, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB
) -> ApiDocument:
    """:func:`parse_openapi` in a worker process (``timeout_s`` seconds, ``memory_mb`` MB).

    Raises:
        OpenAPIInvalid: the document's problems, or one line saying it took too long, needed too
            much memory or stopped the reader.
    """
    try:
        return await run_isolated(parse_openapi, text, timeout_s=timeout_s, memory_mb=memory_mb)
    except OpenAPIInvalid:
        raise
    except SandboxTimeout:
        problem = f"reading it took longer than {timeout_s:g} s, so it was stopped"
    except SandboxMemory:
        problem = f"reading it needed more than {memory_mb} MB of memory, so it was stopped"
    except SandboxCrashed as exc:
        problem = f"the reader stopped unexpectedly (status {exc.exitcode})"
    except Exception as exc:  # a parser bug on a strange document
        problem = f"it could not be read ({type(exc).__name__})"
    raise OpenAPIInvalid([f"document: {problem}; the document may be far too large or complex."])
