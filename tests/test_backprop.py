"""The fast full-batch pass against the plain network of `_network`, against
finite differences and the notes' formulas, and on any number of threads."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from test_network import (
    FINITE_DIFFERENCE_CASES,
    assert_is_the_notes_update,
    assert_matches_finite_differences,
    make_problem,
)

from skbackprop import _backprop, _network


@FINITE_DIFFERENCE_CASES
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(n_outputs, activation, l2):
    assert_matches_finite_differences(
        _backprop.loss_gradient, n_outputs, activation, l2
    )


def test_gradient_is_the_notes_sum_over_items_divided_by_n():
    assert_is_the_notes_update(_backprop.loss_gradient)


# --------------------------------------------------------------------------------------
# The fast core against the plain formulas
# --------------------------------------------------------------------------------------
def _descend(loss_gradient, theta, steps=25, learning_rate=0.5):
    theta = theta.copy()
    for _ in range(steps):
        _, grad = loss_gradient(theta)
        theta -= learning_rate * grad
    return theta


def _read_only(*arrays):
    for a in arrays:
        a.setflags(write=False)


@pytest.mark.parametrize(
    "n_outputs, activation",
    [(1, "logistic"), (4, "softmax"), (3, "logistic")],
    ids=["binary", "4 classes", "multilabel"],
)
@pytest.mark.parametrize("rows", [None, 7], ids=["one block", "blocks and chunks"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_fast_core_gives_the_weights_of_the_plain_formulas(
    n_outputs, activation, rows, sparse
):
    from scipy.sparse import csr_matrix

    from skbackprop._workspace import Workspace

    rng = np.random.default_rng(1)
    layout, X, Y, s, _, activation = make_problem(
        n_outputs, rng, n=101, m=6, H=9, activation=activation
    )
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    theta = _network.init_params(layout, np.random.RandomState(0))
    _read_only(X, Y, s)
    Xfast = csr_matrix(X) if sparse else X
    l2 = 0.01

    chunks = None if rows is None else 8
    with Workspace(
        layout, len(X), X.dtype, rows=rows, chunks=chunks, threads=2
    ) as work:
        assert len(work.chunks) == (1 if rows is None else 8)
        assert work.rows == (len(X) if rows is None else 7)

        def fast(t):
            return _backprop.loss_gradient(
                t, layout, Xfast, Y, s, l2, activation, work=work
            )

        def plain(t):
            return _network.loss_gradient(t, layout, X, Y, s, l2, activation)

        assert fast(theta)[0] == pytest.approx(plain(theta)[0], rel=1e-13)
        assert_allclose(
            _descend(fast, theta), _descend(plain, theta), rtol=0, atol=1e-10
        )


def test_blocked_pass_is_bitwise_the_same_on_any_number_of_threads():
    from skbackprop._workspace import Workspace

    rng = np.random.default_rng(2)
    layout, X, Y, s, theta, activation = make_problem(5, rng, n=300, m=8, H=16)
    results = []
    for threads in (1, 2, 3):
        with Workspace(
            layout, len(X), X.dtype, rows=16, chunks=5, threads=threads
        ) as work:
            assert work.threads == threads
            results.append(
                _backprop.loss_gradient(
                    theta, layout, X, Y, s, 0.1, activation, work=work
                )
            )
    for value, grad in results[1:]:
        assert value == results[0][0]
        assert_array_equal(grad, results[0][1])


def test_float32_core_stays_float32_and_close_to_float64():
    rng = np.random.default_rng(3)
    layout, X, Y, s, theta, activation = make_problem(3, rng, n=2000, m=10, H=20)
    value64, grad64 = _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, activation)
    as32 = [a.astype(np.float32) for a in (theta, X, Y, s)]
    value32, grad32 = _backprop.loss_gradient(
        as32[0], layout, as32[1], as32[2], as32[3], 0.0, activation
    )
    assert grad32.dtype == np.float32
    assert value32 == pytest.approx(value64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=0, atol=1e-5 * np.abs(grad64).max())
