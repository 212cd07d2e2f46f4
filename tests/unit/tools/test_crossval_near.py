"""Choosing how far below its threshold a learned risk counts in a surely angry complaint: the
table of rescued and added gradings, the choice, and the whole run on synthetic rows."""

import numpy as np

from tests.unit.tools.test_crossval import synthetic
from tools.crossval_near import near_choice, near_ratio_choice, near_table


def test_a_lower_bar_counts_only_in_surely_angry_complaints() -> None:
    """Five complaints, one kind at threshold 0.5: a paraphrase found anyway (0.6), an angry
    paraphrase at 0.3, a calm paraphrase at 0.3, an angry riskless complaint at 0.2, and an angry
    message at 0.4 that is no complaint."""
    probabilities = np.array([[0.6, 0.3, 0.3, 0.2, 0.4]])
    anger = np.array([0.0, 0.9, 0.1, 0.95, 0.99])
    complaint = np.array([True, True, True, True, False])
    paraphrase = np.array([True, True, True, False, False])
    riskless = np.array([False, False, False, True, False])
    table = near_table(probabilities, np.array([0.5]), anger, complaint, paraphrase, riskless, ratios=(1.0, 0.5, 0.3))
    assert [(row["rescued"], row["added"], row["net"]) for row in table] == [(0, 0, 0), (1, 0, 1), (1, 1, 0)]
    assert [row["found"] for row in table] == [round(1 / 3, 4), round(2 / 3, 4), round(2 / 3, 4)]
    assert near_ratio_choice(table) == 0.5
    assert near_ratio_choice([{"ratio": 0.8, "net": 2}, {"ratio": 0.4, "net": 2}]) == 0.8  # a tie: nearer


def test_near_choice_runs_both_heads_out_of_fold_and_chooses_a_ratio() -> None:
    result = near_choice(synthetic(), risk_c=1.0, c=1.0, lexicon_weight=0.2, encoder_weight=0.0, folds=3,
                         ratios=(1.0, 0.5))
    assert result["kinds"] == ["safety_health"]
    assert [row["ratio"] for row in result["table"]] == [1.0, 0.5] and result["chosen"] in (1.0, 0.5)
