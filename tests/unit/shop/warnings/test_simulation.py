"""Issue 12's "Done when": a synthetic year replayed through the real detector and episodes.

One fixed seed, so the figures are the ones in docs/warnings.md (`make simulate-warnings`)."""

import pytest

from shop.warnings import WarningSettings
from shop.warnings.simulate import Outcome, Spec, detection_by_band, false_per_month, replay, synthesize

SPEC = Spec()


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    return replay(synthesize(SPEC), WarningSettings())


def test_at_most_one_false_warning_per_category_per_month(outcome: Outcome) -> None:
    assert outcome.months > 11.9
    assert false_per_month(outcome, len(SPEC.peaks)) <= 1.0


def test_every_drift_is_warned_while_it_lasts(outcome: Outcome) -> None:
    assert outcome.drifts and all(warned for _, warned in outcome.drifts)


def test_spikes_on_a_busy_baseline_are_warned_within_two_hours(outcome: Outcome) -> None:
    band = {label: (total, warned) for label, total, warned in detection_by_band(outcome)}["≥ 10/h"]
    assert band[0] >= 10 and band[1] / band[0] >= 0.95


@pytest.mark.xfail(strict=True, reason="NOT MET: 3× spikes on baselines of 2–5/h are warned in 40–60 % "
                   "within 2 h at ≤ 1 false warning a month; see docs/warnings.md")
def test_ninety_five_percent_of_spikes_are_warned_within_two_hours(outcome: Outcome) -> None:
    total, warned = detection_by_band(outcome)[-1][1:]
    assert warned / total >= 0.95
