"""The BLAS helpers: updates in place, or an error."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skbackprop._engine import blas as _blas


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_axpy_updates_in_place_or_refuses(dtype):
    # scipy's BLAS wrappers silently update a copy of a y they cannot write to;
    # axpy must either change y itself or raise, never lose the update.
    x = np.arange(6, dtype=dtype)
    y = np.ones(6, dtype=dtype)
    _blas.axpy(-0.5, x, y)
    assert_array_equal(y, 1 - 0.5 * np.arange(6, dtype=dtype))
    strided = np.ones(12, dtype=dtype)[::2]
    with pytest.raises(TypeError, match="contiguous"):
        _blas.axpy(1.0, x, strided)
    assert_array_equal(strided, 1)
    read_only = np.ones(6, dtype=dtype)
    read_only.flags.writeable = False
    for a, b in ((x, read_only), (x[:4], y), (x.reshape(2, 3), y.reshape(2, 3))):
        before = b.copy()
        with pytest.raises(TypeError, match="vectors of one length"):
            _blas.axpy(1.0, a, b)
        assert_array_equal(b, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outer_into_is_matmuls_outer_product_in_place(dtype):
    rng = np.random.default_rng(0)
    u, v = rng.random(300).astype(dtype), rng.random(7).astype(dtype)
    expected = np.matmul(u[:, None], v[None, :])
    out = np.empty((300, 7), dtype)
    assert _blas.outer_into(u, v, out) is out
    assert_array_equal(out, expected)  # each number is the one product u_i v_j
    rows = np.full((400, 7), -1.0, dtype)  # the first rows of a larger buffer
    _blas.outer_into(u, v, rows[:300])
    assert_array_equal(rows[:300], expected)
    assert np.all(rows[300:] == -1)
    fortran = np.empty((7, 300), dtype).T  # not C order: NumPy's product
    assert_array_equal(_blas.outer_into(u, v, fortran), expected)
    empty = np.empty((0, 7), dtype)  # no rows: nothing for BLAS to write
    assert _blas.outer_into(u[:0], v, empty).shape == (0, 7)
