"""Monthly statements: what each client owes for a month, billed once and sent by email.

Importing the package registers its outbox hook (``notices``): a statement email the mail
server refuses is reported to staff, whichever process was sending it."""

from intake.billing import notices

__all__ = ["notices"]
