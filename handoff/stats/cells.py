"""The figures of a set of cases in a form that adds up: per combination of the five dimensions,
the counts (cases, handoffs, SLA met and missed, rated, repeat contacts…); for the combinations
the filters select, the duration histograms and when the cases came (days, hours, hours of the
week). A period's page is the sum of such tallies from the rollup's months and days and from the
cases of the days not rolled yet (today); handoff/stats/page.py renders it.

Durations are kept exactly while every part of a period comes from cases, so a page over raw
cases has exact percentiles. A rolled day keeps only a histogram of 1.1-wide log buckets (the
`durations` blob): percentiles over rolled days are interpolated within a bucket, within 5 %.

Blobs are sparse (index, count) pairs, because a combination of one day has a handful of cases;
`decode_sum` adds many of them in one numpy call.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Optional

import numpy as np

from handoff.stats.filters import DIMENSIONS, StatsFilters, local_midnight
from handoff.stats.models import COUNT_COLUMNS

RATIO = 1.1  # width of a duration bucket: [1.1^(k-1), 1.1^k) seconds for k ≥ 1, bucket 0 below 1 s
BUCKETS = 170  # the last is 1.1^168 s ≈ 100 days and longer
HOURS_OF_WEEK = 168
MONTH_DAYS = 31  # a month's `times`: days 0..30, then 31 + hour of the week
PAIR = np.dtype([("i", "<u2"), ("n", "<u4")])
DUE = np.dtype([("kind", "u1"), ("at", "<i8")])  # 0 first response, 1 resolution; due, epoch seconds
COUNT = {name: i for i, name in enumerate(COUNT_COLUMNS)}

Key = tuple[str, str, str, str, str]  # category, severity, channel, language, team


def bucket(seconds: float) -> int:
    if seconds < 1.0:
        return 0
    return min(BUCKETS - 1, 1 + int(math.floor(math.log(seconds) / math.log(RATIO))))


def encode(counts: dict[int, int]) -> bytes:
    items = sorted((i, n) for i, n in counts.items() if n)
    return np.array(items, dtype=PAIR).tobytes()


def decode_sum(blobs: Iterable[bytes], size: int) -> np.ndarray:
    """The element-wise sum of sparse blobs, as a dense int64 vector of `size`."""
    pairs = np.frombuffer(b"".join(blobs), dtype=PAIR)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, pairs["i"].astype(np.int64), pairs["n"].astype(np.int64))
    return out


def encode_pending(dues: list[tuple[int, datetime]]) -> bytes:
    """The SLAs of a combination still undecided when its day was rolled: each becomes a miss
    the moment its due time passes, which a reader counts without re-reading the cases (had the
    case been answered or resolved in time, its day would be dirty and read from the cases)."""
    return np.array(sorted((kind, int(due.timestamp())) for kind, due in dues), dtype=DUE).tobytes()


def fallen_due(blobs: Iterable[bytes], now: datetime) -> np.ndarray:
    """Per SLA kind, how many of the pending SLAs in the blobs are due at `now`."""
    dues = np.frombuffer(b"".join(blobs), dtype=DUE)
    late = dues["at"] <= int(now.timestamp())
    return np.bincount(dues["kind"][late].astype(np.int64), minlength=2)[:2].astype(np.int64)


def estimate(histogram: np.ndarray, q: float) -> Optional[float]:
    """The q-quantile of the durations a histogram holds, interpolated between ranks like
    percentile_cont; the j-th of a bucket's m durations is taken at (j + ½)/m of the bucket,
    geometrically (linearly in bucket 0)."""
    n = int(histogram.sum())
    if n == 0:
        return None
    cumulative = np.cumsum(histogram)

    def value_at(rank: int) -> float:
        k = int(np.searchsorted(cumulative, rank, side="right"))
        before = int(cumulative[k - 1]) if k else 0
        inside = (rank - before + 0.5) / int(histogram[k])
        if k == 0:
            return inside
        low = RATIO ** (k - 1)
        return float(low * RATIO ** inside)

    position = q * (n - 1)
    lower = math.floor(position)
    low, high = value_at(lower), value_at(min(lower + 1, n - 1))
    return round(low + (position - lower) * (high - low), 3)


def exact(values: list[float], q: float) -> Optional[float]:
    """percentile_cont over the values (the figure raw cases give)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    high = ordered[min(lower + 1, len(ordered) - 1)]
    return round(ordered[lower] + (position - lower) * (high - ordered[lower]), 3)


@dataclass
class Tally:
    """One period's sum. `exact_*` stay lists while every source was raw cases, else None."""

    filters: StatsFilters
    counts: dict[Key, np.ndarray] = field(default_factory=dict)
    durations: np.ndarray = field(default_factory=lambda: np.zeros(2 * BUCKETS, dtype=np.int64))
    exact_first: Optional[list[float]] = field(default_factory=list)
    exact_resolution: Optional[list[float]] = field(default_factory=list)
    days: Counter[date] = field(default_factory=Counter)
    day_severity: Counter[tuple[date, str]] = field(default_factory=Counter)
    week: np.ndarray = field(default_factory=lambda: np.zeros(HOURS_OF_WEEK, dtype=np.int64))
    hours: Counter[datetime] = field(default_factory=Counter)  # local hour starts (aware)
    hours_complete: bool = True  # False once a month row (no hours) was added
    bot: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int64))
    late: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))  # pending SLAs now missed
    sources: Counter[str] = field(default_factory=Counter)
    _selected: dict[Key, bool] = field(default_factory=dict, repr=False)

    def selects(self, key: Key) -> bool:
        """Whether the filters choose this combination (asked once per case: remembered)."""
        known = self._selected.get(key)
        if known is None:
            known = self._selected[key] = all(not self.filters.values(name) or key[i] in self.filters.values(name)
                                              for i, name in enumerate(DIMENSIONS))
        return known

    def add_counts(self, key: Key, values: Iterable[int]) -> None:
        vector = np.fromiter(values, dtype=np.int64, count=len(COUNT_COLUMNS))
        if key in self.counts:
            self.counts[key] += vector
        else:
            self.counts[key] = vector

    def add_histogram(self, histogram: np.ndarray) -> None:
        """Durations known only as buckets: percentiles become estimates."""
        self.durations += histogram
        self.exact_first = self.exact_resolution = None

    def add_day_hours(self, day: date, severity: str, hours: np.ndarray) -> None:
        """A rolled day's local hours (0–23) of one severity."""
        total = int(hours.sum())
        if not total:
            return
        self.days[day] += total
        self.day_severity[(day, severity)] += total
        weekday = day.weekday()
        midnight = local_midnight(day, self.filters.zone).astimezone(self.filters.zone)
        for hour in np.nonzero(hours)[0]:
            self.week[24 * weekday + int(hour)] += int(hours[hour])
            self.hours[midnight.replace(hour=int(hour))] += int(hours[hour])

    def add_month_times(self, first: date, severity: str, times: np.ndarray) -> None:
        """A rolled month's days (0–30) and hours of the week (31…) of one severity."""
        for offset in np.nonzero(times[:MONTH_DAYS])[0]:
            day = first.replace(day=int(offset) + 1)
            self.days[day] += int(times[offset])
            self.day_severity[(day, severity)] += int(times[offset])
        self.week += times[MONTH_DAYS:MONTH_DAYS + HOURS_OF_WEEK]
        self.hours_complete = False

    def total(self, name: str, *, selected: bool = True) -> int:
        i = COUNT[name]
        return int(sum(int(v[i]) for k, v in self.counts.items() if not selected or self.selects(k)))
