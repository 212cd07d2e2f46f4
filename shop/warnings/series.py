"""Hourly counts as a cumulative series, so any window — a sliding hour ending at 10:25, the
same hour eight weeks ago ± one hour — is two lookups, and hundreds of windows one numpy call.

Counts inside an hour are taken as spread evenly over it (linear interpolation of the cumulative
count): the case store hands the detector whole hours, while the sliding window that catches a
burst across an hour boundary ends at any minute.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Mapping, Optional

import numpy as np
import numpy.typing as npt

HOUR = timedelta(hours=1)
Floats = npt.NDArray[np.float64]


def hour_start(at: datetime) -> datetime:
    """The UTC hour `at` falls in (aware)."""
    at = at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return at.replace(minute=0, second=0, microsecond=0)


class Series:
    """Counts per hour from `origin` on; positions are hours since `origin` (floats)."""

    def __init__(self, counts: npt.ArrayLike, origin: datetime, data_start: float = 0.0) -> None:
        values = np.asarray(counts, dtype=np.float64)
        self.origin = origin
        self.length = values.size
        # hours before data_start are not covered by data (the shop did not exist yet)
        self.data_start = data_start
        self._cum: Floats = np.concatenate(([0.0], np.cumsum(values)))
        self._grid: Floats = np.arange(self.length + 1, dtype=np.float64)
        # values the detector derives from many past hours and that change slowly (the category's
        # dispersion, computed at each day's start): a replay of a year reuses them all day
        self.memo: dict[tuple[str, float], float] = {}

    @classmethod
    def from_hourly(cls, hourly: Mapping[datetime, int], origin: datetime, hours: int,
                    first_data_at: Optional[datetime]) -> "Series":
        """The `hours` hours from `origin` (a UTC hour start) out of a mapping hour start → count."""
        counts = np.zeros(hours, dtype=np.float64)
        for at, count in hourly.items():
            index = int((hour_start(at) - origin) / HOUR)
            if 0 <= index < hours:
                counts[index] += count
        start = math.inf if first_data_at is None else (hour_start(first_data_at) - origin) / HOUR
        return cls(counts, origin, start)

    def position(self, at: datetime) -> float:
        return (at - self.origin) / HOUR

    def at(self, position: float) -> datetime:
        return self.origin + timedelta(hours=position)

    def windows(self, ends: npt.ArrayLike, length: float) -> Floats:
        """The counts in [end - length, end) for every end (any shape)."""
        ends_ = np.asarray(ends, dtype=np.float64)
        return np.asarray(np.interp(ends_, self._grid, self._cum) - np.interp(ends_ - length, self._grid, self._cum))

    def covered(self, ends: npt.ArrayLike, length: float) -> npt.NDArray[np.bool_]:
        """Which windows lie wholly after the first data (older ones would count as silent hours)."""
        return np.asarray(np.asarray(ends, dtype=np.float64) - length >= self.data_start)
