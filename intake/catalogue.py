"""The agency's own files behind the settings (plans, rules), read once and re-read only
when they change on disk."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from intake.approvals.replies import ReplyPhrases, load_reply_phrases
from intake.classification.rules import Rules, load_rules
from intake.quotes.plans import PriceSheet, load_plans


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


@lru_cache(maxsize=4)
def _plans(path: Path, mtime: float) -> PriceSheet:
    return load_plans(path)


@lru_cache(maxsize=4)
def _rules(path: Path, mtime: float) -> Rules:
    return load_rules(path)


def plans(path: Path) -> PriceSheet:
    return _plans(path, _mtime(path))


def rules(path: Path) -> Rules:
    return _rules(path, _mtime(path))


@lru_cache(maxsize=4)
def _phrases(path: Path, mtime: float) -> ReplyPhrases:
    return load_reply_phrases(path)


def reply_phrases(path: Path) -> ReplyPhrases:
    return _phrases(path, _mtime(path))
