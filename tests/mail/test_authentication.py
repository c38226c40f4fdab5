"""Whether a reply really comes from its From domain, by our receiving server's own header."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.mail.authentication import aligned, check_sender, parse_results

ROOT = Path(__file__).resolve().parents[2]
OURS = "mx.agency.example"
ALICE = "Alice Smith <alice@acme.example>"

# What our Postfix with OpenDKIM and OpenDMARC writes (DMARC on top: it runs last).
OPENDMARC_PASS = (
    "authentication-results",
    "mx.agency.example; dmarc=pass (p=reject dis=none) header.from=acme.example",
)
OPENDKIM_PASS = (
    "authentication-results",
    "mx.agency.example;\n\tdkim=pass (2048-bit key; unprotected) header.d=acme.example"
    ' header.i=@acme.example header.a=rsa-sha256 header.s=mail header.b="Kx3b1Y2z";\n'
    "\tdkim-atps=neutral",
)
# Gmail, when the agency's mailbox is Google Workspace.
GMAIL = (
    "authentication-results",
    "mx.google.com;\r\n       dkim=pass header.i=@acme.example header.s=google"
    " header.b=Xy12AbCd;\r\n       spf=pass (google.com: domain of alice@acme.example"
    " designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@acme.example;\r\n"
    "       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=acme.example",
)
# Exchange Online writes no authserv-id at all: such a header is nobody's.
MICROSOFT = (
    "authentication-results",
    "spf=pass (sender IP is 40.107.20.61) smtp.mailfrom=acme.example; dkim=pass"
    " (signature was verified) header.d=acme.example;dmarc=pass action=none"
    " header.from=acme.example;compauth=pass reason=100",
)


def ours(results: str) -> tuple[str, str]:
    return ("authentication-results", f"{OURS};\n\t{results}")


def headers_of(path: Path) -> list[tuple[str, str]]:
    message = message_from_bytes(path.read_bytes())
    return [(name.lower(), value) for name, value in message.raw_items()]


def test_a_real_gmail_reply_through_our_postfix_passes() -> None:
    headers = headers_of(ROOT / "tests" / "fixtures" / "mail" / "gmail_reply_inline.eml")
    verdict = check_sender(headers, "Hank Miller <hank@globex.example>", "mx1.agency.example")
    assert verdict.passed
    assert verdict.reason == "dkim=pass for d=globex.example (mx1.agency.example)"


def test_a_real_outlook_reply_passes_and_its_own_id_less_header_is_ignored() -> None:
    headers = headers_of(ROOT / "intake" / "demo" / "mailbox" / "16-zoe-approves-csv-export.eml")
    zoe = "Zoe Becker <zoe@zed.example>"
    assert check_sender(headers, zoe, "mx1.agency.example").passed
    theirs = [h for h in headers if h[0] == "authentication-results"][1:]
    assert parse_results(theirs[0][1])[0] == ""
    assert not check_sender(theirs, zoe, "mx1.agency.example").passed


def test_opendmarc_on_top_of_opendkim_passes_on_dmarc() -> None:
    verdict = check_sender([OPENDMARC_PASS, OPENDKIM_PASS], ALICE, OURS)
    assert verdict.passed
    assert verdict.reason == "dmarc=pass (mx.agency.example)"


def test_gmail_as_the_receiving_server() -> None:
    headers = [GMAIL, ("received", "by 2002:a05:6512:3b8f with SMTP id q15csp1")]
    assert check_sender(headers, ALICE, "mx.google.com").passed
    assert not check_sender(headers, ALICE, OURS).passed


def test_exchange_online_headers_bear_no_id_so_never_count() -> None:
    verdict = check_sender([MICROSOFT], ALICE, OURS)
    assert verdict.reason == "no Authentication-Results from mx.agency.example"


def test_a_forged_pass_below_ours_is_ignored() -> None:
    headers = [
        ("received", "from mail.evil.example by mx.agency.example (Postfix)"),
        ours(
            "dkim=fail (bad signature) header.d=acme.example; dmarc=fail header.from=acme.example"
        ),
        ("authentication-results", "mx.agency.example; dkim=pass header.d=acme.example"),
        ("authentication-results", "mx.agency.example; dmarc=pass header.from=acme.example"),
    ]
    verdict = check_sender(headers, ALICE, OURS)
    assert not verdict.passed
    assert verdict.reason == "dkim=fail for d=acme.example; dmarc=fail (mx.agency.example)"


def test_a_forged_pass_with_another_id_is_ignored() -> None:
    headers = [("authentication-results", "mx.evil.example; dmarc=pass header.from=acme.example")]
    verdict = check_sender(headers, ALICE, OURS)
    assert (verdict.passed, verdict.reason) == (
        False,
        "no Authentication-Results from mx.agency.example",
    )


def test_an_id_that_only_starts_like_ours_is_another_id() -> None:
    forged = ("authentication-results", "mx.agency.example.evil.example; dmarc=pass")
    assert not check_sender([forged], ALICE, OURS).passed


def test_no_header_at_all_fails() -> None:
    verdict = check_sender([("from", ALICE), ("subject", "Re: [REQ-1001]")], ALICE, OURS)
    assert verdict.reason == "no Authentication-Results from mx.agency.example"


def test_a_lower_header_of_ours_does_not_count_when_the_topmost_says_less() -> None:
    headers = [ours("dkim=pass header.d=mailchimp.example"), OPENDMARC_PASS]
    assert not check_sender(headers, ALICE, OURS).passed


def test_dkim_for_another_domain_fails_with_the_reason() -> None:
    header = ours("dkim=pass header.d=evil.example; dmarc=fail header.from=acme.example")
    verdict = check_sender([header], ALICE, OURS)
    assert not verdict.passed
    assert verdict.reason == (
        "dkim=pass but for d=evil.example, not acme.example; dmarc=fail (mx.agency.example)"
    )


def test_one_aligned_signature_of_several_is_enough() -> None:
    header = ours(
        "dkim=pass header.d=sendgrid.example; dkim=pass header.d=acme.example; dmarc=none"
    )
    verdict = check_sender([header], ALICE, OURS)
    assert verdict.reason == "dkim=pass for d=acme.example (mx.agency.example)"


@pytest.mark.parametrize(
    ("signer", "sender", "passed"),
    [
        ("acme.example", "alice@acme.example", True),
        ("mail.acme.example", "alice@acme.example", True),
        ("acme.example", "alice@eu.acme.example", True),
        ("ACME.Example.", "alice@acme.example", True),
        ("notacme.example", "alice@acme.example", False),
        ("acme.example.evil.example", "alice@acme.example", False),
        ("example", "alice@acme.example", False),
    ],
)
def test_subdomains_align(signer: str, sender: str, passed: bool) -> None:
    header = ours(f"dkim=pass header.d={signer}")
    assert check_sender([header], sender, OURS).passed is passed


def test_header_i_is_used_when_header_d_is_missing() -> None:
    assert check_sender([ours("dkim=pass header.i=@mail.acme.example")], ALICE, OURS).passed
    verdict = check_sender([ours("dkim=pass header.i=bob@evil.example")], ALICE, OURS)
    assert "d=evil.example" in verdict.reason


def test_dkim_pass_without_a_domain_fails() -> None:
    verdict = check_sender([ours("dkim=pass header.b=abc")], ALICE, OURS)
    assert verdict.reason == "dkim=pass but no signing domain given (mx.agency.example)"


def test_dmarc_pass_for_another_from_fails() -> None:
    verdict = check_sender([ours("dmarc=pass header.from=evil.example")], ALICE, OURS)
    assert verdict.reason == (
        "dmarc=pass but for header.from=evil.example, not acme.example (mx.agency.example)"
    )


@pytest.mark.parametrize(
    ("results", "reason"),
    [
        ("none", "no dmarc or dkim result (none)"),
        ("spf=pass smtp.mailfrom=acme.example", "no dmarc or dkim result (spf=pass)"),
        ("dkim=none (message not signed); dmarc=none", "dkim=none; dmarc=none"),
        ("dkim=temperror header.d=acme.example; dmarc=temperror", "dkim=temperror for d=acme"),
        ("dmarc=permerror", "dmarc=permerror"),
        ("dkim=neutral (body hash did not verify) header.d=acme.example", "dkim=neutral"),
    ],
)
def test_anything_but_pass_fails_with_what_was_seen(results: str, reason: str) -> None:
    verdict = check_sender([ours(results)], ALICE, OURS)
    assert not verdict.passed
    assert reason in verdict.reason


@pytest.mark.parametrize(
    "value",
    [
        "MX.Agency.Example; dmarc=pass header.from=acme.example",
        "mx.agency.example 1; dmarc=pass header.from=acme.example",
        "mx.agency.example; DMARC=PASS header.from=ACME.example",
        "mx.agency.example; dmarc/1=pass header.from=acme.example",
        "mx.agency.example (our mx; trusted); dmarc=pass (p=none; sp=none) policy.dmarc=none"
        " header.from=acme.example",
        "mx.agency.example;\r\n dkim=pass (good (nested; comment)) header.d=acme.example",
        'mx.agency.example; dkim=pass header.b="a;b" header.d="acme.example"',
        "mx.agency.example; spf=fail smtp.mailfrom=acme.example; dmarc=pass"
        " header.from=acme.example",
    ],
)
def test_header_syntax_variants_are_read(value: str) -> None:
    assert check_sender([("authentication-results", value)], ALICE, OURS).passed


def test_a_from_without_a_domain_fails() -> None:
    verdict = check_sender([OPENDMARC_PASS], "undisclosed-recipients:;", OURS)
    assert not verdict.passed
    assert "has no domain" in verdict.reason


def test_parse_results_reads_id_methods_and_properties() -> None:
    server, results = parse_results(OPENDKIM_PASS[1])
    assert server == OURS
    assert [(r.method, r.result) for r in results] == [("dkim", "pass"), ("dkim-atps", "neutral")]
    assert results[0].properties["header.d"] == "acme.example"
    assert results[0].properties["header.b"] == "Kx3b1Y2z"
    assert parse_results(MICROSOFT[1])[0] == ""


def test_aligned_is_symmetric() -> None:
    assert aligned("acme.example", "a.b.acme.example")
    assert aligned("a.b.acme.example", "acme.example")
    assert not aligned("", "acme.example")


@given(st.lists(st.tuples(st.sampled_from(["authentication-results", "x"]), st.text())))
def test_check_sender_never_raises(headers: list[tuple[str, str]]) -> None:
    headers.insert(0, ours("dkim=pass header.d=acme.example") if len(headers) % 2 else ("x", ""))
    assert check_sender(headers, ALICE, OURS).reason


def test_a_dmarc_pass_that_names_no_from_vouches_for_none() -> None:
    verdict = check_sender([ours("dmarc=pass (p=reject)")], ALICE, OURS)
    assert not verdict.passed
    assert "no header.from" in verdict.reason


@pytest.mark.parametrize(
    "results",
    [
        "dmarc=pass header.from=acme.example; dmarc=fail header.from=acme.example",
        "dmarc=fail header.from=acme.example; dmarc=pass header.from=acme.example",
        "dkim=pass header.d=acme.example; dkim=fail header.d=acme.example",
        "dkim=permerror header.d=acme.example; dkim=pass header.d=acme.example",
    ],
)
def test_a_failing_result_outvotes_a_passing_one_of_the_same_method(results: str) -> None:
    verdict = check_sender([ours(results)], ALICE, OURS)
    assert not verdict.passed
    assert "pass" not in verdict.reason.split("(")[0]


def test_a_failure_of_one_method_leaves_the_other_to_vouch() -> None:
    # DKIM failed (a mailing list rewrote the body), DMARC passed for this From.
    results = "dkim=fail header.d=acme.example; dmarc=pass header.from=acme.example"
    assert check_sender([ours(results)], ALICE, OURS).passed
