"""Reading the agency's TOML files (settings aside): a missing or broken file is one error
line that names the setting or file it came from."""

from __future__ import annotations

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
    except OSError as exc:
        raise error(f"{what}{path} cannot be read: {exc.strerror}") from None
