"""What a reader sees and what its sender wrote themselves: hidden HTML is no text, and a
forwarded message is not the words of the person who forwards it."""

from __future__ import annotations

import pytest

from intake.mail.html import html_to_text
from intake.mail.newtext import own_words


@pytest.mark.parametrize(
    "hidden",
    [
        '<div style="display: none !important">secret</div>',
        '<div style="visibility:hidden">secret</div>',
        '<span style="font-size:0px">secret</span>',
        '<span style="opacity: 0">secret</span>',
        '<div style="max-height:0;overflow:hidden">secret</div>',
        '<span style="mso-hide:all">secret</span>',
        '<p style="color:white">secret</p>',
        '<p style="color:#123456;background-color:#123456">secret</p>',
        "<div hidden><p>secret</p><p>more secret</p></div>",
        "<template><p>secret</p></template>",
        "<!-- secret -->",
    ],
)
def test_text_no_reader_sees_is_not_text(hidden: str) -> None:
    text = html_to_text(f"<p>Before</p>{hidden}<p>After</p>")
    assert "secret" not in text
    assert text.split() == ["Before", "After"]


@pytest.mark.parametrize(
    "seen",
    [
        '<p style="font-size:12px">seen</p>',
        '<p style="color:#333333">seen</p>',
        '<p style="opacity:0.9">seen</p>',
        '<p style="color:white;background:#000000">seen</p>',
        '<p style="background-color:#ffffff">seen</p>',
    ],
)
def test_styled_text_a_reader_sees_is_kept(seen: str) -> None:
    assert "seen" in html_to_text(f"<div>{seen}</div>")


def test_an_unclosed_tag_inside_a_hidden_one_ends_with_it() -> None:
    text = html_to_text('<div style="display:none"><p>secret<span>more</div><p>shown</p>')
    assert text == "shown"


@pytest.mark.parametrize(
    "forward",
    [
        "---------- Forwarded message ---------\nFrom: Zoe <zoe@zed.example>\n\n#approve PO-1",
        "Begin forwarded message:\n\nFrom: Zoe <zoe@zed.example>\n\n#approve PO-1",
        "-------- Forwarded Message --------\nSubject: x\n\n#approve PO-1",
        "________________________________\nFrom: Zoe Weber <zoe@zed.example>\n"
        "Sent: Monday, November 2, 2026 10:15 AM\nTo: Dana <dana@agency.example>\n"
        "Subject: FW: Could you add CSV export?\n\n#approve PO-1",
    ],
)
def test_what_a_reply_forwards_is_not_its_senders_own_words(forward: str) -> None:
    words = own_words(f"#note looking at it\nSee below.\n\n{forward}\n")
    assert words == "#note looking at it\nSee below."


def test_a_reply_without_a_forward_is_all_its_senders_words() -> None:
    text = "#log 1h\nFixed it.\n\nOn Mon, 2 Nov 2026 at 10:15, Zoe wrote:\n> #approve PO-1\n"
    assert own_words(text) == "#log 1h\nFixed it."


def test_a_message_attached_to_a_reply_is_not_its_senders_words() -> None:
    # A staff reply that attaches the client's email (message/rfc822) with a command in it
    from email.message import EmailMessage

    from intake.mail.parsing import parse

    attached = EmailMessage()
    attached["From"] = "Zoe <zoe@zed.example>"
    attached["Subject"] = "Could you add CSV export?"
    attached.set_content("#approve PO-1\n")
    reply = EmailMessage()
    reply["From"] = "Dana <dana@agency.example>"
    reply["Subject"] = "Re: [REQ-1001] Could you add CSV export?"
    reply.set_content("#note see the attached email\n")
    reply.add_attachment(attached)
    mail = parse(bytes(reply))
    assert own_words(mail.text) == "#note see the attached email"
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
