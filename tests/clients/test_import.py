"""Clients as data: import, re-import, add, list and write back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake.clients.models import Client, Contact
from intake.clients.senders import Author, identify_sender
from intake.clients.service import import_clients, list_clients, read_clients_file, to_toml
from intake.errors import InvalidInput

EXAMPLE = Path(__file__).parents[2] / "config" / "clients.example.toml"
PLANS = frozenset({"none", "basic", "professional", "premium"})


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


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('slug = "a"\nplan = "gold"', "plan 'gold'"),
        ('slug = "a"\ntimezone = "Nowhere/City"', "unknown timezone"),
        ('slug = "a"\nhourly_rate = "cheap"', "hourly_rate"),
        ('name = "No slug"', "slug is required"),
        ('slug = "a"\ncolour = "red"', "unknown key 'colour'"),
        ('slug = "a"\n[[client.contact]]\nemail = "nobody"', "not an email address"),
    ],
)
def test_a_bad_clients_file_names_the_client_and_key(tmp_path, entry, message):
    path = tmp_path / "clients.toml"
    path.write_text(f"[[client]]\n{entry}\n")
    with pytest.raises(InvalidInput, match=message):
        read_clients_file(path, PLANS)


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
