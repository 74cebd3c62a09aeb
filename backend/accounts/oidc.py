"""Sign in with Google, GitHub or any OpenID Connect provider (authorization code + PKCE).

The flow (OpenID Connect Core 1.0, section 3.1; RFC 7636 PKCE with ``S256``):

1. :func:`begin` makes a random ``state``, ``nonce`` and PKCE verifier and returns the
   provider's authorization URL plus a :class:`Flow` (the caller keeps it server-side only,
   vault-encrypted, see ``backend.accounts.oidc_flows``).
2. :func:`finish` checks the returned ``state`` against the flow's, exchanges the code (with the
   verifier) at the token endpoint, and verifies the ID token against the provider's JWKS:
   signature, ``iss``, ``aud``, ``exp`` and ``nonce``. GitHub has no ID tokens: its user id and
   verified primary e-mail come from its REST API with the access token.

The configured providers and the pages' sentences are ``backend.accounts.oidc_providers``
(re-exported here). Every request to a provider goes through ``backend.security.outbound`` (public addresses only,
plus ``AGENTHUB_OIDC_ALLOW``). Authlib's ``AsyncOAuth2Client`` builds the OAuth 2 requests; ``joserfc``
(Authlib's JOSE library) verifies the JWT. Call these from the event loop: they only await I/O.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc6749.parameters import prepare_token_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from backend.accounts.oidc_providers import (
    GITHUB_AUTHORIZE,
    GOOGLE_ISSUER,
    SIGNIN_MESSAGES,
    Provider,
    provider,
    provider_origins,
    providers,
)
from backend.config import Settings, get_settings
from backend.security.addresses import BlockedAddress, parse_allow_rules
from backend.security.outbound import GuardedTransport

__all__ = [
    "GITHUB_AUTHORIZE",
    "GOOGLE_ISSUER",
    "SIGNIN_MESSAGES",
    "Flow",
    "OIDCError",
    "Provider",
    "ProviderUser",
    "begin",
    "discover",
    "finish",
    "provider",
    "provider_origins",
    "providers",
]

GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"  # noqa: S105  (an endpoint)
GITHUB_API = "https://api.github.com"
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
CLOCK_LEEWAY_S = 60
FLOW_TTL_S = 600
"""A sign-in started longer ago than this (10 minutes) is refused at the callback."""


class OIDCError(Exception):
    """A sign-in with a provider failed; ``str(exc)`` is safe to show to the user and ``code``
    (``state``, ``expired``, ``code``, ``id_token``, ``unreachable``) names the failure."""

    def __init__(self, message: str, code: str = "failed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Flow:
    """What the callback needs to finish one sign-in; never sent to the browser in clear.

    Attributes:
        link_user_id / link_workspace_id: set when a signed-in user links a provider from the
            Account page (the identity goes to that user); empty for a sign-in.
        started_at: Unix seconds.
    """

    provider: str
    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    next_path: str = "/agents"
    page_base: str = ""
    link_user_id: str = ""
    link_workspace_id: str = ""
    started_at: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The flow as a JSON-able dict."""
        return asdict(self)


@dataclass(frozen=True)
class ProviderUser:
    """Who the provider says signed in: ``subject`` is its stable id; ``email_verified`` is
    the provider's own claim (an unverified e-mail never links to an existing account)."""

    provider: str
    subject: str
    email: str
    email_verified: bool


def _http(settings: Settings | None = None) -> dict[str, Any]:
    rules = tuple(parse_allow_rules((settings or get_settings()).oidc_allow))
    return {"transport": GuardedTransport(rules), "trust_env": False, "timeout": httpx.Timeout(10.0)}


def _client(p: Provider, redirect_uri: str) -> AsyncOAuth2Client:
    """Authlib's client, used to build the requests (authorization URL with PKCE, token request
    body); the requests themselves go through :func:`_http`'s guarded ``httpx`` transport, which
    Authlib's own client (``httpx2``) cannot take."""
    scope = "openid email profile" if p.is_oidc else "read:user user:email"
    return AsyncOAuth2Client(
        client_id=p.client_id,
        client_secret=p.client_secret,
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",  # noqa: S106  (a method name, not a secret)
    )


async def _redeem(p: Provider, endpoint: str, *, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    """POST the authorization code, PKCE verifier and client credentials (RFC 6749 4.1.3)."""
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        client_id=p.client_id,
        client_secret=p.client_secret,
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    async with httpx.AsyncClient(**_http()) as client:
        response = await client.post(endpoint, content=body, headers=headers)
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict) or "error" in data:
        raise ValueError("token endpoint error")
    return data


async def _json(url: str, **headers: str) -> dict[str, Any]:
    async with httpx.AsyncClient(**_http()) as client:
        response = await client.get(url, headers={"Accept": "application/json", **headers})
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, (dict, list)):
        raise OIDCError("The sign-in provider answered with something unexpected.")
    return data  # type: ignore[return-value]


_DISCOVERY: dict[str, tuple[float, dict[str, Any]]] = {}
DISCOVERY_TTL_S = 3600


async def discover(issuer: str) -> dict[str, Any]:
    """The provider's ``/.well-known/openid-configuration`` (cached an hour per issuer).

    Raises:
        OIDCError: unreachable, not JSON, or its ``issuer`` is not ``issuer`` (OpenID Connect
            Discovery 1.0, section 4.3).
    """
    cached = _DISCOVERY.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        doc = await _json(issuer + "/.well-known/openid-configuration")
    except (httpx.HTTPError, ValueError, BlockedAddress) as exc:
        raise OIDCError("The sign-in provider could not be reached. Try again later.", "unreachable") from exc
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise OIDCError("The sign-in provider's configuration does not match its address.", "unreachable")
    _DISCOVERY[issuer] = (time.monotonic() + DISCOVERY_TTL_S, doc)
    return doc


async def begin(
    p: Provider, *, redirect_uri: str, next_path: str = "/agents", page_base: str = "", link: tuple[str, str] = ("", "")
) -> tuple[str, Flow]:
    """Start a sign-in (or a link, when ``link`` is ``(user_id, workspace_id)``).

    Args:
        page_base: the origin of the app's pages to come back to (development serves them on
            another port than ``/api``); empty: the API's own origin.

    Returns:
        ``(authorization_url, flow)``: send the browser to the URL; keep the flow server-side.

    Raises:
        OIDCError: the provider's discovery document could not be read.
    """
    endpoint = (await discover(p.issuer))["authorization_endpoint"] if p.is_oidc else GITHUB_AUTHORIZE
    flow = Flow(
        provider=p.key,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(48),
        redirect_uri=redirect_uri,
        next_path=next_path,
        page_base=page_base,
        link_user_id=link[0],
        link_workspace_id=link[1],
        started_at=int(time.time()),
    )
    extra = {"nonce": flow.nonce} if p.is_oidc else {}
    url, _ = _client(p, redirect_uri).create_authorization_url(
        endpoint, state=flow.state, code_verifier=flow.verifier, **extra
    )
    return url, flow


async def finish(p: Provider, flow: Flow, *, code: str, state: str) -> ProviderUser:
    """Finish a sign-in: check ``state``, redeem ``code``, verify the ID token.

    Raises:
        OIDCError: wrong or missing state, an expired flow, a refused code, or an ID token that is
            wrongly signed, expired, for another audience or issuer, or has the wrong nonce.
    """
    if not state or not secrets.compare_digest(state, flow.state) or flow.provider != p.key:
        raise OIDCError("The sign-in could not be checked (its state did not match). Start again.", "state")
    if time.time() - flow.started_at > FLOW_TTL_S:
        raise OIDCError("The sign-in took too long. Start again.", "expired")
    if not code or len(code) > 2048:
        raise OIDCError("The provider sent no sign-in code. Start again.", "code")
    doc = await discover(p.issuer) if p.is_oidc else {}
    try:
        token = await _redeem(
            p,
            doc.get("token_endpoint", GITHUB_TOKEN_URL),
            code=code,
            redirect_uri=flow.redirect_uri,
            verifier=flow.verifier,
        )
    except (httpx.HTTPError, ValueError, BlockedAddress) as exc:
        raise OIDCError("The provider refused the sign-in code. Start again.", "code") from exc
    if not p.is_oidc:
        return await _github_user(str(token.get("access_token", "")))
    return await _verify_id_token(p, doc, str(token.get("id_token", "")), flow.nonce)


async def _verify_id_token(p: Provider, doc: dict[str, Any], id_token: str, nonce: str) -> ProviderUser:
    if not id_token:
        raise OIDCError("The provider sent no ID token.", "id_token")
    try:
        keys = KeySet.import_key_set(await _json(doc["jwks_uri"]))  # type: ignore[arg-type]
    except (httpx.HTTPError, ValueError, BlockedAddress, KeyError, JoseError) as exc:
        raise OIDCError("The provider's signing keys could not be read.", "unreachable") from exc
    try:
        decoded = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_S,
            iss={"essential": True, "value": p.issuer},
            aud={"essential": True, "value": p.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OIDCError("The provider's ID token could not be verified. Start again.", "id_token") from exc
    claims = decoded.claims
    return ProviderUser(
        provider=p.key,
        subject=str(claims["sub"])[:255],
        email=str(claims.get("email") or "").strip().lower()[:254],
        email_verified=claims.get("email_verified") is True,
    )


async def _github_user(access_token: str) -> ProviderUser:
    """GitHub's user id and primary verified e-mail (REST API ``/user`` and ``/user/emails``)."""
    auth = {"Authorization": f"Bearer {access_token}"}
    try:
        user = await _json(GITHUB_API + "/user", **auth)
        emails: Any = await _json(GITHUB_API + "/user/emails", **auth)
    except (httpx.HTTPError, ValueError, BlockedAddress) as exc:
        raise OIDCError("GitHub could not be reached. Try again later.", "unreachable") from exc
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), {})
    return ProviderUser(
        provider="github",
        subject=str(user.get("id", "")),
        email=str(primary.get("email") or "").strip().lower()[:254],
        email_verified=primary.get("verified") is True,
    )
