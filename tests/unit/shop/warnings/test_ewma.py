"""The EWMA of daily residuals: a steady rise fires, a flat series and one spike do not."""

import numpy as np

from shop.warnings.ewma import ewma_drift


def refs(days: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.poisson(level, size=(days, 8)).astype(float)


def test_a_steady_rise_fires() -> None:
    observed = np.full(14, 130.0)
    drift = ewma_drift(observed, refs(14, 100), lam=0.2, limit=3.5, clip=3, mu_floor=1)
    assert drift is not None and drift.fires and drift.observed > drift.threshold > drift.expected


def test_a_flat_series_does_not_fire() -> None:
    drift = ewma_drift(np.full(14, 100.0), refs(14, 100), lam=0.2, limit=3.5, clip=3, mu_floor=1)
    assert drift is not None and not drift.fires


def test_one_wild_day_alone_does_not_fire() -> None:
    observed = np.full(14, 100.0)
    observed[0] = 400
    drift = ewma_drift(observed, refs(14, 100), lam=0.2, limit=3.5, clip=3, mu_floor=1)
    assert drift is not None and not drift.fires


def test_no_baseline_no_answer() -> None:
    assert ewma_drift(np.full(14, 100.0), np.full((14, 8), np.nan), lam=0.2, limit=3.5, clip=3, mu_floor=1) is None
