"""Cross-validation of the emotion and complaint heads on the training data, for choosing their
settings without looking at any dev or held-out set.

Every training example is run through a trained model's pipeline once, to collect the rows the
heads read (n-grams and lexicon counts); then k-fold cross-validation refits the heads for each
setting tried and prints the out-of-fold figures: six-way emotion macro-F1, and the complaint
head's F1 and precision at its calibrated threshold. The n-gram vocabulary is the trained
model's, built from all the examples, so the figures are a little optimistic for every setting
alike; they rank settings, they do not predict scores on text nobody here wrote.

`--encoder-weight 0 1` compares the heads without and with the pretrained sentence vector
(bot/components/sentence_encoder.py), scaled by each weight, and `--intent` adds the linear
intent model's accuracy (over the examples the intent classifiers learn from, as
bot/components/intent_data.py chooses them). The complaint head's rows hold the review-polarity
features too when the model has them (bot/components/review_polarity.py), as config.yml gives them.
Random folds put paraphrases written in one sitting on both sides;
`--by-file` also holds out whole training files (grouped folds); `--by-family` holds out whole
families of files (the sittings of one writing, `emotion_everyday_zh_a` … `_h`, see `tools.crossval_folds.family`),
which is the nearest the training data comes to a writer or a register nobody here wrote in.

`--anger` chooses the anger confidence from which an important complaint is handed to a person
(`core.vocabulary.HANDOFF_ANGER_CONFIDENCE`): the lowest on a grid at which, out of fold with whole
files held out, at most `--anger-budget` of the complaints labelled with another emotion would be
read as that sure of anger. It prints the precision and recall of anger among complaints at every
step, with random folds too, for the docs.

`--risk-near` chooses how far below its threshold a learned risk counts in a complaint whose
customer is sure to be angry (`RiskExtractor`'s `near_ratio`; tools/crossval_near.py), with the
risk C of `--risk-C` and the emotion head's C of `--C`.

`--risk` and `--complaint` apply the threshold each F-beta would choose on random folds (as
training does) to scores with whole files held out (the risk comparison is in
tools/crossval_risk.py); `--risk-C`, `--encoder-weight`, `--risk-neighbours` and
`--risk-ngram-neighbours` add a grid of the risk models' C, vector weight and nearest-neighbour
weights (sentence vector, n-gram rows).
`--naive-bayes` / `--no-naive-bayes` score the emotion and complaint heads over naive-Bayes-scaled
n-grams or not (default: as config.yml builds them).
`--score-without FILE ...` trains on those files but does not count their examples (emotion, risk
and complaint figures), so a model trained with new files is scored on the same examples as the
one before them. The emotion figure is also printed for the everyday files alone
(`emotion_everyday_*.yml`, posts about life, not shopping).

    python -m tools.crossval [--model models/shop.tar.gz] [--C 4 8 16 32] [--lexicon-weight 0.2 0.5]
    python -m tools.crossval --C 32 --encoder-weight 0 1 --by-file --intent
    python -m tools.crossval --C 32 --anger
    python -m tools.crossval --risk --risk-C 1 4 16 --encoder-weight 1 3 --risk-beta 0.7 1.0
    python -m tools.crossval --risk --risk-C 16 --risk-neighbours 0 10 20 --risk-beta 0.7 1.0
    python -m tools.crossval --risk --risk-C 16 --risk-ngram-neighbours 0 10 20 --risk-beta 1.0 1.25 1.5
    python -m tools.crossval --complaint --score-without reviews_new.yml
    python -m tools.crossval --risk-near --risk-C 16 --C 32 --by-family --folds 4
    python -m tools.crossval --C 32 64 --encoder-weight 0.25 --by-file --folds 4 --no-naive-bayes
    python -m tools.crossval --C 32 --encoder-weight 0.25 --by-file --folds 4 --score-without emotion_new.yml
    python -m tools.crossval --C 32 --encoder-weight 0.25 --by-family --folds 4 --naive-bayes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Type

import numpy as np
import scipy.sparse

from core.settings import ROOT
from tools.crossval_folds import folds_of, held_out_groups, scored_rows

if TYPE_CHECKING:
    from rasa.engine.graph import GraphComponent

    from bot.components.calibration import Fit, Splits

RESULTS = ROOT / "results" / "crossval.json"


def training_nlu_files() -> List[Path]:
    """The NLU files training reads, the trainers' review folder included, listed so that each can
    be read on its own: a figure or an audit line can then say which file an example came from."""
    folders = [ROOT / "nlu_data" / "nlu", ROOT / "nlu_data" / "review"]
    return sorted(f for folder in folders if folder.is_dir() for f in folder.rglob("*.yml"))


def collect(model: Path) -> Dict[str, Any]:
    """(text, intent, emotion) of every training example with the emotion head's two row parts."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.components import emotion
    from bot.components.features import sentence_features
    from bot.components.intent_data import learns_intent
    from bot.components.risk import labelled_kinds, training_kinds
    from shop.risk import RiskMatcher
    from tools.evaluate import ModelParser

    captured: Dict[str, tuple[Any, Any, Any, Any]] = {}
    original = emotion.EmotionClassifier.process

    def process(self: Any, messages: Any) -> Any:
        heads = self._heads
        for message in messages:
            parts = self._parts(message, heads.matcher, heads.cue_kinds)
            ngrams, vector = sentence_features(message, ["ngrams"]), sentence_features(message, ["use"])
            if parts is not None and ngrams is not None:
                captured[message.get("text")] = (ngrams, parts[1] / self._config["lexicon_weight"], vector,
                                                 sentence_features(message, ["polarity"]))
        return original(self, messages)

    emotion.EmotionClassifier.process = process
    examples = []
    matcher = RiskMatcher.load()
    for file in training_nlu_files():  # one file at a time, to know where each example was written
        for message in load_data(str(file)).intent_examples:
            label = emotion.example_label(message, emotion.EMOTION_KEY)
            kinds = training_kinds(message, matcher)
            examples.append((message.get("text"), str(message.get("intent")), label, file.name, kinds,
                             bool(labelled_kinds(message) - set(matcher.kinds_in(message.get("text") or ""))),
                             learns_intent(message)))
    parser = ModelParser(str(model))

    async def parse_all() -> None:
        for text, *_ in examples:
            await parser.parse(text)

    asyncio.run(parse_all())
    emotion.EmotionClassifier.process = original
    kept = [e for e in examples if e[0] in captured]
    vectors = [captured[e[0]][2] for e in kept]
    polarity = [captured[e[0]][3] for e in kept]
    return {"examples": kept, "ngrams": scipy.sparse.vstack([captured[e[0]][0] for e in kept]).tocsr(),
            "lexicon": np.vstack([captured[e[0]][1] for e in kept]),
            "vectors": None if any(v is None for v in vectors) else scipy.sparse.vstack(vectors).toarray(),
            # The review-polarity features (alias `polarity`), which the complaint head alone reads.
            "polarity": None if any(p is None for p in polarity) else scipy.sparse.vstack(polarity).toarray()}


def collect_cached(model: Path) -> Dict[str, Any]:
    """`collect`, kept under var/cache/ per model archive (its size and time) and per training file
    set: one parse of every example serves all the comparisons run on that model."""
    import hashlib
    import pickle

    stat = model.stat()
    files = sorted((ROOT / "nlu_data" / "nlu").rglob("*.yml"))
    key = hashlib.sha256(repr((str(model), stat.st_size, stat.st_mtime_ns,
                               [(f.name, f.stat().st_mtime_ns) for f in files])).encode()).hexdigest()[:16]
    cache = ROOT / "var" / "cache" / f"crossval-{key}.pkl"
    if cache.exists():
        with cache.open("rb") as handle:
            loaded: Dict[str, Any] = pickle.load(handle)
            return loaded
    data = collect(model)
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".tmp")
    with partial.open("wb") as handle:
        pickle.dump(data, handle)
    partial.replace(cache)
    return data


def head_rows(data: Dict[str, Any], lexicon_weight: float, encoder_weight: Optional[float],
              polarity: bool = False) -> Any:
    """The rows the emotion and complaint heads read: n-grams, the lexicon counts at
    `lexicon_weight` and the sentence vector at `encoder_weight` (left out when 0, None or absent);
    with `polarity`, the review-polarity features too when the model has them (the complaint head's row)."""
    dense = [] if not encoder_weight or data["vectors"] is None else \
        [scipy.sparse.csr_matrix(encoder_weight * data["vectors"])]
    if polarity and data.get("polarity") is not None:
        dense.append(scipy.sparse.csr_matrix(data["polarity"]))
    return scipy.sparse.hstack([data["ngrams"], scipy.sparse.csr_matrix(lexicon_weight * data["lexicon"]),
                                *dense]).tocsr()


def learner(c: float, output: str, naive_bayes: bool, data: Dict[str, Any], emotion: bool = False) -> "Fit":
    """The emotion (`emotion`) or complaint head's learner at C as `EmotionClassifier` builds it:
    logistic regression, or over naive-Bayes-scaled n-grams (the rows of `head_rows` open with them)."""
    from bot.components.naive_bayes import head_fit

    return head_fit(c, output, int(data["ngrams"].shape[1]) if naive_bayes else 0, per_class=emotion)


def emotion_naive_bayes(config: Path = ROOT / "config.yml") -> bool:
    """Whether `config.yml` has the emotion and complaint heads scale the n-grams (`naive_bayes`)."""
    from bot.components.emotion import EmotionClassifier

    settings = configured(EmotionClassifier, config)
    return bool(settings and settings.get("naive_bayes"))


def on_unseen_files(c: float, matrix: Any, labels: np.ndarray, files: List[str], folds: int,
                    betas: tuple[float, ...], extra: Optional[Callable[[Splits], np.ndarray]] = None,
                    fit: Optional["Fit"] = None) -> Dict[float, tuple[Any, np.ndarray]]:
    """Per F-beta: the calibration training would choose (Platt and threshold on random folds)
    and the probabilities it gives to scores with whole training files held out. `extra` gives,
    for a set of folds, out-of-fold values added to the linear scores (the risk kinds'
    nearest-neighbour evidence); `fit` is the learner (default: logistic regression at C)."""
    from bot.components.calibration import Logistic, calibrate, out_of_fold, stratified_splits

    fit = fit or Logistic(c, "decision_function", 42)
    random_splits = stratified_splits(labels, 3, 42)
    file_splits = folds_of(list(labels), files, folds)
    random_scores = out_of_fold(fit, matrix, labels, splits=random_splits)  # as training calibrates
    file_scores = out_of_fold(fit, matrix, labels, splits=file_splits)
    if extra is not None:
        random_scores, file_scores = random_scores + extra(random_splits), file_scores + extra(file_splits)
    chosen = {}
    for beta in betas:
        calibration = calibrate(random_scores, labels, beta)
        chosen[beta] = (calibration, 1.0 / (1.0 + np.exp(-(calibration.a * file_scores + calibration.b))))
    return chosen


def configured(component: Type[GraphComponent], config: Path = ROOT / "config.yml") -> Optional[Dict[str, Any]]:
    """A pipeline component's settings as `config.yml` sets them over its defaults (None when the
    pipeline lacks it), so that a comparison run without flags scores the configured model."""
    import yaml

    for entry in yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]:
        if str(entry.get("name", "")).endswith(component.__name__):
            return {**component.get_default_config(), **entry}
    return None


COMPLAINT_BETAS = (0.3, 0.4, 0.5, 0.7, 1.0)


def complaint_choice(data: Dict[str, Any], c: float, weight: float, betas: tuple[float, ...] = COMPLAINT_BETAS,
                     folds: int = 4, unscored: frozenset[str] = frozenset(),
                     naive_bayes: bool = False) -> Dict[str, Any]:
    """What each F-beta of the complaint threshold would do to text from files the head never saw:
    the threshold is chosen as training chooses it (Platt scaling and F-beta on random folds) and
    applied to scores with whole training files held out. Printed for all examples and for the
    review files alone (reviews_*.yml, zh_food_reviews.yml), the nearest the training data comes
    to the product reviews a shop's customers write. Examples of the files in `unscored` are
    trained on and not counted, as in `risk_choice`. `naive_bayes`: the head scales the n-grams."""
    from bot.components.calibration import precision_recall

    examples = data["examples"]
    matrix = head_rows(data, weight, 1.0, polarity=True)
    labels = np.array([int(e[1].startswith("complain_")) for e in examples])
    files = [e[3] for e in examples]
    counted = scored_rows(data, unscored)
    reviews = counted & np.array([f.startswith("reviews_") or f == "zh_food_reviews.yml" for f in files])
    result: Dict[str, Any] = {"C": c, "lexicon_weight": weight, "by_file_folds": folds, "naive_bayes": naive_bayes,
                              "betas": {}}
    fit = learner(c, "decision_function", naive_bayes, data)
    groups = held_out_groups(data, unscored)
    for beta, (calibration, p) in on_unseen_files(c, matrix, labels, groups, folds, betas, fit=fit).items():
        row: Dict[str, Any] = {"threshold": calibration.threshold}
        for name, mask in (("all", counted), ("reviews", reviews)):
            precision, recall = precision_recall(p[mask], labels[mask], calibration.threshold)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            row[name] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
        result["betas"][str(beta)] = row
        print(f"complaint beta {beta}: threshold {row['threshold']:.2f}; whole files held out: all P "
              f"{row['all']['precision']:.3f} R {row['all']['recall']:.3f} F1 {row['all']['f1']:.3f}; reviews "
              f"({int(reviews.sum())}) P {row['reviews']['precision']:.3f} R {row['reviews']['recall']:.3f} "
              f"F1 {row['reviews']['f1']:.3f}", flush=True)
    return result


def run(data: Dict[str, Any], cs: List[float], weights: List[float], complaint_cs: List[float],
        folds: int, encoder_weights: Optional[List[float]] = None, by_file: bool = False,
        intent: bool = False, unscored: frozenset[str] = frozenset(), naive_bayes: bool = False) -> Dict[str, Any]:
    """Out-of-fold emotion macro-F1 and complaint F1 per setting. Emotion examples of the files in
    `unscored` are trained on and not counted (as in `risk_choice`); the macro-F1 of the everyday
    files (`emotion_everyday_*.yml`, posts about life rather than shopping) is printed beside it,
    the nearest the training data comes to text from outside a service desk. `naive_bayes`: both heads
    scale the n-grams (`bot.components.naive_bayes`)."""
    from sklearn.svm import LinearSVC

    from bot.components.calibration import calibrate, out_of_fold
    from bot.components.emotion import macro_f1

    examples = data["examples"]
    labelled = [i for i, e in enumerate(examples) if e[2]]
    emotions = [examples[i][2] for i in labelled]
    complaints = [int(e[1].startswith("complain_")) for e in examples]
    intents = [e[1] for e in examples]
    files = [e[3] for e in examples]
    results: Dict[str, Any] = {"folds": folds, "by_file": by_file, "naive_bayes": naive_bayes,
                               "examples": len(examples),
                               "emotion_examples": len(labelled), "emotion": [], "complaint": [], "intent": []}
    if encoder_weights and data["vectors"] is None:
        raise SystemExit("error: the model has no sentence encoder features (alias `use`) to weigh")
    groups = held_out_groups(data, unscored)
    emotion_splits = folds_of(emotions, [groups[i] for i in labelled] if by_file else None, folds)
    scored = scored_rows(data, unscored)
    counted = [j for j, i in enumerate(labelled) if scored[i]]
    everyday = [j for j in counted if files[labelled[j]].startswith("emotion_everyday")]
    complaint_splits = folds_of(complaints, groups if by_file else None, folds)
    choices: List[Optional[float]] = [None] if not encoder_weights else list(encoder_weights)
    for encoder in choices:
        dense = [] if not encoder else [scipy.sparse.csr_matrix(encoder * data["vectors"])]
        tag = "" if encoder is None else f" encoder_weight={encoder:<4}"
        if intent:
            # Only the examples the intent classifiers learn from (bot/components/intent_data.py):
            # the component never sees the others, so they are neither trained on nor scored.
            learn = np.array([e[6] if len(e) > 6 else True for e in examples])
            matrix = scipy.sparse.hstack([data["ngrams"], *dense]).tocsr()[learn]
            target = np.asarray(intents)[learn]
            predicted = np.empty(len(target), dtype=object)
            for train, test in folds_of(list(target), list(np.asarray(groups)[learn]) if by_file else None, folds):
                model = LinearSVC(C=2.0, random_state=42).fit(matrix[train], target[train])
                predicted[test] = model.predict(matrix[test])
            accuracy = float(np.mean(predicted[scored[learn]] == target[scored[learn]]))
            results["intent"].append({"encoder_weight": encoder, "accuracy": round(accuracy, 4)})
            print(f"intent    {tag} accuracy {accuracy:.4f}", flush=True)
        for weight in weights:
            matrix = head_rows(data, weight, encoder)
            for c in cs:
                start = time.perf_counter()
                fit = learner(c, "predict_proba", naive_bayes, data, emotion=True)
                probabilities = out_of_fold(fit, matrix[labelled], emotions, splits=emotion_splits)
                names = sorted(set(emotions))
                predicted_emotions = [names[i] for i in probabilities.argmax(axis=1)]
                f1 = macro_f1([emotions[j] for j in counted], [predicted_emotions[j] for j in counted])
                f1_everyday = macro_f1([emotions[j] for j in everyday], [predicted_emotions[j] for j in everyday]) \
                    if everyday else 0.0
                results["emotion"].append({"C": c, "lexicon_weight": weight, "encoder_weight": encoder,
                                           "macro_f1": round(f1, 4), "everyday_macro_f1": round(f1_everyday, 4),
                                           "counted": len(counted), "everyday": len(everyday),
                                           "seconds": round(time.perf_counter() - start, 1)})
                print(f"emotion    C={c:<5} lexicon_weight={weight:<4}{tag} macro-F1 {f1:.4f} ({len(counted)}); "
                      f"everyday files {f1_everyday:.4f} ({len(everyday)})", flush=True)
            for c in complaint_cs:
                scores = out_of_fold(learner(c, "decision_function", naive_bayes, data), matrix, complaints,
                                     splits=complaint_splits)
                calibration = calibrate(scores[scored], np.asarray(complaints)[scored], 1.0)
                results["complaint"].append({"C": c, "lexicon_weight": weight, "encoder_weight": encoder,
                                             "f1": calibration.f_beta, "precision": calibration.precision,
                                             "recall": calibration.recall, "brier": calibration.brier})
                print(f"complaint  C={c:<5} lexicon_weight={weight:<4}{tag} F1 {calibration.f_beta:.4f} "
                      f"(P {calibration.precision:.3f} R {calibration.recall:.3f}, Brier {calibration.brier:.4f})",
                      flush=True)
    return results


def main(argv: Optional[List[str]] = None) -> int:
    from tools.crossval_risk import RISK_BETAS, risk_choice, risk_neighbour_weights

    parser = argparse.ArgumentParser(prog="python -m tools.crossval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model archive (default: the trained models/shop.tar.gz)")
    parser.add_argument("--C", type=float, nargs="+", default=[4.0, 8.0, 16.0, 32.0], help="emotion C values")
    parser.add_argument("--complaint-C", type=float, nargs="+", default=[4.0])
    parser.add_argument("--lexicon-weight", type=float, nargs="+", default=[0.2])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--encoder-weight", type=float, nargs="+",
                        help="weights of the sentence encoder's vector to compare (0: without it)")
    parser.add_argument("--by-file", action="store_true", help="folds hold out whole training files")
    parser.add_argument("--by-family", action="store_true",
                        help="folds hold out whole families of training files (sittings of one writing, "
                             "see `family`); implies --by-file, and applies to --risk, --complaint and --anger")
    parser.add_argument("--intent", action="store_true", help="also the linear intent model's accuracy")
    parser.add_argument("--anger", action="store_true",
                        help="only choose the anger confidence for handing off important complaints")
    parser.add_argument("--risk", action="store_true",
                        help="only compare the F-betas of the learned risk thresholds, whole files held out")
    parser.add_argument("--risk-C", type=float, nargs="+", default=[4.0], help="risk C values (with --risk)")
    parser.add_argument("--risk-beta", type=float, nargs="+", default=list(RISK_BETAS),
                        help="risk F-betas (with --risk)")
    parser.add_argument("--risk-neighbours", type=float, nargs="+", metavar="WEIGHT",
                        help="weights of the risk kinds' nearest-neighbour evidence over the sentence vector "
                             "(with --risk; 0: without it; default: config.yml's)")
    parser.add_argument("--risk-ngram-neighbours", type=float, nargs="+", metavar="WEIGHT",
                        help="the same over the n-gram rows (default: config.yml's)")
    parser.add_argument("--score-without", nargs="+", default=[], metavar="FILE",
                        help="train on these files' examples but do not count them "
                             "(to compare a model with new training files against one without)")
    parser.add_argument("--complaint", action="store_true",
                        help="only compare the F-betas of the complaint threshold, whole files held out")
    parser.add_argument("--naive-bayes", action=argparse.BooleanOptionalAction, default=None,
                        help="the emotion and complaint heads over naive-Bayes-scaled n-grams "
                             "(default: as config.yml sets `naive_bayes`)")
    parser.add_argument("--risk-near", action="store_true",
                        help="only choose the near ratio of the risk kinds in surely angry complaints")
    parser.add_argument("--anger-budget", type=float, default=0.03,
                        help="the share of calm complaints that may be handed off for anger (default 0.03)")
    args = parser.parse_args(argv)
    from tools.train import trained_model

    model = trained_model(args.model)
    naive_bayes = emotion_naive_bayes() if args.naive_bayes is None else bool(args.naive_bayes)
    if model is None:
        return 2
    data = collect_cached(model)
    data["by_family"] = args.by_family
    if args.risk:
        unscored = frozenset(args.score_without)
        vector_weight, ngram_weight = risk_neighbour_weights()
        runs = [risk_choice(data, c, tuple(args.risk_beta), weight=w, unscored=unscored, neighbour_weight=n,
                            ngram_neighbour_weight=g)
                for c in args.risk_C for w in (args.encoder_weight or [1.0])
                for n in (args.risk_neighbours or [vector_weight])
                for g in (args.risk_ngram_neighbours or [ngram_weight])]
        results = runs[0] if len(runs) == 1 else {"runs": runs}
    elif args.complaint:
        results = complaint_choice(data, args.complaint_C[-1], args.lexicon_weight[0],
                                   unscored=frozenset(args.score_without), naive_bayes=naive_bayes)
    elif args.risk_near:
        from tools.crossval_anger import emotion_encoder_weight
        from tools.crossval_near import near_choice

        vector_weight, ngram_weight = risk_neighbour_weights()
        results = near_choice(data, args.risk_C[-1], args.C[-1], args.lexicon_weight[0],
                              args.encoder_weight[0] if args.encoder_weight else emotion_encoder_weight(),
                              args.folds, neighbour_weight=vector_weight, ngram_neighbour_weight=ngram_weight)
    elif args.anger:
        from tools.crossval_anger import anger_choice, emotion_encoder_weight

        encoder = args.encoder_weight[0] if args.encoder_weight else emotion_encoder_weight()
        results = anger_choice(data, args.C[-1], args.lexicon_weight[0], args.folds,
                               args.anger_budget, encoder, naive_bayes)
    else:
        results = run(data, args.C, args.lexicon_weight, args.complaint_C, args.folds,
                      args.encoder_weight, args.by_file or args.by_family, args.intent,
                      frozenset(args.score_without), naive_bayes)
    written = RESULTS.with_name("crossval_anger.json") if args.anger else \
        RESULTS.with_name("crossval_near.json") if args.risk_near else \
        RESULTS.with_name("crossval_risk.json") if args.risk else \
        RESULTS.with_name("crossval_complaint.json") if args.complaint else RESULTS
    write_results(written, results)
    return 0


def write_results(path: Path, results: Dict[str, Any]) -> None:
    """The comparison's figures as JSON for the docs, and where they went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written: {path}")


if __name__ == "__main__":
    raise SystemExit(main())
