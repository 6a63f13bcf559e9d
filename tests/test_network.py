"""The plain network against finite differences and against the notes' formulas.

Helpers here (`make_problem`, the finite-difference and notes checks) also serve
the tests of the fast passes, which apply the same checks to them.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.special import expit

from skbackprop._engine import network as _network


def make_problem(n_outputs, rng, n=30, m=4, H=5, activation=None):
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


def numeric_gradient(f, theta, eps=1e-6):
    """Central differences (f(t + e) - f(t - e)) / 2e, coordinate by coordinate."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


FINITE_DIFFERENCE_CASES = pytest.mark.parametrize(
    "n_outputs, activation",
    [(1, "logistic"), (3, "softmax"), (5, "softmax"), (3, "logistic")],
    ids=["binary", "3 classes", "5 classes", "multilabel"],
)


def assert_matches_finite_differences(loss_gradient, n_outputs, activation, l2):
    """``loss_gradient`` (the plain or the fast one) gives the loss and the
    central differences of the loss, on random data with uneven sample weights."""
    rng = np.random.default_rng(0)
    layout, X, Y, s, theta, activation = make_problem(
        n_outputs, rng, activation=activation
    )

    def f(t):
        return _network.loss(t, layout, X, Y, s, l2, activation)

    value, grad = loss_gradient(theta, layout, X, Y, s, l2, activation)
    numeric = numeric_gradient(f, theta)
    assert value == pytest.approx(f(theta), rel=1e-12)
    rel_error = np.linalg.norm(grad - numeric) / np.linalg.norm(numeric)
    assert rel_error < 1e-6


@FINITE_DIFFERENCE_CASES
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(n_outputs, activation, l2):
    assert_matches_finite_differences(_network.loss_gradient, n_outputs, activation, l2)


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


def assert_is_the_notes_update(loss_gradient):
    """One step on ``loss_gradient``'s mean gradient is the notes' step on their
    sum, on the hand-written problem `HAND`."""
    d = HAND
    n = len(d["y"])
    alpha = 0.3
    expected = notes_update(d["X"], d["y"], d["W1"], d["b1"], d["w"], d["b"], alpha)

    layout = _network.Layout(2, 2, 1)
    theta = np.concatenate([d["W1"].ravel(), d["b1"], d["w"], [d["b"]]])
    s = np.full(n, 1 / n)
    _, grad = loss_gradient(theta, layout, d["X"], d["y"][:, None], s, 0.0, "logistic")
    # The notes' step alpha on the sum is the step n * alpha on the mean.
    got = layout.unpack(theta - n * alpha * grad)
    for have, want in zip(got, expected, strict=True):
        assert_allclose(have.ravel(), np.ravel(want), rtol=0, atol=1e-12)


def test_gradient_is_the_notes_sum_over_items_divided_by_n():
    assert_is_the_notes_update(_network.loss_gradient)


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


def test_sigmoid_matches_expit_and_does_not_warn_on_overflow():
    z = np.concatenate([np.linspace(-800, 800, 3201), [-np.inf, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            zd = z.astype(dtype)
            got = _network.sigmoid(zd)
            assert got.dtype == dtype
            assert_allclose(got, expit(zd), rtol=4 * np.finfo(dtype).eps, atol=0)


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
