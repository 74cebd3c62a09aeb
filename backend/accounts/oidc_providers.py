"""Which sign-in providers are configured, and what the pages say about a provider sign-in.

Google, GitHub and one generic OpenID Connect provider, each shown only when its
``AGENTHUB_OIDC_*`` variables are set (``backend.config.Settings``). Settings only, no I/O: the
protocol itself (discovery, the code flow, ID-token checks) is ``backend.accounts.oidc``, which
re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from backend.config import Settings, get_settings

GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass(frozen=True)
class Provider:
    """One configured sign-in provider.

    Attributes:
        key: ``google``, ``github`` or ``oidc`` (the URL segment and ``user_identities.provider``).
        name: shown on the button ("Sign in with <name>").
        issuer: the OpenID issuer URL (empty for GitHub, which is plain OAuth 2).
    """

    key: str
    name: str
    client_id: str
    client_secret: str
    issuer: str = ""

    @property
    def is_oidc(self) -> bool:
        """True when the provider issues ID tokens (everything but GitHub)."""
        return bool(self.issuer)


def providers(settings: Settings | None = None) -> list[Provider]:
    """The configured providers, in button order (Google, GitHub, then the generic one)."""
    s = settings or get_settings()
    out: list[Provider] = []
    if s.oidc_google_client_id:
        out.append(Provider("google", "Google", s.oidc_google_client_id, s.oidc_google_client_secret, GOOGLE_ISSUER))
    if s.oidc_github_client_id:
        out.append(Provider("github", "GitHub", s.oidc_github_client_id, s.oidc_github_client_secret))
    if s.oidc_issuer and s.oidc_client_id:
        out.append(Provider("oidc", s.oidc_name, s.oidc_client_id, s.oidc_client_secret, s.oidc_issuer.rstrip("/")))
    return out


def provider(key: str, settings: Settings | None = None) -> Provider | None:
    """The configured provider ``key``, or ``None``."""
    return next((p for p in providers(settings) if p.key == key), None)


def provider_origins(settings: Settings | None = None) -> list[str]:
    """Origins the browser is sent to when signing in (for the pages' CSP ``form-action``):
    Google's and GitHub's sign-in hosts and the generic provider's issuer origin (its
    authorization endpoint must be on the issuer's host, as it is for common providers)."""
    out = []
    for p in providers(settings):
        url = urlsplit(p.issuer or GITHUB_AUTHORIZE)
        out.append(f"{url.scheme}://{url.netloc}")
    return out


SIGNIN_MESSAGES: dict[str, str] = {
    "state": "The sign-in could not be checked. Start again.",
    "expired": "The sign-in took too long or was already used. Start again.",
    "code": "The provider refused the sign-in. Start again.",
    "id_token": "The provider's answer could not be verified. Start again.",
    "unreachable": "The sign-in provider could not be reached. Try again later.",
    "exists": "An account with this e-mail already exists. Sign in with your password, "
    "then link the provider on the Account page.",
    "unverified": "The provider has not verified your e-mail address. Verify it there, then try again.",
    "no_email": "The provider did not share an e-mail address, so no account can be made.",
    "taken": "That provider account is already linked to another Agent Hub account.",
    "unknown": "That sign-in provider is not configured.",
    "code_step": "The code step timed out or had too many wrong codes. Sign in again.",
    "failed": "The sign-in did not work. Start again.",
}
"""What the sign-in and Account pages say for each ``?sso=<code>`` the callback redirects with
(fixed sentences: nothing from the URL is ever shown)."""
