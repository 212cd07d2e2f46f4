"""The folds of the cross-validation runs (`tools.crossval` and its comparisons): random, or
grouped so that a training file, or a family of files, is never on both sides, and with the files a
comparison adds (`--score-without`) on the training side of every fold."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

import numpy as np

# A later sitting of the same writing (`_a`…`_h`, `_more`, `_extra`) or one label's half of it
# (`_positive`, `_negative`): what `family` strips from a training file's name.
SITTING = re.compile(r"_(?:[a-z]|more|extra|positive|negative)$")


def family(name: str) -> str:
    """A training file's family: `emotion_everyday_zh_c.yml` → `emotion_everyday_zh`. Sittings of
    one family share a writer's prompt and style, so folds that hold out single files still train
    on the held-out file's siblings; holding out families is the nearer stand-in for a writer or a
    register the heads never saw (stop 31: by-file gains did not reach the dev sets)."""
    stem = name.rsplit(".", 1)[0]
    while (shorter := SITTING.sub("", stem)) != stem:
        stem = shorter
    return stem


# The group of the examples that every fold trains on and none scores (`--score-without`).
ALWAYS_TRAINED = "<always trained>"


def held_out_groups(data: Dict[str, Any], unscored: frozenset[str] = frozenset()) -> List[str]:
    """Per example, what a grouped fold keeps on one side: its file, or its file's family when the
    run holds out families (`data["by_family"]`, set by `--by-family`). Examples of the files in
    `unscored` get `ALWAYS_TRAINED`: a run with a new training file then splits the other files into
    the very folds the run without it used, so the two differ by the file alone (stop 34: as a
    family of its own, a new file reshuffled which families GroupKFold trained together)."""
    files = [str(e[3]) for e in data["examples"]]
    groups = [family(f) for f in files] if data.get("by_family") else files
    return [ALWAYS_TRAINED if f in unscored else g for f, g in zip(files, groups, strict=True)]


def scored_rows(data: Dict[str, Any], unscored: frozenset[str]) -> np.ndarray:
    """Per example, whether a comparison counts it: not when its file is in `unscored` (the one
    mask every figure of a `--score-without` run is taken over)."""
    return np.array([str(e[3]) not in unscored for e in data["examples"]], dtype=bool)


def folds_of(labels: List[Any], groups: Optional[List[str]], folds: int) -> List[tuple[np.ndarray, np.ndarray]]:
    """Stratified random folds, or folds that keep every training file on one side; rows of group
    `ALWAYS_TRAINED` are in every fold's training side and no fold's held-out side."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    if groups is None:
        return list(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels))
    pinned = np.array([g == ALWAYS_TRAINED for g in groups], dtype=bool)
    rest, always = np.flatnonzero(~pinned), np.flatnonzero(pinned)
    split = GroupKFold(folds).split(np.zeros(len(rest)), [labels[i] for i in rest], [groups[i] for i in rest])
    return [(np.sort(np.concatenate([rest[train], always])), rest[test]) for train, test in split]
