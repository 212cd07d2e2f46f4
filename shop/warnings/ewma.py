"""An EWMA of daily standardized residuals, for a slow drift the hourly thresholds miss.

A category that creeps up by a third over two weeks never crosses an hourly threshold, but every
day is a little above its baseline. Each of the last `days` 24-hour windows (ending now, a day
earlier, ...) is compared with the same window in past weeks (quasi-Poisson: residual
r = (Y − μ) / sqrt(φμ(1 + 1/n))); the residuals are clipped at ±clip, so one spike (the hourly
rule's business) cannot raise a drift warning alone; their EWMA, z = Σ λ(1−λ)^k r_k over
k = 0 (today) … days−1, is compared with L times its standard deviation under no drift
(Lucas & Saccucci 1990; the exact finite-sum variance, as the EWMA starts from zero `days` ago).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Drift:
    statistic: float  # z, the EWMA of the residuals
    limit: float  # L · σ_z
    observed: float  # EWMA-weighted complaints per day
    expected: float  # EWMA-weighted expected complaints per day
    threshold: float  # the daily count that puts z at its limit, in the same weighting

    @property
    def fires(self) -> bool:
        return self.statistic > self.limit


def ewma_drift(observed: npt.ArrayLike, refs: npt.ArrayLike, lam: float, limit: float, clip: float,
               mu_floor: float) -> Optional[Drift]:
    """`observed[k]`: the count of day k (0 = the 24 hours ending now); `refs[k, w]`: the same
    window w weeks earlier (NaN where not covered by data). None when no day has a baseline."""
    y = np.asarray(observed, dtype=np.float64)
    r = np.asarray(refs, dtype=np.float64)
    n = np.sum(~np.isnan(r), axis=1)
    usable = n >= 2
    if not usable.any():
        return None
    safe = np.where(np.isnan(r), 0.0, r)
    counts = np.maximum(n, 1)
    mu = safe.sum(axis=1) / counts
    var = np.where(n >= 2, (np.where(np.isnan(r), 0.0, (r - mu[:, None]) ** 2)).sum(axis=1) / np.maximum(n - 1, 1),
                   0.0)
    # one dispersion for the category: a pooled ratio is steadier than each day's eight references
    phi = max(1.0, float(var[usable].sum() / max(mu[usable].sum(), 1e-9)))
    mu_used = np.maximum(mu, mu_floor)
    sd = np.sqrt(phi * mu_used * (1 + 1 / counts))
    residual = np.where(usable, np.clip((y - mu_used) / sd, -clip, clip), 0.0)
    weights = lam * (1 - lam) ** np.arange(y.size)
    statistic = float((weights * residual).sum())
    sigma = lam * math.sqrt((1 - (1 - lam) ** (2 * y.size)) / (1 - (1 - lam) ** 2))
    w = weights * usable
    total = float(w.sum())
    observed_avg = float((w * y).sum() / total)
    expected_avg = float((w * mu_used).sum() / total)
    threshold = expected_avg + limit * sigma / total * float((w * sd).sum() / total)
    return Drift(statistic, limit * sigma, observed_avg, expected_avg, threshold)
