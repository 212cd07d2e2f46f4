"""Is one complaint category out of line right now? The signals behind the 预警 warnings.

Every check compares the complaints of the last 60 minutes (a sliding window, so a burst across
an hour boundary is seen whole) and of the last two hours with what the same hours of the week
brought in past weeks (`farrington`), or, while the shop has less than `cold_start_weeks` of data,
with the hours just before (`ears_c2`). The two-hour window catches a rise that is too small to
prove in one hour; each window has its own z so that together they stay within the false-alarm
budget (docs/warnings.md has the simulation that set them). A slow drift is an EWMA of daily
residuals (`ewma`); severe cases have their own, smaller, baseline (`severe_burst`).

Levels (SPEC §10): drift → general (一般预警); a count over its threshold → important (重要预警);
a large wave (≥ large_wave_factor × threshold) or a burst of severe cases → severe (严重预警).
The function is pure: the same history, time and settings give the same signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Optional

import numpy as np

from core.vocabulary import severity_rank
from shop.warnings.config import WarningSettings
from shop.warnings.ewma import ewma_drift
from shop.warnings.farrington import Threshold, ears_c2, quasi_poisson
from shop.warnings.series import HOUR, Series, hour_start

KINDS = ("volume_spike", "volume_drift", "severe_burst")
METHODS = ("farrington", "ears_c2", "ewma", "severe_burst")
WEEK = 168.0  # hours
DAY = 24.0


@dataclass(frozen=True)
class Signal:
    category: str
    kind: str  # "volume_spike" | "volume_drift" | "severe_burst"
    level: str  # "general" | "important" | "severe"   (一般/重要/严重预警)
    method: str  # "farrington" | "ears_c2" | "ewma" | "severe_burst"
    observed: float
    expected: float
    threshold: float
    window_start: datetime  # aware UTC
    window_end: datetime
    detail: str  # one human sentence with the numbers


@dataclass(frozen=True)
class CategoryHistory:
    category: str
    hourly: Mapping[datetime, int]  # UTC hour start → complaint cases created in that hour (past hours)
    severe_hourly: Mapping[datetime, int]  # same, severe cases only
    first_data_at: Optional[datetime]  # earliest case of the shop (cold start while < 4 weeks of data)


def history_hours(settings: WarningSettings) -> int:
    """How many past hours `detect` reads: the baseline weeks plus the drift days, with margin."""
    return int(max(settings.baseline_weeks * WEEK + max(settings.drift_days * DAY, settings.window_hours + 2),
                   settings.cold_days * DAY + settings.cold_window_hours + 2,
                   settings.ears_lag_hours + settings.ears_baseline_hours + 1)) + 2


def detect(history: CategoryHistory, now: datetime, current: int, current_severe: int,
           settings: WarningSettings) -> list[Signal]:
    """The signals of one category at `now`, at most one per kind, strongest first.

    `current` and `current_severe` are the complaint cases (all, and severe ones) created in the
    60 minutes ending at `now`; `history` holds whole past hours. Needs `history_hours(settings)`
    hours of history before now (older hours are ignored)."""
    hours = history_hours(settings)
    origin = hour_start(now) - hours * HOUR
    counts = Series.from_hourly(history.hourly, origin, hours + 1, history.first_data_at)
    severe = Series.from_hourly(history.severe_hourly, origin, hours + 1, history.first_data_at)
    age = 0.0 if history.first_data_at is None else max(0.0, (now - history.first_data_at) / HOUR)
    return evaluate(history.category, counts, severe, counts.position(now), current, current_severe, age, settings)


def evaluate(category: str, counts: Series, severe: Series, t: float, current: float, current_severe: float,
             age: float, settings: WarningSettings) -> list[Signal]:
    """`detect` on prepared series at position `t` (hours since their origin), `age` hours after
    the shop's first case; the simulation calls this directly on a year of counts. Only windows
    ending at or before t − 1 are read from the series; the sliding hour ending at t is `current`."""
    regime = _regime(age, settings)
    signals = [s for s in (_spike(category, counts, t, current, regime, settings),
                           _severe_burst(category, severe, t, current_severe, regime, settings),
                           None if regime != "weekly" else _drift(category, counts, t, current, settings))
               if s is not None]
    return sorted(signals, key=lambda s: -severity_rank(s.level))


def _regime(age: float, settings: WarningSettings) -> str:
    """Which baseline the data allows: the hours just before (EARS C2) in the shop's first day,
    the same hours on the previous days until `cold_start_weeks` of data, then the same hours of
    past weeks (Farrington)."""
    if age >= settings.cold_start_weeks * WEEK:
        return "weekly"
    return "daily" if age >= DAY and settings.cold_days > 0 else "ears"


def _reference_ends(t: float, settings: WarningSettings) -> np.ndarray:
    weeks = np.arange(1, settings.baseline_weeks + 1, dtype=np.float64)
    shifts = np.arange(-settings.window_hours, settings.window_hours + 1, dtype=np.float64)
    ends = (t - WEEK * weeks)[:, None] + shifts[None, :]
    return np.asarray(ends.ravel())


def _daily_ends(t: float, settings: WarningSettings) -> np.ndarray:
    days = np.arange(1, max(settings.cold_days, 1) + 1, dtype=np.float64)
    shifts = np.arange(-settings.cold_window_hours, settings.cold_window_hours + 1, dtype=np.float64)
    return np.asarray(((t - DAY * days)[:, None] + shifts[None, :]).ravel())


def dispersion(series: Series, t: float, settings: WarningSettings) -> float:
    """`_dispersion` as of the start of t's day (it moves slowly; a replay reuses it all day)."""
    day = float(np.floor(t / DAY) * DAY)
    key = ("kappa", day)
    if key not in series.memo:
        series.memo[key] = _dispersion(series, day, settings)
    return series.memo[key]


def _dispersion(series: Series, t: float, settings: WarningSettings) -> float:
    """κ of the category: variance = μ + κμ² for the counts of one hour, pooled over every hour
    of the week in the last `baseline_weeks` weeks (past waves left out, as in the baseline).

    A busy day lifts all its hours together, so the variance of a window grows with the square
    of its mean (negative binomial) and more for a two-hour window than for one hour. Eight
    references per hour-of-week cannot measure that (their variance ratio is off by ±50 %), and
    an underestimate is a false warning on the next busy day; 168 cells pooled can."""
    ends = (t - 1.0 - WEEK * np.arange(settings.baseline_weeks, dtype=np.float64))[:, None] - np.arange(
        int(WEEK), dtype=np.float64)[None, :]
    covered = series.covered(ends, 1.0)
    refs = np.where(covered, series.windows(ends, 1.0), np.nan)
    usable = np.sum(covered, axis=0) >= 3
    if not usable.any():
        return 0.0
    refs = refs[:, usable]
    centre = np.nanmedian(refs, axis=0)
    mad = 1.4826 * np.nanmedian(np.abs(refs - centre), axis=0)
    scale = np.sqrt(np.maximum(1.0, mad * mad / np.maximum(centre, 1e-9)))
    with np.errstate(invalid="ignore", divide="ignore"):
        residual = 1.5 * (refs ** (2 / 3) - centre ** (2 / 3)) / (scale * np.maximum(centre, 1e-9) ** (1 / 6))
    refs = np.where(residual > settings.reweight_residual, np.nan, refs)
    n = np.sum(~np.isnan(refs), axis=0)
    mean = np.nanmean(refs, axis=0)
    var = np.nanvar(refs, axis=0, ddof=1)
    weight = np.maximum(n - 1, 0)
    excess = float(np.nansum(weight * (var - mean)))
    return max(0.0, excess / max(float(np.nansum(weight * mean * mean)), 1e-9))


def _pooled(series: Series, t: float, length: float, settings: WarningSettings) -> tuple[np.ndarray, np.ndarray]:
    """References for the window ending at t from the same hours of EVERY past day, each scaled to
    t's weekday; and the same-hour-of-week references alone (unscaled).

    Eight same-hour-of-week references leave μ uncertain by ±35 % at 2/h, which costs both false
    warnings (an unlucky low μ) and detection (the threshold must allow for it). The same hour on
    all 7·baseline_weeks days is seven times the data; a weekday's level (a Sunday at 75 %) is
    the ratio of its 24-hour totals (centred on the hour) to the other weekdays' totals."""
    days = np.arange(1, 7 * settings.baseline_weeks + 1, dtype=np.float64)
    ends = t - DAY * days
    centred = ends + DAY / 2 - length / 2  # the 24 h around each reference window
    ok = series.covered(ends, length) & series.covered(centred, DAY)
    values = series.windows(ends, length)
    level = series.windows(centred, DAY)
    weekday = days.astype(np.int64) % 7  # 0: the same weekday as t
    same = ok & (weekday == 0)
    if not same.any():
        return values[same], values[same]
    seen = np.bincount(weekday[ok], minlength=7)
    means = np.where(seen > 0, np.bincount(weekday[ok], level[ok], minlength=7) / np.maximum(seen, 1), np.nan)
    scale = np.where(means[weekday] > 0, means[0] / np.where(means[weekday] > 0, means[weekday], 1.0), np.nan)
    keep = ok & np.isfinite(scale)
    return np.asarray(values[keep] * scale[keep]), np.asarray(values[same])


def _baseline(series: Series, t: float, length: float, z: float, regime: str, settings: WarningSettings,
              kappa: Optional[float] = None) -> Threshold:
    if regime == "ears":
        lags = np.arange(settings.ears_lag_hours + 1, settings.ears_lag_hours + settings.ears_baseline_hours + 1)
        ends = t - (lags + length - 1.0)  # windows of `length` ending lag+1 … lag+B hours before the current one
        ends = ends[series.covered(ends, length)]
        return ears_c2(series.windows(ends, length), settings.ears_k, settings.ears_sd_floor * length)
    floor = settings.mu_floor * length
    if regime == "weekly" and settings.pooled_days:
        pooled, weekly = _pooled(series, t, length, settings)
        base = quasi_poisson(pooled, z, floor, settings.reweight_residual, kappa=kappa)
        own = quasi_poisson(weekly, z, floor, settings.reweight_residual, kappa=kappa)
        # the pooled profile must fit this hour of the week: if its own references disagree
        # beyond chance, the hour has a shape of its own (a weekend morning) and they decide
        spread = np.sqrt(max(base.expected, floor) * base.phi * (1 / max(own.n, 1) + 1 / max(base.n, 1)))
        if pooled.size and abs(own.expected - base.expected) <= settings.pooled_misfit * spread:
            return base
        return own
    ends = _daily_ends(t, settings) if regime == "daily" else _reference_ends(t, settings)
    ends = ends[series.covered(ends, length)]
    return quasi_poisson(series.windows(ends, length), z, floor, settings.reweight_residual, kappa=kappa)


def _spike(category: str, counts: Series, t: float, current: float, regime: str,
           settings: WarningSettings) -> Optional[Signal]:
    best: Optional[tuple[float, Signal]] = None
    kappa = dispersion(counts, t, settings) if regime == "weekly" else None
    for length, z in ((1.0, settings.z_one_hour), (2.0, settings.z_two_hours)):
        observed = current + (float(counts.windows([t - 1.0], length - 1.0)[0]) if length > 1 else 0.0)
        base = _baseline(counts, t, length, z, regime, settings, kappa)
        if observed <= base.threshold or observed < settings.min_count:
            continue
        wave = settings.large_wave_factor * max(base.threshold, settings.min_count)
        level = "severe" if observed >= wave else "important"
        method = "ears_c2" if regime == "ears" else "farrington"
        how = {"ears": f"the {settings.ears_baseline_hours} hours before (EARS C2)",
               "daily": f"the same hours (±{settings.cold_window_hours} h) on up to {settings.cold_days} previous "
                        f"days (quasi-Poisson; the shop has less than {settings.cold_start_weeks} weeks of data)",
               "weekly": f"the same hours of the week in the last {settings.baseline_weeks} weeks (quasi-Poisson)"}
        detail = (f"{category}: {observed:g} complaints in the last {length:g} h against {base.expected:.1f} "
                  f"expected from {how[regime]}; threshold {base.threshold:.1f}"
                  + (f", a large wave from {wave:.1f}" if level == "severe" else "") + ".")
        signal = Signal(category, "volume_spike", level, method, observed, round(base.expected, 3),
                        round(base.threshold, 3), counts.at(t - length), counts.at(t), detail)
        rank = severity_rank(level) * 1000 + observed / max(base.threshold, 1e-9)
        if best is None or rank > best[0]:
            best = (rank, signal)
    return best[1] if best else None


def _severe_burst(category: str, severe: Series, t: float, current: float, regime: str,
                  settings: WarningSettings) -> Optional[Signal]:
    if current < settings.severe_burst_min:
        return None
    base = _baseline(severe, t, 1.0, settings.severe_z, regime, settings)
    if current <= base.threshold:
        return None
    detail = (f"{category}: {current:g} severe complaints in the last hour against {base.expected:.1f} expected; "
              f"threshold {max(base.threshold, settings.severe_burst_min - 1):.1f}.")
    return Signal(category, "severe_burst", "severe", "severe_burst", current, round(base.expected, 3),
                  round(base.threshold, 3), severe.at(t - 1.0), severe.at(t), detail)


def _drift(category: str, counts: Series, t: float, current: float, settings: WarningSettings) -> Optional[Signal]:
    # hour by hour over the last drift_days days, and the same hours in the past weeks
    ends = t - DAY * np.arange(settings.drift_days, dtype=np.float64)[:, None] - np.arange(24.0)[None, :]
    hourly = counts.windows(ends, 1.0)
    hourly[0, 0] = current  # the last hour is the sliding one
    weeks = np.arange(1, settings.baseline_weeks + 1, dtype=np.float64)
    ref_ends = ends[..., None] - WEEK * weeks
    covered = counts.covered(ref_ends, 1.0)
    refs = np.where(covered, counts.windows(ref_ends, 1.0), np.nan)
    # a spike is the hourly rule's business: every hour (observed and reference alike) counts at
    # most its hour-of-week mean + ewma_clip·sqrt(mean), so only a broad rise moves the daily sums
    if covered.all():  # the usual case after the first weeks: the plain mean, much cheaper
        mean = refs.mean(axis=2)
    else:
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(refs, axis=2) if covered.any() else np.zeros(hourly.shape)
    cap = np.nan_to_num(mean, nan=np.inf) + settings.ewma_clip * np.sqrt(np.maximum(np.nan_to_num(mean), 1.0))
    observed = np.minimum(hourly, cap).sum(axis=1)
    day_covered = covered.all(axis=1)
    ref_days = np.where(day_covered, np.minimum(np.nan_to_num(refs), cap[..., None]).sum(axis=1), np.nan)
    drift = ewma_drift(observed, ref_days, settings.ewma_lambda, settings.ewma_limit, settings.ewma_clip,
                       settings.mu_floor * DAY)
    if drift is None or not drift.fires:
        return None
    detail = (f"{category}: {drift.observed:.1f} complaints a day (weighted over the last {settings.drift_days} days, "
              f"single spikes capped) against {drift.expected:.1f} expected; EWMA {drift.statistic:.2f} over its "
              f"limit {drift.limit:.2f}.")
    return Signal(category, "volume_drift", "general", "ewma", round(drift.observed, 3), round(drift.expected, 3),
                  round(drift.threshold, 3), counts.at(t - DAY * settings.drift_days), counts.at(t), detail)
