"""How far below its threshold a learned risk may count in a complaint whose customer is sure to be
angry (`RiskExtractor`'s `near_ratio`, `shop.severity.counts_near_risks`), chosen on the training
data only: `python -m tools.crossval --risk-near --by-family --folds 4` (tools/crossval.py
collects the rows).

Such a complaint is handed to a person whatever its grade (`shop.routing`), so the choice weighs
two grading errors of customers who are handed over either way: a severe paraphrase the lexicon
misses graded `important` (rescued by a lower bar), and a complaint without any risk graded
`severe` (added by it). Both cost the same here: a wrong priority and a wrong 预警 level. The
ratio chosen is the one with the most rescued minus added, counted with whole families of training
files held out; on a tie, the one nearer the threshold.

The risk kinds are scored as `tools.crossval_risk` scores them (C, the sentence vector, the
neighbour evidence as config.yml sets it, thresholds chosen on random folds); the emotion head as
`tools.crossval_anger` refits it, here predicting every held-out row, labelled with an emotion or
not (the risk paraphrase files carry none).
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Sequence

import numpy as np
import scipy.sparse

from core.vocabulary import HANDOFF_ANGER_CONFIDENCE
from tools.crossval import head_rows, learner, on_unseen_files
from tools.crossval_folds import folds_of, held_out_groups, scored_rows
from tools.crossval_risk import neighbour_evidence

NEAR_RATIOS = (1.0, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2)


def near_table(probabilities: np.ndarray, thresholds: np.ndarray, anger: np.ndarray, complaint: np.ndarray,
               paraphrase: np.ndarray, riskless: np.ndarray, ratios: Sequence[float] = NEAR_RATIOS,
               cutoff: float = HANDOFF_ANGER_CONFIDENCE) -> List[Dict[str, float]]:
    """Per ratio: the share of severe paraphrases found by any kind, the share of riskless
    complaints graded severe, and the counts rescued and added against the kinds' own thresholds.
    `probabilities` is kinds × rows, `anger` each row's anger probability when anger is its most
    likely emotion (else 0); the masks say which rows are complaints, severe paraphrases the lexicon
    misses, and complaints without any risk."""
    base = (probabilities >= thresholds[:, None]).any(axis=0)
    sure = complaint & (anger >= cutoff)
    rows = []
    for ratio in ratios:
        fired = base | (sure & (probabilities >= ratio * thresholds[:, None]).any(axis=0))
        rescued = int((fired & ~base & paraphrase).sum())
        added = int((fired & ~base & riskless).sum())
        rows.append({"ratio": ratio, "found": round(float(fired[paraphrase].mean()), 4),
                     "riskless_severe": round(float(fired[riskless].mean()), 4),
                     "rescued": rescued, "added": added, "net": rescued - added})
    return rows


def near_ratio_choice(table: List[Dict[str, float]]) -> float:
    """The ratio with the most rescued minus added; on a tie, the one nearest the threshold."""
    return float(max(table, key=lambda row: (row["net"], row["ratio"]))["ratio"])


def emotion_out_of_fold(data: Dict[str, Any], c: float, lexicon_weight: float, encoder_weight: float,
                        splits: List[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, List[str]]:
    """Each row's emotion probabilities from the head fitted on the labelled rows of the other folds."""
    examples = data["examples"]
    labelled = np.array([bool(e[2]) for e in examples])
    emotions = np.array([e[2] or "" for e in examples], dtype=object)
    names = sorted(set(emotions[labelled]))
    rows = head_rows(data, lexicon_weight, encoder_weight)
    fit = learner(c, "predict_proba", False, data, emotion=True)
    probabilities = np.zeros((len(examples), len(names)))
    for train, held in splits:
        trained = train[labelled[train]]
        probabilities[held] = np.asarray(fit(rows[trained], emotions[trained])(rows[held]))
    return probabilities, names


def near_choice(data: Dict[str, Any], risk_c: float, c: float, lexicon_weight: float, encoder_weight: float,
                folds: int = 4, beta: float = 1.0, vector_weight: float = 1.0, neighbour_weight: float = 0.0,
                ngram_neighbour_weight: float = 0.0, neighbours: int = 5,
                ratios: Sequence[float] = NEAR_RATIOS) -> Dict[str, Any]:
    """The table of `near_table` with whole files (or families) held out, and the chosen ratio."""
    from bot.components.risk import LEARNED

    examples = data["examples"]
    if data["vectors"] is None:
        raise SystemExit("error: the model has no sentence encoder features (alias `use`)")
    groups = held_out_groups(data)
    counted = scored_rows(data, frozenset())
    complaint = np.array([e[1].startswith("complain_") for e in examples])
    calm_rows = complaint & np.array([not e[4] for e in examples])
    started = time.perf_counter()
    probabilities, names = emotion_out_of_fold(data, c, lexicon_weight, encoder_weight,
                                               folds_of([0] * len(examples), groups, folds))
    top = probabilities.argmax(axis=1)
    anger = np.where(top == names.index("anger"), probabilities[:, names.index("anger")], 0.0) \
        if "anger" in names else np.zeros(len(examples))
    print(f"emotion, out of fold: {time.perf_counter() - started:.0f} s", flush=True)
    matrix = scipy.sparse.hstack([data["ngrams"], scipy.sparse.csr_matrix(vector_weight * data["vectors"])]).tocsr()
    kinds, scores, thresholds = [], [], []
    for kind in LEARNED:
        labels = np.array([int(kind in e[4]) for e in examples])
        if labels.sum() < 10:
            continue
        evidence = neighbour_evidence(data, labels.astype(bool), calm_rows, neighbour_weight, ngram_neighbour_weight,
                                      neighbours)
        calibration, p = on_unseen_files(risk_c, matrix, labels, groups, folds, (beta,), evidence)[beta]
        kinds.append(kind)
        scores.append(p)
        thresholds.append(calibration.threshold)
        print(f"risk {kind}: threshold {calibration.threshold:.2f}, {time.perf_counter() - started:.0f} s", flush=True)
    paraphrase = counted & np.array([bool(e[5]) for e in examples])
    riskless = counted & calm_rows
    table = near_table(np.vstack(scores), np.array(thresholds), anger, complaint, paraphrase, riskless, ratios)
    for row in table:
        print(f"near ratio {row['ratio']:.1f}: severe paraphrases found {row['found']:.3f} "
              f"({int(paraphrase.sum())}); riskless complaints graded severe {row['riskless_severe']:.3f} "
              f"({int(riskless.sum())}); rescued {row['rescued']}, added {row['added']}", flush=True)
    chosen = near_ratio_choice(table)
    print(f"chosen near ratio (most rescued minus added): {chosen}")
    return {"risk_C": risk_c, "C": c, "lexicon_weight": lexicon_weight, "encoder_weight": encoder_weight,
            "folds": folds, "beta": beta, "neighbour_weight": neighbour_weight,
            "ngram_neighbour_weight": ngram_neighbour_weight, "kinds": kinds,
            "anger_cutoff": HANDOFF_ANGER_CONFIDENCE, "table": table, "chosen": chosen}
