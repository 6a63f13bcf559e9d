"""The fast full-batch pass against the plain network of `_network`, against
finite differences and the notes' formulas, and on any number of threads."""

import numpy as np
import pytest
from _notes import (
    FINITE_DIFFERENCE_CASES,
    assert_is_the_notes_update,
    assert_matches_finite_differences,
    make_problem,
)
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop._engine import backprop as _backprop
from skbackprop._engine import network as _network


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

    from skbackprop._engine.workspace import Workspace

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


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_blocked_pass_is_bitwise_the_same_on_any_number_of_threads(sparse):
    from scipy.sparse import csr_matrix

    from skbackprop._engine.workspace import Workspace

    rng = np.random.default_rng(2)
    layout, X, Y, s, theta, activation = make_problem(5, rng, n=300, m=8, H=16)
    if sparse:
        X[rng.uniform(size=X.shape) < 0.5] = 0.0
        X = csr_matrix(X)
    results = []
    for threads in (1, 2, 3):
        with Workspace(
            layout, X.shape[0], X.dtype, rows=16, chunks=5, threads=threads
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


# --------------------------------------------------------------------------------------
# Sparse X: dC/dW1 = X^T D1 after the blocks
# --------------------------------------------------------------------------------------
def test_sparse_pass_in_bands_and_on_new_data_matches_the_plain_formulas(monkeypatch):
    # X^T D1 written a band of features at a time (bands of 3 rows of W1 here),
    # and X^T made again when the pass is handed other rows (a mini-batch), with
    # one workspace: each call is the plain formulas' on its own rows.
    from scipy.sparse import csr_matrix

    from skbackprop._engine.workspace import Workspace

    monkeypatch.setattr(_backprop.Transposed, "BAND_BYTES", 3 * 5 * 8)
    rng = np.random.default_rng(4)
    layout, X, Y, s, theta, activation = make_problem(4, rng, n=60, m=20, H=5)
    X[rng.uniform(size=X.shape) < 0.7] = 0.0
    with Workspace(layout, 30, X.dtype, rows=4, chunks=3, threads=2) as work:
        for rows in (slice(0, 30), slice(30, 60), slice(0, 30)):
            s_rows = s[rows] / s[rows].sum()
            value, grad = _backprop.loss_gradient(
                theta, layout, csr_matrix(X[rows]), Y[rows], s_rows, 0.1,
                activation, work=work,
            )  # fmt: skip
            plain = _network.loss_gradient(
                theta, layout, X[rows], Y[rows], s_rows, 0.1, activation
            )
            assert value == pytest.approx(plain[0], rel=1e-13)
            assert_allclose(grad, plain[1], rtol=1e-12, atol=1e-15)


def test_sparse_pass_keeps_no_gradient_of_w1s_size_per_chunk():
    # The chunks add up only the gradient of b1, W2 and b2: on wide sparse data
    # a gradient of W1's size per chunk would multiply the memory of a fit.
    from scipy.sparse import random as sparse_random

    from skbackprop._engine.workspace import Workspace

    rng = np.random.default_rng(5)
    layout = _network.Layout(5000, 8, 3)
    X = sparse_random(400, 5000, density=0.01, format="csr", random_state=0)
    Y = _network.targets(rng.integers(3, size=400), 3, float)
    s = np.full(400, 1 / 400)
    theta = _network.init_params(layout, rng)
    with Workspace(layout, 400, float, chunks=4, threads=2) as work:
        _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, "softmax", work=work)
        chunk_grads = [a for grads in work._grads.values() for a in grads]
        kept = [a.size for a in chunk_grads]
        kept += [
            a.size
            for block in work.scratch(_backprop.SparseScratch).blocks
            for a in vars(block).values()
            if isinstance(a, np.ndarray)
        ]
    assert len(chunk_grads) >= 3
    assert max(kept) < 5000 * 8


# --------------------------------------------------------------------------------------
# Prediction in blocks
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "n_outputs, activation",
    [(1, "logistic"), (4, "softmax"), (3, "logistic")],
    ids=["binary", "4 classes", "multilabel"],
)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_blocked_prediction_is_the_plain_forward_pass(n_outputs, activation, sparse):
    # 12000 rows of 64 hidden units: blocks of 1024 rows on up to 8 chunks, on
    # one thread or several. Every row's logits and probabilities are those of
    # _network's forward pass and output units; one block's worth of rows takes
    # the plain forward pass itself, to the bit.
    from scipy.sparse import csr_matrix
    from threadpoolctl import threadpool_limits

    from skbackprop._engine.workspace import block_rows

    rng = np.random.default_rng(6)
    layout, X, _, _, theta, activation = make_problem(
        n_outputs, rng, n=12000, m=40, H=64, activation=activation
    )
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    p = layout.unpack(theta * 0.3)
    Xfast = csr_matrix(X) if sparse else X
    Z = _network.forward(X, p)[1]
    proba = _network.per_class(_network.output, Z, activation)
    assert block_rows(layout, X.dtype) == 1024

    blocked = _backprop.logits(Xfast, p)
    assert_allclose(blocked, Z, rtol=1e-12, atol=1e-14)
    assert_allclose(
        _backprop.probabilities(Xfast, p, activation), proba, rtol=1e-12, atol=1e-15
    )
    with threadpool_limits(1):
        assert_array_equal(_backprop.logits(Xfast, p), blocked)
    small = _backprop.probabilities(Xfast[:1024], p, activation)
    assert_array_equal(
        small,
        _network.per_class(
            _network.output, _network.forward(Xfast[:1024], p)[1], activation
        ),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1.0, 1e4], ids=["small logits", "huge logits"])
def test_softmax_pass_is_exact_with_small_and_with_huge_logits(dtype, scale):
    # Logits near 0, and logits far beyond the range of exp: the loss and the
    # gradient are the plain formulas', and finite.
    rng = np.random.default_rng(7)
    layout, X, Y, s, theta, activation = make_problem(4, rng, n=300, m=5, H=6)
    p = layout.unpack(theta)
    p.W2[...] *= scale
    p.b2[...] = scale * rng.normal(size=4)
    value, grad = _backprop.loss_gradient(
        theta.astype(dtype), layout, X.astype(dtype), Y.astype(dtype),
        s.astype(dtype), 0.0, activation,
    )  # fmt: skip
    plain = _network.loss_gradient(theta, layout, X, Y, s, 0.0, activation)
    assert np.isfinite(value) and np.isfinite(grad).all()
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    assert value == pytest.approx(plain[0], rel=rtol)
    assert_allclose(grad, plain[1], rtol=rtol, atol=rtol * np.abs(plain[1]).max())
