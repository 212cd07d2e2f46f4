"""Retrains from the current training data, scores the candidate against the current model on
the held-out files, and promotes it only through the gate.

    python -m tools.retrain [--data nlu_data] [--status FILE] [--report FILE] [--no-promote]

1. Train a candidate from `--data` (default nlu_data/, the trainers' labels included) into a
   temporary folder; models/shop.tar.gz and the registry are not touched.
2. Score the candidate and the current version (var/models/current, tools/models.py) on the same
   held-out files, grouped as `make evaluate` groups them: intent accuracy from
   tests/data/heldout_en.jsonl and heldout_zh_*.jsonl, emotion macro-F1 and severe recall from
   heldout_emotion_*.jsonl, each per language. The current version's scores are kept in its
   meta.json with a digest of the held-out files and reused while those files are unchanged.
3. The gate (`gate`): in no language may intent accuracy or emotion macro-F1 fall by more than
   one point (0.01, `RETRAIN_MAX_DROP`), unless McNemar's test on the rows whose verdict changed
   finds no loss and the drop is at most three points (tools/paired.py); and severe recall may
   not fall at all, per language or overall. A missed severe complaint is the worst error the
   assistant makes, so there is no tolerance there.
4. Passed: the candidate is registered as the next version and made current; the running Rasa
   pulls it from the handoff service (docs/training.md). Blocked: nothing changes.

`--status FILE` is where the handoff service's job runner (handoff/training/jobs.py) reads the
state, progress and, at the end, the report; `--report FILE` gets the report alone. Exit codes:
0 promoted (or passed with --no-promote), 2 blocked by the gate, 1 failed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import glob
import hashlib
import json
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from core.settings import ROOT, load
from handoff.training.versions import archive_of, current_version, read_meta, registry_dir
from tools import models, paired, spacy_build, training_order
from tools.logfile import output_to, tail

INTENT_FILES = ("tests/data/heldout_en.jsonl", "tests/data/heldout_zh_*.jsonl")
EMOTION_FILES = ("tests/data/heldout_emotion_*.jsonl",)
MAX_DROP = {"intent_accuracy": 0.01, "emotion_macro_f1": 0.01, "severe_recall": 0.0}
EPSILON = 1e-9  # scores are rounded to 4 places; a drop of exactly one point passes
DEFAULT_TRAINING_SECONDS = 600.0  # the progress estimate before any training was timed

Scores = dict[str, Any]
Progress = Callable[[float], None]


# --- the gate -------------------------------------------------------------------------------------

def gate(current: Scores, candidate: Scores, max_drop: Optional[float] = None) -> list[dict[str, Any]]:
    """One rule per language and metric the current model has a score for, plus overall severe
    recall. A metric the candidate lacks where the current model has one fails: no score is no
    evidence that nothing got worse. `max_drop` (RETRAIN_MAX_DROP) replaces the one point for
    intent accuracy and emotion macro-F1; severe recall may never fall. A larger drop, up to
    `paired.CAP`, still passes when both models' row verdicts are kept and McNemar's test on the
    rows that changed finds no loss (tools/paired.py): two trainings differ that much anyway."""
    rules: list[dict[str, Any]] = []

    def rule(metric: str, language: str, old: Optional[float], new: Optional[float]) -> None:
        allowed = MAX_DROP[metric] if max_drop is None or MAX_DROP[metric] == 0 else max_drop
        passed = new is not None and old is not None and new >= old - allowed - EPSILON
        text = (f"{metric} [{language}] does not drop" if allowed == 0
                else f"{metric} [{language}] drops by at most {allowed * 100:.0f} point"
                + ("" if round(allowed * 100) == 1 else "s"))
        entry: dict[str, Any] = {"rule": text, "metric": metric, "language": language, "max_drop": allowed,
                                 "current": old, "candidate": new, "passed": passed}
        if not passed and allowed > 0 and new is not None and old is not None and old - new <= paired.CAP + EPSILON:
            test = paired.compare(row_verdicts(current, metric, language), row_verdicts(candidate, metric, language))
            if test is not None:
                entry["paired"] = test.as_dict()
                entry["passed"] = not test.worse
                entry["rule"] = text + f", or up to {paired.CAP * 100:.0f} if McNemar finds no loss"
        rules.append(entry)

    new_languages = candidate.get("languages", {})
    for language, old_scores in sorted(current.get("languages", {}).items()):
        for metric in MAX_DROP:
            old = old_scores.get(metric)
            if old is not None:
                rule(metric, language, old, new_languages.get(language, {}).get(metric))
    if current.get("severe_recall") is not None:
        rule("severe_recall", "all", current["severe_recall"], candidate.get("severe_recall"))
    return rules


def row_verdicts(scores: Scores, metric: str, language: str) -> str:
    """The model's right/wrong per held-out row of `metric` in `language` ("" if not kept)."""
    return str((scores.get("rows") or {}).get(metric, {}).get(language, ""))


def passed(rules: list[dict[str, Any]]) -> bool:
    return bool(rules) and all(r["passed"] for r in rules)


# --- scoring ---------------------------------------------------------------------------------------

def heldout_files(patterns: Sequence[str], root: Path = ROOT) -> list[str]:
    return sorted({path for pattern in patterns for path in glob.glob(str(root / pattern))})


def heldout_hash(files: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    return digest.hexdigest()


def scores_from_reports(intent_report: dict[str, Any], emotion_report: dict[str, Any]) -> Scores:
    """tools/evaluate.py's reports reduced to what the gate compares, per language."""
    languages: dict[str, dict[str, Optional[float]]] = {}

    def put(language: str, metric: str, value: Optional[float]) -> None:
        languages.setdefault(language, {"intent_accuracy": None, "emotion_macro_f1": None,
                                        "severe_recall": None})[metric] = value

    intent = intent_report["fields"].get("intent", {})
    for language, s in intent.get("by_language", {}).items():
        put(language, "intent_accuracy", s["accuracy"])
    emotion = emotion_report["fields"].get("emotion", {})
    for language, s in emotion.get("by_language", {}).items():
        put(language, "emotion_macro_f1", s["macro_f1"])
    severity = emotion_report["fields"].get("severity", {})
    for language, s in severity.get("by_language", {}).items():
        put(language, "severe_recall", s.get("severe_recall"))
    return {"languages": languages, "severe_recall": severity.get("severe_recall"),
            "intent_accuracy": intent.get("accuracy"), "emotion_macro_f1": emotion.get("macro_f1")}


def score_model(model: Path, intent_files: Sequence[str], emotion_files: Sequence[str],
                progress: Progress = lambda done: None) -> Scores:
    """The model loaded in-process (tools/evaluate.py's ModelParser), every held-out row parsed
    once; `progress` gets the share of rows done."""
    from tools.evaluate import ModelParser, evaluate, prediction_from_parse, read_rows

    intent_rows, emotion_rows = read_rows(intent_files), read_rows(emotion_files)
    texts = [row["text"] for row in intent_rows + emotion_rows]
    parser = ModelParser(str(model))

    async def predict() -> list[Any]:
        found = []
        for done, text in enumerate(texts, 1):
            found.append(prediction_from_parse(await parser.parse(text)))
            if done % 50 == 0 or done == len(texts):
                progress(done / len(texts))
        return found

    predictions = asyncio.run(predict())
    split = len(intent_rows)
    scores = scores_from_reports(evaluate(intent_rows, predictions[:split]),
                                 evaluate(emotion_rows, predictions[split:]))
    scores["rows"] = {"intent_accuracy": verdicts_by_language(intent_rows, predictions[:split], "intent"),
                      "emotion_macro_f1": verdicts_by_language(emotion_rows, predictions[split:], "emotion")}
    return scores


def verdicts_by_language(rows: Sequence[dict[str, Any]], predictions: Sequence[Any], field: str) -> dict[str, str]:
    """Per language (as tools/evaluate.py tells it), whether each labelled row was predicted right,
    in file order: what the paired test of the gate compares (tools/paired.py). For emotion the
    verdict is the row's label, a stand-in for its share of macro-F1."""
    from core.language import detect

    right: dict[str, list[bool]] = {}
    for row, prediction in zip(rows, predictions, strict=True):
        if row.get(field) is not None:
            language = row.get("lang") or detect(row["text"]) or "unknown"
            right.setdefault(language, []).append(prediction.get(field) == row[field])
    return {language: paired.verdicts(values) for language, values in right.items()}


# --- the job ---------------------------------------------------------------------------------------

class Status:
    """The job's status file: replaced whole on each update, so a reader never sees half of it."""

    def __init__(self, path: Optional[Path]) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        self.lock = threading.Lock()
        if path is not None:
            try:
                self.data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.data = {}

    def update(self, **fields: Any) -> None:
        with self.lock:
            self.data.update(fields, updated=time.time())
            if self.path is None:
                return
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(self.data, ensure_ascii=False) + "\n", encoding="utf-8")
            tmp.replace(self.path)


def train_candidate(data_dir: Path, out_dir: Path, log: Path, status: Status, expected_s: float,
                    extra: Sequence[Path] = ()) -> Path:
    """Rasa's training, as tools/train.py runs it, into `out_dir`. Rasa says nothing about its
    progress, so the progress bar moves on an estimate (the last training's duration) and
    stops short of the end of the training share until training really ends."""
    spacy_build.build()
    started = time.monotonic()
    finished = threading.Event()
    # Moved examples would get steps trained on their old order from Rasa's cache (tools/train.py).
    order = training_order.read(training_order.files_under([data_dir, *extra]))

    def estimate() -> None:
        while not finished.wait(2.0):
            share = min(0.95, (time.monotonic() - started) / expected_s)
            status.update(progress=round(0.05 + 0.55 * share, 3))

    threading.Thread(target=estimate, daemon=True).start()
    try:
        with output_to(log):
            from rasa.model_training import train

            from bot import schema_cache

            schema_cache.apply()  # the unchanged files skip Rasa's schema check (bot/schema_cache.py)
            result = train(domain=str(ROOT / "domain.yml"), config=str(ROOT / "config.yml"),
                           training_files=[str(data_dir), *(str(p) for p in extra)], output=str(out_dir),
                           fixed_model_name="candidate", force_training=training_order.moved(order))
    finally:
        finished.set()
    if result.code != 0 or not result.model:
        raise RuntimeError(f"training failed (code {result.code}); the end of {log}:\n{tail(log)}")
    training_order.record(order)
    return Path(result.model)


def current_scores(root: Path, version: str, files: tuple[list[str], list[str]], digest: str,
                   progress: Progress) -> Scores:
    meta = read_meta(root, version)
    # Scores kept before the gate's paired test lack the row verdicts: scored again, once.
    if (meta.get("scores") or {}).get("rows") and meta.get("heldout_hash") == digest:
        progress(1.0)
        return dict(meta["scores"])
    scores = score_model(archive_of(root, version), *files, progress=progress)
    models.update_meta(version, root, scores=scores, heldout_hash=digest)
    return scores


def retrain(data_dir: Path, root: Path, status: Status, log: Path, promote: bool = True,
            extra: Sequence[Path] = ()) -> dict[str, Any]:
    """The whole job; returns the report. Raises on a failure (the caller records it). `extra`:
    more data folders, the trainers' review folder when it is not under `data_dir`."""
    started = time.monotonic()
    status.update(state="training", progress=0.05, started=status.data.get("started", time.time()))
    current = current_version(root)
    if current is None:
        current = models.adopt(Path(load().model_dir) / "shop.tar.gz", root)
    expected = float(read_meta(root, current).get("train_seconds") or DEFAULT_TRAINING_SECONDS)
    data = models.data_hash(data_dir, extra=extra)
    files = (heldout_files(INTENT_FILES), heldout_files(EMOTION_FILES))
    digest = heldout_hash(files[0] + files[1])
    with tempfile.TemporaryDirectory(prefix="retrain-", dir=root) as tmp:
        candidate_model = train_candidate(data_dir, Path(tmp), log, status, expected, extra)
        train_seconds = round(time.monotonic() - started, 1)
        status.update(state="evaluating", progress=0.6)
        with output_to(log):  # loading a model is as noisy as training one
            old = current_scores(root, current, files, digest,
                                 lambda share: status.update(progress=round(0.6 + 0.17 * share, 3)))
            gc.collect()  # one loaded model at a time: the current one is gone before the candidate loads
            new = score_model(candidate_model, *files,
                              progress=lambda share: status.update(progress=round(0.77 + 0.18 * share, 3)))
        rules = gate(old, new, load().retrain_max_drop)
        ok = passed(rules)
        version = None
        if ok and promote:
            version = models.register(candidate_model, root=root, data=data, scores=new, heldout_hash=digest,
                                      train_seconds=train_seconds)
    report = {"current": {"version": current, "scores": old}, "candidate": {"version": version, "scores": new,
                                                                            "data_hash": data},
              "gate": rules, "passed": ok, "promoted": version is not None, "version": version,
              "train_seconds": train_seconds, "seconds": round(time.monotonic() - started, 1),
              "heldout_files": [Path(f).relative_to(ROOT).as_posix() if Path(f).is_relative_to(ROOT) else f
                                for f in files[0] + files[1]]}
    if version is not None:
        (root / version / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                                    encoding="utf-8")
    return report


def print_summary(report: dict[str, Any]) -> None:
    for r in report["gate"]:
        mark = "ok  " if r["passed"] else "FAIL"
        old = "-" if r["current"] is None else f"{r['current']:.4f}"
        new = "-" if r["candidate"] is None else f"{r['candidate']:.4f}"
        test = r.get("paired")
        note = f"  (McNemar: {test['lost']} rows lost, {test['gained']} gained, p {test['p']:.3f})" if test else ""
        print(f"  {mark} {r['rule']:48} current {old}  candidate {new}{note}")
    verdict = (f"promoted as {report['version']}" if report["promoted"]
               else "passed the gate (not promoted: --no-promote)" if report["passed"] else "blocked by the gate")
    print(f"{verdict} (training {report['train_seconds']:.0f} s, in all {report['seconds']:.0f} s)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.retrain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "nlu_data", help="training data folder")
    parser.add_argument("--extra", type=Path, action="append", default=[],
                        help="another data folder (the trainers' review folder when it is not under --data)")
    parser.add_argument("--registry", type=Path, help="model versions (default: var/models of SHOP_VAR_DIR)")
    parser.add_argument("--status", type=Path, help="JSON status file to keep up to date (the job runner's)")
    parser.add_argument("--report", type=Path, help="write the report (JSON) here")
    parser.add_argument("--log", type=Path, help="Rasa's output (default: var/logs/retrain.log)")
    parser.add_argument("--no-promote", action="store_true", help="score and gate only")
    args = parser.parse_args(argv)
    settings = load()
    root = args.registry or registry_dir(settings.var_dir)
    root.mkdir(parents=True, exist_ok=True)
    log = args.log or settings.var_dir / "logs" / "retrain.log"
    status = Status(args.status)
    try:
        report = retrain(args.data.resolve(), root, status, log, promote=not args.no_promote,
                         extra=[p.resolve() for p in args.extra if p.is_dir()])
    except Exception as exc:  # the job's one answer: failed, with why (the traceback in the log)
        with log.open("a", encoding="utf-8") as out:
            out.write(traceback.format_exc())
        status.update(state="failed", error=str(exc)[-2000:])
        print(f"retrain failed: {exc}", file=sys.stderr)
        return 1
    if args.report:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    state = "promoted" if report["promoted"] else "passed" if report["passed"] else "blocked"
    status.update(state=state, progress=1.0, report=report)
    print_summary(report)
    return 0 if report["passed"] else 2


if __name__ == "__main__":
    sys.exit(main())
