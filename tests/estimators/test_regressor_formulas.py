"""The regressor is the notes' network with identity outputs: its gradient is
the central difference of its loss, a plain step of 'gd' is ``W - alpha dC/dW``,
its steps are MLPRegressor's with the same weights, and it starts from the
classifier's hidden weights."""

import numpy as np
import pytest
from _notes import numeric_gradient
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier, TwoLayerRegressor
from skbackprop._engine import network as _network


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:80], (y[:80] - y.mean()) / y.std()


@pytest.fixture(scope="module")
def linnerud():
    X, Y = load_linnerud(return_X_y=True)
    return StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)


def _targets(request, width):
    """The data of one target (diabetes) or three (linnerud)."""
    return request.getfixturevalue("diabetes" if width == 1 else "linnerud")


def _flat(reg):
    (W1, W2), (b1, b2) = reg.coefs_, reg.intercepts_
    return np.concatenate([W1.ravel(), b1, W2.ravel(), b2])


def _set_flat(reg, theta):
    m, H = reg.coefs_[0].shape
    layout = _network.Layout(m, H, reg.n_outputs_)
    p = layout.unpack(theta.copy())
    reg.coefs_, reg.intercepts_ = [p.W1, p.W2], [p.b1, p.b2]


@pytest.mark.filterwarnings("ignore:solver='gd' reached max_iter=20")
@pytest.mark.parametrize("width", [1, 3], ids=["one target", "three targets"])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_loss_gradient_is_the_central_difference_of_the_loss(request, width, l2):
    X, y = _targets(request, width)
    rng = np.random.default_rng(0)
    sample_weight = rng.uniform(0.2, 3.0, size=len(X))  # uneven weights
    reg = TwoLayerRegressor(n_hidden=4, l2=l2, max_iter=20, random_state=0)
    reg.fit(X, y, sample_weight)
    theta = _flat(reg)

    def loss(t):
        _set_flat(reg, t)
        return reg.loss_gradient(X, y, sample_weight)[0]

    numeric = numeric_gradient(loss, theta)
    _set_flat(reg, theta)
    value, (coef_grads, intercept_grads) = reg.loss_gradient(X, y, sample_weight)
    grad = np.concatenate(
        [coef_grads[0].ravel(), intercept_grads[0], coef_grads[1].ravel()]
        + [intercept_grads[1]]
    )
    assert np.linalg.norm(grad - numeric) < 1e-7 * np.linalg.norm(numeric)

    # the loss itself: the weighted mean of (1/2) sum_k (o_k - y_k)^2 plus l2
    residual = reg.predict(X).reshape(len(X), -1) - y.reshape(len(X), -1)
    mean_se = np.average(0.5 * (residual**2).sum(axis=1), weights=sample_weight)
    penalty = 0.5 * l2 * sum((W**2).sum() for W in reg.coefs_)
    assert value == pytest.approx(mean_se + penalty, rel=1e-12)


@pytest.mark.parametrize("width", [1, 3], ids=["one target", "three targets"])
def test_a_plain_gd_step_is_w_minus_the_learning_rate_times_the_gradient(
    request, width
):
    X, y = _targets(request, width)
    reg = TwoLayerRegressor(
        n_hidden=5, solver="gd", momentum=0.0, learning_rate=0.3, l2=0.01
    )
    reg.partial_fit(X, y)
    before = _flat(reg)
    _, (coef_grads, intercept_grads) = reg.loss_gradient(X, y)
    reg.partial_fit(X, y)
    grad = np.concatenate(
        [coef_grads[0].ravel(), intercept_grads[0], coef_grads[1].ravel()]
        + [intercept_grads[1]]
    )
    assert_allclose(_flat(reg), before - 0.3 * grad, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("width", [1, 3], ids=["one target", "three targets"])
def test_steps_are_those_of_mlpregressor_from_the_same_weights(request, width):
    # MLPRegressor's gradient is that of (1/n) sum_i (1/2) |o_i - y_i|^2 plus
    # (alpha / 2n) |W|^2: this loss with l2 = alpha / n. Full-batch 'sgd'
    # without momentum is then the notes' step, as 'gd' with momentum=0 is.
    X, y = _targets(request, width)
    n, alpha, step = len(X), 0.5, 0.2
    ours = TwoLayerRegressor(
        n_hidden=6,
        solver="gd",
        momentum=0.0,
        learning_rate=step,
        l2=alpha / n,
        random_state=0,
    )
    mlp = MLPRegressor(
        hidden_layer_sizes=(6,),
        activation="logistic",
        solver="sgd",
        learning_rate_init=step,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=alpha,
        batch_size=n,
        shuffle=False,
        random_state=0,
    )
    mlp.partial_fit(X, y)  # sets MLPRegressor's attributes up; its step is undone:
    ours.partial_fit(X, y)  # both continue from our weights after one step
    mlp.coefs_ = [W.copy() for W in ours.coefs_]
    mlp.intercepts_ = [b.copy() for b in ours.intercepts_]
    for _ in range(10):
        # the loss at the weights of this step, and its L2 term
        loss = ours.loss_gradient(X, y)[0]
        penalty = 0.5 * (alpha / n) * sum((W**2).sum() for W in ours.coefs_)
        ours.partial_fit(X, y)
        mlp.partial_fit(X, y)
        for got, expected in zip(
            ours.coefs_ + ours.intercepts_, mlp.coefs_ + mlp.intercepts_, strict=True
        ):
            assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
        assert ours.loss_curve_[-1] == pytest.approx(loss, rel=1e-12)
        # MLPRegressor's reported loss averages the targets where its gradient
        # sums them: for k targets its data term is this one divided by k.
        assert mlp.loss_curve_[-1] == pytest.approx(
            (loss - penalty) / width + penalty, rel=1e-12
        )
    assert_allclose(ours.predict(X), mlp.predict(X), rtol=1e-12, atol=1e-13)


def test_the_regressor_starts_from_the_classifiers_hidden_weights(diabetes):
    # The same seed, data and n_hidden draw the same W1 (then W2, whose shape
    # depends on the outputs). A step of 1e-300 leaves the start as it was.
    X, y = diabetes
    labels = (y > 0).astype(int)
    tiny = {"solver": "gd", "learning_rate": 1e-300, "random_state": 7}
    reg = TwoLayerRegressor(n_hidden=9, **tiny).partial_fit(X, y)
    clf = TwoLayerClassifier(n_hidden=9, **tiny).partial_fit(X, labels, [0, 1])
    rng = np.random.RandomState(7)
    start = _network.init_params(_network.Layout(X.shape[1], 9, 1), rng, X.dtype)
    W1 = _network.Layout(X.shape[1], 9, 1).unpack(start).W1
    assert_array_equal(reg.coefs_[0], W1)
    assert_array_equal(clf.coefs_[0], reg.coefs_[0])
    assert_array_equal(clf.coefs_[1], reg.coefs_[1])  # one output unit each


def test_an_offset_of_the_targets_is_not_silent(diabetes):
    # Standardized targets plus 10: the first residuals, and steps, are as
    # large as the offset, and 'gd' ends with saturated hidden units (R²
    # about 0). The fit says so and what to change.
    X, y = diabetes
    mean = np.mean(y + 10.0)
    with pytest.warns(UserWarning, match=f"its column 0 has a mean of {mean:.3g}"):
        TwoLayerRegressor(random_state=0).fit(X, y + 10.0)
