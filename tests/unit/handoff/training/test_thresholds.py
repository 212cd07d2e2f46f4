"""The inbox's thresholds are the ones docs/training.md tells trainers about."""

from __future__ import annotations

from core.settings import ROOT
from handoff.training import thresholds as th


def test_the_documented_thresholds_are_the_ones_in_use() -> None:
    doc = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    assert (th.LOW_CONFIDENCE, th.SMALL_MARGIN, th.LOW_RATING, th.SIMILARITY) == (0.6, 0.15, 2, 0.6)
    for fact in ("below 0.6", "below 0.15", "2 or less", "0.6", f"{th.WINDOW_DAYS} days", f"{th.MAX_KEYS}"):
        assert fact in doc, fact
    for reason in th.REASONS:
        assert f"`{reason}`" in doc, reason
