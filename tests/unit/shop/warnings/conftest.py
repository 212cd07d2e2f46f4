"""Histories for the detector's tests: flat or weekly-shaped complaint counts, built by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import numpy as np

from shop.warnings import CategoryHistory

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)


def history(weeks: float, rate: Callable[[datetime], float], seed: int = 1, category: str = "complain_refund",
            severe_share: float = 0.0, noise: bool = True) -> CategoryHistory:
    """`weeks` of hourly counts before NOW with mean `rate(hour)` (Poisson, or exactly the rate)."""
    rng = np.random.default_rng(seed)
    start = NOW - timedelta(hours=int(weeks * 168))
    hourly: dict[datetime, int] = {}
    severe: dict[datetime, int] = {}
    at = start
    while at < NOW:
        count = int(rng.poisson(rate(at))) if noise else round(rate(at))
        hourly[at] = count
        severe[at] = int(rng.binomial(count, severe_share)) if severe_share else 0
        at += timedelta(hours=1)
    return CategoryHistory(category, hourly, severe, start)
