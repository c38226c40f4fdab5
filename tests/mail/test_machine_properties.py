"""Properties of machine detection: every machine mark is heard, and a person is never silenced."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from intake.mail.machine import detect_machine
from intake.mail.parsing import parse
from tests.drawn import examples
from tests.mail import build_message

OURS = frozenset({"support@agency.example"})

local_part = st.from_regex(r"[a-z][a-z0-9._]{0,15}", fullmatch=True).filter(
    lambda s: (
        s.replace("_", "-").replace(".", "") not in {"mailerdaemon", "mailer-daemon"}
        and "postmaster" not in s
    )
)
domain = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(example|test|co\.uk|com)", fullmatch=True)
person = st.builds("{}@{}".format, local_part, domain).filter(
    lambda a: not a.endswith("@agency.example")
)
words = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), max_size=60
)
# Headers a person's mail client adds, none of them a machine's mark.
benign = st.lists(
    st.sampled_from(
        [
            ("X-Mailer", "Microsoft Outlook 16.0"),
            ("User-Agent", "Thunderbird/128.0"),
            ("Importance", "high"),
            ("X-Priority", "1"),
            ("Organization", "Acme Ltd"),
            ("MIME-Version", "1.0"),
            ("Thread-Topic", "Quote"),
            ("Accept-Language", "en-GB"),
            ("Return-Path", "<alice@acme.example>"),
            ("Received", "from mx by mx2; Mon"),
        ]
    ),
    max_size=5,
    unique=True,
)
keyword = st.from_regex(r"[A-Za-z][A-Za-z-]{0,19}", fullmatch=True).filter(
    lambda s: s.lower() != "no"
)
parameters = st.sampled_from(["", "; owner-email=bot@acme.example", " ; x=y", " (vacation)"])


def human(sender: str, subject: str, body: str, headers: list[tuple[str, str]]) -> bytes:
    return build_message(sender=sender, subject=subject, body=body or "hi", headers=headers)


@examples(150, deadline=None)
@given(person, words, words, benign)
def test_a_plain_message_from_a_person_is_never_machine(
    sender: str, subject: str, body: str, headers: list[tuple[str, str]]
) -> None:
    assert detect_machine(parse(human(sender, subject, body, headers)), OURS) is None


@examples(150, deadline=None)
@given(person, words, benign, st.sampled_from(["no", "No", "NO", " no ", "no; reason=x"]))
def test_auto_submitted_no_never_makes_a_person_a_machine(
    sender: str, subject: str, headers: list[tuple[str, str]], no: str
) -> None:
    raw = human(sender, subject, "hello", [*headers, ("Auto-Submitted", no)])
    assert detect_machine(parse(raw), OURS) is None


@examples(150, deadline=None)
@given(person, words, benign, keyword, parameters)
def test_any_auto_submitted_other_than_no_is_machine(
    sender: str, subject: str, headers: list[tuple[str, str]], value: str, params: str
) -> None:
    raw = human(sender, subject, "hello", [*headers, ("Auto-Submitted", value + params)])
    verdict = detect_machine(parse(raw), OURS)
    assert verdict is not None and verdict.check == "auto_submitted"


@examples(100, deadline=None)
@given(
    person,
    words,
    benign,
    st.sampled_from(["bulk", "junk", "list"]),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.sampled_from(["", " ", "  "]),
)
def test_precedence_bulk_junk_or_list_is_machine(
    sender: str,
    subject: str,
    headers: list[tuple[str, str]],
    value: str,
    case: Callable[[str], str],
    pad: str,
) -> None:
    raw = human(sender, subject, "hello", [*headers, ("Precedence", pad + case(value) + pad)])
    verdict = detect_machine(parse(raw), OURS)
    assert verdict is not None and verdict.check == "precedence"


@examples(100, deadline=None)
@given(person, words, benign, words.filter(str.strip), domain)
def test_any_list_id_is_machine(
    sender: str, subject: str, headers: list[tuple[str, str]], name: str, host: str
) -> None:
    raw = human(sender, subject, "hello", [*headers, ("List-Id", f"{name} <list.{host}>")])
    verdict = detect_machine(parse(raw), OURS)
    assert verdict is not None and verdict.check == "list_id"


SAYS_AUTOMATIC = st.sampled_from(
    [
        "This is an automatic reply: I am away until Monday.",
        "Dies ist eine automatische Eingangsbestätigung.",
        "Ceci est une réponse automatique.",
        "This message was generated automatically, please do not reply to this email.",
    ]
)


@examples(150, deadline=None)
@given(person, words, words, SAYS_AUTOMATIC, st.booleans())
def test_a_person_quoting_or_forwarding_an_automatic_reply_is_never_machine(
    sender: str, subject: str, own: str, automatic: str, forwarded: bool
) -> None:
    # Given a person's words, in answer to our email, above an automatic reply they quote or
    # forward
    if forwarded:
        body = f"{own}\n\n---------- Forwarded message ---------\n{automatic}\n"
        subject = f"Fwd: {subject}"
    else:
        attribution = "On Mon, 3 Nov 2025 at 10:00, Shop <help@shop.example> wrote:"
        body = f"{own}\n\n{attribution}\n> {automatic}\n"
        subject = f"Re: {subject}"
    ours = ("In-Reply-To", "<20251103100000.a1b2c3d4e5f6.intake@agency.example>")
    raw = build_message(sender=sender, subject=subject, body=body, headers=[ours])
    # Then what the reply said of itself is not taken for what the person says
    assert detect_machine(parse(raw), OURS) is None
