"""Is a candidate model worse than the current one, or only different? McNemar's exact test on
the held-out rows whose verdict changed.

Two trainings that differ by one example disagree on a handful of held-out rows: at stop 22 a
candidate trained with one more example scored zh-Hant intent 0.956 against the current 0.970,
four rows net of 270, and the retraining gate's one point blocked it. A drop in accuracy says
how many more rows the candidate got wrong, not whether that is more than two trainings differ
by anyway. The paired test looks only at the rows on which the two models disagree in
correctness: `lost` (the current model right, the candidate wrong) and `gained` (the other way).
If the candidate were no worse, each such row would fall either way with even odds, so the
one-sided exact binomial test of `lost` among `lost + gained` (McNemar's exact test; scipy's
`binomtest`) gives the chance of seeing this many losses from noise alone. The gate
(tools/retrain.py) lets a drop beyond its tolerance pass only when that chance is at least
`ALPHA`, and never a drop beyond `CAP`, where a small held-out file could not show a real loss.

A row's verdict is kept as one character per row ("1" right, "0" wrong), in the order of the
held-out files; the files' digest (tools/retrain.py) makes sure both strings mean the same rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional, Sequence

from scipy.stats import binomtest

ALPHA = 0.05  # below this chance of arising from noise, a drop is a loss
CAP = 0.03  # a drop of more than three points is never explained away as noise


def verdicts(right: Sequence[bool]) -> str:
    """One character per row: "1" where the model was right."""
    return "".join("1" if r else "0" for r in right)


@dataclass(frozen=True)
class Paired:
    lost: int  # rows the current model had right and the candidate has wrong
    gained: int  # rows the candidate has right and the current model had wrong
    p: float  # one-sided: the chance of at least `lost` losses if neither model were better

    @property
    def worse(self) -> bool:
        return self.p < ALPHA

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(current: str, candidate: str) -> Optional[Paired]:
    """McNemar's exact test of the candidate being worse; None when the rows do not pair up."""
    if not current or len(current) != len(candidate):
        return None
    lost = sum(1 for a, b in zip(current, candidate, strict=True) if a == "1" and b == "0")
    gained = sum(1 for a, b in zip(current, candidate, strict=True) if a == "0" and b == "1")
    if lost + gained == 0:
        return Paired(0, 0, 1.0)
    p = float(binomtest(lost, lost + gained, 0.5, alternative="greater").pvalue)
    return Paired(lost, gained, round(p, 4))
