"""The heads' logistic fits, kept by what they were computed from, so that a retraining whose
rows and labels for a head are unchanged does not fit that head again.

Why: a trainer who only moves examples between two question intents changes what the intent
classifiers learn, but not one row or label of the emotion, complaint or risk heads. Rasa's own
training cache cannot see that: it keys a step on the whole training data, labels included, so
every head is fitted again, and those fits are most of a training (measured at stop 40 on a
retraining with one example added: emotion and complaint heads 478 s, risk kinds 153 s, of
1,157 s). Here a fit's result is stored under a digest of everything it depends on: the rows
(every stored value of the sparse matrix), the labels, the folds, the settings, the versions of
NumPy, SciPy and scikit-learn, and the source of `bot/components/`. Equal digests mean the same
computation, so the stored result is the one the fit would return; any change to the code or a
library starts afresh.

The cache is a folder of joblib files (config.yml names `var/cache/head_fits`, beside the sentence
vectors' cache; a component's default is off, so unit tests and tools write nothing); it keeps
the newest `KEEP` entries, so repeated trainings and cross-validations do not fill the disk. An
entry that cannot be read is fitted again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import joblib
import numpy as np
import scipy.sparse

from core.files import replace_whole

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# Entries kept: a training writes one for the emotion component and one per risk kind (7, about
# 30 MB in all at stop 40).
KEEP = 21
_COMPONENTS = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The source of every component module and the numeric libraries' versions."""
    digest = hashlib.sha256()
    for path in sorted(_COMPONENTS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("numpy", "scipy", "scikit-learn", "joblib"):
        digest.update(f"{package}={version(package)}".encode())
    return digest.hexdigest()


def _update(digest: Any, part: Any) -> None:
    if scipy.sparse.issparse(part):
        matrix = scipy.sparse.csr_matrix(part)
        digest.update(f"csr{matrix.shape}{matrix.dtype}".encode())
        for array in (matrix.data, matrix.indices, matrix.indptr):
            digest.update(np.ascontiguousarray(array).tobytes())
    elif isinstance(part, np.ndarray):
        digest.update(f"nd{part.shape}{part.dtype}".encode())
        digest.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, list | tuple):
        digest.update(f"seq{len(part)}".encode())
        for item in part:
            _update(digest, item)
    else:
        digest.update(f"{type(part).__name__}:{part!r}".encode())
    digest.update(b"\0")


def key(name: str, *parts: Any) -> str:
    """The digest of a fit: its name, its inputs (arrays, sparse matrices, labels, settings) and
    the code."""
    digest = hashlib.sha256(f"{name}\0{code_digest()}\0".encode())
    for part in parts:
        _update(digest, part)
    return f"{name}-{digest.hexdigest()[:32]}"


class FitCache:
    """A folder of fitted results keyed by `key`; `None` as the folder turns it off."""

    def __init__(self, folder: Optional[Path], keep: int = KEEP) -> None:
        self.folder, self.keep = folder, keep

    def get_or_fit(self, name: str, parts: tuple[Any, ...], fit: Callable[[], Result]) -> Result:
        if self.folder is None:
            return fit()
        entry = self.folder / f"{key(name, *parts)}.joblib"
        if entry.exists():
            try:
                result: Result = joblib.load(entry)
                os.utime(entry)  # the newest entries are the ones kept
                logger.info("%s: fitted result reused from %s", name, entry)
                return result
            except Exception as error:  # a torn or foreign file: fit again and overwrite it
                logger.warning("head fit cache %s unreadable (%s); fitting again", entry, error)
        result = fit()
        self._store(entry, result)
        return result

    def _store(self, entry: Path, result: Any) -> None:
        try:
            replace_whole(entry, lambda temporary: joblib.dump(result, temporary))  # the whole entry or none
            self._prune(entry.parent)
        except OSError as error:  # a cache that cannot be written costs the next training time only
            logger.warning("head fit cache %s not written (%s)", entry, error)

    def _prune(self, folder: Path) -> None:
        entries = sorted(folder.glob("*.joblib"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[self.keep:]:
            old.unlink(missing_ok=True)


def fit_cache(folder: Optional[str], root: Path) -> FitCache:
    """The cache a component's `fit_cache` setting names (relative to the project root; empty: off)."""
    if not folder:
        return FitCache(None)
    path = Path(folder)
    return FitCache(path if path.is_absolute() else root / path)
