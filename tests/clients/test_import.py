"""Clients as data: import, re-import, add, list and write back."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from intake.clients.models import Client, ClientDomain, Contact
from intake.clients.senders import Author, identify_sender
from intake.clients.service import import_clients, list_clients, read_clients_file, to_toml
from intake.errors import InvalidInput
from tests.factories import PLANS

EXAMPLE = Path(__file__).parents[2] / "config" / "clients.example.toml"


def refused(tmp_path: Path, client: str, message: str) -> None:
    """Reading a clients file of this one [[client]] fails with ``message``, nothing kept."""
    path = tmp_path / "clients.toml"
    path.write_text(f"[[client]]\n{client}\n")
    with pytest.raises(InvalidInput, match=message):
        read_clients_file(path, PLANS)


def test_import_then_reimport_updates_and_never_duplicates(session):
    specs = read_clients_file(EXAMPLE, PLANS)
    first = import_clients(session, specs)
    assert first.created == ("acme", "zed")
    again = import_clients(session, specs)
    assert again.created == () and again.updated == ("acme", "zed")
    assert session.scalar(sa.select(sa.func.count()).select_from(Client)) == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2
    acme = session.scalar(sa.select(Client).where(Client.slug == "acme"))
    assert str(acme.hourly_rate) == "150.00"
    assert [d.domain for d in acme.domains] == ["acme.example"]


def test_written_back_toml_reads_back_the_same(session, tmp_path):
    import_clients(session, read_clients_file(EXAMPLE, PLANS))
    written = tmp_path / "clients.toml"
    written.write_text(to_toml(list_clients(session)))
    assert read_clients_file(written, PLANS) == read_clients_file(EXAMPLE, PLANS)


def test_a_name_with_a_line_break_or_control_character_is_written_back_readable(session, tmp_path):
    # Given a client whose name has quotes, a backslash, a line break, a tab and controls
    path = tmp_path / "clients.toml"
    path.write_text(
        '[[client]]\nslug = "odd"\n'
        'name = "Odd \\"Quoted\\"\\nTwo\\tlines \\\\ back\\u0001\\u007F"\n'
        '[[client.contact]]\nemail = "x@odd.example"\nname = "X\\r\\nY\\b\\f"\n'
    )
    specs = read_clients_file(path, PLANS)
    import_clients(session, specs)
    # When the clients are written back
    written = tmp_path / "back.toml"
    written.write_text(to_toml(list_clients(session)))
    # Then the file is valid TOML that reads back the same
    assert read_clients_file(written, PLANS) == specs
    assert specs[0].name == 'Odd "Quoted"\nTwo\tlines \\ back\x01\x7f'


@given(
    text=st.text(),
    more=st.lists(st.text(), max_size=3),
    rate=st.none() | st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2),
    flag=st.booleans(),
)
def test_any_text_is_written_as_toml_that_reads_back_the_same(text, more, rate, flag):
    # Given a client (not saved) whose every text field holds any text at all
    client = Client(
        slug=text,
        name=text + "".join(more),
        plan=text,
        timezone=text,
        country=text or None,
        requires_po=flag,
        billing_emails=more,
        hourly_rate=rate,
        domains=[ClientDomain(domain=d) for d in more],
        contacts=[Contact(email=text, name=n, can_approve=flag) for n in more],
    )
    # When it is written as TOML, Then tomllib reads back exactly those values
    [back] = tomllib.loads(to_toml([client]))["client"]
    assert back["slug"] == back["plan"] == back["timezone"] == text
    assert back["name"] == text + "".join(more)
    assert back.get("country") == (text or None)
    assert back["requires_po"] is flag
    assert back["billing_emails"] == back["domains"] == more
    assert back.get("hourly_rate") == (None if rate is None else str(rate))
    assert [(c["email"], c["name"], c["can_approve"]) for c in back.get("contact", [])] == [
        (text, n, flag) for n in more
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('slug = "a"\nplan = "gold"', "plan 'gold'"),
        ('slug = "a"\ntimezone = "Nowhere/City"', "unknown timezone"),
        ('slug = "a"\nhourly_rate = "cheap"', "hourly_rate"),
        ('name = "No slug"', "slug is required"),
        ('slug = "a"\ncolour = "red"', "unknown key 'colour'"),
        ('slug = "a"\n[[client.contact]]\nemail = "nobody"', "not an email address"),
        # What the database could not keep is refused here, naming the key
        ('slug = "a"\nname = "' + "N" * 201 + '"', "name is 201 characters long, at most 200"),
        ('slug = "' + "s" * 65 + '"', "slug is 65 characters long, at most 64"),
        ('slug = "a"\ncountry = "Great Britain"', "country is 13 characters long, at most 8"),
        ('slug = "a"\nname = "A\\u0000B"', "name contains a NUL character"),
        ('slug = "a"\ncountry = 44', "country must be text in quotes, not 44"),
        (
            'slug = "a"\n[[client.contact]]\nemail = "x@a.example"\nname = 7',
            "contact x@a.example: name must be text",
        ),
        # A misspelt right to approve is refused, not read as "may not approve"
        (
            'slug = "a"\n[[client.contact]]\nemail = "x@a.example"\ncan_aprove = true',
            "contact x@a.example: unknown key 'can_aprove'",
        ),
    ],
)
def test_a_bad_clients_file_names_the_client_and_key(tmp_path, entry, message):
    refused(tmp_path, entry, message)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('slug = "a"\nrequires_po = "false"', r"\(a\): requires_po must be true or false"),
        ('slug = "a"\nrequires_po = 0', "requires_po must be true or false"),
        (
            'slug = "a"\n[[client.contact]]\nemail = "x@a.example"\ncan_approve = "no"',
            r"\(a\): contact x@a.example: can_approve must be true or false",
        ),
    ],
)
def test_a_yes_or_no_written_as_text_is_refused_not_read_as_yes(tmp_path, entry, message):
    # Given a clients file that writes a yes-or-no as text ("no" would read as yes)
    # When it is read, Then one error names the client, contact and key
    refused(tmp_path, entry, message)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('domains = "odd.example"', "domains must be a list"),
        ('domains = ["odd"]', "'odd' is not a mail domain"),
        ('domains = ["odd example.com"]', "is not a mail domain"),
        ("domains = [42]", "42 is not a mail domain"),
        ('billing_emails = "a@odd.example"', "billing_emails must be a list"),
        ('billing_emails = ["@odd.example"]', "is not an email address"),
        ('billing_emails = ["a@odd"]', "is not an email address"),
        ('contact = ["a@odd.example"]', "expected \\[\\[client.contact\\]\\] tables"),
        ('[[client.contact]]\nemail = ["a@odd.example"]', "is not an email address"),
    ],
)
def test_domains_and_addresses_of_the_wrong_shape_are_refused(tmp_path, entry, message):
    # Given a clients file whose domains or addresses are not lists of them
    # When it is read, Then one error names the client and what is wrong
    refused(tmp_path, f'slug = "odd"\n{entry}', rf"\(odd\): .*{message}")


def test_a_domain_or_address_listed_twice_in_any_case_counts_once(session, tmp_path):
    # Given a client whose domains and billing addresses repeat, in another case
    path = tmp_path / "clients.toml"
    path.write_text(
        '[[client]]\nslug = "dup"\ndomains = ["dup.example", "DUP.example", "b.example"]\n'
        'billing_emails = ["A@dup.example", "a@DUP.example"]\n'
    )
    # When it is imported
    import_clients(session, read_clients_file(path, PLANS))
    # Then each is kept once, in lower case
    dup = session.scalar(sa.select(Client).where(Client.slug == "dup"))
    assert sorted(d.domain for d in dup.domains) == ["b.example", "dup.example"]
    assert dup.billing_emails == ["a@dup.example"]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ('"-150"', "'-150' must be an amount above 0"),
        ("-150", "-150 must be an amount above 0"),
        ('"0"', "'0' must be an amount above 0"),
        ('"NaN"', "'NaN' must be an amount above 0"),
        ("nan", "nan must be an amount above 0"),
        ('"Infinity"', "'Infinity' must be an amount above 0"),
        ('"150.005"', "'150.005' has more than 2 decimal places"),
        ('"1e12"', "'1e12' must be an amount above 0 \\(at most 9999999999.99\\)"),
        ("true", "True is not an amount"),
    ],
)
def test_an_hourly_rate_that_is_not_a_price_is_refused(tmp_path, rate, message):
    # Given a client whose hourly rate is negative, zero, not a number or finer than a cent
    # When it is read, Then one error names the client and the key: never stored or dropped
    refused(tmp_path, f'slug = "neg"\nhourly_rate = {rate}', rf"\(neg\): hourly_rate: {message}")


@pytest.mark.parametrize(
    ("rate", "kept"), [('"150"', "150.00"), ("99.5", "99.50"), ("80", "80.00")]
)
def test_an_hourly_rate_is_kept_to_the_cent(tmp_path, rate, kept):
    path = tmp_path / "clients.toml"
    path.write_text(f'[[client]]\nslug = "ok"\nhourly_rate = {rate}\n')
    assert str(read_clients_file(path, PLANS)[0].hourly_rate) == kept


def test_a_domain_belongs_to_one_client(session, tmp_path):
    import_clients(session, read_clients_file(EXAMPLE, PLANS))
    path = tmp_path / "clients.toml"
    path.write_text('[[client]]\nslug = "other"\ndomains = ["acme.example"]\n')
    with pytest.raises(InvalidInput, match="belongs to acme"):
        import_clients(session, read_clients_file(path, PLANS))


def test_who_sent_it(session):
    import_clients(session, read_clients_file(EXAMPLE, PLANS))
    staff = frozenset({"dana@agency.example"})
    assert identify_sender(session, "Dana@Agency.Example", "", staff).author is Author.STAFF
    known = identify_sender(session, "ALICE@acme.example", "", staff)
    assert known.author is Author.CONTACT and known.client.slug == "acme"
    new = identify_sender(session, "Bob@ACME.example", "Bob", staff)
    assert new.author is Author.NEW_CONTACT and new.client.slug == "acme"
    assert new.contact.can_approve is False and new.contact.email == "bob@acme.example"
    # The second message from Bob finds the contact learnt from the first.
    assert identify_sender(session, "bob@acme.example", "", staff).author is Author.CONTACT
    assert identify_sender(session, "someone@gmail.com", "", staff).author is Author.UNKNOWN


def test_a_changed_plan_holds_from_the_day_of_the_import(session):
    # Given Acme imported on Professional
    specs = read_clients_file(EXAMPLE, PLANS)
    import_clients(session, specs)
    acme = session.scalar(sa.select(Client).where(Client.slug == "acme"))
    # When it is moved to Basic on 1 December, then (a mistake put right) Premium that day
    to = {s.slug: s for s in specs}
    for plan in ("basic", "premium"):
        import_clients(session, [replace(to["acme"], plan=plan)], date(2026, 12, 1))
    # And re-imported unchanged later
    import_clients(session, [replace(to["acme"], plan="premium")], date(2026, 12, 9))
    # Then November was Professional, and December on is Premium
    assert acme.plan == "premium"
    assert [(p.plan, p.effective_from) for p in acme.plans] == [
        ("professional", date.min),
        ("premium", date(2026, 12, 1)),
    ]
    assert acme.plan_on(date(2026, 11, 1)) == acme.plan_on(date(2026, 11, 30)) == "professional"
    assert acme.plan_on(date(2026, 12, 1)) == "premium"
