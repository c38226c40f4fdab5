"""OAuth2 providers: renew an access token with a refresh token, and sign a person in to
obtain one, with the device-code flow (a URL and a code to type on any device) or in a
browser on this computer (an authorization code with PKCE, back through a loopback
redirect: Google's way for desktop apps). Google and any standard provider here, through
Authlib; Microsoft through MSAL in intake/mail/microsoft.py.

A provider's "no" becomes an intake error naming the setting: a refused refresh token is
AuthorizationLost (run `intake auth login`), a refused app is LoginRejected.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from intake.errors import AuthorizationLost, ConfigError, LoginRejected, ServerUnreachable
from intake.settings import OAuth2Settings

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# A refresh token that no longer works, whatever the reason: someone must sign in again.
REFUSED_GRANTS = frozenset({"invalid_grant", "interaction_required", "consent_required"})


@dataclass(frozen=True)
class Grant:
    """What the token endpoint gave: an access token until ``expires_at`` (epoch seconds),
    and a new refresh token when the provider rotates them."""

    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    account: str | None = None  # who signed in, when the provider says


@dataclass(frozen=True)
class DeviceLogin:
    """A device-code sign-in under way: ``message`` tells the person where to go and what
    to type; ``flow`` is the provider's own state (it holds the device code)."""

    message: str
    expires_at: float
    flow: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class BrowserLogin:
    """A browser sign-in under way: ``url`` is where the person signs in; the browser then
    comes back to ``redirect_uri`` with a code, which only this ``code_verifier`` redeems,
    and this ``state``."""

    url: str
    redirect_uri: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)


class Provider(Protocol):
    # True: `intake auth login` signs in through a browser (start_browser_login), not a code.
    signs_in_with_browser: bool

    def refresh(self, refresh_token: str) -> Grant: ...

    def start_browser_login(self, redirect_uri: str) -> BrowserLogin: ...

    def finish_browser_login(self, login: BrowserLogin, answer: dict[str, str]) -> Grant:
        """Redeem the code the browser came back with (``answer``: its query)."""
        ...

    def start_device_login(self) -> DeviceLogin: ...

    def finish_device_login(self, login: DeviceLogin) -> Grant:
        """Wait until the person signed in (or the code expired)."""
        ...


class Answers:
    """Turns a provider's error answers into intake errors naming ``section``'s settings."""

    def __init__(self, section: str, oauth2: OAuth2Settings) -> None:
        self.section = section
        self.oauth2 = oauth2

    @property
    def host(self) -> str:
        return urlsplit(self.oauth2.endpoint).netloc or self.oauth2.endpoint

    def refused(self, error: str, description: str | None) -> Exception:
        said = f"{error}: {first_line(description)}" if description else error
        setting = f"{self.section}.oauth2"
        if error in REFUSED_GRANTS:
            return AuthorizationLost(
                f"{setting}: {self.host} refused the refresh token ({said}); "
                "run `intake auth login`"
            )
        if error in ("invalid_client", "unauthorized_client"):
            proof = "certificate_file" if self.oauth2.certificate_file else "client_secret"
            return LoginRejected(
                f"{setting}.client_id/{proof}: {self.host} refused the app ({said})"
            )
        if error == "invalid_scope":
            return LoginRejected(f"{setting}.scopes: {self.host} refused them ({said})")
        return LoginRejected(f"{setting}: {self.host} answered {said}")

    def unreachable(self, exc: Exception) -> ServerUnreachable:
        reason = first_line(str(exc)) or type(exc).__name__
        return ServerUnreachable(f"{self.section}.oauth2: cannot reach {self.host}: {reason}")


class Standard:
    """Google, or any provider that speaks RFC 6749 (refresh, and the authorization code
    with RFC 7636's PKCE for the browser sign-in) or RFC 8628 (device code)."""

    def __init__(self, section: str, oauth2: OAuth2Settings) -> None:
        self.oauth2 = oauth2
        self.answers = Answers(section, oauth2)
        self.token_url = oauth2.token_endpoint
        # The browser when the provider has an authorization endpoint (Google always).
        self.signs_in_with_browser = bool(oauth2.authorize_endpoint)

    def _session(self, **options: Any) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        o = self.oauth2
        return OAuth2Session(
            o.client_id,
            o.client_secret.get_secret_value() or None,
            scope=" ".join(o.wanted_scopes) or None,
            default_timeout=o.timeout,
            **options,
        )

    def start_browser_login(self, redirect_uri: str) -> BrowserLogin:
        from authlib.common.security import generate_token

        verifier = generate_token(64)  # RFC 7636: 43 to 128 characters
        session = self._session(redirect_uri=redirect_uri, code_challenge_method="S256")
        url, state = session.create_authorization_url(
            self.oauth2.authorize_endpoint,
            code_verifier=verifier,
            # Google gives a refresh token only for offline access, and again only when
            # the person consents again; other providers ignore what they do not know.
            access_type="offline",
            prompt="consent",
        )
        return BrowserLogin(url, redirect_uri, state, verifier)

    def finish_browser_login(self, login: BrowserLogin, answer: dict[str, str]) -> Grant:
        from authlib.integrations.requests_client import OAuthError

        section = self.answers.section
        if "error" in answer:
            raise AuthorizationLost(
                f"{section}.oauth2: the sign-in did not happen ({answer['error']}); "
                "run `intake auth login` again"
            )
        # Another sign-in's answer (a forged page, an old tab): its code is not redeemed.
        if not secrets.compare_digest(answer.get("state", ""), login.state):
            raise AuthorizationLost(
                f"{section}.oauth2: the browser came back from another sign-in than this one "
                "(its state differs); nothing was stored; run `intake auth login` again"
            )
        try:
            return self._fetch(
                lambda s: s.fetch_token(
                    self.token_url,
                    grant_type="authorization_code",
                    code=answer.get("code", ""),
                    redirect_uri=login.redirect_uri,
                    code_verifier=login.code_verifier,
                ),
                passing=True,
            )
        except OAuthError as exc:
            if exc.error != "invalid_grant":
                raise self.answers.refused(str(exc.error), exc.description) from None
            said = f"{exc.error}: {first_line(exc.description)}" if exc.description else exc.error
            raise AuthorizationLost(
                f"{section}.oauth2: {self.answers.host} refused the sign-in's code ({said}); "
                "nothing was stored; run `intake auth login` again"
            ) from None

    def refresh(self, refresh_token: str) -> Grant:
        return self._fetch(lambda s: s.refresh_token(self.token_url, refresh_token=refresh_token))

    def start_device_login(self) -> DeviceLogin:
        o = self.oauth2
        if not o.device_url:
            raise ConfigError(self._no_device_login())
        session = self._session()
        data = {"client_id": o.client_id, "scope": " ".join(o.wanted_scopes)}
        try:
            answer = session.post(
                o.device_url,
                data=data,
                auth=session.client_auth(session.token_endpoint_auth_method),
            )
            flow = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise self.answers.unreachable(exc) from None
        if "device_code" not in flow:
            raise self.answers.refused(
                flow.get("error", f"HTTP {answer.status_code}"), flow.get("error_description")
            )
        flow.setdefault("interval", 5)
        expires_at = time.time() + float(flow.get("expires_in", 900))
        return DeviceLogin(device_message(flow), expires_at, flow)

    def finish_device_login(self, login: DeviceLogin) -> Grant:
        from authlib.integrations.requests_client import OAuthError

        interval = float(login.flow["interval"])
        while time.time() < login.expires_at:
            time.sleep(interval)
            try:
                return self._fetch(
                    lambda s: s.fetch_token(
                        self.token_url,
                        grant_type=DEVICE_GRANT,
                        device_code=login.flow["device_code"],
                    ),
                    passing=True,
                )
            except OAuthError as exc:
                if exc.error == "slow_down":
                    interval += 5  # RFC 8628 3.5
                elif exc.error != "authorization_pending":
                    raise AuthorizationLost(
                        f"{self.answers.section}.oauth2: the sign-in did not happen "
                        f"({exc.error}); run `intake auth login` again"
                    ) from None
        raise AuthorizationLost(
            f"{self.answers.section}.oauth2: the code expired before anyone signed in; "
            "run `intake auth login` again"
        )

    def _fetch(self, call: Any, passing: bool = False) -> Grant:
        from authlib.integrations.requests_client import OAuthError

        try:
            token = call(self._session())
        except OAuthError as exc:
            if passing:
                raise
            raise self.answers.refused(str(exc.error), exc.description) from None
        except requests.RequestException as exc:
            raise self.answers.unreachable(exc) from None
        expires_at = token.get("expires_at") or time.time() + float(token.get("expires_in", 3600))
        return Grant(token["access_token"], float(expires_at), token.get("refresh_token"))

    def _no_device_login(self) -> str:
        # Google's is never asked for: it signs in through the browser (its device flow
        # does not grant https://mail.google.com/).
        return (
            f"{self.answers.section}.oauth2.authorize_url: {self.answers.host} has no sign-in "
            "configured; set its authorization endpoint (or device_url, its device "
            "authorization endpoint)"
        )


def device_message(flow: dict[str, Any]) -> str:
    where = flow.get("verification_uri") or flow.get("verification_url", "")
    return f"To sign in, open {where} and enter the code {flow['user_code']}"


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:200] if (text or "").strip() else ""
