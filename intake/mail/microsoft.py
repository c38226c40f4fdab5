"""Microsoft Entra ID (Microsoft 365) as an OAuth2 provider, through MSAL: the device-code
sign-in of a public client, and refreshes by a public or confidential app (a client secret,
or a certificate whose key signs each request's client assertion)."""

from __future__ import annotations

import stat
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from intake.errors import AuthorizationLost, ConfigError
from intake.mail.providers import (
    Answers,
    BrowserLogin,
    DeviceLogin,
    Grant,
    device_message,
    first_line,
)
from intake.settings import OAuth2Settings

# MSAL asks for these itself and refuses them in a list of scopes.
MSAL_RESERVED = frozenset({"offline_access", "openid", "profile"})


class Microsoft:
    """Microsoft Entra ID (Microsoft 365) through MSAL; people sign in with a device code."""

    signs_in_with_browser = False

    def __init__(self, section: str, oauth2: OAuth2Settings) -> None:
        self.oauth2 = oauth2
        self.answers = Answers(section, oauth2)
        self._apps: dict[bool, Any] = {}

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.oauth2.wanted_scopes if s not in MSAL_RESERVED]

    def _app(self, public: bool = False) -> Any:
        """MSAL's application, made on first use (it reads the tenant's metadata)."""
        import msal

        if public not in self._apps:
            o = self.oauth2
            host = urlsplit(o.authority).hostname or ""
            options: dict[str, Any] = {
                "authority": o.endpoint,
                "timeout": o.timeout,
                # Another cloud's login host is checked against Microsoft's list; a host
                # of one's own (a test) cannot be.
                "instance_discovery": host in _microsoft_hosts(),
            }
            credential = None if public else self._credential()
            try:
                if credential is None:
                    self._apps[public] = msal.PublicClientApplication(o.client_id, **options)
                else:
                    self._apps[public] = msal.ConfidentialClientApplication(
                        o.client_id, client_credential=credential, **options
                    )
            except requests.RequestException as exc:
                raise self.answers.unreachable(exc) from None
            except ValueError as exc:
                raise ConfigError(
                    f"{self.answers.section}.oauth2.tenant: {first_line(str(exc))}"
                ) from None
        return self._apps[public]

    def _credential(self) -> str | dict[str, str] | None:
        o = self.oauth2
        if o.certificate_file is not None:
            return _certificate(o.certificate_file, self.answers.section)
        return o.client_secret.get_secret_value() or None

    def refresh(self, refresh_token: str) -> Grant:
        try:
            result = self._app().acquire_token_by_refresh_token(refresh_token, self.scopes)
        except requests.RequestException as exc:
            raise self.answers.unreachable(exc) from None
        return self._grant(result)

    def start_device_login(self) -> DeviceLogin:
        # The device-code flow is a public client's ("Allow public client flows").
        try:
            flow = self._app(public=True).initiate_device_flow(scopes=self.scopes)
        except requests.RequestException as exc:
            raise self.answers.unreachable(exc) from None
        if "user_code" not in flow:
            raise self.answers.refused(flow.get("error", "error"), flow.get("error_description"))
        # Microsoft words the message itself, in the tenant's language.
        message = flow.get("message") or device_message(flow)
        return DeviceLogin(message, float(flow["expires_at"]), flow)

    def start_browser_login(self, redirect_uri: str) -> BrowserLogin:
        raise NotImplementedError("Microsoft signs in with a device code")

    def finish_browser_login(self, login: BrowserLogin, answer: dict[str, str]) -> Grant:
        raise NotImplementedError("Microsoft signs in with a device code")

    def finish_device_login(self, login: DeviceLogin) -> Grant:
        try:
            result = self._app(public=True).acquire_token_by_device_flow(login.flow)
        except requests.RequestException as exc:
            raise self.answers.unreachable(exc) from None
        return self._grant(result, signing_in=True)

    def _grant(self, result: dict[str, Any], signing_in: bool = False) -> Grant:
        if "access_token" not in result:
            error = result.get("error", "error")
            if signing_in and error in (
                "authorization_declined",
                "expired_token",
                "bad_verification_code",
            ):
                raise AuthorizationLost(
                    f"{self.answers.section}.oauth2: the sign-in did not happen ({error}); "
                    "run `intake auth login` again"
                )
            raise self.answers.refused(error, result.get("error_description"))
        claims = result.get("id_token_claims") or {}
        return Grant(
            result["access_token"],
            time.time() + float(result.get("expires_in", 3600)),
            result.get("refresh_token"),
            claims.get("preferred_username"),
        )


def _certificate(path: Any, section: str) -> dict[str, str]:
    """MSAL's certificate credential from one PEM file holding the private key and the
    certificate (Microsoft identifies it by its SHA-1 thumbprint)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    mode = path.stat().st_mode
    if mode & 0o077:
        raise ConfigError(
            f"{section}.oauth2.certificate_file: {path} may be read by other users (mode "
            f"{stat.S_IMODE(mode):04o}); it holds the app's private key: chmod 600 {path}"
        )
    text = path.read_text()
    try:
        certificate = x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise ConfigError(
            f"{section}.oauth2.certificate_file: {path} holds no PEM certificate"
        ) from None
    if "PRIVATE KEY-----" not in text:
        raise ConfigError(f"{section}.oauth2.certificate_file: {path} holds no private key")
    return {
        "private_key": text,
        # SHA-1 is Microsoft's choice of thumbprint, a name for the certificate.
        "thumbprint": certificate.fingerprint(hashes.SHA1()).hex(),
    }


def _microsoft_hosts() -> frozenset[str]:
    from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

    return frozenset(WELL_KNOWN_AUTHORITY_HOSTS)
