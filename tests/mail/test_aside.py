"""Long base64 runs set aside before a large message is parsed read back exactly as the
stdlib would have read them: attachments, text, sizes over the limit, attached messages."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.mail import aside
from intake.mail.parsing import parse


def both_ways(raw: bytes, monkeypatch: pytest.MonkeyPatch, limit: int = 10**9):
    """The message parsed whole, and parsed with every base64 run set aside."""
    whole = parse(raw, max_attachment_bytes=limit)
    with monkeypatch.context() as patched:
        # Small runs set aside too, so small examples take the path large messages take.
        patched.setattr(aside, "SET_ASIDE_FROM", 0)
        patched.setattr(aside, "RUN_FROM", 0)
        set_aside = parse(raw, max_attachment_bytes=limit)
    return whole, set_aside


def files(mail) -> list[tuple[str, str, int, bytes | None]]:
    return [(a.filename, a.content_type, a.size, a.payload) for a in mail.attachments]


def build(text: str, html: str | None, attached: list[bytes], inner: bytes | None) -> bytes:
    message = EmailMessage()
    message["From"] = "Alice <alice@acme.example>"
    message["To"] = "support@agency.example"
    message["Subject"] = "Files"
    message.set_content(text, cte="base64")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="base64")
    for n, data in enumerate(attached):
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=f"f{n}.bin")  # fmt: skip
    if inner is not None:
        nested = EmailMessage()
        nested["Subject"] = "Forwarded"
        nested.set_content("see attached")
        nested.add_attachment(inner, maintype="application", subtype="pdf", filename="in.pdf")
        message.add_attachment(nested)
    return bytes(message)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(min_size=1, max_size=3000),
    html=st.none() | st.text(max_size=2000),
    attached=st.lists(st.binary(max_size=5000), max_size=3),
    inner=st.none() | st.binary(min_size=1, max_size=3000),
)
def test_a_message_reads_the_same_with_its_runs_set_aside(
    monkeypatch, text, html, attached, inner
) -> None:
    raw = build(text, html, attached, inner)
    whole, set_aside = both_ways(raw, monkeypatch)
    assert files(set_aside) == files(whole)
    assert (set_aside.text, set_aside.html) == (whole.text, whole.html)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(min_size=200, max_size=6000), limit=st.integers(0, 6000))
def test_an_attachment_over_the_limit_is_sized_the_same_without_decoding(
    monkeypatch, data, limit
) -> None:
    whole, set_aside = both_ways(build("hi", None, [data], None), monkeypatch, limit)
    assert files(set_aside) == files(whole)


def test_lines_that_only_look_like_base64_in_a_text_part_stay_text(monkeypatch) -> None:
    # A plain-text body of base64-looking lines (a key, a log) is not base64: it is read as
    # the text it is.
    body = "".join(f"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY{n:04d}\n" for n in range(50))
    message = EmailMessage()
    message["From"] = "alice@acme.example"
    message["Subject"] = "key"
    message.set_content(body, cte="7bit")
    whole, set_aside = both_ways(bytes(message), monkeypatch)
    assert set_aside.text == whole.text and "QUJDREVG" in set_aside.text


def test_a_large_message_sets_its_attachment_aside() -> None:
    data = bytes(range(256)) * 8192  # 2 MB
    raw = build("see the file", None, [data], None)
    small, found = aside.set_aside(raw)
    assert len(found.spans) == 1 and len(small) < 10_000
    mail = parse(raw, max_attachment_bytes=10**9)
    assert files(mail) == [("f0.bin", "application/octet-stream", len(data), data)]
    over = parse(raw, max_attachment_bytes=1000)
    assert files(over) == [("f0.bin", "application/octet-stream", len(data), None)]
