"""The code we keep: ruff (lint and format) and mypy clean, as configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing_to_fix():
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run("ruff", "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_mypy_finds_no_type_errors():
    checked = run("mypy")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_package_imports_only_from_the_layers_below_it():
    # The contracts in pyproject.toml ([tool.importlinter]): the layers of
    # docs/architecture.md, an outbox that knows nothing of what its emails are about, and
    # an intake that runs without the queue.
    linted = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "0 broken" in linted.stdout
