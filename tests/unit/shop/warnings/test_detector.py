"""What a supervisor is warned of: spikes, waves, severe bursts, drifts — and nothing on a flat day."""

from datetime import datetime, timedelta

import numpy as np

from shop.warnings import CategoryHistory, WarningSettings, detect
from tests.unit.shop.warnings.conftest import NOW, history

SETTINGS = WarningSettings()


def flat(rate: float):
    return lambda at: rate


def daily(peak: float):
    return lambda at: peak * (0.1 if at.hour < 7 else 1.0)


def test_a_one_hour_spike_at_a_high_baseline_is_important() -> None:
    signals = detect(history(10, flat(10)), NOW, 28, 0, SETTINGS)
    assert [(s.kind, s.level, s.method) for s in signals] == [("volume_spike", "important", "farrington")]
    s = signals[0]
    assert s.observed == 28 and 6 < s.expected < 13 and s.expected < s.threshold < 28
    assert s.window_end == NOW and s.window_start == NOW - timedelta(hours=1)
    assert "28 complaints" in s.detail and "expected" in s.detail


def test_a_huge_wave_is_severe() -> None:
    signals = detect(history(10, flat(10)), NOW, 80, 0, SETTINGS)
    assert signals[0].kind == "volume_spike" and signals[0].level == "severe"


def test_a_flat_series_never_fires() -> None:
    h = history(12, daily(8), seed=5, noise=False)
    for hours in range(0, 24 * 7, 5):
        now = NOW - timedelta(hours=hours)
        assert detect(h, now, round(8 * (0.1 if now.hour < 8 else 1.0)), 0, SETTINGS) == []


def test_a_burst_of_severe_cases_is_severe() -> None:
    signals = detect(history(10, flat(10), severe_share=0.02), NOW, 14, 6, SETTINGS)
    burst = [s for s in signals if s.kind == "severe_burst"]
    assert burst and burst[0].level == "severe" and burst[0].observed == 6


def test_cold_start_fires_on_a_burst_within_a_few_complaints() -> None:
    fresh = CategoryHistory("complain_refund", {}, {}, NOW - timedelta(minutes=10))
    fired = [n for n in range(1, 21) if detect(fresh, NOW, n, 0, SETTINGS)]
    assert fired and fired[0] <= 8
    first = detect(fresh, NOW, fired[0], 0, SETTINGS)[0]
    assert (first.kind, first.method, first.level) == ("volume_spike", "ears_c2", "important")
    assert detect(fresh, NOW, 20, 0, SETTINGS)[0].level == "severe"


def test_cold_start_ignores_ordinary_traffic() -> None:
    young = history(1, flat(2), seed=7)
    assert young.first_data_at is not None
    for hours in range(0, 24 * 6, 3):
        assert detect(young, NOW + timedelta(hours=hours) - timedelta(days=6), 3, 0, SETTINGS) == []


def test_a_burst_across_the_hour_boundary_is_seen_by_the_sliding_hour() -> None:
    h = history(10, flat(4))
    assert detect(h, datetime(2026, 12, 2, 10, 25, tzinfo=NOW.tzinfo), 20, 0, SETTINGS)


def test_a_slow_drift_is_a_general_warning() -> None:
    def rising(at: datetime) -> float:
        days_left = (NOW - at).total_seconds() / 86400
        return 10 * (1.5 if days_left < 10 else 1.0)
    signals = detect(history(10, rising, seed=2), NOW, 15, 0, SETTINGS)
    drift = [s for s in signals if s.kind == "volume_drift"]
    assert drift and drift[0].level == "general" and drift[0].method == "ewma"
    assert drift[0].observed > drift[0].threshold > drift[0].expected


def test_a_young_shop_compares_with_the_same_hours_on_previous_days() -> None:
    # five days of a quiet night (1/h) and a busy day (10/h): the morning ramp is ordinary traffic
    young = history(5 / 7, daily(10), seed=3, noise=False)
    morning = NOW.replace(hour=9)
    assert detect(young, morning, 10, 0, SETTINGS) == []
    signals = detect(young, morning, 30, 0, SETTINGS)
    assert signals and signals[0].method == "farrington" and "previous days" in signals[0].detail


def test_the_first_day_of_a_shop_uses_ears_c2() -> None:
    hours = history(0.1, flat(1), seed=4)  # 16 hours of data
    signals = detect(hours, NOW, 12, 0, SETTINGS)
    assert signals and signals[0].method == "ears_c2"


def test_a_busy_days_overdispersion_is_measured_across_the_week() -> None:
    from shop.warnings.detector import dispersion
    from shop.warnings.series import Series

    rng = np.random.default_rng(8)
    days = rng.gamma(25.0, 1 / 25.0, size=9 * 7)  # a day factor with CV 0.2: κ = 0.04
    counts = rng.poisson(np.repeat(days, 24) * 10.0)
    kappa = dispersion(Series(counts, NOW, 0.0), float(counts.size), SETTINGS)
    assert 0.02 < kappa < 0.07
    flat_counts = rng.poisson(np.full(9 * 168, 10.0))
    assert dispersion(Series(flat_counts, NOW, 0.0), float(flat_counts.size), SETTINGS) < 0.01
