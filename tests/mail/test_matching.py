"""Threading a reply to its request: the order of the rules and who may use a subject ref."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake.mail.matching import (
    KnownRequest,
    by_message_id,
    choose_thread,
    clues_of,
    plus_tokens,
)

SUPPORT = "support@agency.example"
ACME = KnownRequest(id=1, number=1001, client_id=10)
GLOBEX = KnownRequest(id=2, number=1002, client_id=20)


def choose(clues, *, mids=None, numbers=None, tokens=None, client=None, staff=False):
    return choose_thread(
        clues,
        by_message_id=mids or {},
        by_number=numbers or {},
        by_token=tokens or {},
        sender_client_id=client,
        sender_is_staff=staff,
    )


def test_in_reply_to_comes_before_references_and_newest_reference_first():
    clues = clues_of(["c"], ["a", "b"], "", [], SUPPORT)
    assert clues.message_ids == ("c", "b", "a")


def test_message_id_wins_over_subject_and_token():
    # Given a reply whose headers point at Acme's request but whose subject names Globex's
    clues = clues_of(
        ["q1@agency.example"], [], "Re: [REQ-1002] x", ["support+tok@agency.example"], SUPPORT
    )
    # When it is threaded
    match = choose(
        clues,
        mids={"q1@agency.example": ACME},
        numbers={1002: GLOBEX},
        tokens={"tok": GLOBEX},
        client=20,
    )
    # Then the headers decide
    assert match is not None and match.request_id == ACME.id and match.via == "message_id"


def test_a_message_id_shared_by_two_requests_is_no_evidence():
    # Given a mailer that gave one Message-ID to two messages filed as two requests
    shared = "d41d8cd98f00b204e9800998ecf8427e@zed.example"
    recorded = by_message_id([(shared, ACME), (shared, GLOBEX), ("q1@agency.example", ACME)])
    # When a reply to that id names the first request in its subject
    clues = clues_of([shared], [], "Re: [REQ-1001] Website down", [], SUPPORT)
    match = choose(clues, mids=recorded, numbers={1001: ACME}, client=10)
    # Then the shared id is passed over and the subject reference decides
    assert recorded == {"q1@agency.example": ACME}
    assert match is not None and (match.request_id, match.via) == (ACME.id, "subject")


def test_a_message_id_recorded_twice_for_one_request_still_threads():
    recorded = by_message_id([("m@acme.example", ACME), ("m@acme.example", ACME)])
    assert recorded == {"m@acme.example": ACME}


def test_subject_reference_only_for_the_requests_own_client_or_staff():
    clues = clues_of([], [], "Re: [REQ-1001] checkout", [], SUPPORT)
    assert choose(clues, numbers={1001: ACME}, client=20) is None
    assert choose(clues, numbers={1001: ACME}, client=None) is None
    assert choose(clues, numbers={1001: ACME}, client=10).via == "subject"
    assert choose(clues, numbers={1001: ACME}, staff=True).via == "subject"


def test_subject_reference_is_case_and_space_tolerant():
    clues = clues_of([], [], "AW: Re: [ req-1001 ] Fwd", [], SUPPORT)
    assert clues.subject_numbers == (1001,)


def test_a_subject_reference_beyond_any_request_number_names_none():
    # Given subjects naming numbers too large to be stored as a request number
    clues = clues_of([], [], "Re: [REQ-99999999999] [REQ-2147483648] [REQ-2147483647]", [], SUPPORT)
    # Then only the number a request could have is a clue
    assert clues.subject_numbers == (2147483647,)


def test_plus_token_matches_only_our_support_address():
    recipients = [
        "Support+ABC@Agency.Example",
        "support+zzz@other.example",
        "sales+x@agency.example",
    ]
    assert plus_tokens(recipients, SUPPORT) == ("abc",)
    clues = clues_of([], [], "no ref", recipients, SUPPORT)
    assert choose(clues, tokens={"abc": GLOBEX}).request_id == GLOBEX.id


def test_nothing_known_is_a_new_request():
    clues = clues_of(
        ["unknown@x"], ["other@y"], "[REQ-9999] hello", ["support@agency.example"], SUPPORT
    )
    assert choose(clues, mids={}, numbers={1001: ACME}, client=10) is None


ids = st.text(alphabet="abcdefghij0123456789@.", min_size=1, max_size=12)


@given(
    in_reply_to=st.lists(ids, max_size=2),
    references=st.lists(ids, max_size=6),
    known=st.sets(ids, max_size=5),
    subject_number=st.one_of(st.none(), st.integers(1, 5000)),
    client=st.one_of(st.none(), st.integers(1, 3)),
    staff=st.booleans(),
)
def test_threading_properties(in_reply_to, references, known, subject_number, client, staff):
    subject = f"Re: [REQ-{subject_number}] x" if subject_number else "Re: x"
    clues = clues_of(in_reply_to, references, subject, [], SUPPORT)
    by_mid = {
        mid: KnownRequest(id=hash(mid) % 1000 + 10_000, number=1, client_id=1) for mid in known
    }
    subject_request = KnownRequest(id=5, number=subject_number or 0, client_id=2)
    by_number = {subject_number: subject_request} if subject_number else {}
    match = choose(clues, mids=by_mid, numbers=by_number, client=client, staff=staff)
    header_hit = [m for m in (*in_reply_to, *reversed(references)) if m in known]
    if header_hit:
        # Any recorded Message-ID in the headers decides, the most direct one first.
        assert match.via == "message_id" and match.clue == header_hit[0]
    elif subject_number and (staff or client == 2):
        assert match.via == "subject" and match.request_id == 5
    else:
        # Never threaded through a subject ref by someone outside the request's client.
        assert match is None
