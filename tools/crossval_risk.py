"""What each F-beta of the learned risk thresholds would do to text from files the risk models
never saw, with the nearest-neighbour evidence as `RiskExtractor` adds it: the `--risk` comparison
of `python -m tools.crossval` (tools/crossval.py collects the rows and parses the flags).

    python -m tools.crossval --risk --risk-C 16 --risk-neighbours 0 10 20 --risk-beta 0.7 1.0
    python -m tools.crossval --risk --risk-C 16 --risk-ngram-neighbours 0 10 20 --risk-beta 1.0 1.25 1.5
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import numpy as np
import scipy.sparse

from core.settings import ROOT
from tools.crossval import configured, on_unseen_files
from tools.crossval_folds import held_out_groups, scored_rows

if TYPE_CHECKING:
    from bot.components.calibration import Splits

RISK_BETAS = (0.5, 0.7, 1.0)


def risk_choice(data: Dict[str, Any], c: float, betas: tuple[float, ...] = RISK_BETAS,
                folds: int = 4, weight: float = 1.0, unscored: frozenset[str] = frozenset(),
                neighbour_weight: float = 0.0, neighbours: int = 5,
                ngram_neighbour_weight: float = 0.0) -> Dict[str, Any]:
    """What each F-beta of the learned risk thresholds would do to text from files the models never
    saw. Training chooses each kind's threshold on random folds (`bot.components.risk`); here the
    same choice is applied to scores with whole training files held out, and it prints, per beta:
    how many severe paraphrases the lexicon misses are still found (the recall that matters), and
    how many complaints without any risk, and how many messages of any kind, a kind fires on
    (each such complaint would be graded severe and handed to a person). `weight` scales the
    sentence vector against the n-grams (the component's `encoder_weight`). Examples of the files in
    `unscored` are trained on and not counted: a model with new training files is then scored on
    the same examples as one without them. `neighbour_weight` and `ngram_neighbour_weight` add the
    nearest-neighbour evidence over the sentence vectors and over the n-gram rows
    (`bot.components.neighbours`, as `RiskExtractor` adds it) at those weights."""
    from bot.components.risk import LEARNED

    examples = data["examples"]
    if data["vectors"] is None:
        raise SystemExit("error: the model has no sentence encoder features (alias `use`)")
    matrix = scipy.sparse.hstack([data["ngrams"], scipy.sparse.csr_matrix(weight * data["vectors"])]).tocsr()
    groups = held_out_groups(data, unscored)
    counted = scored_rows(data, unscored)
    fires: Dict[float, Dict[str, np.ndarray]] = {beta: {} for beta in betas}
    per_kind: Dict[str, Dict[str, Any]] = {}
    calm_rows = np.array([e[1].startswith("complain_") and not e[4] for e in examples])
    for kind in LEARNED:
        labels = np.array([int(kind in e[4]) for e in examples])
        positive = labels.astype(bool)
        if labels.sum() < 10:
            continue
        start = time.perf_counter()
        per_kind[kind] = {"positives": int(labels.sum())}

        extra = neighbour_evidence(data, positive, calm_rows, neighbour_weight, ngram_neighbour_weight, neighbours)
        for beta, (calibration, p) in on_unseen_files(c, matrix, labels, groups, folds, betas, extra).items():
            fired = p >= calibration.threshold
            fires[beta][kind] = fired
            tp = int((fired & positive & counted).sum())
            per_kind[kind][str(beta)] = {"threshold": calibration.threshold,
                                         "precision": round(tp / max(int((fired & counted).sum()), 1), 4),
                                         "recall": round(tp / max(int((positive & counted).sum()), 1), 4)}
        print(f"risk {kind}: {int(labels.sum())} positives, {time.perf_counter() - start:.0f} s; " + "; ".join(
            f"beta {b}: threshold {v['threshold']:.2f} P {v['precision']:.3f} R {v['recall']:.3f}"
            for b, v in ((b, per_kind[kind][str(b)]) for b in betas)), flush=True)
    scored = np.flatnonzero(counted).tolist()
    paraphrases = [i for i in scored if examples[i][5]]
    calm = [i for i in scored if calm_rows[i]]
    riskless = [i for i in scored if not examples[i][4]]
    result: Dict[str, Any] = {"C": c, "encoder_weight": weight, "neighbour_weight": neighbour_weight,
                              "ngram_neighbour_weight": ngram_neighbour_weight,
                              "by_file_folds": folds, "per_kind": per_kind, "betas": {},
                              "paraphrases": len(paraphrases), "calm_complaints": len(calm)}
    for beta in betas:
        kinds = fires[beta]
        found = sum(1 for i in paraphrases if any(kinds[k][i] for k in kinds if k in examples[i][4]))
        found_share = found / max(len(paraphrases), 1)
        false_calm = sum(1 for i in calm if any(f[i] for f in kinds.values())) / max(len(calm), 1)
        false_any = sum(1 for i in riskless if any(f[i] for f in kinds.values())) / max(len(riskless), 1)
        result["betas"][str(beta)] = {"paraphrase_recall": round(found_share, 4),
                                      "calm_complaints_fired": round(false_calm, 4),
                                      "riskless_fired": round(false_any, 4)}
        print(f"C {c} encoder weight {weight} neighbour weights {neighbour_weight} / {ngram_neighbour_weight} "
              f"beta {beta}: "
              f"severe paraphrases the lexicon misses found {found_share:.3f} ({len(paraphrases)}); "
              f"complaints without risk fired {false_calm:.3f} ({len(calm)}); "
              f"any message without risk fired {false_any:.3f}", flush=True)
    return result


def neighbour_evidence(data: Dict[str, Any], positive: np.ndarray, calm_rows: np.ndarray, neighbour_weight: float,
                       ngram_neighbour_weight: float, neighbours: int = 5
                       ) -> Optional[Callable[[Splits], np.ndarray]]:
    """A kind's out-of-fold nearest-neighbour evidence for a set of folds, as `RiskExtractor` adds
    it: over the sentence vectors and the n-gram rows at their weights (None when both are 0)."""
    from bot.components import neighbours as nearest

    sources = [(w, rows) for w, rows in ((neighbour_weight, data["vectors"]), (ngram_neighbour_weight, data["ngrams"]))
               if w]
    if not sources:
        return None

    def evidence(splits: Splits) -> np.ndarray:
        return sum((w * nearest.out_of_fold(rows, positive, calm_rows, splits, neighbours) for w, rows in sources),
                   np.zeros(len(data["examples"]), dtype=np.float32))

    return evidence


def risk_neighbour_weights(config: Path = ROOT / "config.yml") -> tuple[float, float]:
    """The weights of the risk kinds' nearest-neighbour evidence that config.yml sets, over the
    sentence vector and over the n-gram rows (0: off)."""
    from bot.components.risk import RiskExtractor

    settings = configured(RiskExtractor, config)
    if settings is None:
        return 0.0, 0.0
    return float(settings["neighbour_weight"]), float(settings["ngram_neighbour_weight"])
