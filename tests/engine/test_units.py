"""The units' tables and the ``activation`` parameter.

Every row of `units.ACTIVATIONS` -- the names are read from the table, so a new
row is tested as soon as it is added -- against its closed form and central
differences; the plain network and the fast passes with each hidden unit against
central differences, and against each other (dense and sparse, blocks and
chunks, the one-item kernel); and the estimator with each unit: every solver
trains, in float32 and float64, dense and sparse, and its predictions, hidden
layer and gradient are those of the formulas.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import DATA
from _notes import make_problem, numeric_gradient
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import TwoLayerClassifier
from skbackprop._engine import backprop as _backprop
from skbackprop._engine import network as _network
from skbackprop._engine import online as _online
from skbackprop._engine import units as _units
from skbackprop._engine.workspace import Workspace

ACTIVATIONS = list(_units.ACTIVATIONS)

# Each unit written out, independently of the table: g(a), and g'(a) as a
# function of a.
CLOSED_FORMS = {
    "logistic": (
        lambda a: 1 / (1 + np.exp(-a)),
        lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2,
    ),
    "tanh": (np.tanh, lambda a: 1 / np.cosh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
    "identity": (lambda a: a, np.ones_like),
}

# Output units and targets of the three kinds of problem.
PROBLEMS = pytest.mark.parametrize(
    "n_outputs, output",
    [
        (1, "logistic"),
        (3, "softmax"),
        (3, "logistic"),
        (1, "identity"),
        (3, "identity"),
    ],
    ids=["binary", "3 classes", "multilabel", "regression", "3 targets"],
)


def test_every_unit_of_the_table_has_a_closed_form_here():
    assert set(ACTIVATIONS) == set(CLOSED_FORMS)
    assert ACTIVATIONS[0] == "logistic"  # the notes' network, the default
    assert set(_units.OUTPUTS) == {"logistic", "softmax", "identity"}


# --------------------------------------------------------------------------------------
# The rows
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [(3, 5), (40, 30)], ids=["small", "large"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_unit_is_its_closed_form(activation, size, dtype):
    g, g_prime = CLOSED_FORMS[activation]
    row = _units.ACTIVATIONS[activation]
    rng = np.random.default_rng(0)
    A = rng.normal(scale=3.0, size=size).astype(dtype)
    b = rng.normal(size=size[1]).astype(dtype)
    a = (A + b).astype(float)  # the sums as the unit sees them
    eps = np.finfo(dtype).eps

    h = row.function(A.copy(), b)
    assert h.dtype == dtype
    assert_allclose(h, g(a), rtol=4 * eps, atol=eps * 1e-3)

    # g'(a) is computed from the rounded h: it is exact to a few units of
    # rounding of 1 (every g' here is at most 1), so D g'(a) to as many of D.
    derivative = row.derivative(h)
    assert derivative.dtype == dtype
    assert (np.abs(derivative - g_prime(a)) <= 4 * eps).all()
    out = np.empty_like(h)
    assert row.derivative(h, out=out) is out
    assert_array_equal(out, derivative)
    D = rng.normal(size=size).astype(dtype)
    got = row.backward(h.copy(), D.copy())
    assert got.dtype == dtype
    assert (np.abs(got - D * g_prime(a)) <= 4 * eps * np.abs(D)).all()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_derivative_from_the_output_is_the_central_difference(activation):
    row = _units.ACTIVATIONS[activation]
    a = np.linspace(-6, 6, 1001)
    a = a[np.abs(a) > 1e-3]  # away from relu's kink
    eps = 1e-6

    def g(x):
        return row.function(x.copy(), np.zeros(1))

    numeric = (g(a + eps) - g(a - eps)) / (2 * eps)
    assert_allclose(row.derivative(g(a)), numeric, rtol=1e-7, atol=1e-9)
    assert_allclose(row.backward(g(a), np.ones_like(a)), numeric, rtol=1e-7, atol=1e-9)


def test_relu_derivative_is_zero_at_the_kink():
    row = _units.ACTIVATIONS["relu"]
    h = row.function(np.array([-1.0, 0.0, 1e-300, 2.0]), np.zeros(1))
    assert_array_equal(row.derivative(h), [0.0, 0.0, 1.0, 1.0])
    assert_array_equal(row.backward(h, np.ones(4)), [0.0, 0.0, 1.0, 1.0])


@PROBLEMS
def test_output_rows_are_their_formulas(n_outputs, output):
    rng = np.random.default_rng(1)
    row = _units.OUTPUTS[output]
    Z = rng.normal(scale=4.0, size=(50, n_outputs))
    layout, X, Y, s, _, _ = make_problem(n_outputs, rng, n=50, activation=output)
    if output == "identity":  # o = z, L = (1/2) sum_k (z_k - y_k)^2
        assert row.log_function is None  # its outputs are not probabilities
        assert_allclose(row.function(Z), Z, rtol=0, atol=0)
        assert row.in_place(Z) is Z
        loss = 0.5 * ((Z - Y) ** 2).sum(axis=1)
        assert_allclose(row.loss(Z, Y), loss, rtol=1e-14)
        assert_allclose(row.delta(Z, Y), Z - Y, rtol=0, atol=0)
        block = _backprop.Block(layout, len(Z), Z.dtype)
        fused = Z.copy()
        value = row.loss_and_delta(fused, Y, s, np.empty_like(Z), block)
        assert value == pytest.approx(s @ loss, rel=1e-13)
        assert_allclose(fused, Z - Y, rtol=0, atol=0)
        return
    if output == "softmax":  # log o = z - log sum_l e^{z_l}
        log_o = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        loss = -(Y * log_o).sum(axis=1)
    else:  # log g(z) = -log(1 + e^-z), log(1 - g(z)) = log g(-z)
        log_o = -np.logaddexp(0, -Z)
        loss = -(Y * log_o - (1 - Y) * np.logaddexp(0, Z)).sum(axis=1)
    o = np.exp(log_o)
    # Logs and losses near 0 are differences of terms as large as the logits:
    # exact to a few roundings of those.
    near_zero = 1e-14 * np.abs(Z).max()
    assert_allclose(row.function(Z), o, rtol=1e-14)
    assert_allclose(row.log_function(Z), log_o, rtol=1e-13, atol=near_zero)
    assert_allclose(row.in_place(Z.copy()), o, rtol=1e-14)
    assert_allclose(row.loss(Z, Y), loss, rtol=1e-12, atol=near_zero)
    assert_allclose(row.delta(o, Y), o - Y, rtol=0, atol=0)

    # the fused form of the fast pass: the weighted loss, and o - Y in place
    block = _backprop.Block(layout, len(Z), Z.dtype)
    fused = Z.copy()
    value = row.loss_and_delta(fused, Y, s, np.empty_like(Z), block)
    assert value == pytest.approx(s @ loss, rel=1e-12)
    assert_allclose(fused, o - Y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "output, targets", [("logistic", (0.0, 1.0)), ("identity", (-2.5, 0.0, 3.0))]
)
def test_one_item_form_is_the_row_of_a_single_unit(output, targets):
    row = _units.OUTPUTS[output]
    for z in (-800.0, -3.0, 0.0, 0.5, 40.0, 800.0):
        for y in targets:
            loss, delta = row.item(z, y)
            Z, Y = np.array([[z]]), np.array([[y]])
            assert loss == pytest.approx(row.loss(Z, Y)[0], rel=1e-15)
            expected = (row.function(Z) - Y)[0, 0]
            assert delta == pytest.approx(expected, rel=1e-15, abs=1e-300)
    assert _units.OUTPUTS["softmax"].item is None


# --------------------------------------------------------------------------------------
# Initial weights
# --------------------------------------------------------------------------------------
def test_logistic_initial_weights_are_those_of_the_notes_network():
    layout = _network.Layout(5, 7, 3)
    theta = _network.init_params(layout, np.random.RandomState(3), np.float64)
    rng = np.random.RandomState(3)
    W1 = rng.uniform(-1.0, 1.0, size=(5, 7)) * np.sqrt(2.0 / 12)
    W2 = rng.uniform(-1.0, 1.0, size=(7, 3)) * np.sqrt(2.0 / 10)
    p = layout.unpack(theta)
    assert_array_equal(p.W1, W1)
    assert_array_equal(p.W2, W2)
    logistic = _network.init_params(
        layout, np.random.RandomState(3), np.float64, "logistic"
    )
    assert_array_equal(logistic, theta)


@pytest.mark.parametrize("activation", ACTIVATIONS[1:])
def test_other_units_start_from_glorot_bounds(activation):
    # MLPClassifier's bound sqrt(6 / (fan_in + fan_out)): the same draws as the
    # logistic start, sqrt(3) times as wide.
    layout = _network.Layout(5, 7, 3)
    logistic = _network.init_params(layout, np.random.RandomState(3))
    other = _network.init_params(
        layout, np.random.RandomState(3), np.float64, activation
    )
    assert_allclose(other, np.sqrt(3) * logistic, rtol=1e-15)
    p = layout.unpack(other)
    assert np.abs(p.W1).max() <= np.sqrt(6 / 12)
    assert np.abs(p.W1).max() > np.sqrt(2 / 12)
    assert not p.b1.any() and not p.b2.any()


# --------------------------------------------------------------------------------------
# Gradients: central differences, the plain network and the fast passes
# --------------------------------------------------------------------------------------
def _passes(activation, sparse):
    """The plain network and the fast pass, as ``f(theta, layout, X, Y, s, l2,
    output)``, on dense or sparse ``X``."""

    def fast(theta, layout, X, Y, s, l2, output):
        X = sp.csr_matrix(X) if sparse else X
        return _backprop.loss_gradient(
            theta, layout, X, Y, s, l2, output, activation=activation
        )

    def plain(theta, layout, X, Y, s, l2, output):
        X = sp.csr_matrix(X) if sparse else X
        return _network.loss_gradient(theta, layout, X, Y, s, l2, output, activation)

    return {"plain": plain, "fast": fast}


@PROBLEMS
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("kind", ["plain", "fast"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(
    activation, kind, sparse, l2, n_outputs, output
):
    rng = np.random.default_rng(0)
    layout, X, Y, s, theta, _ = make_problem(n_outputs, rng, activation=output)
    loss_gradient = _passes(activation, sparse)[kind]

    def f(t):
        return _network.loss(t, layout, X, Y, s, l2, output, activation)

    value, grad = loss_gradient(theta, layout, X, Y, s, l2, output)
    numeric = numeric_gradient(f, theta)
    assert value == pytest.approx(f(theta), rel=1e-12)
    rel_error = np.linalg.norm(grad - numeric) / np.linalg.norm(numeric)
    assert rel_error < 1e-6


@PROBLEMS
@pytest.mark.parametrize("rows", [None, 7], ids=["one block", "blocks and chunks"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fast_pass_is_the_plain_network(activation, sparse, rows, n_outputs, output):
    rng = np.random.default_rng(2)
    layout, X, Y, s, theta, _ = make_problem(
        n_outputs, rng, n=101, m=6, H=9, activation=output
    )
    Xfast = sp.csr_matrix(X) if sparse else X
    plain = _network.loss_gradient(theta, layout, X, Y, s, 0.1, output, activation)
    with Workspace(layout, len(X), theta.dtype, rows=rows, chunks=3) as work:
        fast = _backprop.loss_gradient(
            theta, layout, Xfast, Y, s, 0.1, output, activation=activation, work=work
        )
    assert fast[0] == pytest.approx(plain[0], rel=1e-13)
    assert_allclose(fast[1], plain[1], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_one_item_kernel_is_the_plain_network(activation, dtype, monkeypatch):
    calls = []
    kernel = _online.ItemLossGradient._one_unit_item
    monkeypatch.setattr(
        _online.ItemLossGradient,
        "_one_unit_item",
        lambda self, *args: calls.append(1) or kernel(self, *args),
    )
    rng = np.random.default_rng(4)
    layout, X, Y, _, _, output = make_problem(1, rng, n=40, m=5, H=7)
    theta_fast = _network.init_params(layout, np.random.RandomState(0), dtype)
    theta_plain = theta_fast.astype(float)
    item = _online.ItemLossGradient(
        layout, X.astype(dtype), Y.astype(dtype), 0.01, output, activation
    )
    one = np.ones(1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for _ in range(3):
        for i in range(len(X)):
            rows = slice(i, i + 1)
            fast = item(theta_fast, i)
            plain = _network.loss_gradient(
                theta_plain, layout, X[rows], Y[rows], one, 0.01, output, activation
            )
            assert fast[1].dtype == dtype
            assert fast[0] == pytest.approx(plain[0], rel=tol, abs=tol * 1e-3)
            theta_fast -= dtype(0.1) * fast[1]
            theta_plain -= 0.1 * plain[1]
    assert_allclose(
        theta_fast, theta_plain, rtol=0, atol=1e-10 if dtype == np.float64 else 1e-4
    )
    assert len(calls) == 3 * len(X)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_one_item_gradient_of_a_softmax_is_the_one_row_gradient(activation):
    rng = np.random.default_rng(5)
    layout, X, Y, _, theta, output = make_problem(3, rng, n=6)
    item = _online.ItemLossGradient(layout, X, Y, 0.1, output, activation)
    assert not item.per_item
    for i in range(len(X)):
        value, grad = item(theta, i)
        rows = slice(i, i + 1)
        one = np.ones(1)
        expected = _network.loss_gradient(
            theta, layout, X[rows], Y[rows], one, 0.1, output, activation
        )
        assert value == pytest.approx(expected[0], rel=1e-12)
        assert_allclose(grad, expected[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_blocked_prediction_is_the_plain_forward_pass(activation):
    rng = np.random.default_rng(6)
    layout, X, _, _, theta, _ = make_problem(4, rng, n=5000, m=10, H=64)
    p = layout.unpack(theta)
    blocked = _backprop.logits(X, p, activation)
    Z = _network.forward(X, p, activation)[1]
    # the products' sums in another order: to rounding of the largest terms
    assert_allclose(blocked, Z, rtol=1e-12, atol=1e-13 * np.abs(Z).max())
    proba = _backprop.probabilities(X, p, "softmax", activation)
    expected = _network.output(_network.forward(X, p, activation)[1], "softmax")
    assert_allclose(proba, expected, rtol=1e-12, atol=1e-300)


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------
SOLVERS = {
    "gd": {"solver": "gd"},
    "sgd": {"solver": "sgd", "batch_size": 32},
    "adam": {"solver": "adam", "batch_size": 32, "learning_rate": 0.01},
    "lbfgs": {"solver": "lbfgs"},
    "online": {"solver": "sgd", "batch_size": 1, "learning_rate": 0.01},
    "auto": {"solver": "auto"},
}


@pytest.fixture(scope="module")
def moons():
    """Two classes that no straight line separates, standardized."""
    from sklearn.datasets import make_moons

    X, y = make_moons(300, noise=0.15, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize(
    "form", ["dense64", "sparse32"], ids=["dense float64", "sparse float32"]
)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_solver_trains_each_unit(iris, activation, solver, form):
    X, y = iris
    dtype = np.float32 if form == "sparse32" else np.float64
    X = X.astype(dtype)
    if form == "sparse32":
        X = sp.csr_matrix(X)
    clf = TwoLayerClassifier(
        n_hidden=8, activation=activation, max_iter=60, random_state=0
    )
    clf.set_params(**SOLVERS[solver])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)  # ConvergenceWarning
        clf.fit(X, y)
    assert clf.coefs_[0].dtype == dtype
    assert np.isfinite(clf.loss_curve_).all()
    assert clf.loss_ < 0.25  # a uniform guess has log(3) = 1.1
    assert clf.score(X, y) >= 0.95


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_unit_that_bends_separates_the_moons(moons, activation):
    # The identity unit makes the network linear: no better than a line.
    X, y = moons
    clf = TwoLayerClassifier(n_hidden=16, activation=activation, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        score = clf.fit(X, y).score(X, y)
    if activation == "identity":
        assert 0.8 < score < 0.92
    else:
        assert score > 0.95


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predictions_are_the_formulas_of_the_unit(iris, activation):
    X, y = iris
    clf = TwoLayerClassifier(
        n_hidden=6, activation=activation, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        clf.fit(X, y)
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    g = CLOSED_FORMS[activation][0]
    h = g(X @ W1 + b1)
    Z = h @ W2 + b2
    o = np.exp(Z - Z.max(axis=1, keepdims=True))
    o /= o.sum(axis=1, keepdims=True)
    assert_allclose(clf.hidden_activations(X), h, rtol=1e-13, atol=1e-15)
    assert_allclose(clf.decision_function(X), Z, rtol=1e-12, atol=1e-13)
    assert_allclose(clf.predict_proba(X), o, rtol=1e-12, atol=1e-15)
    assert_allclose(clf.predict_log_proba(X), np.log(o), rtol=1e-12, atol=1e-13)
    # the method's gradient is the plain network's, at the fitted weights
    theta = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    layout = _network.Layout(4, 6, 3)
    Y = _network.targets(y, 3, float)
    s = np.full(len(y), 1 / len(y))
    loss, (coef_grads, intercept_grads) = clf.loss_gradient(X, y)
    value, grad = _network.loss_gradient(
        theta, layout, X, Y, s, 1e-3, "softmax", activation
    )
    dp = layout.unpack(grad)
    assert loss == pytest.approx(value, rel=1e-12)
    expected = [dp.W1, dp.W2, dp.b1, dp.b2]
    for got, want in zip(coef_grads + intercept_grads, expected, strict=True):
        assert_allclose(got, want, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_early_stopping_scores_the_unit(iris, activation):
    # The validation loss that picks the best epoch is the network's, with its
    # hidden unit: the fitted weights' cross-entropy on the validation set.
    X, y = iris
    rows = np.random.default_rng(0).permutation(len(y))
    train, val = rows[:100], rows[100:]
    clf = TwoLayerClassifier(
        n_hidden=6, activation=activation, max_iter=40, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        clf.fit(X[train], y[train], X_val=X[val], y_val=y[val])
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    theta = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    Y = _network.targets(y[val], 3, float)
    s = np.full(len(val), 1 / len(val))
    layout = _network.Layout(4, 6, 3)
    loss = _network.loss(theta, layout, X[val], Y, s, 0.0, "softmax", activation)
    assert -clf.best_validation_score_ == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_binary_and_multilabel_networks_take_the_unit(activation):
    for X, y in (
        make_classification(120, 5, random_state=0),
        make_multilabel_classification(120, 5, n_classes=3, random_state=0),
    ):
        X = StandardScaler().fit_transform(X)
        clf = TwoLayerClassifier(
            n_hidden=5, activation=activation, max_iter=20, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            clf.fit(X, y)
        g = CLOSED_FORMS[activation][0]
        Z = g(X @ clf.coefs_[0] + clf.intercepts_[0]) @ clf.coefs_[1]
        Z += clf.intercepts_[1]
        assert_allclose(clf.decision_function(X), Z.squeeze(), rtol=1e-12, atol=1e-13)


def test_the_default_is_the_notes_network(iris):
    X, y = iris
    default = TwoLayerClassifier(n_hidden=5, max_iter=10, random_state=0)
    named = TwoLayerClassifier(
        n_hidden=5, activation="logistic", max_iter=10, random_state=0
    )
    assert default.get_params()["activation"] == "logistic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        default.fit(X, y)
        named.fit(X, y)
    weights = [m.coefs_ + m.intercepts_ for m in (default, named)]
    for a, b in zip(*weights, strict=True):
        assert_array_equal(a, b)
    assert default.out_activation_ == "softmax"  # the output unit, not the hidden


def test_a_fitted_model_predicts_with_the_unit_it_was_fitted_with(iris):
    X, y = iris
    clf = TwoLayerClassifier(n_hidden=5, activation="tanh", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        clf.fit(X, y)
    h = np.tanh(X @ clf.coefs_[0] + clf.intercepts_[0])
    proba = clf.predict_proba(X)
    gradient = clf.loss_gradient(X, y)
    clf.set_params(activation="relu")
    assert_allclose(clf.hidden_activations(X), h, rtol=1e-13, atol=1e-15)
    assert_array_equal(clf.predict_proba(X), proba)
    loss, (coef_grads, intercept_grads) = clf.loss_gradient(X, y)
    assert loss == gradient[0]
    expected = gradient[1][0] + gradient[1][1]
    for got, want in zip(coef_grads + intercept_grads, expected, strict=True):
        assert_array_equal(got, want)
    # a warm start trains on with the parameter's unit, and predicts with it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        clf.set_params(warm_start=True, max_iter=5).fit(X, y)
    h = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
    assert_allclose(clf.hidden_activations(X), h, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("activation", ["softmax", "sigmoid", "Tanh", None])
def test_an_unknown_unit_is_refused(iris, activation):
    X, y = iris
    with pytest.raises(InvalidParameterError, match="activation"):
        TwoLayerClassifier(activation=activation).fit(X, y)


def test_a_model_pickled_before_the_parameter_has_the_notes_units():
    path = DATA / "binary_gd.pkl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scikit-learn version that wrote it
        with open(path, "rb") as f:
            clf = pickle.load(f)
    assert clf.get_params()["activation"] == "logistic"
    X = np.random.default_rng(0).normal(size=(5, clf.n_features_in_))
    h = 1 / (1 + np.exp(-(X @ clf.coefs_[0] + clf.intercepts_[0])))
    assert_allclose(clf.hidden_activations(X), h, rtol=1e-13)
