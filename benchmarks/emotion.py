"""Complaint detection and emotion: our model against SnowNLP, side by side in one run.

SnowNLP is what a shop would otherwise pick for Chinese sentiment. It gives one number (the
probability that a text is positive), so it is compared where that number means something:
complaint = negative on the food-delivery reviews (and on the English service requests, where
SnowNLP is out of its language), and negative-vs-not on the two Weibo emotion sets (negative =
anger, anxiety or sadness). Every set is read in one run, once; nothing is tuned on it. Our
six-class emotion is scored by macro-F1 with its confusion table. SnowNLP is the project's pinned
dependency (requirements.txt): our complaint head reads its word table as two features
(bot/components/review_polarity.py), never its segmenter or classifier, which this benchmark runs.

The added cost of the new NLU components (sentence encoder, review polarity, risk, emotion, severity) per
message is measured by timing their `process` calls inside the real pipeline while it parses the same messages.

    python -m benchmarks.emotion [--limit N] [--model models/shop.tar.gz]
    python -m benchmarks.emotion --cost-only   # cost per component on our own held-out files

`--cost-only` times the components on the team's held-out files (customer messages, no dev
set read) and prints the figures; it leaves docs/benchmarks.md alone.

Results go to docs/benchmarks.md (only this section is replaced) and results/benchmarks/emotion.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from importlib.metadata import version
from typing import Any, Callable, Optional

from benchmarks.report import DOC, machine, now, replace_section
from core.settings import ROOT
from tools.evaluate import score

SECTION = "## Complaint and emotion vs SnowNLP"
# The baseline is the pinned SnowNLP of requirements.txt; the report names the version that ran.
SNOWNLP = f"snownlp=={version('snownlp')}"
DATA = ROOT.parent / "shared" / "data"
SETS = {"waimai": "zh_complaint_waimai_dev.jsonl", "smp2020": "zh_emotion_smp2020_dev.jsonl",
        "clue": "zh_emotion_clue_dev.jsonl", "bitext": "en_intent_bitext_dev.jsonl"}
NEGATIVE = ("anger", "anxiety", "sadness")
RESULTS = ROOT / "results" / "benchmarks" / "emotion.json"


def snownlp_sentiment() -> Callable[[str], float]:
    """SnowNLP's positive probability (its own segmenter and naive Bayes classifier)."""
    from snownlp import SnowNLP

    return lambda text: float(SnowNLP(text).sentiments) if text.strip() else 0.5


def read(name: str, limit: Optional[int]) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DATA / SETS[name]).read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit:
        step = max(1, len(rows) // limit)  # an even sample over the file, not its first lines
        rows = rows[::step][:limit]
    return rows


def binary(gold: list[bool], predicted: list[bool]) -> dict[str, float]:
    """Precision, recall and F1 of the positive class (complaint / negative)."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "accuracy": round(accuracy, 4), "n": len(gold)}


class Timer:
    """Accumulates the time of the wrapped `process` calls per parsed message, in all and per
    component (the sentence encoder is Issue 14's own added cost; the others are Issue 3's)."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self.samples: list[float] = []
        self.by_component: dict[str, list[float]] = {}

    def wrap(self, cls: type) -> None:
        original = cls.process  # type: ignore[attr-defined]
        name = cls.__name__

        def timed(instance: Any, messages: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(instance, messages)
            finally:
                self.current[name] = self.current.get(name, 0.0) + time.perf_counter() - start

        cls.process = timed  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.current = {}

    def next_message(self) -> None:
        self.samples.append(sum(self.current.values()) * 1000.0)
        for name, seconds in self.current.items():
            self.by_component.setdefault(name, []).append(seconds * 1000.0)
        self.current = {}


def p50_p99(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 3), "p99": round(percentile(values, 0.99), 3)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def our_predictions(model: str, texts: list[str], timer: Timer) -> tuple[list[dict[str, Any]], list[float]]:
    from bot.components.emotion import EmotionClassifier
    from bot.components.review_polarity import ReviewPolarityFeaturizer
    from bot.components.risk import RiskExtractor
    from bot.components.sentence_encoder import SentenceEncoderFeaturizer
    from bot.components.severity import SeverityGrader
    from tools.evaluate import ModelParser

    for cls in (SentenceEncoderFeaturizer, ReviewPolarityFeaturizer, RiskExtractor, EmotionClassifier,
                SeverityGrader):
        timer.wrap(cls)
    parser = ModelParser(model)
    await parser.parse("预热 warm up")
    timer.reset()
    parses, totals = [], []
    for text in texts:
        start = time.perf_counter()
        parses.append(await parser.parse(text))
        totals.append((time.perf_counter() - start) * 1000.0)
        timer.next_message()
    return parses, totals


def gold_complaint(row: dict[str, Any]) -> Optional[bool]:
    """The row's complaint label: its `complaint` field, else whether its intent is a complaint."""
    if isinstance(row.get("complaint"), bool):
        return bool(row["complaint"])
    intent = row.get("intent")
    return intent.startswith("complain_") if isinstance(intent, str) else None


def is_negative(parse: dict[str, Any]) -> bool:
    return ((parse.get("emotion") or {}).get("name") or "neutral") in NEGATIVE


def measure(model: str, limit: Optional[int]) -> dict[str, Any]:
    """Every set, every measure that applies to its labels, ours and SnowNLP's from the same run."""
    sets = {name: read(name, limit) for name in SETS}
    texts = [row["text"] for rows in sets.values() for row in rows]
    sentiment = snownlp_sentiment()
    snow_start = time.perf_counter()
    snow = [sentiment(t) for t in texts]
    snow_ms = (time.perf_counter() - snow_start) * 1000.0 / len(texts)
    timer = Timer()
    parses, totals = asyncio.run(our_predictions(model, texts, timer))
    report: dict[str, Any] = {"when": now(), "machine": machine(), "model": model, "snownlp": SNOWNLP,
                              "limit": limit, "sets": {}}
    offset = 0
    for name, rows in sets.items():
        ours = parses[offset:offset + len(rows)]
        theirs = snow[offset:offset + len(rows)]
        offset += len(rows)
        entry: dict[str, Any] = {"n": len(rows)}
        labelled = [i for i, r in enumerate(rows) if gold_complaint(r) is not None]
        if labelled and any(gold_complaint(rows[i]) for i in labelled):
            gold = [bool(gold_complaint(rows[i])) for i in labelled]
            entry["complaint"] = {
                "ours": binary(gold, [bool(ours[i].get("complaint")) for i in labelled]),
                "snownlp": binary(gold, [theirs[i] < 0.5 for i in labelled]),
            }
        felt = [i for i, r in enumerate(rows) if r.get("emotion")]
        if felt:
            gold_emotion = [rows[i]["emotion"] for i in felt]
            predicted = [(ours[i].get("emotion") or {}).get("name") or "neutral" for i in felt]
            emotion = score(gold_emotion, predicted)
            negative_gold = [e in NEGATIVE for e in gold_emotion]
            entry["emotion"] = {"accuracy": emotion["accuracy"], "macro_f1": emotion["macro_f1"],
                                "per_class": emotion["per_class"], "confusion": emotion["confusion"],
                                "gold_distribution": dict(Counter(gold_emotion))}
            entry["negative"] = {
                "ours": binary(negative_gold, [is_negative(ours[i]) for i in felt]),
                "ours_or_complaint": binary(negative_gold, [is_negative(ours[i]) or bool(ours[i].get("complaint"))
                                                            for i in felt]),
                "snownlp": binary(negative_gold, [theirs[i] < 0.5 for i in felt]),
            }
        report["sets"][name] = entry
    report["cost_ms"] = {
        "new_components_p50": round(statistics.median(timer.samples), 3),
        "new_components_p99": round(percentile(timer.samples, 0.99), 3),
        "components": {name: p50_p99(values) for name, values in sorted(timer.by_component.items())},
        "whole_parse_p50": round(statistics.median(totals), 3),
        "whole_parse_p99": round(percentile(totals, 0.99), 3),
        "snownlp_mean": round(snow_ms, 3),
        "messages": len(texts),
    }
    return report


ROWS = (("complaint", "ours", "ours: complaint flag"), ("complaint", "snownlp", "SnowNLP: positive < 0.5"),
        ("negative", "ours", "ours: emotion is anger, anxiety or sadness"),
        ("negative", "ours_or_complaint", "ours: negative emotion or complaint flag"),
        ("negative", "snownlp", "SnowNLP: positive < 0.5"))
EMOTIONS = ["anger", "anxiety", "sadness", "joy", "surprise", "neutral"]


def render(report: dict[str, Any]) -> str:
    m, sets, cost = report["machine"], report["sets"], report["cost_ms"]
    out = [SECTION, "",
           f"Run {report['when']} on {m['nproc']} cores ({m['cpu']}), load average {m['load_average']:.2f}; "
           f"`python -m benchmarks.emotion`{' --limit ' + str(report['limit']) if report['limit'] else ''}. "
           f"Model `{report['model']}`; {report['snownlp']} (pinned in requirements.txt; our complaint head reads "
           "its word table, bot/components/review_polarity.py, never its segmenter or classifier). "
           "Neither system was trained on these sets, and no choice of ours was made by reading them: the "
           "thresholds are chosen on held-out folds of our training data (docs/emotion_severity.md, "
           "\"Calibration\"). Complaint = the set's complaint label (a negative review is a complaint); "
           "negative = gold emotion anger, anxiety or sadness.", "",
           "| set | task | system | precision | recall | F1 | n |", "|---|---|---|---|---|---|---|"]
    for name, entry in sets.items():
        for task, key, label in ROWS:
            s = entry.get(task, {}).get(key)
            if s:
                out.append(f"| {name} | {task} | {label} | {s['precision']:.3f} | {s['recall']:.3f} | "
                           f"**{s['f1']:.3f}** | {s['n']} |")
    out += ["", "Emotion, six classes (SnowNLP has no emotion classes):", "",
            "| set | macro-F1 | accuracy | n |", "|---|---|---|---|"]
    for name, entry in sets.items():
        if "emotion" in entry:
            e = entry["emotion"]
            n = sum(e["gold_distribution"].values())
            out.append(f"| {name} | **{e['macro_f1']:.3f}** | {e['accuracy']:.3f} | {n} |")
    for name, entry in sets.items():
        if "emotion" not in entry:
            continue
        e = entry["emotion"]
        out += ["", f"{name}, our confusion (rows gold, columns predicted):", "",
                "| gold \\ predicted | " + " | ".join(EMOTIONS) + " | recall |", "|---" * (len(EMOTIONS) + 2) + "|"]
        for g in EMOTIONS:
            if g not in e["confusion"]:
                continue
            row = e["confusion"][g]
            recall = e["per_class"].get(g, {}).get("recall", 0.0)
            out.append(f"| {g} | " + " | ".join(str(row.get(p, 0)) for p in EMOTIONS) + f" | {recall:.2f} |")
    out += ["", "### Added cost per message", "",
            "| measure | p50 ms | p99 ms |", "|---|---|---|",
            f"| new components (sentence encoder + review polarity + risk + emotion + severity), inside the pipeline | "
            f"{cost['new_components_p50']:.3f} | {cost['new_components_p99']:.3f} |",
            *[f"| {name} alone | {c['p50']:.3f} | {c['p99']:.3f} |" for name, c in cost.get("components", {}).items()],
            f"| whole in-process parse (for scale) | {cost['whole_parse_p50']:.2f} | {cost['whole_parse_p99']:.2f} |",
            f"| SnowNLP sentiment (mean) | {cost['snownlp_mean']:.2f} | – |", "",
            f"{cost['messages']} messages. The Weibo posts are not messages to a service desk: they show how far "
            "the emotion model generalises, not how the product routes.", ""]
    return "\n".join(out)


def cost_only(model: str) -> dict[str, Any]:
    """Per-message cost of each new component on our held-out customer messages."""
    texts = [json.loads(line)["text"] for path in sorted((ROOT / "tests" / "data").glob("heldout_*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    timer = Timer()
    _, totals = asyncio.run(our_predictions(model, texts, timer))
    rows = {"all new components": timer.samples, **timer.by_component, "whole in-process parse": totals}
    return {"when": now(), "machine": machine(), "model": model, "messages": len(texts),
            "cost_ms": {name: p50_p99(values) for name, values in rows.items()}}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "shop.tar.gz"))
    parser.add_argument("--limit", type=int, default=None, help="rows per set (an even sample); default all")
    parser.add_argument("--cost-only", action="store_true",
                        help="time the components on our held-out files only (no dev set is read)")
    args = parser.parse_args(argv)
    if args.cost_only:
        costs = cost_only(args.model)
        (ROOT / "results" / "benchmarks").mkdir(parents=True, exist_ok=True)
        (ROOT / "results" / "benchmarks" / "cost.json").write_text(json.dumps(costs, indent=2), encoding="utf-8")
        print(f"{costs['messages']} messages; {costs['machine']}")
        for name, figures in costs["cost_ms"].items():
            print(f"  {name:<28} p50 {figures['p50']:7.3f} ms   p99 {figures['p99']:7.3f} ms")
        return 0
    for name in SETS.values():
        if not (DATA / name).exists():
            print(f"missing {DATA / name}: the benchmark needs ../shared/data", file=sys.stderr)
            return 2
    report = measure(args.model, args.limit)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    section = render(report)
    DOC.write_text(replace_section(DOC.read_text(encoding="utf-8") if DOC.exists() else "", section, SECTION),
                   encoding="utf-8")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
