"""Rolled durations keep percentiles within the bucket width; blobs add up."""

import random

import numpy as np

from handoff.stats.cells import BUCKETS, bucket, decode_sum, encode, estimate, exact


def test_percentiles_from_buckets_stay_within_five_percent() -> None:
    rng = random.Random(3)
    for mu, sigma, n in ((4.5, 1.2, 5000), (8.5, 1.3, 300), (2.0, 0.3, 40)):
        values = [rng.lognormvariate(mu, sigma) for _ in range(n)]
        histogram = np.zeros(BUCKETS, dtype=np.int64)
        for v in values:
            histogram[bucket(v)] += 1
        for q in (0.5, 0.9):
            truth = exact(values, q)
            assert truth is not None
            assert abs((estimate(histogram, q) or 0) - truth) <= 0.05 * truth


def test_nothing_has_no_percentile() -> None:
    assert estimate(np.zeros(BUCKETS, dtype=np.int64), 0.5) is None and exact([], 0.5) is None


def test_sparse_blobs_add_up() -> None:
    total = decode_sum([encode({0: 2, 5: 1}), encode({5: 3, 300: 7}), encode({})], 340)
    assert total[0] == 2 and total[5] == 4 and total[300] == 7 and int(total.sum()) == 13
