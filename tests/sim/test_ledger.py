"""The per-resident arrays one event reads and writes one value at a time (sim/ledger.scalar_array)
are the same memory as the numpy arrays bulk work uses, whatever their size or type."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import scalar_array


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 3000),
    typecode=st.sampled_from(["d", "b"]),
    fill=st.sampled_from([0.0, 1.0, -1.0, math.nan]),
    writes=st.lists(st.tuples(st.integers(0, 2999), st.integers(-100, 100)), max_size=30),
)
def test_one_value_and_bulk_views_share_memory(n, typecode, fill, writes):
    if typecode == "b" and math.isnan(fill):
        fill = 0.0
    one, bulk = scalar_array(n, typecode, fill)
    assert len(one) == n and bulk.shape == (n,) and bulk.dtype == np.dtype(typecode)
    expected = np.full(n, fill, dtype=np.dtype(typecode))
    np.testing.assert_array_equal(bulk, expected)
    assert all(v == fill or (v != v and fill != fill) for v in one)
    for i, v in writes:
        if i >= n:
            continue
        if typecode == "d":
            one[i] += v * 0.5  # a Python float's arithmetic, stored where numpy reads it
            expected[i] += v * 0.5
            assert isinstance(one[i], float)
        else:
            one[i] = v
            expected[i] = v
            assert isinstance(one[i], int)
    np.testing.assert_array_equal(bulk, expected)
    if n:
        bulk[n - 1] = 7
        assert one[n - 1] == 7, "a bulk write is seen by one-value reads"


def test_a_whole_population_array_is_whole_and_filled():
    n = 580_003  # a full population's rows, past the size numpy asks huge pages for
    one, bulk = scalar_array(n, fill=-1.0)
    assert len(one) == n and bulk.size == n and np.all(bulk == -1.0)
    one[n - 1] = 2.5
    bulk[0] = 1.5
    assert bulk[n - 1] == 2.5 and one[0] == 1.5
