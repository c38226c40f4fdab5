"""The demo's embedded servers work with the same clients intake uses in production."""

from __future__ import annotations

import smtplib
import time
from pathlib import Path

from imapclient import IMAPClient

from intake.demo.servers import EmbeddedImap, EmbeddedSmtp


def _write_mail(folder: Path) -> None:
    for name, subject in [("b_second.eml", "Second"), ("a_first.eml", "First")]:
        body = f"From: alice@acme.example\nSubject: {subject}\n\nHello\n"
        (folder / name).write_bytes(body.encode())


def test_embedded_imap_serves_the_loaded_mail_unseen(tmp_path: Path) -> None:
    _write_mail(tmp_path)

    with EmbeddedImap(tmp_path, username="support", password="demo") as imap:
        client = IMAPClient(imap.host, imap.port, ssl=False, timeout=5)
        client.login(imap.username, imap.password)
        client.select_folder("INBOX")
        unseen = client.search("UNSEEN")
        fetched = client.fetch(unseen, ["BODY.PEEK[]"])
        client.add_flags(unseen[:1], [b"\\Seen"])
        still_unseen = client.search("UNSEEN")
        client.logout()

    bodies = [fetched[uid][b"BODY[]"] for uid in sorted(unseen)]
    assert [b"Subject: First" in body for body in bodies] == [True, False]
    assert bodies[0].endswith(b"\r\n\r\nHello\r\n")
    assert still_unseen == sorted(unseen)[1:]


def test_embedded_imap_announces_new_mail_to_an_idle_client() -> None:
    with EmbeddedImap() as imap:
        watcher = IMAPClient(imap.host, imap.port, ssl=False, timeout=5)
        watcher.login(imap.username, imap.password)
        watcher.select_folder("INBOX")
        watcher.idle()
        sender = IMAPClient(imap.host, imap.port, ssl=False, timeout=5)
        sender.login(imap.username, imap.password)
        sender.append("INBOX", b"Subject: New\r\n\r\nHello\r\n")
        sender.logout()

        # idle_check returns with the first untagged responses to arrive: the server may
        # say RECENT before EXISTS, in another packet, so keep reading until EXISTS or 5 s.
        responses: list[tuple[int, bytes]] = []
        deadline = time.monotonic() + 5
        while (1, b"EXISTS") not in responses and time.monotonic() < deadline:
            responses += watcher.idle_check(timeout=max(0.0, deadline - time.monotonic()))
        watcher.idle_done()
        watcher.logout()

    assert (1, b"EXISTS") in responses


def test_embedded_smtp_keeps_what_it_accepts() -> None:
    with EmbeddedSmtp() as smtp_server, smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        smtp.sendmail("support@agency.example", ["alice@acme.example"], b"Subject: Hi\r\n\r\nx\r\n")
        smtp.quit()

        assert smtp_server.messages == [
            ("support@agency.example", ["alice@acme.example"], b"Subject: Hi\r\n\r\nx\r\n")
        ]
