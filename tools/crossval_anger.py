"""The anger confidence from which an important complaint is handed to a person
(`core.vocabulary.HANDOFF_ANGER_CONFIDENCE`), chosen on the training data only.

The emotion head is refitted out of fold, as `config.yml` builds it (n-grams, the lexicon and the
sentence vector at the configured weight), with random folds and with whole training files held
out; the cutoff is the lowest confidence on a grid at which, with whole files held out, at most
the budget of the complaints labelled with another emotion would be read as that sure of anger.
Run through `python -m tools.crossval --C 32 --anger` (tools/crossval.py collects the rows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from core.settings import ROOT
from tools.crossval import configured, head_rows, learner
from tools.crossval_folds import folds_of, held_out_groups

ANGER_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def anger_table(probabilities: np.ndarray, names: List[str], gold: List[str], complaint: List[bool],
                grid: tuple[float, ...] = ANGER_GRID) -> List[Dict[str, float]]:
    """Per confidence on the grid, among complaints: the precision and recall of "angry" (anger
    is the most likely emotion with at least that probability) and the share of complaints with
    another gold emotion read as angry, which is the false handoffs it would cause."""
    column = names.index("anger")
    angry_top = probabilities.argmax(axis=1) == column
    gold_anger = np.array([g == "anger" for g in gold])
    mask = np.array(complaint, dtype=bool)
    rows = []
    for t in grid:
        predicted = angry_top & (probabilities[:, column] >= t) & mask
        tp = int((predicted & gold_anger).sum())
        fp = int((predicted & ~gold_anger).sum())
        rows.append({"confidence": t, "precision": round(tp / max(tp + fp, 1), 4),
                     "recall": round(tp / max(int((gold_anger & mask).sum()), 1), 4),
                     "false_rate": round(fp / max(int((~gold_anger & mask).sum()), 1), 4)})
    return rows


def anger_cutoff(table: List[Dict[str, float]], budget: float) -> Optional[float]:
    """The lowest confidence whose false rate is within the budget (None if none is)."""
    return next((row["confidence"] for row in table if row["false_rate"] <= budget), None)


def emotion_encoder_weight(config: Path = ROOT / "config.yml") -> float:
    """The weight of the sentence vector in the emotion head, as `config.yml` sets it over the
    component's defaults (0 when the head reads no vector)."""
    from bot.components.emotion import EmotionClassifier

    settings = configured(EmotionClassifier, config)
    return float(settings["encoder_weight"]) if settings and settings["encoder"] else 0.0


def anger_choice(data: Dict[str, Any], c: float, weight: float, folds: int, budget: float,
                 encoder_weight: float = 0.0, naive_bayes: bool = False) -> Dict[str, Any]:
    """The anger table with random folds and with whole files held out; the cutoff from the latter.
    The emotion head's rows: n-grams, the lexicon at `weight` and the sentence vector at
    `encoder_weight` (the configured head's, see `emotion_encoder_weight`); `naive_bayes`: the head
    scales the n-grams, as config.yml may set it."""
    from bot.components.calibration import out_of_fold
    from bot.components.features import softmax
    from bot.components.naive_bayes import temperature

    examples = data["examples"]
    labelled = [i for i, e in enumerate(examples) if e[2]]
    emotions = [examples[i][2] for i in labelled]
    complaint = [examples[i][1].startswith("complain_") for i in labelled]
    matrix = head_rows(data, weight, encoder_weight)
    used = encoder_weight if data["vectors"] is not None else 0.0
    names = sorted(set(emotions))
    result: Dict[str, Any] = {"C": c, "lexicon_weight": weight, "encoder_weight": used,
                              "budget": budget, "complaints": sum(complaint)}
    fit = learner(c, "decision_function" if naive_bayes else "predict_proba", naive_bayes, data, emotion=True)
    tempered = 1.0
    groups = held_out_groups(data)
    for by_file in (False, True):
        splits = folds_of(emotions, [groups[i] for i in labelled] if by_file else None, folds)
        probabilities = out_of_fold(fit, matrix[labelled], emotions, splits=splits)
        if naive_bayes:  # the temperature training fits on random folds (bot/components/naive_bayes.py)
            if not by_file:
                tempered = temperature(probabilities, np.array([names.index(e) for e in emotions]))
                result["temperature"] = round(tempered, 4)
            probabilities = softmax(probabilities / tempered)
        table = anger_table(probabilities, names, emotions, complaint)
        result["by_file" if by_file else "random"] = table
        print(f"anger among complaints, {'whole files held out' if by_file else 'random folds'}:")
        for row in table:
            print(f"  confidence {row['confidence']:.2f}  precision {row['precision']:.3f}  "
                  f"recall {row['recall']:.3f}  calm complaints read as angry {row['false_rate']:.3f}")
    result["cutoff"] = anger_cutoff(result["by_file"], budget)
    print(f"lowest confidence with at most {budget:.0%} of calm complaints read as angry "
          f"(whole files held out): {result['cutoff']}")
    return result
