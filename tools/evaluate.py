"""Scores the trained model on an evaluation file (SPEC section 8).

    python -m tools.evaluate FILE [FILE ...] [--json] [--predictions OUT.jsonl] [--gate intent=0.95]

Every label present in the file is scored (accuracy, macro-F1, per-class precision/recall, a
confusion table, the worst mistakes), overall and per language. Language is the row's `lang`
field when present, otherwise the detected one. `--gate FIELD=MIN` fails (exit 1) when the
field's accuracy is below MIN in any language (`FIELD:METRIC=MIN` for macro_f1, severe_recall or
specificity, the share of gold-false rows predicted false: 1 minus the false handoff rate). Fields
the assistant does not predict yet are written as null and not scored. Rows whose gold intent is
`out_of_scope` are also scored as the field `scope`: sent out of scope (predicted `out_of_scope`
or `nlu_fallback`, both of which the bot answers with "I can only help with the shop") or not.
A row may also say whether one risk kind is in it (`"repeat_contact": true`, any kind of
`shop.risk.KINDS`): that kind is scored as a yes/no field, found when the severity's reasons name
it (`risk:repeat_contact`), whatever else the message is.
`--blind` prints the figures of a file that must stay blind and none of its texts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, TypedDict

from core.language import detect
from shop.risk import KINDS

FIELDS = ("intent", "emotion", "severity", "handoff", "complaint")
OUT_OF_SCOPE = ("out_of_scope", "nlu_fallback")
METRICS = ("accuracy", "macro_f1", "severe_recall", "specificity")
YES_NO = ("handoff", "complaint", *KINDS)


class Prediction(TypedDict):
    text: str
    intent: Optional[str]
    intent_confidence: Optional[float]
    emotion: Optional[str]
    emotion_confidence: Optional[float]
    severity: Optional[str]
    severity_reasons: Optional[list[str]]
    handoff: Optional[bool]
    complaint: Optional[bool]


class EvaluationError(ValueError):
    pass


def read_rows(paths: Iterable[str]) -> list[dict[str, Any]]:
    """All rows of the files; a malformed line is reported with its file and line number."""
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvaluationError(f"{path}:{number}: not JSON ({exc.msg})") from exc
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise EvaluationError(f"{path}:{number}: needs an object with a `text` string")
                rows.append(row)
    return rows


def prediction_from_parse(parse: dict[str, Any]) -> Prediction:
    """Our fields from one Rasa parse result; what the pipeline does not produce stays None."""
    intent = parse.get("intent") or {}
    name = intent.get("name")
    emotion = parse.get("emotion") or {}
    severity = parse.get("severity") or {}
    return Prediction(
        text=parse.get("text", ""),
        intent=name,
        intent_confidence=round(float(intent.get("confidence") or 0.0), 4) if name else None,
        emotion=emotion.get("name"),
        emotion_confidence=emotion.get("confidence"),
        severity=severity.get("level"),
        severity_reasons=severity.get("reasons"),
        handoff=parse.get("handoff"),
        complaint=parse["complaint"] if isinstance(parse.get("complaint"), bool)
        else name.startswith("complain_") if isinstance(name, str) else None,
    )


class Scores(TypedDict):
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]


def score(gold: list[Any], predicted: list[Any]) -> Scores:
    labels = sorted({str(g) for g in gold} | {str(p) for p in predicted})
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=False):
        confusion[str(g)][str(p)] += 1
    per_class = {}
    f1s = []
    for label in labels:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in labels if g != label)
        fn = sum(c for p, c in confusion[label].items() if p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                            "support": tp + fn}
        if tp + fn:
            f1s.append(f1)
    correct = sum(1 for g, p in zip(gold, predicted, strict=False) if str(g) == str(p))
    return Scores(
        n=len(gold),
        accuracy=round(correct / len(gold), 4) if gold else 0.0,
        macro_f1=round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        per_class=per_class,
        confusion={g: dict(c) for g, c in confusion.items()},
    )


def severe_recall(scores: Scores) -> Optional[float]:
    """Recall of `severe`: the one number that must not slip (a severe case missed is the worst error)."""
    entry = scores["per_class"].get("severe")
    return entry["recall"] if entry and entry["support"] else None


def specificity(gold: list[Any], predicted: list[Any]) -> Optional[float]:
    """Of the rows whose gold is False, the share predicted False (None without such rows)."""
    negatives = [p for g, p in zip(gold, predicted, strict=True) if g is False]
    return round(sum(1 for p in negatives if p is False) / len(negatives), 4) if negatives else None


def evaluate(rows: list[dict[str, Any]], predictions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": len(rows), "fields": {}}
    languages = [row.get("lang") or detect(row["text"]) or "unknown" for row in rows]
    for field in FIELDS:
        idx = [i for i, row in enumerate(rows) if row.get(field) is not None]
        if not idx:
            continue
        if all(predictions[i][field] is None for i in idx):
            report["fields"][field] = {"n": len(idx), "not_predicted": True}
            continue
        report["fields"][field] = field_entry(field, idx, [rows[i][field] for i in idx],
                                              [predictions[i][field] for i in idx], rows, predictions, languages)
    for kind in KINDS:
        marked = [i for i, row in enumerate(rows) if isinstance(row.get(kind), bool)]
        if marked and any(predictions[i]["severity_reasons"] is not None for i in marked):
            found = [f"risk:{kind}" in (predictions[i]["severity_reasons"] or []) for i in marked]
            report["fields"][kind] = field_entry(kind, marked, [rows[i][kind] for i in marked], found, rows,
                                                 predictions, languages)
    scoped = [i for i, row in enumerate(rows) if row.get("intent") == "out_of_scope"]
    if scoped and any(predictions[i]["intent"] is not None for i in scoped):
        routed = ["out" if predictions[i]["intent"] in OUT_OF_SCOPE else "in" for i in scoped]
        report["fields"]["scope"] = field_entry("scope", scoped, ["out"] * len(scoped), routed, rows, predictions,
                                                languages, shown=[predictions[i]["intent"] for i in scoped])
    return report


def field_entry(field: str, idx: list[int], gold: list[Any], pred: list[Any], rows: list[dict[str, Any]],
                predictions: Sequence[Mapping[str, Any]], languages: list[str],
                shown: Optional[list[Any]] = None) -> dict[str, Any]:
    """Scores of one field over the rows `idx`, overall and per language, with the worst mistakes
    (`shown`: what to print as the prediction, when it is not `pred` itself)."""
    entry: dict[str, Any] = dict(score(gold, pred))
    entry["by_language"] = {}
    for language in sorted({languages[i] for i in idx}):
        sub = [j for j, i in enumerate(idx) if languages[i] == language]
        s = score([gold[j] for j in sub], [pred[j] for j in sub])
        entry["by_language"][language] = {"n": s["n"], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}
        if field == "severity":
            entry["by_language"][language]["severe_recall"] = severe_recall(s)
        if field in YES_NO:
            entry["by_language"][language]["specificity"] = specificity([gold[j] for j in sub], [pred[j] for j in sub])
    if field == "severity":
        entry["severe_recall"] = severe_recall(entry)  # type: ignore[arg-type]
    if field in YES_NO:
        entry["specificity"] = specificity(gold, pred)
    conf_key = f"{field}_confidence" if field != "scope" else "intent_confidence"
    mistakes = [
        {"text": rows[i]["text"], "gold": gold[j], "predicted": (shown or pred)[j],
         "confidence": predictions[i].get(conf_key)}
        for j, i in enumerate(idx) if str(gold[j]) != str(pred[j])
    ]
    mistakes.sort(key=lambda m: -(m["confidence"] or 0.0))
    entry["worst_mistakes"] = mistakes[:10]
    return entry


def print_report(report: dict[str, Any], out: Any = sys.stdout) -> None:
    print(f"rows: {report['rows']}", file=out)
    for field, entry in report["fields"].items():
        print(f"\n== {field}", file=out)
        if entry.get("not_predicted"):
            print(f"   {entry['n']} labelled rows; not predicted yet", file=out)
            continue
        print(f"   accuracy {entry['accuracy']:.4f}   macro-F1 {entry['macro_f1']:.4f}   n={entry['n']}", file=out)
        for language, s in entry["by_language"].items():
            print(f"   [{language}] accuracy {s['accuracy']:.4f}   macro-F1 {s['macro_f1']:.4f}   n={s['n']}", file=out)
        if entry.get("severe_recall") is not None:
            recalls = "   ".join(f"[{language}] {s['severe_recall']:.4f}"
                                for language, s in entry["by_language"].items() if s.get("severe_recall") is not None)
            print(f"   severe recall {entry['severe_recall']:.4f}   {recalls}", file=out)
        if entry.get("specificity") is not None:
            rates = "   ".join(f"[{language}] {1 - s['specificity']:.4f}"
                               for language, s in entry["by_language"].items() if s.get("specificity") is not None)
            print(f"   false {field} rate (gold false, predicted true) {1 - entry['specificity']:.4f}   {rates}",
                  file=out)
        print("   per class (precision / recall / f1 / support):", file=out)
        for label, s in entry["per_class"].items():
            numbers = f"{s['precision']:.3f} {s['recall']:.3f} {s['f1']:.3f} {int(s['support']):5d}"
            print(f"     {label:28} {numbers}", file=out)
        labels = list(entry["per_class"])
        if len(labels) <= 12:
            print("   confusion (rows gold, columns predicted):", file=out)
            short = [label[:8] for label in labels]
            print("     " + " " * 28 + " ".join(f"{s:>8}" for s in short), file=out)
            for g in labels:
                row = entry["confusion"].get(g, {})
                print(f"     {g:28}" + " ".join(f"{row.get(p, 0):8d}" for p in labels), file=out)
        else:
            print("   most frequent confusions (gold → predicted: count):", file=out)
            pairs = [(g, p, c) for g, row in entry["confusion"].items() for p, c in row.items() if g != p]
            for g, p, c in sorted(pairs, key=lambda x: -x[2])[:15]:
                print(f"     {g} → {p}: {c}", file=out)
        if entry.get("mistakes_withheld"):
            print("   worst mistakes: withheld (a blind file)", file=out)
        if entry["worst_mistakes"]:
            print("   worst mistakes (most confident first):", file=out)
            for m in entry["worst_mistakes"][:5]:
                conf = f"{m['confidence']:.2f}" if m["confidence"] is not None else "  - "
                print(f"     [{conf}] {m['text'][:60]!r}: {m['gold']} → {m['predicted']}", file=out)


def check_gates(report: dict[str, Any], gates: list[str]) -> list[str]:
    """Each gate is `field[:metric]=minimum` (metric: accuracy, macro_f1, severe_recall or
    specificity), checked in every language of the file."""
    failures = []
    for gate in gates:
        target, _, minimum = gate.partition("=")
        field, _, metric = target.partition(":")
        metric = metric or "accuracy"
        if metric not in METRICS:
            failures.append(f"{gate}: unknown metric {metric!r} ({', '.join(METRICS)})")
            continue
        entry = report["fields"].get(field)
        if not entry or entry.get("not_predicted"):
            failures.append(f"{field}: no labelled and predicted rows to gate on")
            continue
        for language, s in entry["by_language"].items():
            if s.get(metric) is not None and s[metric] < float(minimum):
                failures.append(f"{field} [{language}]: {metric} {s[metric]:.4f} < {minimum}")
    return failures


class ModelParser:
    """The trained model loaded in-process (no server), parsing one message at a time."""

    def __init__(self, model_path: str) -> None:
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
        self.agent = Agent.load(model_path)

    async def parse(self, text: str) -> dict[str, Any]:
        return await self.agent.parse_message(text)

    async def predict(self, texts: list[str]) -> list[Prediction]:
        return [prediction_from_parse(await self.parse(text)) for text in texts]


def withhold_texts(report: dict[str, Any]) -> None:
    """Drops the texts of the worst mistakes, keeping their count: reading a held-out file's
    mistakes is how it stops being blind (it happened once, through this very printout)."""
    for entry in report["fields"].values():
        if entry.get("worst_mistakes"):
            entry["mistakes_withheld"] = True
            entry["worst_mistakes"] = []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="JSON Lines evaluation files")
    parser.add_argument("--model", help="model archive (default: the trained models/shop.tar.gz)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--predictions", help="write one prediction per input line to this JSONL file")
    parser.add_argument("--gate", action="append", default=[], metavar="FIELD=MIN",
                        help="fail when FIELD's accuracy is below MIN in any language")
    parser.add_argument("--blind", action="store_true",
                        help="a file whose mistakes nobody may read (it must stay blind for later choices): "
                             "figures only, no text of any row")
    args = parser.parse_args(argv)
    if args.blind and args.predictions:
        print("error: --predictions would write a blind file's answers to disk", file=sys.stderr)
        return 2
    try:
        rows = read_rows(args.files)
    except (OSError, EvaluationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print("error: no rows to score", file=sys.stderr)
        return 2
    from tools.train import trained_model

    model = trained_model(args.model)
    if model is None:
        return 2
    predictions = asyncio.run(ModelParser(str(model)).predict([row["text"] for row in rows]))
    if args.predictions:
        Path(args.predictions).parent.mkdir(parents=True, exist_ok=True)
        with open(args.predictions, "w", encoding="utf-8") as out:
            for prediction in predictions:
                out.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    report = evaluate(rows, predictions)
    report["files"] = args.files
    if args.blind:
        withhold_texts(report)
    failures = check_gates(report, args.gate)
    report["gate_failures"] = failures
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
        for failure in failures:
            print(f"GATE FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
