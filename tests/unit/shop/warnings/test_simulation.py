"""Issue 12's "Done when": a synthetic year replayed through the real detector and episodes,
beside an ORACLE that knows every hour's true mean (the best any detector could do), and a fresh
shop's first four weeks (cold start).

One fixed seed, so the figures are the ones in docs/warnings.md (`make simulate-warnings`)."""

from dataclasses import replace

import pytest

from shop.warnings import WarningSettings
from shop.warnings.simulate import (
    ColdStart,
    OracleResult,
    Outcome,
    Spec,
    cold_start,
    comparison_by_band,
    detection_by_band,
    false_by_category,
    replay,
    run_oracle,
    synthesize,
)

SPEC = Spec()


@pytest.fixture(scope="module")
def year() -> tuple[Outcome, OracleResult]:
    data = synthesize(SPEC)
    return replay(data, WarningSettings()), run_oracle(data)


@pytest.fixture(scope="module")
def fresh() -> tuple[ColdStart, ColdStart]:
    before = cold_start(SPEC, replace(WarningSettings(), cold_days=0), shops=2)
    return before, cold_start(SPEC, WarningSettings(), shops=2)


def test_at_most_one_false_warning_per_month_in_every_category(year: tuple[Outcome, OracleResult]) -> None:
    outcome, best = year
    assert outcome.months > 11.9
    assert all(false <= 1.0 for false in false_by_category(outcome, len(SPEC.peaks)))
    assert all(o.false_per_month <= 1.0 for o in best.per_category)  # the oracle keeps the same budget


def test_every_drift_is_warned_while_it_lasts(year: tuple[Outcome, OracleResult]) -> None:
    outcome, _ = year
    assert outcome.drifts and all(warned for _, warned in outcome.drifts)


def test_our_detection_is_near_the_oracle_in_every_band(year: tuple[Outcome, OracleResult]) -> None:
    outcome, best = year
    rows = comparison_by_band(outcome, best)
    for label, total, ours, oracle in rows:
        assert total >= 10, label
        assert ours >= oracle - 0.35, (label, ours, oracle)  # worst: 3–5/h, −34 points on seed 12
    # where even the oracle warns ≥ 99 % (≥ 10/h), ours warns all but one of 14 (92.9 %; 100 % on
    # seed 13): the z that keeps EVERY category ≤ 1 false warning a month costs that one
    busy = {label: (ours, oracle) for label, _, ours, oracle in rows}["≥ 10/h"]
    assert busy[1] >= 0.99 and busy[0] >= 0.9


def test_the_oracle_itself_cannot_reach_95_percent_on_thin_baselines(year: tuple[Outcome, OracleResult]) -> None:
    _, best = year
    oracle = {label: share for label, _, _, share in comparison_by_band(year[0], best)}
    assert oracle["2–3/h"] < 0.80 and oracle["3–5/h"] < 0.95  # the requirement is out of reach there


def test_cold_start_is_quiet_after_the_first_day_and_still_warns(fresh: tuple[ColdStart, ColdStart]) -> None:
    before, after = fresh
    assert max(before.false_per_month) > 10  # EARS C2 all along: every morning ramp looks like a spike
    assert max(after.false_per_month) <= 3
    assert after.spikes >= 40 and after.warned / after.spikes >= 0.5


@pytest.mark.xfail(strict=True, reason="NOT MET, and not reachable: 3× spikes on baselines of 2–5/h; even an "
                   "oracle that knows the true mean warns 65–84 % within 2 h at ≤ 1 false warning a month; "
                   "see docs/warnings.md")
def test_ninety_five_percent_of_spikes_are_warned_within_two_hours(year: tuple[Outcome, OracleResult]) -> None:
    total, warned = detection_by_band(year[0])[-1][1:]
    assert warned / total >= 0.95
