"""Choosing the anger confidence for handing over an important complaint: the table, the cutoff
within the false-handoff budget, and the head scored as config.yml builds it."""

from pathlib import Path

import numpy as np

from tests.unit.tools.test_crossval import synthetic
from tools.crossval_anger import ANGER_GRID, anger_choice, anger_cutoff, anger_table, emotion_encoder_weight


def test_the_anger_cutoff_is_the_lowest_confidence_within_the_false_handoff_budget() -> None:
    """Four complaints: two angry, two calm; the calm ones read as angry at 0.6 and 0.7."""
    names = ["anger", "neutral"]
    probabilities = np.array([[0.95, 0.05], [0.8, 0.2], [0.6, 0.4], [0.7, 0.3], [0.99, 0.01]])
    gold = ["anger", "anger", "neutral", "neutral", "neutral"]
    complaint = [True, True, True, True, False]  # the last is no complaint: never counted
    table = anger_table(probabilities, names, gold, complaint, grid=(0.5, 0.65, 0.75))
    assert [row["false_rate"] for row in table] == [1.0, 0.5, 0.0]
    assert [row["recall"] for row in table] == [1.0, 1.0, 1.0]
    assert anger_cutoff(table, budget=0.03) == 0.75
    assert anger_cutoff(table, budget=0.5) == 0.65
    assert anger_cutoff(table[:1], budget=0.03) is None


def test_anger_choice_reports_both_fold_kinds_and_a_cutoff() -> None:
    result = anger_choice(synthetic(), c=1.0, weight=0.2, folds=2, budget=0.03)
    assert {"random", "by_file", "cutoff"} <= set(result)
    assert result["cutoff"] == 0.5  # separable: no calm complaint at all, so the lowest step


def test_the_anger_choice_scores_the_emotion_head_as_config_yml_builds_it(tmp_path: Path) -> None:
    """The cutoff is only right for the head the model has: with the sentence vector at its weight."""
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: bot.components.emotion.EmotionClassifier\n    encoder: use\n"
                      "    encoder_weight: 0.25\n", encoding="utf-8")
    assert emotion_encoder_weight(config) == 0.25
    config.write_text("pipeline:\n  - name: bot.components.emotion.EmotionClassifier\n", encoding="utf-8")
    assert emotion_encoder_weight(config) == 0.0
    result = anger_choice(synthetic(), c=1.0, weight=0.2, folds=2, budget=0.03, encoder_weight=0.25)
    assert result["encoder_weight"] == 0.25


def test_a_naive_bayes_head_is_tempered_before_its_confidences_are_read() -> None:
    """One-vs-rest scores are too sure of themselves: the choice divides them by the temperature
    training would fit on random folds, and the cutoff still comes from the grid."""
    result = anger_choice(synthetic(), c=1.0, weight=0.2, folds=2, budget=0.03, naive_bayes=True)
    assert result["temperature"] > 0
    assert result["cutoff"] in ANGER_GRID
