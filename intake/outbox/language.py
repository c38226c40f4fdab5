"""The language a client reads: gettext catalogues (``intake/locale/<lang>/LC_MESSAGES/
intake.po``), read and compiled in memory once per process and language. English is the
language the templates and the code are written in, so it needs no catalogue."""

from __future__ import annotations

import threading
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "intake"
SOURCE = "en"  # what the templates and the code say; every catalogue translates from it

_loaded: dict[str, NullTranslations] = {}
_lock = threading.Lock()


def N_(message: str) -> str:
    """Marks ``message`` for the catalogues where it is written (a table of words) and
    leaves it as it is: it is translated where it is used, by ``translations(...).gettext``."""
    return message


def catalogue(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(language: str) -> NullTranslations:
    """The words of ``language``: English, or a language without a catalogue, reads the
    text as written. The .po is compiled the first time a process asks (no .mo file is
    shipped or written: the .po an agency edits is what is read); fuzzy entries are left
    out, so a translation a person has not confirmed falls back to the English."""
    with _lock:
        known = _loaded.get(language)
        if known is None:
            known = _loaded[language] = _read(language)
        return known


def _read(language: str) -> NullTranslations:
    path = catalogue(language)
    if language == SOURCE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        messages = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)
