"""The agency's plans and rules files: read once, and read again when they change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from intake import catalogue, tomlfile
from intake.plans import load_plans

PLANS = Path(__file__).parents[1] / "config" / "plans.toml"


def test_a_changed_plans_file_is_read_again_within_a_second(tmp_path, monkeypatch):
    # Given the plans file, read once
    path = tmp_path / "plans.toml"
    shutil.copy(PLANS, path)
    clock = [1000.0]
    monkeypatch.setattr(tomlfile.time, "monotonic", lambda: clock[0])
    rate = catalogue.read(path, load_plans).hourly_rate
    # When the agency changes the hourly rate in it
    text = path.read_text()
    changed = text.replace(f'hourly_rate = "{rate}"', 'hourly_rate = "199.00"', 1)
    assert changed != text
    path.write_text(changed)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    # Then the next look within the same second still has the old rate, and a look
    # a second later the new one
    clock[0] += 0.5
    assert catalogue.read(path, load_plans).hourly_rate == rate
    clock[0] += 1.0
    assert str(catalogue.read(path, load_plans).hourly_rate) == "199.00"
