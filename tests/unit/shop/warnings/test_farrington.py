"""The quasi-Poisson threshold and EARS C2 on hand-made reference counts."""

import pytest

from shop.warnings.farrington import ears_c2, quasi_poisson, upper_limit


def test_threshold_is_above_the_mean_and_grows_with_dispersion() -> None:
    calm = quasi_poisson([10, 11, 9, 10, 12, 8, 10, 10], z=3, mu_floor=0.5, reweight_residual=2.58)
    wild = quasi_poisson([2, 20, 5, 15, 3, 18, 10, 7], z=3, mu_floor=0.5, reweight_residual=2.58)
    assert calm.expected == pytest.approx(10)
    assert 15 < calm.threshold < 25
    assert wild.phi > 1 and wild.threshold > calm.threshold


def test_a_past_wave_in_the_references_is_left_out() -> None:
    base = quasi_poisson([5, 6, 4, 5, 5, 6, 4, 40], z=3, mu_floor=0.5, reweight_residual=2.58)
    assert base.n == 7 and base.expected == pytest.approx(5)


def test_a_silent_baseline_still_has_a_sane_threshold() -> None:
    base = quasi_poisson([0] * 8, z=3, mu_floor=0.5, reweight_residual=2.58)
    assert base.expected == 0 and 2 < base.threshold < 6


def test_upper_limit_matches_the_formula() -> None:
    mu, phi, n, z = 4.0, 1.5, 8, 3.0
    expected = (mu ** (2 / 3) + z * ((4 / 9) * mu ** (-2 / 3) * (phi * mu + phi * mu / n)) ** 0.5) ** 1.5
    assert upper_limit(mu, phi, n, z) == pytest.approx(expected)


def test_ears_c2_is_mean_plus_k_sd_with_a_floor() -> None:
    assert ears_c2([2, 2, 2, 2, 2, 2, 2], k=3, sd_floor=1).threshold == pytest.approx(5)
    assert ears_c2([], k=3, sd_floor=1).threshold == pytest.approx(3)
    assert ears_c2([0, 10, 0, 10, 0, 10, 0], k=3, sd_floor=1).threshold > 15
