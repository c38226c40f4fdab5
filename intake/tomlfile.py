"""Reading the agency's TOML files (settings aside): a missing or broken file is one error
line that names the setting or file it came from."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Any

from intake.errors import IntakeError


def read_toml(path: Path, what: str, error: type[IntakeError]) -> dict[str, Any]:
    """``what`` names the file for the person who has to fix it ("plans_file: ...")."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error(f"{what}{path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what}{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        # TOML is UTF-8 by definition; a file saved as Latin-1 fails here, not as TOML.
        line = exc.object[: exc.start].count(b"\n") + 1
        raise error(
            f"{what}{path} is not UTF-8 text (line {line}, byte 0x{exc.object[exc.start]:02x}): "
            "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise error(f"{what}{path} cannot be read: {exc.strerror}") from None


# Seconds a file's modification time is trusted before it is looked at again: filing asks
# for the plans and rules several times a message.
RECHECK_AFTER = 1.0
_seen: dict[Path, tuple[float, float]] = {}  # path -> (when looked at, monotonic; mtime)


def modified_at(path: Path) -> float:
    """The file's modification time (0.0 if it is missing), as of at most a second ago:
    a cache keyed on it re-reads a changed file within a second."""
    now = time.monotonic()
    seen = _seen.get(path)
    if seen is not None and now - seen[0] < RECHECK_AFTER:
        return seen[1]
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        mtime = 0.0
    _seen[path] = (now, mtime)
    return mtime
