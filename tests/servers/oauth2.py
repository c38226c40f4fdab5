"""A local OAuth2 provider for tests: a token endpoint (refresh, device-code and
authorization-code grants, the last with PKCE), an authorization endpoint (the browser
sign-in), a device-authorization endpoint and a token-introspection endpoint (what
Dovecot's oauth2 passdb asks), in a thread of the test process on a free loopback port.
An app proves who it is with its secret or, given ``certificate``, with a JWT signed by the
certificate's key (RFC 7523, as Microsoft's confidential apps may).

Access tokens live ``lifetime`` seconds; refresh tokens rotate (the old one stops working,
as a strict provider does) until ``revoke`` refuses them all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Issued:
    token: str
    user: str
    at: float
    expires_at: float
    active: bool = True


class OAuth2Server:
    """One provider, one app (``client_id``/``client_secret``), tokens for any user."""

    def __init__(
        self,
        lifetime: int = 3600,
        client_id: str = "intake",
        client_secret: str = "app-secret",
        tls: ssl.SSLContext | None = None,
        certificate: x509.Certificate | None = None,
    ) -> None:
        """With ``tls`` it speaks https (MSAL insists) and serves OpenID metadata under any
        path, as Microsoft's authority does for a tenant. With ``certificate`` the app signs
        in with a client assertion its private key signed, not with a secret."""
        self.tls = tls
        self.certificate = certificate
        self.lifetime = lifetime
        self.client_id, self.client_secret = client_id, client_secret
        self.host, self.port = "127.0.0.1", 0
        self.issued: list[Issued] = []  # access tokens, oldest first
        self.refresh_tokens: dict[str, str] = {}  # the ones that work -> their user
        self.introspected: list[tuple[str, bool]] = []  # (token, answered active)
        self.refusals: list[str] = []  # the token endpoint's error answers
        self.devices: dict[str, dict[str, Any]] = {}  # device code -> user code, user
        # Who signs in at /authorize (the person in the browser); None declines.
        self.browser_user: str | None = None
        self.authorizations: list[dict[str, str]] = []  # the queries /authorize got
        self.codes: dict[str, dict[str, str]] = {}  # authorization code -> its sign-in
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    token_url = property(lambda self: f"{self.url}/token")
    authorize_url = property(lambda self: f"{self.url}/authorize")
    device_url = property(lambda self: f"{self.url}/device")
    introspection_url = property(lambda self: f"{self.url}/introspect")

    def start(self) -> OAuth2Server:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as Dovecot's HTTP client expects: with HTTP/1.0 it reuses a
            # connection the server has closed and waits seconds before it tries again.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                status, answer = provider.answer(self.path, form, self.headers.get("Authorization"))
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/authorize":
                    status, location = provider.authorize(dict(parse_qsl(parts.query)))
                    self.send_response(status)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(provider.metadata()).encode()
                self.send_response(200 if self.path.endswith("openid-configuration") else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> OAuth2Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def metadata(self) -> dict[str, str]:
        """OpenID Connect discovery: where the endpoints are."""
        return {
            "issuer": self.url,
            "authorization_endpoint": self.authorize_url,
            "token_endpoint": self.token_url,
            "device_authorization_endpoint": self.device_url,
        }

    # What a test does as the provider's administrator or the person signing in.

    def grant(self, user: str) -> str:
        """A new refresh token for ``user``, as a sign-in would give."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self._lock:
            self.refresh_tokens[token] = user
        return token

    def revoke(self) -> None:
        """Every refresh token and access token stops working (a password reset)."""
        with self._lock:
            self.refresh_tokens.clear()
            for issued in self.issued:
                issued.active = False

    def cut_short(self) -> None:
        """The access tokens given so far stop working before they expire."""
        with self._lock:
            for issued in self.issued:
                issued.active = False

    def approve(self, user: str, timeout: float = 10.0) -> str:
        """Sign in as ``user`` on the device login that is waiting; return its user code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for device in self.devices.values():
                    if device["user"] is None:
                        device["user"] = user
                        return str(device["user_code"])
            time.sleep(0.05)
        raise AssertionError("nobody started a device login")

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """The authorization endpoint, once the person in the browser has signed in (as
        ``browser_user``) and consented: the browser is sent back to the app's redirect
        URI with a code bound to the PKCE challenge, and the state as it came."""
        with self._lock:
            self.authorizations.append(query)
            redirect_uri = query.get("redirect_uri", "")
            if query.get("client_id") != self.client_id or not redirect_uri.startswith(
                "http://127.0.0.1:"
            ):
                return 400, ""  # a provider shows an error page, and never redirects
            back: dict[str, str] = {"state": query.get("state", "")}
            if query.get("response_type") != "code" or query.get("code_challenge_method") != (
                "S256"
            ):
                back["error"] = "invalid_request"
            elif self.browser_user is None:
                back["error"] = "access_denied"
            else:
                code = "ac-" + secrets.token_urlsafe(16)
                self.codes[code] = {
                    "user": self.browser_user,
                    "challenge": query.get("code_challenge", ""),
                    "redirect_uri": redirect_uri,
                }
                back["code"] = code
            return 302, f"{redirect_uri}?{urlencode(back)}"

    def active(self, token: str) -> str | None:
        """The user of a working access token, else None."""
        now = time.time()
        for issued in self.issued:
            if issued.token == token:
                return issued.user if issued.active and now < issued.expires_at else None
        return None

    # The endpoints.

    def answer(
        self, path: str, form: dict[str, str], auth: str | None
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path == "/introspect":
                user = self.active(form.get("token", ""))
                self.introspected.append((form.get("token", ""), user is not None))
                return 200, {"active": True, "username": user} if user else {"active": False}
            if form.get("client_assertion_type") == JWT_ASSERTION:
                refused = self._assertion_refused(form.get("client_assertion", ""))
                if refused:
                    return self._refuse("invalid_client", refused, 401)
            elif not self._client_ok(form, auth):
                return self._refuse("invalid_client", "unknown app or wrong secret", 401)
            if path == "/device":
                code = "dc-" + secrets.token_urlsafe(8)
                user_code = f"TEST-{len(self.devices) + 1:04d}"
                self.devices[code] = {"user_code": user_code, "user": None}
                return 200, {
                    "device_code": code,
                    "user_code": user_code,
                    "verification_uri": f"{self.url}/activate",
                    "expires_in": 60,
                    "interval": 0.1,
                }
            if path == "/token":
                return self._token(form)
            return 404, {"error": "not_found"}

    def _client_ok(self, form: dict[str, str], auth: str | None) -> bool:
        if auth and auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return (client_id, secret) == (self.client_id, self.client_secret)

    def _assertion_refused(self, assertion: str) -> str | None:
        """Why the app's signed assertion does not prove it is the app, or None: the
        signature of the certificate's key, for this token endpoint, by this client id."""
        import jwt
        from cryptography.hazmat.primitives import hashes

        if self.certificate is None:
            return "this app has no certificate"
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=self.token_url,
                issuer=self.client_id,
                options={"require": ["aud", "iss", "sub", "exp"]},
            )
        except jwt.PyJWTError as exc:
            return f"the client assertion does not hold: {exc}"
        if claims["sub"] != self.client_id:
            return "the client assertion is not the app's (sub)"
        # Microsoft finds the certificate by the thumbprint in the header (x5t: SHA-1).
        sha1 = base64.urlsafe_b64encode(self.certificate.fingerprint(hashes.SHA1()))
        if header.get("x5t", "").rstrip("=").encode() != sha1.rstrip(b"="):
            return "no certificate of this app has the thumbprint x5t"
        return None

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            user = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if user is None:
                return self._refuse("invalid_grant", "the refresh token was revoked")
            return 200, self._tokens_for(user)
        if grant_type == "authorization_code":
            signing = self.codes.pop(form.get("code", ""), None)  # a code works once
            if signing is None:
                return self._refuse("invalid_grant", "no such authorization code")
            if form.get("redirect_uri") != signing["redirect_uri"]:
                return self._refuse("invalid_grant", "the redirect_uri differs")
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest())
            if challenge.rstrip(b"=").decode() != signing["challenge"]:
                return self._refuse("invalid_grant", "the code_verifier does not match")
            return 200, self._tokens_for(signing["user"])
        if grant_type == DEVICE_GRANT:
            device = self.devices.get(form.get("device_code", ""))
            if device is None:
                return self._refuse("expired_token", "no such device code")
            if device["user"] is None:
                return 400, {"error": "authorization_pending"}
            del self.devices[form["device_code"]]
            return 200, self._tokens_for(device["user"])
        return self._refuse("unsupported_grant_type", str(grant_type))

    def _tokens_for(self, user: str) -> dict[str, Any]:
        now = time.time()
        access = "at-" + secrets.token_urlsafe(16)
        self.issued.append(Issued(access, user, now, now + self.lifetime))
        refresh = "rt-" + secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = user
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "refresh_token": refresh,
        }

    def _refuse(
        self, error: str, description: str, status: int = 400
    ) -> tuple[int, dict[str, Any]]:
        self.refusals.append(error)
        return status, {"error": error, "error_description": description}

    @property
    def refreshes(self) -> int:
        """Access tokens issued so far."""
        return len(self.issued)


def oauth2_settings(provider: OAuth2Server, token_file: Any, **extra: Any) -> dict[str, Any]:
    """An [imap.oauth2] section for the app of ``provider``, its refresh token in
    ``token_file``."""
    return {
        "provider": "generic",
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "token_url": provider.token_url,
        "device_url": provider.device_url,
        "scopes": ["mail"],
        "token_file": str(token_file),
        **extra,
    }


def app_certificate(path: Any, name: str = "intake") -> x509.Certificate:
    """A new RSA key and a self-signed certificate for it, as an admin makes for an app
    registration: written to ``path`` in one PEM file (key, then certificate), 0600."""
    import datetime

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with open(path, "wb") as out:
        out.write(key_pem + certificate.public_bytes(serialization.Encoding.PEM))
    os.chmod(path, 0o600)
    return certificate


def sign_in(provider: OAuth2Server, token_file: Any, user: str) -> str:
    """Store a new refresh token for ``user`` in ``token_file`` (0600), as `intake auth
    login` does; return it."""
    from pathlib import Path

    from intake.mail.tokens import FileStore

    token = provider.grant(user)
    FileStore(Path(token_file), "test").save(token)
    return token
