"""What the Developers page shows besides the keys: the models a member can call, the targets a
key can be scoped to, and ready-to-copy snippets (curl, Python ``openai``, the embed widget).
No secrets here: snippets carry a key only when the page passes the one it just created."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from backend.accounts.actor import Actor, require_member
from backend.api.edge import agent_model_id, own_agents
from backend.models import Listing, Subscription


@dataclass(frozen=True)
class KeyTarget:
    """A choice of the key form: ``value`` is ``workspace``, ``agent:<id>`` or ``listing:<id>``;
    ``model`` the model id it runs (empty for the whole workspace); ``kinds`` the key kinds that
    may use it (``secret``, ``publishable``)."""

    value: str
    label: str
    model: str
    kinds: tuple[str, ...]


def key_targets(*, actor: Actor, session: Session) -> list[KeyTarget]:
    """The workspace, each live agent, each active subscription (secret keys: run as the
    subscriber) and each published listing of the workspace (publishable keys: its trial rules).

    Raises:
        PermissionDenied: not a member.
    """
    require_member(actor, session)
    both = ("secret", "publishable")
    out = [KeyTarget("workspace", "All agents of this workspace", "", ("secret",))]
    agents = sorted(own_agents(actor.workspace_id, session), key=lambda a: a.name.lower())
    out += [KeyTarget(f"agent:{a.id}", f"Agent: {a.name}", agent_model_id(a), both) for a in agents]
    subs = session.exec(
        select(Listing)
        .join(Subscription, Subscription.listing_id == Listing.id)  # type: ignore[arg-type]
        .where(Subscription.user_id == actor.user_id, Subscription.status == "active", Listing.status != "suspended")
    ).all()
    out += [KeyTarget(f"listing:{x.id}", f"Subscription: {x.title}", x.slug, ("secret",)) for x in subs]
    mine = session.exec(
        select(Listing).where(Listing.workspace_id == actor.workspace_id, Listing.status == "published")
    ).all()
    out += [
        KeyTarget(f"listing:{x.id}", f"Listing (visitors' trial): {x.title}", x.slug, ("publishable",)) for x in mine
    ]
    return out


def curl_example(base_url: str, model: str, key: str = "$AGENTHUB_KEY") -> str:
    """A ``curl`` call of the OpenAI-compatible endpoint."""
    body = json.dumps({"model": model or "<model id>", "messages": [{"role": "user", "content": "Hello!"}]})
    return (
        f"curl {base_url}/api/v1/chat/completions \\\n"
        f'  -H "Authorization: Bearer {key}" \\\n'
        f'  -H "Content-Type: application/json" \\\n'
        f"  -d '{body}'"
    )


def python_example(base_url: str, model: str) -> str:
    """The same call with the official ``openai`` package."""
    return (
        "import os\n\nfrom openai import OpenAI\n\n"
        f'client = OpenAI(base_url="{base_url}/api/v1", api_key=os.environ["AGENTHUB_KEY"])\n'
        f'reply = client.chat.completions.create(model="{model or "<model id>"}", '
        'messages=[{"role": "user", "content": "Hello!"}])\n'
        "print(reply.choices[0].message.content)"
    )


def widget_snippet(base_url: str, model: str, key: str = "ahp_...") -> str:
    """The one ``<script>`` tag a publisher pastes into a website (a publishable key)."""
    return (
        f'<script src="{base_url}/api/v1/widget.js" data-key="{key}" data-agent="{model or "<model id>"}" '
        'data-title="Chat with us" async></script>'
    )
