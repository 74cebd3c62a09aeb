"""The embed widget: ``GET /api/v1/widget.js``, the script a publisher pastes into a website.

The script (``widget.js`` next to this module) shows a chat bubble, keeps a random visitor id in
the browser, and streams runs from ``POST /api/v1/agents/{agent}/runs`` with a publishable key;
the key only works from its allowed origins (403 elsewhere), the visitor is a visitor user of
their own (conversations and memory apart), and the agent's and key's limits and a listing's
trial rules apply as for any run. Replies are inserted as text, never as HTML.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(tags=["Embed widget"])
SCRIPT = (Path(__file__).with_name("widget.js")).read_bytes()


@router.get(
    "/widget.js",
    summary="The embed widget's script",
    response_class=Response,
    responses={
        200: {"content": {"text/javascript": {"schema": {"type": "string"}, "example": "(function () {...})();"}}}
    },
)
async def widget_script() -> Response:
    """Paste ``<script src=".../api/v1/widget.js" data-key="ahp_..." data-agent="<model id>" async>``
    into a page; no key is needed to load it (it is the same for everyone)."""
    return Response(SCRIPT, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})
