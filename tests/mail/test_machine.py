"""Telling machine-written mail from a person's, check by check and in the order of CHECKS."""

from __future__ import annotations

import pytest

from intake.mail.machine import CHECKS, MachineVerdict, detect_machine
from intake.mail.parsing import InboundMail, parse
from tests.mail import build_message

OURS = frozenset({"support@agency.example"})
# A reply names our email, as an automatic reply to it does.
ANSWERING_OURS = ("In-Reply-To", "<20251103100000.a1b2c3d4e5f6.intake@agency.example>")


def mail_with(*headers: tuple[str, str], sender: str = "Alice <alice@acme.example>") -> InboundMail:
    return parse(build_message(sender=sender, headers=headers))


def verdict_of(mail: InboundMail) -> str | None:
    verdict = detect_machine(mail, OURS)
    return verdict.check if verdict else None


def test_the_checks_run_in_the_documented_order() -> None:
    assert [name for name, _ in CHECKS] == [
        "own_message",
        "abuse_report",
        "dsn_report",
        "bulk_service",
        "null_sender",
        "mailer_daemon",
        "bounce_text",
        "auto_submitted",
        "autoreply_headers",
        "vacation_headers",
        "autoreply_subject",
        "autoreply_text",
        "acknowledgement",
        "list_id",
        "list_server",
        "precedence",
    ]


SES = '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent"}}'


@pytest.mark.parametrize(
    ("sender", "headers", "body", "check"),
    [
        # A bulk service's notification: its event record, from its no-reply address
        ("AWS Notifications <no-reply@sns.amazonaws.com>", (), SES, "bulk_service"),
        ("bounces+123@em.sendgrid.example", (), '[{"event": "dropped"}]', "bulk_service"),
        (
            "Postmark <notifications@postmarkapp.example>",
            (),
            '{"RecordType": "Bounce"}',
            "bulk_service",
        ),
        # A list server's notice to a poster, by its headers or its robot's address
        ("wp-security-owner@lists.example.org", (), "Your message awaits approval.", "list_server"),
        ("Sympa <sympa@lists.example.org>", (), "Message could not be delivered.", "list_server"),
        ("owner-users@lists.example.org", (), "Your message was rejected.", "list_server"),
        (
            "ml-admin@fml.example.jp",
            (("X-MLServer", "fml [fml 4.0.3]"),),
            "Not a member.",
            "list_server",
        ),
        ("admin@lists.example.org", (("X-Mailman-Version", "2.1.39"),), "Rejected.", "list_server"),
        # People: the event words or a robot-like name alone are no machine
        ("notifications@acme.example", (), "Our bounce rate went up, can you look?", None),
        ("Dana <no-reply-dana@acme.example>", (), "The event: bounce on the site", None),
        ("IT <it-admin@acme.example>", (), "Please change the DNS record.", None),
        ("Requests <office-request@acme.example>", (("X-Mailer", "Outlook"),), "Hi", "list_server"),
    ],
)
def test_bulk_services_and_list_servers_are_machines(sender, headers, body, check) -> None:
    mail = parse(build_message(sender=sender, headers=headers, body=body))
    assert verdict_of(mail) == check


def test_a_delivery_status_part_outside_a_report_is_a_machine() -> None:
    # Given a bulk service's notice: multipart/mixed with a message/delivery-status part
    raw = (
        b"From: noreply@mailer.example\r\nTo: support@agency.example\r\nSubject: failed\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nWe could not deliver your message.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; m.example"
        b"\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\nAction: failed\r\n"
        b"--b--\r\n"
    )
    assert verdict_of(parse(raw)) == "bulk_service"


def test_an_abuse_report_is_named_as_such() -> None:
    raw = (
        b"From: staff@feedback.example\r\nTo: support@agency.example\r\nSubject: complaint\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nAn abuse report.\r\n"
        b"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
        b"--b--\r\n"
    )
    assert verdict_of(parse(raw)) == "abuse_report"


@pytest.mark.parametrize(
    ("headers", "check"),
    [
        ((("X-Apple-Action", "VACATION"),), "vacation_headers"),
        ((("X-POST-MessageClass", "9; Autoresponder"),), "vacation_headers"),
        ((("X-Autoreply", "yes"),), "autoreply_headers"),
        ((("X-Autorespond", "Vacation"),), "autoreply_headers"),
        ((("X-Auto-Response-Suppress", "All"),), "autoreply_headers"),
    ],
)
def test_a_vacation_responder_without_auto_submitted_is_a_machine(headers, check) -> None:
    assert verdict_of(mail_with(*headers)) == check


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Could you add CSV export?",
        "Auto Reply: Re: [REQ-1001] Checkout",
        "Out of Office: Dana Reyes",
        "Out of Office AutoReply: Stock sync",
        "Automatická odpověď: Nabídka",
        "AUTO: Hank Miller is out of the office (returning 09/11/2026)",
        "Autoreply: Re: your quote",
        "Abwesenheitsnotiz: Ihre Anfrage",
        "Réponse automatique : absent",
        "Respuesta automática: Re: presupuesto",
        "Automatisch antwoord: Re: offerte",
    ],
)
def test_an_out_of_office_subject_is_a_machine(subject: str) -> None:
    mail = parse(build_message(subject=subject))
    assert verdict_of(mail) == "autoreply_subject"


@pytest.mark.parametrize(
    "subject",
    [
        "The automatic reply on our contact form is broken",
        "Office hours on the website are wrong",
        "Auto-renewal of the SSL certificate failed",
        "Re: [REQ-1001] out of office message needs new text",
        "Out of office next week, please send the invoice today",
        "Out of office reply not set on my new mailbox",
        "Auto reply settings for our shop",
    ],
)
def test_a_person_writing_about_automatic_replies_is_a_person(subject: str) -> None:
    assert verdict_of(parse(build_message(subject=subject))) is None


def test_a_person_writing_to_us_is_not_a_machine() -> None:
    mail = mail_with(("X-Mailer", "Apple Mail"), ("Importance", "high"), ("Auto-Submitted", "no"))
    assert detect_machine(mail, OURS) is None
    assert mail.delivery_report is None


ALICE = "alice@acme.example"


@pytest.mark.parametrize(
    ("headers", "sender", "check", "reason"),
    [
        (
            (),
            "Support <support@agency.example>",
            "own_message",
            "From support@agency.example is one of our own addresses",
        ),
        (
            (),
            "support+q7Hx@Agency.Example",
            "own_message",
            "From support+q7hx@agency.example is one of our own addresses",
        ),
        (
            (("X-Intake-Origin", "quote"),),
            ALICE,
            "own_message",
            "X-Intake-Origin header: intake's own message came back",
        ),
        (
            (("Return-Path", "<>"),),
            ALICE,
            "null_sender",
            "Return-Path: <> (null sender, RFC 5321)",
        ),
        (
            (),
            "MAILER-DAEMON@mx.acme.example",
            "mailer_daemon",
            "From mailer-daemon@mx.acme.example: a mail server",
        ),
        ((), "mailer_daemon@acme.example", "mailer_daemon", None),
        ((), "MailerDaemon@acme.example", "mailer_daemon", None),
        (
            (),
            "Postmaster <POSTMASTER@acme.example>",
            "mailer_daemon",
            "From postmaster@acme.example: a mail server",
        ),
        (
            (("Auto-Submitted", "auto-replied"),),
            ALICE,
            "auto_submitted",
            "Auto-Submitted: auto-replied (RFC 3834)",
        ),
        (
            (("Auto-Submitted", "Auto-Generated; owner-email=x@y"),),
            "a@acme.example",
            "auto_submitted",
            "Auto-Submitted: auto-generated (RFC 3834)",
        ),
        ((("Auto-Submitted", ""),), ALICE, "auto_submitted", "Auto-Submitted: (empty) (RFC 3834)"),
        (
            (("X-Autoreply", "yes"),),
            ALICE,
            "autoreply_headers",
            "x-autoreply: yes (auto-responder)",
        ),
        (
            (("X-Autorespond", "Vacation"),),
            ALICE,
            "autoreply_headers",
            "x-autorespond: Vacation (auto-responder)",
        ),
        (
            (("X-Auto-Response-Suppress", "All"),),
            ALICE,
            "autoreply_headers",
            "x-auto-response-suppress: All (auto-responder)",
        ),
        (
            (("X-Mail-Autoreply", "yes,"),),
            ALICE,
            "autoreply_headers",
            "x-mail-autoreply: yes, (auto-responder)",
        ),
        (
            (("X-Apple-Action", "VACATION"),),
            ALICE,
            "vacation_headers",
            "x-apple-action: VACATION (vacation responder)",
        ),
        (
            (("X-POST-MessageClass", "9; Autoresponder"),),
            ALICE,
            "vacation_headers",
            "x-post-messageclass: 9; Autoresponder (vacation responder)",
        ),
        ((("Precedence", "bulk"),), ALICE, "precedence", "Precedence: bulk"),
        ((("Precedence", " JUNK "),), ALICE, "precedence", "Precedence: junk"),
        ((("Precedence", "list"),), ALICE, "precedence", "Precedence: list"),
        ((("Precedence", "auto_reply"),), ALICE, "precedence", "Precedence: auto_reply"),
        (
            (("List-Id", "Acme devs <devs.acme.example>"),),
            ALICE,
            "list_id",
            "List-Id: Acme devs <devs.acme.example> (mailing list, RFC 2919)",
        ),
    ],
)
def test_each_check_names_the_machine_it_recognises_and_why(
    headers: tuple[tuple[str, str], ...], sender: str, check: str, reason: str | None
) -> None:
    # Given a message carrying one sign of a machine, When it is checked, Then that check
    # names it, with the line staff read in the records
    verdict = detect_machine(mail_with(*headers, sender=sender), OURS)
    assert verdict is not None and verdict.check == check
    assert verdict.reason == reason if reason is not None else verdict.reason


def test_an_out_of_office_subject_is_quoted_in_the_reason() -> None:
    verdict = detect_machine(parse(build_message(subject="Automatic reply: CSV export")), OURS)
    assert verdict == MachineVerdict(
        "autoreply_subject", "Subject begins 'Automatic reply:' (out-of-office reply)"
    )


@pytest.mark.parametrize(
    "headers",
    [
        (("Auto-Submitted", "no"),),
        (("Auto-Submitted", "No; reason=human"),),
        (("X-Auto-Response-Suppress", "None"),),
        (("X-Autoreply", ""),),
        (("Precedence", "first-class"),),
        (("List-Unsubscribe", "<mailto:unsub@crm.example>"),),
        (("X-MS-Exchange-Inbox-Rules-Loop", "alice@acme.example"),),
        (("X-Autorespond", "False"),),
        (("X-Mail-Autoreply", "0"),),
        (("X-Apple-Action", "MOVE"),),
        (("X-POST-MessageClass", "1; Normal"),),
        (("Precedence", "auto-reply-ish"),),
    ],
)
def test_signs_that_do_not_make_a_machine(headers: tuple[tuple[str, str], ...]) -> None:
    assert verdict_of(mail_with(*headers)) is None


def test_someone_else_at_our_domain_is_not_our_own_mail() -> None:
    assert verdict_of(mail_with(sender="dana@agency.example")) is None
    assert verdict_of(mail_with(sender="support-team@agency.example")) is None


def test_the_first_matching_check_wins() -> None:
    mail = mail_with(
        ("Auto-Submitted", "auto-replied"),
        ("List-Id", "<x.example>"),
        ("Precedence", "bulk"),
        sender="support@agency.example",
    )
    assert detect_machine(mail, OURS) == MachineVerdict(
        "own_message", "From support@agency.example is one of our own addresses"
    )
    assert verdict_of(mail_with(("List-Id", "<x>"), ("Auto-Submitted", "auto-replied"))) == (
        "auto_submitted"
    )
    assert verdict_of(mail_with(("Precedence", "list"), ("List-Id", "<x>"))) == "list_id"


def test_auto_submitted_reason_cites_rfc_3834() -> None:
    verdict = detect_machine(mail_with(("Auto-Submitted", "auto-replied")), OURS)
    assert verdict is not None
    assert verdict.reason == "Auto-Submitted: auto-replied (RFC 3834)"


DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
    b"--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--R\r\n"
    b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
    b"Final-Recipient: rfc822; bob@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--R--\r\n"
)
MDN = (
    b"From: Alice <alice@acme.example>\r\n"
    b"Content-Type: multipart/report; report-type=disposition-notification; boundary=R\r\n\r\n"
    b"--R\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n--R\r\n"
    b"Content-Type: message/disposition-notification\r\n\r\n"
    b"Final-Recipient: rfc822; alice@acme.example\r\nDisposition: manual-action/MDN-sent-manually;"
    b" displayed\r\n\r\n--R--\r\n"
)


def test_reports_are_machine_mail_and_only_delivery_reports_are_bounces() -> None:
    dsn, mdn = parse(DSN), parse(MDN)
    assert verdict_of(dsn) == "dsn_report"
    assert verdict_of(mdn) == "dsn_report"
    verdict = detect_machine(mdn, OURS)
    assert verdict is not None and "disposition-notification" in verdict.reason
    # Only a delivery report is read as a bounce (flagging the addresses it names).
    assert dsn.delivery_report is not None
    assert mdn.delivery_report is None


@pytest.mark.parametrize(
    "sender",
    ["postmasters@acme.example", "mailer-daemon-team@acme.example", "dana.postmaster@acme.example"],
)
def test_an_address_that_only_contains_a_daemon_s_name_is_a_person(sender: str) -> None:
    assert verdict_of(mail_with(sender=sender)) is None


def test_a_report_that_does_not_say_its_type_is_still_a_report() -> None:
    report = parse(MDN.replace(b"report-type=disposition-notification; ", b""))
    assert detect_machine(report, OURS) == MachineVerdict(
        "dsn_report", "multipart/report; report-type=unknown (RFC 6522)"
    )


@pytest.mark.parametrize("value", ["None,", "no,", "false, thanks"])
def test_an_auto_reply_header_that_says_no_with_a_comma_still_says_no(value: str) -> None:
    assert verdict_of(mail_with(("X-Autoreply", value))) is None


@pytest.mark.parametrize(
    ("head", "check", "reason"),
    [
        (b"From: <>\r\n", "null_sender", "From: <> (null sender)"),
        (b"From: MAILER-DAEMON <>\r\n", "null_sender", "From: MAILER-DAEMON <> (null sender)"),
        (b'From: "Postmaster" <>\r\n', "null_sender", 'From: "Postmaster" <> (null sender)'),
        (b"Return-Path: <>\r\nFrom: Mail System <system@acme.example>\r\n", "null_sender", None),
        (
            b"Return-Path: <MAILER-DAEMON@mx.acme.example>\r\n"
            b"From: Mail System <s@acme.example>\r\n",
            "mailer_daemon",
            "Return-Path <mailer-daemon@mx.acme.example>: a mail server",
        ),
        (b"From: post_master@acme.example\r\n", "mailer_daemon", None),
        (b"From: Post-Master@acme.example\r\n", "mailer_daemon", None),
        (b"From: mailer_daemon@acme.example\r\n", "mailer_daemon", None),
    ],
)
def test_a_null_or_daemon_sender_written_any_way_is_a_machine(
    head: bytes, check: str, reason: str | None
) -> None:
    verdict = detect_machine(parse(head + b"Subject: Undelivered Mail\r\n\r\nfailed\r\n"), OURS)
    assert verdict is not None and verdict.check == check
    assert verdict.reason == reason if reason is not None else verdict.reason


def test_a_null_from_keeps_its_display_name() -> None:
    mail = parse(b"From: Mail Delivery System <>\r\nSubject: x\r\n\r\nfailed\r\n")
    assert (mail.from_name, mail.from_address) == ("Mail Delivery System", "")


@pytest.mark.parametrize(
    ("subject", "body", "check"),
    [
        (
            "Delivery Failure",
            "Could not deliver message to the following recipient(s)",
            "bounce_text",
        ),
        (
            "Undeliverable: Your quote",
            "Delivery has failed to these recipients: 550 5.1.1",
            "bounce_text",
        ),
        (
            "Returned mail: see transcript",
            "----- The following addresses had permanent fatal errors",
            "bounce_text",
        ),
        # People: a forwarded bounce, or the words without a bounce's subject
        ("Fwd: Undeliverable: Your quote", "Can you check why this could not be delivered?", None),
        (
            "Delivery failure on our shop",
            "Customers say parcels show as delivered, but are not.",
            None,
        ),
        ("Our mail to a customer", "Their server says user unknown, what can we do?", None),
    ],
)
def test_a_bounce_is_known_by_its_subject_and_what_it_says(subject, body, check) -> None:
    mail = parse(build_message(sender="it@acme.example", subject=subject, body=body))
    assert verdict_of(mail) == check


def test_a_microsoft_junk_mail_report_is_an_abuse_report() -> None:
    reported = b"X-HmXmrOriginalRecipient: someone@hotmail.example\r\nSubject: Offer\r\n\r\nHi\r\n"
    raw = (
        b"From: staff@hotmail.example\r\nTo: support@agency.example\r\n"
        b"Subject: complaint about message from 192.0.2.1\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"
        + reported
        + b"--b--\r\n"
    )
    assert verdict_of(parse(raw)) == "abuse_report"


@pytest.mark.parametrize(
    "subject",
    [
        "Resposta automática: Re: orçamento",
        "Automatiskt svar: Offert",
        "Automatisk svar: Tilbud",
        "Automatyczna odpowiedź: Oferta",
        "自動応答: お見積もり",
        "自动回复: 报价",
    ],
)
def test_out_of_office_subjects_in_more_of_outlooks_languages(subject: str) -> None:
    assert verdict_of(parse(build_message(subject=subject))) == "autoreply_subject"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Undeliverable: Quote",
            "Your message did not reach some or all of the intended recipients.",
        ),
        (
            "Message not delivered",
            "Your message wasn't delivered to a@b.example because the address couldn't be found.",
        ),
        ("Non recapitabile: Preventivo", "Il messaggio non è stato recapitato: 550 5.1.1"),
        ("No se puede entregar: Presupuesto", "No se pudo entregar: 550 5.1.1 user unknown"),
    ],
)
def test_bounces_in_exchange_and_gmail_wording(subject: str, body: str) -> None:
    mail = parse(build_message(sender="System <system@mx.example>", subject=subject, body=body))
    assert verdict_of(mail) == "bounce_text"


@pytest.mark.parametrize(
    "body",
    [
        "Dear customer,\n\nThis is an automatic reply: we received your message and will"
        " answer within two working days.\n\nExample Shop",
        "Thank you for contacting us. This message was generated automatically; please do"
        " not reply to it.",
        "Sehr geehrte Damen und Herren,\n\ndies ist eine automatische Eingangsbestätigung."
        " Wir melden uns in Kürze.",
        "Diese E-Mail wurde automatisch erstellt.",
        "Bonjour,\n\nCeci est une réponse automatique. Nous traiterons votre demande rapidement.",
        "Hola,\n\nEsta es una respuesta automática: hemos recibido su mensaje.",
        "Olá,\n\nEsta é uma mensagem automática. Não responda a este e-mail.",
        "Dit is een automatisch antwoord. Wij reageren zo snel mogelijk.",
        "Questo è un messaggio automatico, si prega di non rispondere.",
    ],
)
def test_a_reply_to_our_mail_that_says_it_is_automatic_is_a_machine(body: str) -> None:
    raw = build_message(subject="Re: Contact form broken", body=body, headers=[ANSWERING_OURS])
    assert verdict_of(parse(raw)) == "autoreply_text"


@pytest.mark.parametrize(
    "subject",
    ["Respuesta automática - Diego Paredes", "Out of Office", "[Auto-Reply] Your message"],
)
def test_a_loose_out_of_office_subject_is_a_machine_in_a_reply_to_our_mail(subject: str) -> None:
    # "Out of Office" alone, before a dash or in brackets: what Zoho and others write
    raw = build_message(subject=subject, headers=[ANSWERING_OURS])
    assert verdict_of(parse(raw)) == "autoreply_subject"
    # In a new message it is a person's subject: "Out of office - handover for next week"
    assert verdict_of(parse(build_message(subject=subject))) is None


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # writing about an automatic reply
        (
            "Re: Contact form broken",
            "Thank you for your automatic reply, but this is urgent: the shop is down.",
        ),
        ("Contact form", "Our contact form sends an automated reply that is broken."),
        (
            "Contact form answers twice",
            'Our contact form answers "This is an automatic reply" twice to every customer.',
        ),
        ("Wrong notice", "The email says: this message was generated automatically. It was not."),
        # pasting the text they want changed, after a line that introduces it
        (
            "Re: Contact form reply has a typo",
            "It currently says:\n\nThis is an automatic reply. We have recieved your message.\n\n"
            "Could you change 'recieved'?",
        ),
        # describing their own shop's mail, or saying where not to write
        (
            "Re: Order confirmations",
            "Since Friday no confirmation arrives. The email is sent automatically after payment.",
        ),
        (
            "Re: New email address",
            "I leave on Friday. Please do not reply to this address after that, write to Mark.",
        ),
        # quoting one under their own words
        (
            "Re: [REQ-1001] Contact form broken",
            "Please call me.\n\nOn Mon, 3 Nov 2025, Support wrote:\n> This is an automatic"
            " reply: we received your message.",
        ),
        # forwarding one
        (
            "Fwd: Automatic reply: invoice",
            "Can you check this?\n\n---------- Forwarded message ---------\nThis is an"
            " automatic reply. I am away until Monday.",
        ),
        ("WG: Eingangsbestätigung", "Dies ist eine automatische Eingangsbestätigung."),
    ],
)
def test_a_person_quoting_forwarding_or_writing_about_one_is_a_person(
    subject: str, body: str
) -> None:
    raw = build_message(subject=subject, body=body, headers=[ANSWERING_OURS])
    assert verdict_of(parse(raw)) is None


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Ticket Received - Invoice question for May",
            "Dear customer,\n\nWe have received your request and created a ticket.\n"
            "https://shop.freshdesk.example/helpdesk/tickets/8834",
        ),
        ("[Request received] Checkout broken", "Your request (#48213) has been received."),
        ("Eingangsbestätigung: [#5120] Ihre Anfrage", "Wir melden uns innerhalb von 48 Stunden."),
        ("Chamado recebido - Integração", "Abrimos o chamado #3391 para você."),
    ],
)
def test_a_help_desks_acknowledgement_naming_its_ticket_is_a_machine(
    subject: str, body: str
) -> None:
    raw = build_message(subject=subject, body=body, headers=[ANSWERING_OURS])
    assert verdict_of(parse(raw)) == "acknowledgement"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Accusé de réception du devis", "Bonjour, nous avons bien reçu votre devis, merci."),
        ("Eingangsbestätigung Rechnung 2024-05", "Danke, die Rechnung ist angekommen."),
        ("Request received, thanks", "I will check order 12345 tomorrow and call you."),
        ("Re: Ticket received - Checkout", "Ticket #4411 is still open, any news?"),
        ("Eingangsbestätigung fehlt", "Bei Bestellung #10234 kam keine Eingangsbestätigung."),
        ("Ticket created 3 days ago, still no answer", "I opened ticket #4512 on Monday."),
        ("Request received?", "Did you get it? See https://client.example/requests/233"),
    ],
)
def test_a_person_confirming_receipt_is_a_person(subject: str, body: str) -> None:
    raw = build_message(subject=subject, body=body, headers=[ANSWERING_OURS])
    assert verdict_of(parse(raw)) is None


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Order confirmations not arriving", "This is an automatic reply from our shop: broken."),
        ("Bestellbestätigung kommt doppelt", "Diese E-Mail wird automatisch verschickt."),
        ("Ticket Received - Website down", "Our help desk says ticket #881 was received."),
    ],
)
def test_in_a_new_message_what_it_says_of_automatic_mail_is_a_persons(
    subject: str, body: str
) -> None:
    # A new message names none of our emails: an automatic reply answers one
    assert verdict_of(parse(build_message(subject=subject, body=body))) is None
