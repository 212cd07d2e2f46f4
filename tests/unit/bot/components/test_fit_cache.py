"""The heads' fit cache: a fit with the same inputs and code is not run again; any change to the
rows, labels or settings, or an unreadable entry, runs it."""

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import scipy.sparse

from bot.components.fit_cache import FitCache, fit_cache, key


def counting(result: Any) -> tuple[Callable[[], Any], list[int]]:
    calls: list[int] = []

    def fit() -> Any:
        calls.append(1)
        return result

    return fit, calls


def rows() -> scipy.sparse.csr_matrix:
    return scipy.sparse.csr_matrix(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, 0.25]]))


def test_the_same_inputs_are_fitted_once(tmp_path: Path) -> None:
    cache = FitCache(tmp_path)
    fit, calls = counting({"coef": np.arange(3.0)})
    first = cache.get_or_fit("head", (rows(), [0, 1], {"C": 4.0}), fit)
    again = cache.get_or_fit("head", (rows(), [0, 1], {"C": 4.0}), fit)
    assert calls == [1]
    assert np.array_equal(first["coef"], again["coef"])


@pytest.mark.parametrize("changed", ["value", "label", "setting", "name"])
def test_any_change_to_what_the_fit_reads_fits_again(tmp_path: Path, changed: str) -> None:
    cache = FitCache(tmp_path)
    fit, calls = counting(1)
    cache.get_or_fit("head", (rows(), [0, 1], {"C": 4.0}), fit)
    other = rows()
    if changed == "value":
        other[1, 2] = 0.5
    parts = (other, [1, 1] if changed == "label" else [0, 1], {"C": 8.0 if changed == "setting" else 4.0})
    cache.get_or_fit("other" if changed == "name" else "head", parts, fit)
    assert calls == [1, 1]


def test_the_key_tells_a_sparse_matrix_from_its_dense_twin() -> None:
    assert key("head", rows()) != key("head", rows().toarray())
    assert key("head", rows()) == key("head", rows().copy())


def test_an_unreadable_entry_is_fitted_again_and_replaced(tmp_path: Path) -> None:
    cache = FitCache(tmp_path)
    fit, calls = counting([1, 2])
    cache.get_or_fit("head", (rows(),), fit)
    (entry,) = tmp_path.glob("*.joblib")
    entry.write_bytes(b"torn")
    assert cache.get_or_fit("head", (rows(),), fit) == [1, 2]
    assert cache.get_or_fit("head", (rows(),), fit) == [1, 2]
    assert calls == [1, 1]


def test_off_fits_every_time_and_writes_nothing(tmp_path: Path) -> None:
    cache = fit_cache("", tmp_path)
    fit, calls = counting(1)
    cache.get_or_fit("head", (rows(),), fit)
    cache.get_or_fit("head", (rows(),), fit)
    assert calls == [1, 1] and not list(tmp_path.iterdir())


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    cache = FitCache(tmp_path / "fits", keep=2)
    for n in range(4):
        cache.get_or_fit("head", (n,), counting(n)[0])
    assert len(list((tmp_path / "fits").glob("*.joblib"))) == 2
    fit, calls = counting(3)
    assert cache.get_or_fit("head", (3,), fit) == 3 and calls == []
