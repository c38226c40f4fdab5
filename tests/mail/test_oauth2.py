"""OAuth2 logins through real servers: Dovecot checks each access token with a local
provider's introspection endpoint, and the provider's token endpoint renews them."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from intake.errors import AuthorizationLost, ConfigError, LoginRejected
from intake.mail.mailbox import Mailbox
from intake.mail.oauth2 import provider_for
from intake.mail.providers import Provider
from intake.settings import ImapSettings, OAuth2Settings
from tests.mailbuilder import message
from tests.servers.dovecot import Dovecot
from tests.servers.fixtures import OAUTH2_MAILBOX
from tests.servers.oauth2 import OAuth2Server, app_certificate, oauth2_settings, sign_in


def imap_settings(dovecot, provider, token_file, **oauth2) -> ImapSettings:
    return ImapSettings(
        host=dovecot.host,
        port=dovecot.port,
        security="none",
        username=OAUTH2_MAILBOX,
        auth="oauth2",
        oauth2=oauth2_settings(provider, token_file, **oauth2),
    )


def read_all(settings: ImapSettings) -> list[bytes]:
    mailbox = Mailbox(settings)
    try:
        mailbox.connect()
        return [f.raw for f in mailbox.fetch(mailbox.uids_after(0))]
    finally:
        mailbox.close()


def test_mail_is_read_with_xoauth2_and_the_rotated_refresh_token_is_kept_0600(
    oauth2_dovecot, oauth2_provider, tmp_path, caplog
):
    # Given a mailbox that takes OAuth2 logins, and a refresh token stored by a sign-in
    oauth2_dovecot.append(message(subject="Over OAuth2"))
    token_file = tmp_path / "imap.token"
    first = sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    caplog.set_level(logging.DEBUG)
    # When intake reads the mailbox
    [raw] = read_all(imap_settings(oauth2_dovecot, oauth2_provider, token_file))
    # Then it logged in with an access token the provider gave for the refresh token
    assert b"Subject: Over OAuth2" in raw
    assert oauth2_provider.refreshes == 1
    assert "method=XOAUTH2" in oauth2_dovecot.log_tail(50)
    # And the provider's new refresh token replaced the old one, in a file only we read
    kept = token_file.read_text().strip()
    assert kept != first and kept in oauth2_provider.refresh_tokens
    assert token_file.stat().st_mode & 0o777 == 0o600
    # And no token was logged, at any level
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert first not in logged and kept not in logged
    assert not any(issued.token in logged for issued in oauth2_provider.issued)
    assert "new access token for generic:support@agency.example" in logged


def test_the_access_token_is_renewed_before_it_expires(oauth2_dovecot, oauth2_provider, tmp_path):
    # Given access tokens that live 4 s, renewed 2 s before they expire
    oauth2_provider.lifetime = 4
    token_file = tmp_path / "imap.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    settings = imap_settings(oauth2_dovecot, oauth2_provider, token_file, refresh_before=2.0)
    # When intake logs in twice at once, then again 2.5 s later
    read_all(settings)
    read_all(settings)
    assert oauth2_provider.refreshes == 1  # the first token served both
    time.sleep(2.5)
    read_all(settings)
    # Then the third login carried a new token, fetched while the first was still valid,
    # and Dovecot never saw an expired one
    first, second = oauth2_provider.issued
    assert first.at < second.at < first.expires_at
    assert all(active for _, active in oauth2_provider.introspected)


def test_a_rejected_access_token_is_renewed_once_and_the_login_succeeds(
    oauth2_dovecot, oauth2_provider, tmp_path
):
    # Given a logged-in mailbox whose access token the provider then cuts short
    token_file = tmp_path / "imap.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    settings = imap_settings(oauth2_dovecot, oauth2_provider, token_file)
    read_all(settings)
    oauth2_provider.cut_short()
    # When intake logs in again, its token still unexpired by the clock
    oauth2_dovecot.append(message(subject="After the cut"))
    [raw] = read_all(settings)
    # Then Dovecot refused the old token once, and the new one got in
    assert b"After the cut" in raw
    assert oauth2_provider.refreshes == 2
    assert [active for _, active in oauth2_provider.introspected] == [True, False, True]


def test_a_revoked_refresh_token_is_one_line_naming_intake_auth_login(
    oauth2_dovecot, oauth2_provider, tmp_path
):
    # Given a mailbox signed in, then signed out by its administrator
    token_file = tmp_path / "imap.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    settings = imap_settings(oauth2_dovecot, oauth2_provider, token_file)
    read_all(settings)
    oauth2_provider.revoke()
    kept = token_file.read_text().strip()
    # When intake logs in again
    with pytest.raises(AuthorizationLost) as caught:
        read_all(settings)
    # Then it is one line naming the setting and the fix, and no token
    line = str(caught.value)
    assert line.startswith("imap.oauth2: 127.0.0.1:")
    assert "refused the refresh token (invalid_grant: " in line
    assert line.endswith("; run `intake auth login`") and "\n" not in line
    assert kept not in line


def test_microsoft_tokens_come_from_msal_and_its_device_sign_in(
    certificates, monkeypatch, tmp_path
):
    # Given a Microsoft-style authority on https (MSAL reads the tenant's OpenID metadata
    # there) for a public client, and Dovecot trusting its tokens
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca_file))
    with OAuth2Server(client_secret="", tls=certificates.server_context()) as provider:
        dovecot = Dovecot(
            user=OAUTH2_MAILBOX,
            introspection_url=provider.introspection_url,
            introspection_ca=certificates.ca_file,
        )
        with dovecot:
            dovecot.append(message(subject="Via MSAL"))
            settings = ImapSettings(
                host=dovecot.host,
                port=dovecot.port,
                security="none",
                username=OAUTH2_MAILBOX,
                auth="oauth2",
                oauth2={
                    "provider": "microsoft",
                    "client_id": provider.client_id,
                    "tenant": "agency.example",
                    "authority": provider.url,
                    "token_file": str(tmp_path / "imap.token"),
                },
            )
            tokens = Mailbox(settings).tokens
            assert tokens is not None
            # When someone signs in with the device code, and intake then reads the mail
            person = threading.Thread(target=provider.approve, args=(OAUTH2_MAILBOX,))
            person.start()
            signing = tokens.provider.start_device_login()
            tokens.signed_in(tokens.provider.finish_device_login(signing))
            person.join()
            tokens.renew(tokens.current())  # spend the sign-in's token: MSAL refreshes
            [raw] = read_all(settings)
            # Then MSAL's tokens logged in, and its rotated refresh token was kept
            assert signing.message.startswith(f"To sign in, open {provider.url}/activate")
            assert b"Via MSAL" in raw and provider.refreshes == 2
            assert (tmp_path / "imap.token").read_text().strip() in provider.refresh_tokens
            # And a revoked one is the same one line as for any provider
            provider.revoke()
            with pytest.raises(AuthorizationLost, match=r"run `intake auth login`$"):
                tokens.renew(tokens.current())


def test_a_microsoft_app_with_a_certificate_renews_with_a_signed_assertion(
    certificates, monkeypatch, tmp_path
):
    # Given a confidential Microsoft app that proves itself with a certificate (its key and
    # certificate in one PEM file), registered at an authority that checks the signature
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates.ca_file))
    registered = app_certificate(tmp_path / "intake-app.pem")
    app_certificate(tmp_path / "another-app.pem")  # a key the authority does not know
    with OAuth2Server(
        client_secret="", tls=certificates.server_context(), certificate=registered
    ) as provider:

        def microsoft(pem: str) -> Provider:
            settings = OAuth2Settings(
                provider="microsoft",
                client_id=provider.client_id,
                tenant="agency.example",
                authority=provider.url,
                certificate_file=tmp_path / pem,
                token_file=tmp_path / "imap.token",
            )
            return provider_for("imap", settings)

        # When MSAL renews a refresh token, signing its assertion with the app's key
        grant = microsoft("intake-app.pem").refresh(provider.grant(OAUTH2_MAILBOX))
        # Then the authority took it: a new access token and refresh token
        assert provider.active(grant.access_token) == OAUTH2_MAILBOX
        assert grant.refresh_token in provider.refresh_tokens
        # And with another key it refuses the app, in one line naming the setting
        with pytest.raises(LoginRejected) as caught:
            microsoft("another-app.pem").refresh(provider.grant(OAUTH2_MAILBOX))
        line = str(caught.value)
        assert line.startswith("imap.oauth2.client_id/certificate_file: 127.0.0.1:")
        assert "refused the app (invalid_client: " in line and "\n" not in line
        assert "Signature verification failed" in line  # the key, not the thumbprint
        assert provider.refusals == ["invalid_client"]
        # And a key file others may read is refused before anything is sent, naming the fix
        (tmp_path / "intake-app.pem").chmod(0o640)
        with pytest.raises(ConfigError) as refused:
            microsoft("intake-app.pem").refresh(provider.grant(OAUTH2_MAILBOX))
        assert str(refused.value) == (
            f"imap.oauth2.certificate_file: {tmp_path / 'intake-app.pem'} may be read by other "
            "users (mode 0640); it holds the app's private key: "
            f"chmod 600 {tmp_path / 'intake-app.pem'}"
        )
        assert provider.refusals == ["invalid_client"]
