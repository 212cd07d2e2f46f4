"""The shared sentence row and squashing functions the linear heads use."""

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.components.features import dense_sentence_vector, one_row, sentence_features, sigmoid, softmax


def test_sigmoid() -> None:
    assert sigmoid(0.0) == 0.5
    assert sigmoid(2.0) == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert sigmoid(2.0) + sigmoid(-2.0) == pytest.approx(1.0)


def test_softmax_is_a_distribution_keeping_the_order() -> None:
    p = softmax(np.array([1.0, 3.0, 2.0]))
    assert p.sum() == pytest.approx(1.0)
    assert list(np.argsort(p)) == [0, 2, 1]
    assert softmax(np.array([1000.0, 1000.0])) == pytest.approx([0.5, 0.5])


def test_sentence_row_of_the_named_featurizer_is_read_once() -> None:
    message = Message.build(text="hi")
    row = scipy.sparse.coo_matrix(np.array([[0.0, 0.6, 0.8]]))
    message.add_features(Features(row, "sentence", TEXT, "ngrams"))
    first = sentence_features(message, ["ngrams"])
    assert first is not None
    assert first.toarray().tolist() == [[0.0, 0.6, 0.8]]
    assert sentence_features(message, ["ngrams"]) is first
    assert sentence_features(Message.build(text="hi"), ["ngrams"]) is None


def test_reading_the_row_leaves_the_message_fingerprint_alone() -> None:
    """Rasa's training cache keys every component on its input's fingerprint: a head that wrote
    into the shared training data made the components after it miss the cache on every run."""
    message = Message.build(text="hi")
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([[1.0, 0.0]])), "sentence", TEXT, "ngrams"))
    before = message.fingerprint()
    assert sentence_features(message, ["ngrams"]) is not None
    message._cached_fingerprint = None  # recompute from the data rather than trusting the memo
    assert message.fingerprint() == before


def test_dense_sentence_features_follow_the_sparse_row() -> None:
    """The sentence encoder's vector (dense) is read beside the n-grams (sparse), in that order."""
    message = Message.build(text="hi")
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([[0.0, 1.0]])), "sentence", TEXT, "ngrams"))
    message.add_features(Features(np.array([[0.5, 0.25, 0.25]]), "sentence", TEXT, "use"))
    row = sentence_features(message, ["ngrams", "use"])
    assert row is not None and row.toarray().tolist() == [[0.0, 1.0, 0.5, 0.25, 0.25]]
    only_ngrams = sentence_features(message, ["ngrams"])
    assert only_ngrams is not None and only_ngrams.shape == (1, 2)


def test_dense_sentence_vector_is_one_featurizers_sentence_feature_or_none() -> None:
    message = Message(data={TEXT: "电池鼓包"})
    message.features.append(Features(np.array([[1.0, 2.0]]), "sequence", TEXT, "use"))  # not a sentence feature
    message.features.append(Features(scipy.sparse.coo_matrix([[1.0]]), "sentence", TEXT, "use"))  # not dense
    assert dense_sentence_vector(message, "use") is None
    message.features.append(Features(np.array([[0.5, -0.5, 1.0]]), "sentence", TEXT, "use"))
    message.features.append(Features(np.array([[9.0, 9.0]]), "sentence", TEXT, "polarity"))
    vector = dense_sentence_vector(message, "use")
    assert vector is not None and vector.shape == (1, 3)
    assert vector[0] == pytest.approx([0.5, -0.5, 1.0])


def test_the_row_is_the_one_rasas_lookup_gives() -> None:
    """Read straight from the features, the row equals Rasa's own lookup and stacking (sparse in
    the message's order, then dense), so heads trained on one read the other the same way; the
    per-token sequence features and other attributes are left out."""
    message = Message.build(text="电池鼓包了")
    rng = np.random.default_rng(0)
    message.add_features(Features(scipy.sparse.coo_matrix(rng.random((3, 4))), "sequence", TEXT, "ngrams"))
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0, 1.0]])), "sentence", TEXT, "words"))
    message.add_features(Features(np.array([[0.5, -0.25]], dtype=np.float32), "sentence", TEXT, "use"))
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([[3.0, 0.0, 4.0]])), "sentence", TEXT, "ngrams"))
    message.add_features(Features(np.array([[7.0]]), "sentence", TEXT, "polarity"))
    message.add_features(Features(scipy.sparse.coo_matrix(np.array([[9.0]])), "sentence", "intent", "ngrams"))
    for featurizers in (["ngrams"], ["ngrams", "use"], ["use", "ngrams", "polarity"], ["words", "ngrams"], []):
        _, sparse = message.get_sparse_features(TEXT, featurizers)
        _, dense = message.get_dense_features(TEXT, featurizers)
        parts = [scipy.sparse.csr_matrix(f.features) for f in (sparse, dense) if f is not None]
        expected = scipy.sparse.hstack(parts, format="csr").toarray()
        row = sentence_features(message, featurizers)
        assert row is not None and row.shape == expected.shape
        assert row.toarray() == pytest.approx(expected)


def test_one_row_places_each_part_after_the_last() -> None:
    parts = [scipy.sparse.csr_matrix(np.array([[0.0, 1.0]])), scipy.sparse.csr_matrix(np.array([[0.0, 0.0, 0.0]])),
             scipy.sparse.csr_matrix(np.array([[2.0, 0.0, 3.0]]))]
    row = one_row(parts)
    assert row.shape == (1, 8)
    assert row.toarray().tolist() == [[0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0]]
