"""The notes' network by hand, and finite differences: the checks that the
tests of the plain network and of every fast pass apply alike."""

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
    elif activation == _network.IDENTITY:  # regression targets
        Y = rng.normal(size=(n, n_outputs))
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
    [
        (1, "logistic"),
        (3, "softmax"),
        (5, "softmax"),
        (3, "logistic"),
        (1, "identity"),
        (3, "identity"),
    ],
    ids=["binary", "3 classes", "5 classes", "multilabel", "regression", "3 targets"],
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
