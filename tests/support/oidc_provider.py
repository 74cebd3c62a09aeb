"""A local OpenID Connect provider for tests, spoken to over real HTTP.

Discovery (``/.well-known/openid-configuration``), JWKS (``/jwks``), an authorization endpoint
that approves at once as :attr:`LocalProvider.user` (``/authorize``), and a token endpoint
(``/token``) that checks the client secret, the redirect URI and the PKCE verifier (Authlib's
RFC 7636 ``S256`` helper) and returns an ID token signed with joserfc (Authlib's JOSE library).

Knobs a test sets before the browser reaches ``/authorize``:

- ``user``: the claims of who signs in (``sub``, ``email``, ``email_verified``);
- ``tamper``: ``None``, ``"nonce"`` (another nonce), ``"expired"`` (``exp`` an hour ago),
  ``"badsig"`` (signed with a key not in the JWKS) or ``"aud"`` (another client id).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.api import serve

CLIENT_ID = "agenthub-test"
CLIENT_SECRET = "local-provider-secret"


@dataclass
class LocalProvider:
    """State of one running provider; ``issuer`` is its base URL once served."""

    issuer: str = ""
    user: dict[str, Any] = field(
        default_factory=lambda: {"sub": "local-1", "email": "sso@example.com", "email_verified": True}
    )
    tamper: str | None = None
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}, auto_kid=False))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        """The provider's ASGI app."""
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/jwks", self._jwks),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
            ]
        )

    async def _discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, _request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False, kid="k1", alg="RS256", use="sig")]})

    async def _authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.authorize_requests.append(q)
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**q, "user": dict(self.user), "tamper": self.tamper}
        return RedirectResponse(q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")}), 302)

    async def _token(self, request: Request) -> Response:
        form = dict(await request.form())
        grant = self.codes.pop(str(form.get("code", "")), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
            or create_s256_code_challenge(str(form.get("code_verifier", ""))) != grant["code_challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: dict[str, Any]) -> str:
        now, tamper = int(time.time()), grant["tamper"]
        claims = {
            **grant["user"],
            "iss": self.issuer,
            "aud": "someone-else" if tamper == "aud" else CLIENT_ID,
            "iat": now - (7200 if tamper == "expired" else 0),
            "exp": now - 3600 if tamper == "expired" else now + 300,
            "nonce": "not-the-nonce" if tamper == "nonce" else grant.get("nonce", ""),
        }
        key = self.other_key if tamper == "badsig" else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


@contextmanager
def local_provider() -> Iterator[LocalProvider]:
    """Serve a :class:`LocalProvider` on a free loopback port; yields it with ``issuer`` set."""
    provider = LocalProvider()
    with serve(provider.app()) as base:
        provider.issuer = base
        yield provider


def provider_env(provider: LocalProvider) -> dict[str, str]:
    """The ``AGENTHUB_OIDC_*`` variables that point the app at ``provider``."""
    return {
        "AGENTHUB_OIDC_ISSUER": provider.issuer,
        "AGENTHUB_OIDC_CLIENT_ID": CLIENT_ID,
        "AGENTHUB_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "AGENTHUB_OIDC_NAME": "Local ID",
        "AGENTHUB_OIDC_ALLOW": "127.0.0.1/32",
    }
