"""What a statement's PDF says, in the client's language: its title, the invoice's parties
and dates, the table's headings, the totals, how to pay and the page footer. English reads
as written; money and hours are written as the language writes them, as in the email."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from babel.support import NullTranslations

from intake.outbox.language import N_, SOURCE, translations
from intake.outbox.templates import hours, money, plan

PARTIES = {"seller": N_("From:"), "buyer": N_("To:")}


@dataclass(frozen=True)
class Wording:
    """The sentences of one statement in ``language``, its money in ``currency``."""

    language: str = SOURCE
    currency: str = "USD"

    @classmethod
    def of(cls, context: dict[str, Any]) -> Wording:
        """The wording of a statement context (``views.statement_context``, English, or
        ``views.in_language`` of it)."""
        return cls(context["language"], context["currency"])

    @cached_property
    def words(self) -> NullTranslations:
        return translations(self.language)

    def money(self, value: Decimal | int | str) -> str:
        return money(value, self.currency, self.language)

    def hours(self, value: Decimal | int | str) -> str:
        return hours(value, self.language)

    def title(self, context: dict[str, Any]) -> str:
        said = self.words.gettext("%(agency)s: statement for %(month)s")
        return said % {"agency": context["agency_name"], "month": context["period_name"]}

    def preview(self) -> str:
        return self.words.gettext(
            "PREVIEW: the month so far, as it would be billed if it ended today."
        )

    def invoice(self, invoice: dict[str, Any]) -> str:
        """ "Invoice INV-00017, issued Sun 1 Nov 2026, due Tue 1 Dec 2026" (the dates as
        the context gives them)."""
        said = self.words.gettext("Invoice %(number)s, issued %(issued)s, due %(due)s")
        return said % {
            "number": invoice["number"],
            "issued": invoice["issued_on"],
            "due": invoice["due_on"],
        }

    def party(self, side: str, party: dict[str, Any]) -> str:
        """ "From: Example Agency Ltd, 1 High Street, London, Tax ID GB 123" (``side``:
        seller or buyer)."""
        tax_id = party["tax_id"]
        tax = [self.words.gettext("Tax ID %(id)s") % {"id": tax_id}] if tax_id else []
        named = ", ".join([party["name"], *party["address"], *tax])
        return f"{self.words.gettext(PARTIES[side])} {named}"

    def plan(self, name: str) -> str:
        return plan(name, self.language)

    def fee(self, amount: Decimal) -> str:
        return self.words.gettext("Plan fee: %(amount)s") % {"amount": self.money(amount)}

    def included(self, used: Decimal, included: Decimal, left: Decimal) -> str:
        said = self.words.gettext("%(used)s used of %(included)s, %(left)s left") % {
            "used": self.hours(used),
            "included": self.hours(included),
            "left": self.hours(left),
        }
        return f"{self.words.gettext('Included hours:')} {said}"

    def work(self) -> str:
        return self.words.gettext("Work this month")

    def adjustments(self) -> str:
        return self.words.gettext("Adjustments: hours logged late into earlier months")

    def continued(self, title: str) -> str:
        """A table's title on the pages it goes on to."""
        return self.words.gettext("%(title)s (continued)") % {"title": title}

    def headings(self) -> tuple[str, ...]:
        """The work table's headings, one a column of ``documents.COLUMNS``. Their own
        entries (context "statement PDF column"): a column is narrower than the email's
        table, so a translation may abbreviate where the email need not."""
        words = self.words
        shown = (
            # Translators: a heading of the statement PDF's table; its column is 15-25 mm
            # wide, so keep it to a short word or an abbreviation an accountant knows.
            words.pgettext("statement PDF column", "Request"),
            words.pgettext("statement PDF column", "Subject"),
            words.pgettext("statement PDF column", "Hours"),
            words.pgettext("statement PDF column", "Included"),
            words.pgettext("statement PDF column", "Charged"),
            words.pgettext("statement PDF column", "Not charged"),
            words.pgettext("statement PDF column", "Amount"),
        )
        return tuple(map(str, shown))  # Babel types pgettext's text as an object

    def no_hours(self) -> str:
        return self.words.gettext("No hours logged.")

    def totals(self, invoice: dict[str, Any]) -> list[str]:
        """Net and tax (when the invoice charges tax or says why not), then the total due."""
        words, shown = self.words, []
        if invoice["tax"] or invoice["tax_rate"] or invoice["reverse_charge"]:
            shown.append(f"{words.gettext('Net:')} {self.money(invoice['net'])}")
            if invoice["reverse_charge"]:
                tax = words.gettext("VAT:")
            else:
                tax = words.gettext("Tax %(rate)s %%:") % {"rate": invoice["tax_rate"]}
            shown.append(f"{tax} {self.money(invoice['tax'])}")
        return [*shown, f"{words.gettext('Total due:')} {self.money(invoice['gross'])}"]

    def pay_by(self, invoice: dict[str, Any]) -> str:
        """ "Please pay by Tue 1 Dec 2026 (30 days), quoting INV-00017." """
        days = invoice["terms_days"]
        said = {"day": invoice["due_on"], "num": days, "number": invoice["number"]}
        if not invoice["number"]:
            return (
                self.words.ngettext(
                    "Please pay by %(day)s (%(num)d day).",
                    "Please pay by %(day)s (%(num)d days).",
                    days,
                )
                % said
            )
        return (
            self.words.ngettext(
                "Please pay by %(day)s (%(num)d day), quoting %(number)s.",
                "Please pay by %(day)s (%(num)d days), quoting %(number)s.",
                days,
            )
            % said
        )

    def sla(self, sla: dict[str, int]) -> str:
        return (
            self.words.gettext(
                "SLA this month: first responses on time %(responses_on_time)s of %(responses)s; "
                "resolutions on time %(resolutions_on_time)s of %(resolutions)s"
            )
            % sla
        )

    def open_work(self) -> str:
        return self.words.gettext("Approved work still open:")

    def approved(self, work: dict[str, Any]) -> str:
        """What follows a request still open: " (in progress), approved $600.00"."""
        amount = self.words.gettext("approved %(amount)s") % {"amount": self.money(work["amount"])}
        return f" ({work['status']}), {amount}"

    def footer(self, number: str) -> str:
        return self.words.gettext("Invoice %(number)s") % {"number": number}

    def page_of(self) -> str:
        """The page footer's "Page %(page)s of %(pages)s", to be filled in on each page."""
        return self.words.gettext("Page %(page)s of %(pages)s")
