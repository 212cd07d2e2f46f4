"""The complaint veto's table and choice (tools/crossval_veto.py), on flags set by hand."""

import numpy as np

from tools.crossval_veto import chosen, scores, veto_table


def test_the_flag_is_scored_as_precision_recall_and_f1() -> None:
    flag = np.array([True, True, False, False])
    gold = np.array([True, False, True, False])
    assert scores(flag, gold) == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert scores(np.zeros(4, dtype=bool), gold)["f1"] == 0.0


def test_a_veto_drops_doubted_calm_complaints_and_keeps_upset_or_risky_ones() -> None:
    # Four complaint intents: a true complaint the head believes, a praising review it doubts,
    # a true complaint it doubts but the customer is angry, a true calm complaint it doubts.
    intent = np.array([True, True, True, True, False])
    probability = np.array([0.9, 0.1, 0.1, 0.2, 0.9])
    keeps = np.array([False, False, True, False, False])
    gold = np.array([True, False, True, True, False])
    everything = {"all": np.ones(5, dtype=bool)}
    table = {row["veto"]: row["all"] for row in veto_table(intent, probability, keeps, gold, everything,
                                                           grid=(0.0, 0.15, 0.5))}
    assert table[0.0] == {"precision": 0.75, "recall": 1.0, "f1": 0.8571}  # the intent alone
    assert table[0.15] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}  # the review goes, the angry one stays
    assert table[0.5]["recall"] == round(2 / 3, 4)  # the calm doubted complaint goes too


def test_the_choice_is_the_best_f1_and_a_near_tie_goes_to_precision() -> None:
    def row(veto: float, precision: float, f1: float) -> dict:
        return {"veto": veto, "all": {"precision": precision, "recall": 0.0, "f1": f1}}

    assert chosen([row(0.0, 0.70, 0.770), row(0.2, 0.71, 0.775), row(0.4, 0.72, 0.772)]) == 0.2
    assert chosen([row(0.0, 0.70, 0.770), row(0.2, 0.71, 0.775), row(0.4, 0.72, 0.7745)]) == 0.4
