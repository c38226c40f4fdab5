"""Decide whether a message was written by a machine, so that intake never answers one.

The checks run in the order of CHECKS; the first that matches names the verdict. Every check
means "machine", so the order only decides which name is recorded: the most specific one.

1. own_message: our own mail coming back is the loop that hurts most, and says the most.
2. abuse_report: a complaint of a feedback loop (ARF, RFC 5965: a multipart/report of
   report-type feedback-report, or a message/feedback-report part), more specific than
3. dsn_report: a multipart/report (RFC 6522) says exactly what it is, a bounce or a receipt, so
   it outranks the null sender and MTA sender that such reports also carry.
4. bulk_service: a delivery notification of a bulk-mail service: a message/delivery-status
   part outside a report (people's mail programs never write one), or a no-reply sender's
   notification in a service's known format (Amazon SES through SNS, SendGrid, Mailgun,
   Postmark, SparkPost event JSON).
5. null_sender, 6. mailer_daemon: the null envelope sender (RFC 5321 4.5.5) or a null From
   ("<>", "MAILER-DAEMON <>"), then a daemon's From or Return-Path, as a bounce without a
   report (qmail's) has them; postmaster and post_master count as daemons too.
7. bounce_text: a bounce from a sender that names no daemon ('"System Administrator"@…'):
   a bounce's subject at the start ("Undeliverable:", "Returned mail", "Delivery Failure"),
   and text that says what failed ("could not be delivered", "user unknown", 5.1.1).
8. auto_submitted: the standard mark of automatic mail (RFC 3834), which intake itself sets.
9. autoreply_headers, vacation_headers, autoreply_subject: the vendor marks of auto-responders
   that predate or ignore RFC 3834, in headers and in the subjects Outlook, Notes and others
   give out-of-office replies; autoreply_text: a reply that says of itself, in its sender's
   own words, that it is automatic (help desks' acknowledgements, website scripts and
   mail-client rules that set no header at all); acknowledgement: a help desk's
   acknowledgement of a new ticket, by its subject and the ticket it names.
10. list_id: the list is named (RFC 2919): mail distributed by a list.
11. list_server: what a list server sends a poster itself, errors and notices with no List-Id
   (fml, Mailman, Sympa, LISTSERV, Majordomo), named by its own headers or by the list's
   robot address; more specific than
12. precedence: bulk, junk and list (and the unofficial auto_reply), used alike by lists,
   newsletters and old vacation programs.

X-MS-Exchange-Inbox-Rules-Loop is deliberately not a check: Exchange adds it to mail that an inbox
rule forwarded or redirected, which is usually a person's message relayed; the auto-replies such a
rule writes also carry X-Auto-Response-Suppress or Auto-Submitted and are caught by those.
List mail is recognised by List-Id alone (RFC 2919, as DESIGN.md says): List-Unsubscribe and
List-Post are now stamped by CRMs and bulk-sender rules on one-to-one mail a person wrote to us.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from intake.mail.headers import DAEMON, NULL_ADDRESS
from intake.mail.matching import SUBJECT_REF
from intake.mail.newtext import own_words
from intake.mail.parsing import InboundMail

Check = Callable[[InboundMail, frozenset[str]], str | None]


@dataclass(frozen=True)
class MachineVerdict:
    """Which check found a message machine-written, and why, in one line for the records."""

    check: str
    reason: str


_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
# A header that says "no" in any of these words does not mark an auto-responder.
_NEGATIVE = frozenset({"", "no", "false", "0", "none"})
_AUTOREPLY_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-mail-autoreply",
    "x-auto-response-suppress",
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
# Vacation responders that set no Auto-Submitted: each names itself in a header of its own.
_VACATION_HEADERS = (
    ("x-apple-action", re.compile(r"vacation", re.IGNORECASE)),  # iCloud, macOS Server
    ("x-post-messageclass", re.compile(r"autoresponder", re.IGNORECASE)),  # one.com, others
)
# The subjects out-of-office replies are given, at the start: the prefix a responder puts
# before the subject it answers, with a colon ("Automatic reply: <subject>" from Outlook, "Out
# of Office: …", "Out of Office AutoReply: …" from old Exchange, "AUTO: <name> is out of the
# office" from Notes, "Autoreply:", Outlook's prefixes in its other languages). Followed by
# other words they are a person's subject ("Out of office next week: the invoice"). The same
# words before a dash ("Respuesta automática - <name>"), in brackets ("[Autoreply]") or alone
# ("Out of Office") count only in a reply to our mail: a client's "Out of office – handover"
# is a person's subject too.
_OUT_OF_OFFICE = (
    r"(?:(?:automatic|auto)[ -]?(?:reply|response|answer)|autoreply"
    r"|out of (?:the )?office(?: auto-?reply| reply)?"
    r"|abwesenheitsnotiz|automatische antwort"
    r"|r[ée]ponse automatique|absence du bureau"
    r"|respuesta autom[áa]tica|fuera de la oficina"
    r"|automatisch antwoord|afwezig"
    r"|risposta automatica|fuori sede"
    r"|resposta autom[áa]tica|automatiskt svar|automatisk svar"
    r"|automatyczna odpowied[źz]|automaattinen vastaus"
    r"|automatick[áa] odpov[ěe][ďd]|автоответ|автоматический ответ"
    r"|自動応答|自動返信|自动回复|自動回覆)"
)
_AUTOREPLY_SUBJECT = re.compile(r"\s*(?:auto|" + _OUT_OF_OFFICE + r")\s*[:：]", re.IGNORECASE)
_AUTOREPLY_SUBJECT_LOOSE = re.compile(
    r"\s*(?:" + _OUT_OF_OFFICE + r"(?:\s+[-–—]\s|\s*$)"
    r"|\[(?:auto[ -]?reply|autoreply|auto[ -]?response)\])",
    re.IGNORECASE,
)
# What the text of an automatic reply says of itself, in the sender's own words (quotes and
# forwards cut off), at the start of a line or a sentence: "This is an automatic reply", "This
# message was generated automatically", "Dies ist eine automatische Eingangsbestätigung", ...
# Only in a reply to our mail (see _answers_us) or under an acknowledgement's subject: a
# client's new bug report saying "The email is sent automatically" is about their shop. Not after a
# line ending in ":" either, where a person pastes the text they want changed.
_MAIL_NOUN = (
    r"(?:reply|response|answer|message|e-?mail|mail|notification|confirmation"
    r"|acknowledge?ment|out[- ]of[- ]office(?: reply| message)?)"
)
_SAYS_AUTOMATIC = re.compile(
    r"(?:\A|\n|[.!?]\s)\s*(?:"
    r"this is an? (?:automatic(?:ally[ -]generated)?|automated|auto-?generated) "
    + _MAIL_NOUN
    + r"\b|this is an? (?:auto-?reply|autoresponse|auto-?response)\b"
    r"|this (?:e-?mail|message|reply|response|notification|confirmation|mail)"
    r" (?:was|has been|is) (?:(?:generated|sent|created) automatically"
    r"|automatically (?:generated|sent|created)|auto-?generated)\b"
    # German
    r"|dies ist eine? automatisch(?:e|er|es)? (?:antwort|nachricht|e-?mail|mail"
    r"|eingangsbest[äa]tigung|best[äa]tigung|benachrichtigung|abwesenheitsnotiz|mitteilung)\b"
    r"|diese (?:e-?mail|nachricht) (?:wurde|wird|ist) automatisch"
    r" (?:erstellt|generiert|versandt|versendet|verschickt|gesendet)\b"
    # French
    r"|ceci est une? (?:r[ée]ponse|message|e-?mail|courriel|accus[ée] de r[ée]ception)"
    r" automatique\b|(?:ce|cet) (?:message|e-?mail|courriel) (?:a [ée]t[ée]|est)"
    r" (?:g[ée]n[ée]r[ée]|envoy[ée]) automatiquement\b"
    # Spanish and Portuguese
    r"|(?:este|esta) (?:es|[ée]) (?:una?|uma?) (?:respuesta|mensaje|correo|resposta|mensagem"
    r"|e-?mail) autom[áa]tic[ao]\b"
    r"|(?:este|esta) (?:mensaje|correo|mensagem|e-?mail) (?:ha sido|fue|es|foi|[ée])"
    r" (?:generad[oa]|enviad[oa]|gerad[oa]) autom[áa]ticamente\b"
    # Dutch, Italian, Swedish, Polish
    r"|dit is een automatisch(?:e)? (?:antwoord|bericht|e-?mail|bevestiging)\b"
    r"|dit (?:bericht|e-?mailbericht) is automatisch (?:gegenereerd|verzonden|verstuurd)\b"
    r"|questa [èe] una risposta automatica\b|questo [èe] un messaggio automatico\b"
    r"|questo messaggio [èe] stato (?:generato|inviato) automaticamente\b"
    r"|detta [äa]r ett automatiskt (?:svar|meddelande)\b"
    r"|to jest automatyczn[ae] (?:odpowied[źz]|wiadomo[śs][ćc])\b"
    r")",
    re.IGNORECASE,
)
# The subjects help desks give the acknowledgement of a new ticket, at the start and followed
# by a colon, a dash, a bracket or nothing ("Ticket Received - <subject>", "[Request received]
# <subject>", "Eingangsbestätigung: …"); it counts only in a reply to our mail and with the
# ticket's number: a person's "Eingangsbestätigung fehlt" or "Ticket created 3 days ago, still
# no answer" is a person.
_ACKNOWLEDGED = re.compile(
    r"\s*\[?(?:(?:support |new )?(?:ticket|request|case|enquiry|inquiry)"
    r"(?: #?[\w-]*\d[\w-]*)? (?:received|created|opened|logged)"
    r"|we(?:'ve| have) received your (?:request|message|e-?mail|enquiry|inquiry|ticket)"
    r"|your (?:request|ticket|message|enquiry|inquiry|case)(?: \(?#?[\w-]*\d[\w-]*\)?)?"
    r" (?:has been|was|is) (?:received|created|logged|opened)"
    r"|eingangsbest[äa]tigung|ihre anfrage (?:ist eingegangen|wurde (?:empfangen|erstellt))"
    r"|ticket (?:erhalten|erstellt|er[öo]ffnet)"
    r"|accus[ée] de r[ée]ception|(?:demande|ticket) re[çc]ue?"
    r"|nous avons bien re[çc]u votre (?:demande|message)"
    r"|acuse de recibo|(?:solicitud|ticket) recibid[ao]|hemos recibido su (?:solicitud|mensaje)"
    r"|(?:chamado|ticket|solicita[çc][ãa]o) recebid[ao]"
    r"|recebemos (?:a )?sua (?:solicita[çc][ãa]o|mensagem)"
    r"|ontvangstbevestiging|(?:verzoek|ticket|aanvraag) ontvangen"
    r"|conferma di ricezione|(?:richiesta|ticket) ricevut[ao])"
    r"(?:\s*[:：\]]|\s+[-–—]\s|\s*$)",
    re.IGNORECASE,
)
# A ticket's number: after a ticket's word ("Ticket #3391", "Ticket-ID: 88341", "chamado
# 3391", Zendesk's "Your request (48213)"), in brackets ("[#5120]"), or a help desk's page
# of it; a bare "#3391" counts in the subject only (_NUMBER).
_TICKET = re.compile(
    r"\b(?:ticket|case|chamado|vorgang|caso|request|anfrage|demande|solicitud)[- ]?(?:id|nr\.?"
    r"|no\.?|number|nummer|n[úu]mero)?[\s:#(]*[A-Z]{0,5}-?\d{3,}\b|\[#\s?\d{3,}\]"
    r"|/(?:helpdesk/)?tickets?/\d+|/requests/\d+",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"#\s?\d{3,}")
# A person forwarding an automatic reply to us: "Fwd:", "Fw:", "WG:", "TR:", "RV:", "I:".
_FORWARDED = re.compile(r"\s*(?:fwd?|wg|tr|rv|i|doorst|vs|vl|pd)\s*:", re.IGNORECASE)
_OWN_WORDS = 3_000  # characters of the sender's own words searched for what they say of it


_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
# The local parts bulk-mail services send notifications from.
_NO_REPLY = re.compile(
    r"(?:no-?reply|do-?not-?reply|bounces?|notifications?|notify|alerts?)(?:[-+._].*)?",
    re.IGNORECASE,
)
# The event records bulk-mail services send, as JSON in the body of a notification email.
_SERVICE_EVENT = re.compile(
    r"\"(?:notificationType|eventType)\"\s*:\s*\"(?:Bounce|Complaint|Reject)\""  # SES via SNS
    r"|\"event\"\s*:\s*\"(?:bounce|dropped|spamreport|failed|complained)\""  # SendGrid, Mailgun
    r"|\"RecordType\"\s*:\s*\"(?:Bounce|SpamComplaint)\""  # Postmark
    r"|\"type\"\s*:\s*\"(?:bounce|spam_complaint|out_of_band)\"",  # SparkPost
)
# The subjects of the delivery notices services write for people (Mandrill, Postmark, ...).
_NOT_DELIVERED = re.compile(
    r"unable to deliver|could not be delivered|undeliverable|not delivered|delivery fail"
    r"|delivery status|failed delivery|returned mail|hard bounce|\bbounced?\b",
    re.IGNORECASE,
)
_SCANNED = 20_000  # characters of a body (or bytes of a part) searched for a service's marks
# Microsoft's junk mail reporting program attaches the reported message with this header.
_JMRP = re.compile(rb"^X-HmXmrOriginalRecipient:", re.IGNORECASE | re.MULTILINE)
# The subjects mail servers give bounces, at the start (a person's "Fwd: ..." does not match).
_BOUNCE_SUBJECT = re.compile(
    r"\s*(?:undeliverable\b|undelivered mail\b|undeliverable mail\b|returned mail\b"
    r"|mail delivery (?:failed|failure|system)\b|delivery (?:status notification|failure"
    r"|notification|has failed|failed)\b|failure notice\b|non[- ]?delivery\b"
    r"|nondeliverable\b|warning: could not send\b|unzustellbar\b|non remis\b"
    r"|message (?:not delivered|delivery (?:has )?failed)\b|mail could not be delivered\b"
    r"|mail system error\b|non recapitabile\b|onbestelbaar\b|no se puede entregar\b"
    r"|n[ãa]o [ée] poss[íi]vel entregar\b|kan inte levereras\b)",
    re.IGNORECASE,
)
# What the text of a bounce says of the recipient it failed for.
_BOUNCE_SAYS = re.compile(
    r"could not (?:be )?deliver|couldn't be delivered|(?:was not|wasn't) delivered"
    r"|undeliverable|unable to deliver|did not reach|didn't reach"
    r"|delivery (?:to the following recipients? )?(?:has )?failed|failed recipient"
    r"|permanent(?:ly)? (?:error|fatal)|user unknown|unknown user|no such user"
    r"|mailbox (?:unavailable|not found|full)|\b5\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE,
)
# Headers list servers put on the notices they send to a poster.
_LIST_SERVER_HEADERS = (
    "x-mailman-version",  # Mailman 2 and 3
    "x-ml-name",  # fml
    "x-mlserver",  # fml
    "x-sympa-to",  # Sympa
    "x-listserver",
    "x-listprocessor-version",
    "x-lsv-listid",  # LISTSERV
)
# A list server's own addresses: its robot, and a list's -owner, -request and -bounces.
_LIST_ROBOT = re.compile(
    r"(?:mailman|sympa|listserv|majordomo|fml|listproc|ecartis)"
    r"|.+-(?:owner|request|bounces?)(?:\+.*)?|owner-.+",
    re.IGNORECASE,
)


def _base_address(address: str) -> str:
    """support+abc@agency.example is support@agency.example: plus-addressing names one mailbox."""
    local, at, domain = address.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" if at else address.strip().lower()


def _keyword(value: str) -> str:
    """The value before any parameters or comment: 'Auto-Replied; x=y' -> 'auto-replied'."""
    return re.split(r"[;(\s]", value.strip(), maxsplit=1)[0].lower()


def _own_message(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    if mail.header("x-intake-origin") is not None:
        return "X-Intake-Origin header: intake's own message came back"
    ours = {_base_address(address) for address in own_addresses}
    if mail.from_address and _base_address(mail.from_address) in ours:
        return f"From {mail.from_address} is one of our own addresses"
    return None


def _null_sender(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    if mail.return_path == "":
        return "Return-Path: <> (null sender, RFC 5321)"
    written = mail.header("from")
    if not mail.from_address and written is not None and NULL_ADDRESS.search(written):
        return f"From: {written.strip()} (null sender)"
    return None


def _mailer_daemon(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    local = mail.from_address.partition("@")[0]
    if DAEMON.fullmatch(local):
        return f"From {mail.from_address}: a mail server"
    returned_to = (mail.return_path or "").partition("@")[0]
    if DAEMON.fullmatch(returned_to):
        return f"Return-Path <{mail.return_path}>: a mail server"
    return None


def _report_type(mail: InboundMail) -> str | None:
    """The report-type of a multipart/report ("unknown" when it names none); None for any
    other message."""
    if mail.content_type != "multipart/report":
        return None
    found = _REPORT_TYPE.search(mail.header("content-type") or "")
    return found.group(1).lower() if found else "unknown"


def _dsn_report(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    kind = _report_type(mail)
    return f"multipart/report; report-type={kind} (RFC 6522)" if kind else None


def _abuse_report(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    if _report_type(mail) == "feedback-report":
        return "multipart/report; report-type=feedback-report (abuse report, RFC 5965)"
    for part in mail.attachments:
        if part.content_type == "message/feedback-report":
            return "a message/feedback-report part (abuse report, RFC 5965)"
        if part.content_type == "message/rfc822" and _JMRP.search((part.payload or b"")[:_SCANNED]):
            return "the reported message carries X-HmXmrOriginalRecipient (Microsoft JMRP)"
    return None


def _bulk_service(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    for part in mail.attachments:
        if part.content_type in _STATUS_PARTS:
            return f"a {part.content_type} part outside a report (delivery notification)"
    local = mail.from_address.partition("@")[0]
    if _NO_REPLY.fullmatch(local):
        found = _SERVICE_EVENT.search(mail.text[:_SCANNED])
        if found:
            return f"{mail.from_address} sent {found.group().strip()} (delivery notification)"
        if _NOT_DELIVERED.search(mail.subject):
            return f"{mail.from_address} wrote {mail.subject!r} (delivery notification)"
    return None


def _bounce_text(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    subject = _BOUNCE_SUBJECT.match(mail.subject)
    if subject is None:
        return None
    said = _BOUNCE_SAYS.search(mail.text[:_SCANNED])
    if said is None:
        return None
    return (
        f"Subject begins {subject.group().strip()!r} and the text says "
        f"{' '.join(said.group().split())!r} (a bounce)"
    )


def _list_server(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    for name in _LIST_SERVER_HEADERS:
        value = mail.header(name)
        if value is not None:
            return f"{name}: {value.strip()[:80]} (list server)"
    local = mail.from_address.partition("@")[0]
    if _LIST_ROBOT.fullmatch(local):
        return f"From {mail.from_address}: a list server's address"
    return None


def _auto_submitted(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    value = mail.header("auto-submitted")
    if value is None or _keyword(value) == "no":
        return None
    return f"Auto-Submitted: {_keyword(value) or '(empty)'} (RFC 3834)"


def _autoreply_headers(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    for name in _AUTOREPLY_HEADERS:
        value = mail.header(name)
        if value is not None and _keyword(value).rstrip(",") not in _NEGATIVE:
            return f"{name}: {value} (auto-responder)"
    return None


def _vacation_headers(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    for name, says in _VACATION_HEADERS:
        value = mail.header(name)
        if value is not None and says.search(value):
            return f"{name}: {value} (vacation responder)"
    return None


def _autoreply_subject(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    found = _AUTOREPLY_SUBJECT.match(mail.subject)
    if found is None and _answers_us(mail, own_addresses):
        found = _AUTOREPLY_SUBJECT_LOOSE.match(mail.subject)
    return f"Subject begins {found.group().strip()!r} (out-of-office reply)" if found else None


def _answers_us(mail: InboundMail, own_addresses: frozenset[str]) -> bool:
    """The message names one of our emails: a Message-ID in In-Reply-To or References on
    the host of one of our addresses (ours are made on the sending address's), or a [REQ-n]
    in its subject. An automatic reply answers the email that reached the responder; a new
    message does not."""
    domains = {address.rpartition("@")[2] for address in own_addresses}
    for message_id in (*mail.in_reply_to, *mail.references):
        host = message_id.rpartition("@")[2].strip("<> ").lower()
        if any(host == d or host.endswith("." + d) for d in domains):
            return True
    return SUBJECT_REF.search(mail.subject) is not None


def _autoreply_text(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    if _FORWARDED.match(mail.subject):
        return None
    # A reply to our mail, or one whose subject is an acknowledgement's ("Eingangsbestätigung
    # – <company>": mail-client rules and website scripts answer without naming our email).
    if not (_answers_us(mail, own_addresses) or _ACKNOWLEDGED.match(mail.subject)):
        return None
    words = own_words(mail.text)[:_OWN_WORDS]
    for said in _SAYS_AUTOMATIC.finditer(words):
        before = [line for line in words[: said.start()].split("\n") if line.strip()]
        if before and before[-1].rstrip().endswith(":"):
            continue  # the line before introduces a quotation: "It currently says:"
        return f"the text says {' '.join(said.group().split())!r} (automatic reply)"
    return None


def _acknowledgement(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    subject = _ACKNOWLEDGED.match(mail.subject)
    if subject is None or not _answers_us(mail, own_addresses):
        return None
    ticket = (
        _TICKET.search(mail.subject)
        or _NUMBER.search(mail.subject)
        or _TICKET.search(mail.text[:_SCANNED])
    )
    if ticket is None:
        return None
    return (
        f"Subject begins {subject.group().strip()!r} and names ticket "
        f"{ticket.group().strip()!r} (a help desk's acknowledgement)"
    )


def _precedence(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    value = _keyword(mail.header("precedence") or "")
    return f"Precedence: {value}" if value in _BULK_PRECEDENCE else None


def _list_id(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    value = mail.header("list-id")
    return f"List-Id: {value} (mailing list, RFC 2919)" if value is not None else None


CHECKS: tuple[tuple[str, Check], ...] = (
    ("own_message", _own_message),
    ("abuse_report", _abuse_report),
    ("dsn_report", _dsn_report),
    ("bulk_service", _bulk_service),
    ("null_sender", _null_sender),
    ("mailer_daemon", _mailer_daemon),
    ("bounce_text", _bounce_text),
    ("auto_submitted", _auto_submitted),
    ("autoreply_headers", _autoreply_headers),
    ("vacation_headers", _vacation_headers),
    ("autoreply_subject", _autoreply_subject),
    ("autoreply_text", _autoreply_text),
    ("acknowledgement", _acknowledgement),
    ("list_id", _list_id),
    ("list_server", _list_server),
    ("precedence", _precedence),
)


def detect_machine(mail: InboundMail, own_addresses: frozenset[str]) -> MachineVerdict | None:
    """The first check in CHECKS that finds the message machine-written, or None for a person."""
    for name, check in CHECKS:
        reason = check(mail, own_addresses)
        if reason is not None:
            return MachineVerdict(check=name, reason=reason)
    return None
