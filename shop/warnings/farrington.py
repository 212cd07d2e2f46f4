"""Quasi-Poisson upper thresholds in the style of Farrington et al. (1996), and EARS C2.

Farrington: the expected count is the mean of reference counts (the same hour-of-week ± a few
hours in past weeks), the overdispersion φ = max(1, variance / mean), and the threshold is the
upper prediction limit on the 2/3-power scale, where a Poisson count is nearly normal and
symmetric, so a small expected count still gets a sensible one-sided limit:

    U = (μ^{2/3} + z · sqrt((4/9) · μ^{-2/3} · (φμ + φμ/n)))^{3/2}

Past waves inside the reference hours would raise the baseline and hide the next wave, so
reference counts with an Anscombe residual above `reweight_residual` are left out and the fit
repeated (Farrington's down-weighting, in its simplest form: weight 0 instead of s⁻²).

EARS C2 (Hutwagner et al. 2003) needs no history beyond the last hours: the mean and standard
deviation of a few recent windows with a gap (lag) before the current one; it is the cold-start
rule while the shop has less than `cold_start_weeks` of data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Threshold:
    expected: float  # μ, the expected count in the window
    threshold: float  # the upper limit: a count above it is a signal
    phi: float  # overdispersion used (1 = Poisson)
    n: int  # reference windows behind μ


def _fit(refs: npt.NDArray[np.float64]) -> tuple[float, float]:
    mu = float(refs.mean()) if refs.size else 0.0
    if refs.size < 2 or mu <= 0:
        return mu, 1.0
    return mu, max(1.0, float(refs.var(ddof=1)) / mu)


def anscombe_residuals(refs: npt.NDArray[np.float64], mu: float, phi: float) -> npt.NDArray[np.float64]:
    """How far each count is from μ on the scale where Poisson counts are nearly standard normal."""
    if mu <= 0:
        return np.zeros_like(refs)
    return np.asarray(1.5 * (refs ** (2 / 3) - mu ** (2 / 3)) / (math.sqrt(phi) * mu ** (1 / 6)))


def upper_limit(mu: float, phi: float, n: int, z: float) -> float:
    """Farrington's threshold U for expected μ (> 0), dispersion φ, n reference windows."""
    variance = phi * mu * (1 + 1 / max(n, 1))
    return float((mu ** (2 / 3) + z * math.sqrt(4 / 9 * mu ** (-2 / 3) * variance)) ** 1.5)


def quasi_poisson(refs: npt.ArrayLike, z: float, mu_floor: float, reweight_residual: float,
                  kappa: Optional[float] = None) -> Threshold:
    """Expected count and threshold from the reference counts (past waves left out).

    The overdispersion is φ = max(1, variance/μ) of the references, or, given the category's
    pooled κ (variance = μ + κμ², `detector.dispersion`), φ = 1 + κμ: a few references measure
    their own variance too poorly to set a threshold that must hold every hour of the month.

    The residuals that find past waves are taken around the median with a dispersion from the
    median absolute deviation: a past wave inflates the mean and the variance, and residuals
    scaled by them would hide the very wave they should find (masking)."""
    values = np.asarray(refs, dtype=np.float64)
    if values.size >= 3:
        centre = float(np.median(values))
        if centre > 0:
            mad = 1.4826 * float(np.median(np.abs(values - centre)))
            keep = anscombe_residuals(values, centre, max(1.0, mad * mad / centre)) <= reweight_residual
            if 2 <= int(keep.sum()) < values.size:
                values = values[keep]
    mu, phi = _fit(values)
    used = max(mu, mu_floor)
    if kappa is not None:
        phi = 1.0 + kappa * used
    return Threshold(mu, upper_limit(used, phi, values.size, z), phi, int(values.size))


def ears_c2(refs: npt.ArrayLike, k: float, sd_floor: float) -> Threshold:
    """EARS C2: mean + k · max(sd, sd_floor) of the baseline windows (none yet: mean 0)."""
    values = np.asarray(refs, dtype=np.float64)
    mean = float(values.mean()) if values.size else 0.0
    sd = float(values.std(ddof=1)) if values.size >= 2 else 0.0
    return Threshold(mean, mean + k * max(sd, sd_floor), 1.0, int(values.size))
