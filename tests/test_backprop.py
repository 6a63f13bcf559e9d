"""The numerics against finite differences and against the notes' formulas."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

from skbackprop import _backprop, _blas, _network


def _problem(n_outputs, rng, n=30, m=4, H=5, activation=None):
    """Random data, targets and weights for a network with n_outputs units."""
    layout = _network.Layout(m, H, n_outputs)
    X = rng.normal(size=(n, m))
    if activation is None:
        activation = _network.SIGMOID if n_outputs == 1 else _network.SOFTMAX
    if activation == _network.SOFTMAX:
        Y = _network.targets(rng.integers(n_outputs, size=n), n_outputs, float)
    else:
        Y = rng.integers(2, size=(n, n_outputs)).astype(float)
    s = rng.uniform(0.1, 3.0, size=n)  # non-uniform sample weights
    s /= s.sum()
    theta = rng.normal(size=layout.size)
    return layout, X, Y, s, theta, activation


def _numeric_gradient(f, theta, eps=1e-6):
    """Central differences (f(t + e) - f(t - e)) / 2e, coordinate by coordinate."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "n_outputs, activation",
    [(1, "logistic"), (3, "softmax"), (5, "softmax"), (3, "logistic")],
    ids=["binary", "3 classes", "5 classes", "multilabel"],
)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(n_outputs, activation, l2):
    rng = np.random.default_rng(0)
    layout, X, Y, s, theta, activation = _problem(n_outputs, rng, activation=activation)

    def f(t):
        return _network.loss(t, layout, X, Y, s, l2, activation)

    value, grad = _backprop.loss_gradient(theta, layout, X, Y, s, l2, activation)
    numeric = _numeric_gradient(f, theta)
    assert value == pytest.approx(f(theta), rel=1e-12)
    rel_error = np.linalg.norm(grad - numeric) / np.linalg.norm(numeric)
    assert rel_error < 1e-6


def test_loss_from_logits_is_finite_where_probabilities_round():
    # Logits of +-800 make the sigmoid round to exactly 0 or 1; a loss written as
    # log(o) would be inf there, the loss from the logits is exact.
    Z = np.array([[800.0], [-800.0]])
    Y = np.array([[0.0], [1.0]])
    assert_allclose(_network.cross_entropy(Z, Y, "logistic"), [800.0, 800.0])
    Z = np.array([[1000.0, 0.0, -1000.0]])
    Y = np.array([[0.0, 0.0, 1.0]])
    assert_allclose(_network.cross_entropy(Z, Y, "softmax"), [2000.0])


def notes_update(X, y, W1, b1, w, b, alpha):
    """One step of the notes' gradient descent on the summed loss, for 2-H-1.

    Written with explicit sums over the items i, hidden units j and inputs l, as
    in the notes, with the biases the notes' gradients include.
    """
    n, m = X.shape
    H = len(w)
    h = expit(X @ W1 + b1)  # h_ij = g(sum_l w_lj x_il + b_j)
    o = expit(h @ w + b)  # o_i = g(sum_j w_j h_ij + b)
    dw = [sum((o[i] - y[i]) * h[i, j] for i in range(n)) for j in range(H)]
    db = sum(o[i] - y[i] for i in range(n))
    dW1 = [
        [
            sum(
                (o[i] - y[i]) * w[j] * h[i, j] * (1 - h[i, j]) * X[i, l]
                for i in range(n)
            )
            for j in range(H)
        ]
        for l in range(m)
    ]
    db1 = [
        sum((o[i] - y[i]) * w[j] * h[i, j] * (1 - h[i, j]) for i in range(n))
        for j in range(H)
    ]
    return (
        W1 - alpha * np.array(dW1),
        b1 - alpha * np.array(db1),
        w - alpha * np.array(dw),
        b - alpha * db,
    )


HAND = {
    "X": np.array([[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]]),
    "y": np.array([1.0, 0.0, 1.0]),
    "W1": np.array([[0.1, -0.2], [0.4, 0.3]]),  # w_lj: input l -> hidden j
    "b1": np.array([0.05, -0.1]),
    "w": np.array([0.7, -0.5]),  # w_j: hidden j -> output
    "b": 0.2,
}


def test_gradient_is_the_notes_sum_over_items_divided_by_n():
    d = HAND
    n = len(d["y"])
    alpha = 0.3
    expected = notes_update(d["X"], d["y"], d["W1"], d["b1"], d["w"], d["b"], alpha)

    layout = _network.Layout(2, 2, 1)
    theta = np.concatenate([d["W1"].ravel(), d["b1"], d["w"], [d["b"]]])
    s = np.full(n, 1 / n)
    _, grad = _backprop.loss_gradient(
        theta, layout, d["X"], d["y"][:, None], s, 0.0, "logistic"
    )
    # The notes' step alpha on the sum is the step n * alpha on the mean.
    got = layout.unpack(theta - n * alpha * grad)
    for have, want in zip(got, expected, strict=True):
        assert_allclose(have.ravel(), np.ravel(want), rtol=0, atol=1e-12)


def test_layout_views_share_memory():
    layout = _network.Layout(3, 4, 2)
    theta = np.zeros(layout.size)
    p = layout.unpack(theta)
    assert [a.shape for a in p] == [(3, 4), (4,), (4, 2), (2,)]
    for a in p:
        assert np.shares_memory(a, theta)


def test_init_params_draws_from_the_given_rng():
    layout = _network.Layout(5, 7, 3)
    a = _network.init_params(layout, np.random.RandomState(1))
    b = _network.init_params(layout, np.random.RandomState(1))
    assert_allclose(a, b, rtol=0, atol=0)
    p = layout.unpack(a)
    assert np.abs(p.W1).max() <= np.sqrt(2 / 12)
    assert not p.b1.any() and not p.b2.any()
    for dtype in (np.float32, np.float64):
        assert (
            _network.init_params(layout, np.random.RandomState(1), dtype).dtype == dtype
        )


# --------------------------------------------------------------------------------------
# The fast core against the plain formulas
# --------------------------------------------------------------------------------------
def plain_loss_gradient(theta, layout, X, Y, s, l2, activation):
    """The notes' matrix form with whole arrays, scipy's expit and softmax."""
    from scipy.special import logsumexp, softmax

    W1, b1, W2, b2 = layout.unpack(theta)
    h = expit(X @ W1 + b1)
    Z = h @ W2 + b2
    if activation == "logistic":
        ce = (np.logaddexp(0, Z) - Y * Z).sum(axis=1)
        o = expit(Z)
    else:
        ce = logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)
        o = softmax(Z, axis=1)
    loss = s @ ce + l2 / 2 * ((W1**2).sum() + (W2**2).sum())
    D2 = s[:, None] * (o - Y)
    D1 = (D2 @ W2.T) * h * (1 - h)
    grad = np.concatenate(
        [
            (X.T @ D1 + l2 * W1).ravel(),
            D1.sum(axis=0),
            (h.T @ D2 + l2 * W2).ravel(),
            D2.sum(axis=0),
        ]
    )
    return loss, grad


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
    layout, X, Y, s, _, activation = _problem(
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
            return plain_loss_gradient(t, layout, X, Y, s, l2, activation)

        assert fast(theta)[0] == pytest.approx(plain(theta)[0], rel=1e-13)
        assert_allclose(
            _descend(fast, theta), _descend(plain, theta), rtol=0, atol=1e-10
        )


def test_blocked_pass_is_bitwise_the_same_on_any_number_of_threads():
    from skbackprop._workspace import Workspace

    rng = np.random.default_rng(2)
    layout, X, Y, s, theta, activation = _problem(5, rng, n=300, m=8, H=16)
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
    layout, X, Y, s, theta, activation = _problem(3, rng, n=2000, m=10, H=20)
    value64, grad64 = _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, activation)
    as32 = [a.astype(np.float32) for a in (theta, X, Y, s)]
    value32, grad32 = _backprop.loss_gradient(
        as32[0], layout, as32[1], as32[2], as32[3], 0.0, activation
    )
    assert grad32.dtype == np.float32
    assert value32 == pytest.approx(value64, rel=1e-5)
    assert_allclose(grad32, grad64, rtol=0, atol=1e-5 * np.abs(grad64).max())


def test_sigmoid_matches_expit_and_does_not_warn_on_overflow():
    z = np.concatenate([np.linspace(-800, 800, 3201), [-np.inf, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            zd = z.astype(dtype)
            got = _network.sigmoid(zd)
            assert got.dtype == dtype
            assert_allclose(got, expit(zd), rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_one_item_kernel_gives_the_weights_of_the_plain_formulas(
    l2, dtype, monkeypatch
):
    # Online learning of the notes' network, one item per step, takes the kernel
    # written with the notes' per-item scalars and BLAS calls; it must agree with
    # the plain formulas step by step.
    calls = []
    kernel = _backprop.ItemLossGradient._sigmoid_item

    def counted(self, *args):
        calls.append(1)
        return kernel(self, *args)

    monkeypatch.setattr(_backprop.ItemLossGradient, "_sigmoid_item", counted)
    rng = np.random.default_rng(4)
    layout, X, Y, _, _, activation = _problem(1, rng, n=40, m=5, H=7)
    theta_fast = _network.init_params(layout, np.random.RandomState(0), dtype)
    theta_plain = theta_fast.astype(float)
    item = _backprop.ItemLossGradient(
        layout, X.astype(dtype), Y.astype(dtype), l2, activation
    )
    one = np.ones(1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for _ in range(3):
        for i in range(len(X)):
            rows = slice(i, i + 1)
            fast = item(theta_fast, i)
            plain = plain_loss_gradient(
                theta_plain, layout, X[rows], Y[rows], one, l2, activation
            )
            assert fast[1].dtype == dtype
            assert fast[0] == pytest.approx(plain[0], rel=tol, abs=tol * 1e-3)
            theta_fast -= dtype(0.5) * fast[1]
            theta_plain -= 0.5 * plain[1]
    assert_allclose(
        theta_fast, theta_plain, rtol=0, atol=1e-10 if dtype == np.float64 else 1e-4
    )
    assert len(calls) == 3 * len(X)


@pytest.mark.parametrize(
    "n_outputs, activation, sparse",
    [(3, "softmax", False), (2, "logistic", False), (1, "logistic", True)],
    ids=["softmax", "multilabel", "sparse"],
)
def test_one_item_gradient_of_other_networks_is_the_one_row_gradient(
    n_outputs, activation, sparse
):
    import scipy.sparse as sp

    rng = np.random.default_rng(5)
    layout, X, Y, _, theta, activation = _problem(
        n_outputs, rng, n=6, activation=activation
    )
    item = _backprop.ItemLossGradient(
        layout, sp.csr_matrix(X) if sparse else X, Y, 0.1, activation
    )
    assert not item.per_item
    for i in range(len(X)):
        value, grad = item(theta, i)
        expected = plain_loss_gradient(
            theta, layout, X[i : i + 1], Y[i : i + 1], np.ones(1), 0.1, activation
        )
        assert value == pytest.approx(expected[0], rel=1e-12)
        assert_allclose(grad, expected[1], rtol=0, atol=1e-12)


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


def test_penalty_is_the_same_to_the_bit_on_any_number_of_threads():
    # OpenBLAS splits a dot product of more than 10000 numbers between threads,
    # which changes its last bits; the L2 term must not depend on that.
    from threadpoolctl import threadpool_limits

    layout = _network.Layout(300, 64, 10)  # 19200 input weights
    theta = np.random.default_rng(0).normal(size=layout.size)
    p = layout.unpack(theta)
    values = []
    for threads in (1, 2, 3):
        with threadpool_limits(threads):
            values.append(_network.penalty(p, 0.5))
    assert values[0] == values[1] == values[2]
    assert values[0] == pytest.approx(0.25 * (p.W1**2).sum() + 0.25 * (p.W2**2).sum())
