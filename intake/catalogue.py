"""The agency's own files behind the settings (plans, rules), read once and re-read only
when they change on disk. Each file's owner brings its reader (``load_plans``,
``load_rules``, ...); this module only remembers what each reader made of each file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from intake.tomlfile import modified_at

T = TypeVar("T")

# (reader, path) -> (the file's modification time when read, what the reader made of it)
_read: dict[tuple[Callable[[Path], Any], Path], tuple[float, Any]] = {}
_lock = threading.Lock()


def read(path: Path, reader: Callable[[Path], T]) -> T:
    """``reader(path)``, remembered until the file changes on disk (looked at no more than
    once a second, see ``tomlfile.modified_at``)."""
    mtime = modified_at(path)
    key = (reader, path)
    with _lock:
        known = _read.get(key)
    if known is not None and known[0] == mtime:
        return known[1]
    value = reader(path)
    with _lock:
        _read[key] = (mtime, value)
    return value
