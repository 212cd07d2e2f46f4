"""The simulation behind the warnings' defaults: a synthetic year of hourly complaints, replayed.

Counts per category follow a weekly and daily profile (quiet nights, a late-morning and an
evening peak, quieter weekends) with negative-binomial noise; 3× spikes lasting a few hours are
injected at random hours whose baseline is ≥ 2 per hour, and slow drifts (a ramp to +60 % over a
week, held for two weeks). The replay runs the real detector (`detector.evaluate`) and the real
episodes (`episodes.next_step`) every hour, and measures what Issue 12 asks: the share of spikes
warned within 2 hours of their start, and false warnings per category per month outside the
injections. SYNTHETIC data only: nothing here reads a shop's cases.

`python -m shop.warnings.simulate` prints the tables of docs/warnings.md;
tests/unit/shop/warnings/test_simulation.py asserts the two requirements with a fixed seed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from dataclasses import replace as replace_settings
from datetime import datetime, timezone
from typing import Optional

import numpy as np
import numpy.typing as npt

from shop.warnings import oracle
from shop.warnings.config import WarningSettings, load_settings
from shop.warnings.detector import WEEK, evaluate
from shop.warnings.episodes import Episode, next_step
from shop.warnings.series import Series

ORIGIN = datetime(2025, 1, 6, tzinfo=timezone.utc)  # a Monday, 00:00
MONTH_HOURS = 365.25 * 24 / 12
BANDS = ((2.0, 3.0), (3.0, 5.0), (5.0, 10.0), (10.0, float("inf")))
# share of the day's peak, hour by hour: quiet nights, a late-morning plateau, an evening plateau
DAILY = np.array([0.12, 0.08, 0.06, 0.05, 0.05, 0.08, 0.15, 0.3, 0.5, 0.75, 1.0, 1.0, 0.85, 0.8, 0.8, 0.75, 0.7,
                  0.7, 0.8, 1.0, 1.0, 0.8, 0.5, 0.25])
WEEKLY = np.array([1.0, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75])  # Monday … Sunday


@dataclass(frozen=True)
class Spec:
    """What is simulated; the defaults are the figures in docs/warnings.md."""

    seed: int = 12
    peaks: tuple[float, ...] = (2.0, 4.0, 8.0, 15.0)  # peak hourly baseline of each category
    weeks: int = 52  # measured weeks
    prehistory_weeks: int = 8  # weeks of data before the measured ones (0 = a fresh shop: cold start)
    day_cv: float = 0.1  # day-to-day variation of the level (gamma factor per category and day)
    severe_share: float = 0.05  # share of complaints that are severe
    spikes_per_category: int = 24
    spike_factor: float = 3.0
    spike_hours: tuple[int, int] = (2, 4)  # lasting from … to … hours
    spike_min_baseline: float = 2.0
    drifts_per_category: int = 2
    drift_factor: float = 1.6
    drift_ramp_days: int = 7
    drift_hold_days: int = 14


@dataclass(frozen=True)
class Injection:
    category: int
    kind: str  # "spike" | "drift"
    start: int  # hour index
    end: int  # exclusive
    baseline: float  # expected count per hour at the start, before the injection


@dataclass
class Synthetic:
    spec: Spec
    baseline: npt.NDArray[np.float64]  # [category, hour] expected counts without injections
    null_mean: npt.NDArray[np.float64]  # [category, hour] true mean without the spikes (drifts and busy days in)
    true_mean: npt.NDArray[np.float64]  # [category, hour] true mean, spikes included: the counts are Poisson(true_mean)
    counts: npt.NDArray[np.float64]
    severe: npt.NDArray[np.float64]
    injections: list[Injection]


@dataclass
class Outcome:
    spikes: list[tuple[Injection, bool]] = field(default_factory=list)  # (spike, warned within 2 h)
    drifts: list[tuple[Injection, bool]] = field(default_factory=list)  # (drift, any warning while it lasted)
    false: dict[tuple[int, str], int] = field(default_factory=dict)  # (category, kind) → false warnings
    warnings: int = 0
    months: float = 0.0


def profile(hours: int) -> npt.NDArray[np.float64]:
    """Share of the weekly peak for each hour from ORIGIN (a Monday midnight)."""
    index = np.arange(hours)
    return np.asarray(DAILY[index % 24] * WEEKLY[(index // 24) % 7])


def synthesize(spec: Spec) -> Synthetic:
    rng = np.random.default_rng(spec.seed)
    first = spec.prehistory_weeks * int(WEEK)
    hours = first + spec.weeks * int(WEEK)
    base = np.outer(spec.peaks, profile(hours))
    mean = base.copy()
    null = base.copy()
    injections: list[Injection] = []
    for c in range(len(spec.peaks)):
        taken = np.zeros(hours, dtype=bool)
        length = (spec.drift_ramp_days + spec.drift_hold_days) * 24
        for _ in range(spec.drifts_per_category if hours - length > first + 2 * int(WEEK) else 0):
            start = int(rng.integers(first + 2 * int(WEEK), hours - length))
            ramp = np.minimum(np.arange(length) / (spec.drift_ramp_days * 24), 1.0)
            mean[c, start:start + length] *= 1 + (spec.drift_factor - 1) * ramp
            injections.append(Injection(c, "drift", start, start + length, float(base[c, start])))
        null[c] = mean[c]
        eligible = np.flatnonzero(base[c, first:hours - 24] >= spec.spike_min_baseline) + first
        for _ in range(spec.spikes_per_category):
            free = eligible[~taken[eligible]]
            if free.size == 0:
                break
            start = int(rng.choice(free))
            length = int(rng.integers(spec.spike_hours[0], spec.spike_hours[1] + 1))
            mean[c, start:start + length] *= spec.spike_factor
            taken[max(0, start - 72):start + 72] = True  # spikes of one category at least 3 days apart
            injections.append(Injection(c, "spike", start, start + length, float(base[c, start])))
    # a busy or quiet day lifts or lowers every hour of it: a gamma factor per category and day
    # (mean 1, CV day_cv), then Poisson counts, so a day's hours are negative binomial together
    shape = 1 / max(spec.day_cv, 1e-6) ** 2
    days = rng.gamma(shape, 1 / shape, size=(len(spec.peaks), hours // 24 + 1))
    day = np.repeat(days, 24, axis=1)[:, :hours]
    counts = rng.poisson(mean * day).astype(np.float64)
    severe = rng.binomial(counts.astype(np.int64), spec.severe_share).astype(np.float64)
    return Synthetic(spec, base, null * day, mean * day, counts, severe, sorted(injections, key=lambda i: i.start))


def replay(data: Synthetic, settings: WarningSettings) -> Outcome:
    """Every hour of the measured weeks: the detector's signals, then the episodes per kind."""
    spec = data.spec
    first = spec.prehistory_weeks * int(WEEK)
    hours = data.counts.shape[1]
    outcome = Outcome(months=(hours - first) / MONTH_HOURS)
    opened: list[tuple[int, str, int]] = []  # (category, kind, hour) of every warning opened
    signalled: dict[int, list[int]] = {}  # category → hours with a spike or severe-burst signal
    for c in range(data.counts.shape[0]):
        counts = Series(data.counts[c], ORIGIN, 0.0)
        severe = Series(data.severe[c], ORIGIN, 0.0)
        episodes: dict[str, Optional[Episode]] = {}
        marks = signalled.setdefault(c, [])
        for t in range(first + 1, hours + 1):  # a check at the end of every hour
            signals = {s.kind: s for s in evaluate(str(c), counts, severe, float(t), data.counts[c, t - 1],
                                                   data.severe[c, t - 1], float(t), settings)}
            if "volume_spike" in signals or "severe_burst" in signals:
                marks.append(t)
            now = counts.at(float(t))
            for kind in ("volume_spike", "volume_drift", "severe_burst"):
                step = next_step(episodes.get(kind), signals.get(kind), now, settings)
                episodes[kind] = None if step.action == "close" else step.episode
                if step.action == "open":
                    opened.append((c, kind, t))
    outcome.warnings = len(opened)
    for injection in data.injections:
        if injection.kind == "spike":
            warned = any(injection.start < t <= injection.start + 2 for t in signalled[injection.category])
            outcome.spikes.append((injection, warned))
        else:
            warned = any(c == injection.category and injection.start < t <= injection.end for c, _, t in opened)
            outcome.drifts.append((injection, warned))
    for c, kind, t in opened:
        explained = any(i.category == c and i.start < t <= i.end + (24 if i.kind == "drift" else 2)
                        for i in data.injections)
        if not explained:
            outcome.false[(c, kind)] = outcome.false.get((c, kind), 0) + 1
    return outcome


def detection_by_band(outcome: Outcome) -> list[tuple[str, int, int]]:
    """(band, spikes, warned within 2 h) per baseline band, then all."""
    rows = []
    for low, high in BANDS:
        inside = [w for i, w in outcome.spikes if low <= i.baseline < high]
        label = f"{low:g}–{high:g}/h" if high != float("inf") else f"≥ {low:g}/h"
        rows.append((label, len(inside), sum(inside)))
    rows.append(("all", len(outcome.spikes), sum(w for _, w in outcome.spikes)))
    return rows


def false_per_month(outcome: Outcome, categories: int) -> float:
    return sum(outcome.false.values()) / categories / outcome.months


def band_label(low: float, high: float) -> str:
    return f"{low:g}–{high:g}/h" if high != float("inf") else f"≥ {low:g}/h"


@dataclass(frozen=True)
class OracleResult:
    """The oracle per category (its α's and expected false warnings) and per spike (P(warned))."""

    per_category: list[oracle.Oracle]
    spikes: list[tuple[Injection, float]]  # (spike, probability the oracle warns within 2 h)


def run_oracle(data: Synthetic) -> OracleResult:
    """The ORACLE of shop/warnings/oracle.py on the same year: each category's true means, its
    own best (α₁, α₂) within ≤ 1 expected false warning a month over the measured weeks."""
    spec = data.spec
    first = spec.prehistory_weeks * int(WEEK)
    per_category: list[oracle.Oracle] = []
    spikes: list[tuple[Injection, float]] = []
    for c in range(data.counts.shape[0]):
        mine = [i for i in data.injections if i.category == c and i.kind == "spike"]
        found = oracle.best(data.null_mean[c], data.true_mean[c], np.array([i.start for i in mine], dtype=np.int64),
                            first, MONTH_HOURS)
        per_category.append(found)
        spikes += list(zip(mine, (float(p) for p in found.detection), strict=False))
    return OracleResult(per_category, spikes)


def comparison_by_band(outcome: Outcome, best: OracleResult) -> list[tuple[str, int, float, float]]:
    """(band, spikes, our share warned within 2 h, the oracle's expected share) per band, then all."""
    rows = []
    for low, high in (*BANDS, (0.0, float("inf"))):
        ours = [w for i, w in outcome.spikes if low <= i.baseline < high]
        theirs = [p for i, p in best.spikes if low <= i.baseline < high]
        label = band_label(low, high) if low else "all"
        rows.append((label, len(ours), sum(ours) / max(len(ours), 1), sum(theirs) / max(len(theirs), 1)))
    return rows


def false_by_category(outcome: Outcome, categories: int) -> list[float]:
    """False warnings per month of each category (every kind)."""
    return [sum(n for (c, _), n in outcome.false.items() if c == category) / outcome.months
            for category in range(categories)]


@dataclass(frozen=True)
class ColdStart:
    """A fresh shop's first `weeks` weeks, over several seeds (each a shop of its own)."""

    spikes: int
    warned: int
    false_per_month: list[float]  # per category, over all the seeds


def cold_start(spec: Spec, settings: WarningSettings, shops: int = 4, weeks: int = 4) -> ColdStart:
    """`shops` fresh shops (seeds spec.seed, +1, …) with no history, replayed for `weeks` weeks."""
    spikes = warned = 0
    false = np.zeros(len(spec.peaks))
    months = 0.0
    for n in range(shops):
        fresh = replace_settings(spec, seed=spec.seed + n, weeks=weeks, prehistory_weeks=0)
        outcome = replay(synthesize(fresh), settings)
        spikes += len(outcome.spikes)
        warned += sum(w for _, w in outcome.spikes)
        false += np.array(false_by_category(outcome, len(spec.peaks))) * outcome.months
        months += outcome.months
    return ColdStart(spikes, warned, [float(f) / months for f in false])


def markdown(spec: Spec, outcome: Outcome, best: Optional[OracleResult] = None) -> str:
    lines = [f"Seed {spec.seed}; categories with peak baselines {', '.join(f'{p:g}' for p in spec.peaks)}/h; "
             f"{spec.weeks} measured weeks after {spec.prehistory_weeks} weeks of history; "
             f"Poisson counts around a day-level gamma factor with CV {spec.day_cv:g}.", ""]
    if best is None:
        lines += ["| baseline at spike start | spikes | warned within 2 h | share |", "|---|---:|---:|---:|"]
        for label, total, warned in detection_by_band(outcome):
            share = f"{warned / total:.1%}" if total else "–"
            lines.append(f"| {label} | {total} | {warned} | {share} |")
    else:
        lines += ["| baseline at spike start | spikes | ours: warned within 2 h | oracle (expected) | ours − oracle |",
                  "|---|---:|---:|---:|---:|"]
        for (label, total, warned), (_, _, ours, theirs) in zip(detection_by_band(outcome),
                                                                 comparison_by_band(outcome, best), strict=True):
            lines.append(f"| {label} | {total} | {warned} ({ours:.1%}) | {theirs:.1%} | "
                         f"{100 * (ours - theirs):+.1f} points |")
    lines += ["", "| category (peak/h) | false spike | false drift | false severe burst | false per month |"
              + (" oracle α 1 h / 2 h | oracle false per month |" if best else ""),
              "|---|---:|---:|---:|---:|" + ("---:|---:|" if best else "")]
    for c, peak in enumerate(spec.peaks):
        row = [outcome.false.get((c, k), 0) for k in ("volume_spike", "volume_drift", "severe_burst")]
        line = f"| {c} ({peak:g}) | {row[0]} | {row[1]} | {row[2]} | {sum(row) / outcome.months:.2f} |"
        if best:
            o = best.per_category[c]
            line += f" {o.alpha_one_hour:.1e} / {o.alpha_two_hours:.1e} | {o.false_per_month:.2f} |"
        lines.append(line)
    drifts = sum(w for _, w in outcome.drifts)
    lines += ["", f"False warnings per category per month: {false_per_month(outcome, len(spec.peaks)):.2f} "
              f"(highest category {max(false_by_category(outcome, len(spec.peaks))):.2f}). "
              f"Drifts warned while they lasted: {drifts}/{len(outcome.drifts)}. "
              f"Warnings opened in all: {outcome.warnings} over {outcome.months:.1f} months."]
    return "\n".join(lines)


def cold_markdown(spec: Spec, before: ColdStart, after: ColdStart, shops: int, weeks: int) -> str:
    lines = [f"Cold start: {shops} fresh shops (seeds {spec.seed}…{spec.seed + shops - 1}), no history, "
             f"their first {weeks} weeks.", "",
             "| rule | spikes | warned within 2 h | false per month, by category (peak/h) |", "|---|---:|---:|---|"]
    for name, cold in (("before: EARS C2 all along (cold_days: 0)", before),
                       ("after: EARS C2 in the first day, then the same hours on previous days", after)):
        per = ", ".join(f"{f:.2f} ({p:g})" for f, p in zip(cold.false_per_month, spec.peaks, strict=False))
        lines.append(f"| {name} | {cold.spikes} | {cold.warned} ({cold.warned / max(cold.spikes, 1):.1%}) | {per} |")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--weeks", type=int, default=Spec.weeks)
    parser.add_argument("--shops", type=int, default=4, help="fresh shops in the cold-start section")
    args = parser.parse_args(argv)
    settings = load_settings()
    spec = Spec(seed=args.seed, weeks=args.weeks)
    data = synthesize(spec)
    print(markdown(spec, replay(data, settings), run_oracle(data)))
    print()
    before = cold_start(spec, replace_settings(settings, cold_days=0), args.shops)
    print(cold_markdown(spec, before, cold_start(spec, settings, args.shops), args.shops, 4))


if __name__ == "__main__":
    main()
