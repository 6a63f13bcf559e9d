"""The solvers, early stopping, class weights, sparse, float32 and multilabel input."""

import io
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import flat_weights, quiet_fit, weights_of
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier
from skbackprop._engine import backprop as _backprop
from skbackprop._engine import network as _network
from skbackprop._engine import online as _online
from skbackprop._training import loops as _training
from skbackprop._training import monitor as _monitor
from skbackprop._training.solvers import SOLVERS


# ------------------------------------------------------------------ solvers
# Adam's small default step still lowers the loss by tol every few epochs at
# max_iter: expected, and the accuracy is reached all the same.
@pytest.mark.filterwarnings(
    "ignore:solver='adam' reached max_iter:sklearn.exceptions.ConvergenceWarning"
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_each_solver_learns_digits_with_its_defaults(digits_split, solver):
    X_train, X_test, y_train, y_test = digits_split
    clf = TwoLayerClassifier(solver=solver, random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) >= 0.96


@pytest.mark.parametrize("nesterov", [False, True])
def test_two_momentum_steps_by_hand(iris, nesterov):
    X, y = iris
    lr, mu = 0.3, 0.9
    clf = TwoLayerClassifier(
        n_hidden=4,
        learning_rate=lr,
        momentum=mu,
        nesterov=nesterov,
        l2=0.0,
        random_state=0,
    )
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)

    # The same two steps by hand, from the same initial weights.
    layout = _network.Layout(4, 4, 3)
    Y = _network.targets(y, 3, float)
    s = np.full(len(y), 1 / len(y))

    def grad(theta):
        return _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, "softmax")[1]

    w0 = _network.init_params(layout, np.random.RandomState(0))
    g0 = grad(w0)
    v1 = -lr * g0  # v1 = mu v0 - lr g0 with v0 = 0
    w1 = w0 + (mu * v1 - lr * g0 if nesterov else v1)
    g1 = grad(w1)
    v2 = mu * v1 - lr * g1
    w2 = w1 + (mu * v2 - lr * g1 if nesterov else v2)
    assert_allclose(flat_weights(clf), w2, rtol=0, atol=1e-14)


def test_two_adam_steps_by_hand(iris):
    X, y = iris
    lr, b1, b2, eps = 0.01, 0.8, 0.9, 1e-8
    clf = TwoLayerClassifier(
        n_hidden=3,
        solver="adam",
        learning_rate=lr,
        beta_1=b1,
        beta_2=b2,
        epsilon=eps,
        l2=0.0,
        batch_size=len(y),
        shuffle=False,
        random_state=0,
    )
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)

    layout = _network.Layout(4, 3, 3)
    Y = _network.targets(y, 3, float)
    s = np.full(len(y), 1 / len(y))
    theta = _network.init_params(layout, np.random.RandomState(0))
    m = v = 0
    for t in (1, 2):
        g = _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, "softmax")[1]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        # Kingma and Ba's eps sits on sqrt(v) before the bias correction is moved
        # into the step size: alpha_t m / (sqrt(v) + eps), as scikit-learn does.
        alpha_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        theta = theta - alpha_t * m / (np.sqrt(v) + eps)
        assert np.isfinite(m_hat).all() and np.isfinite(v_hat).all()
    assert_allclose(flat_weights(clf), theta, rtol=0, atol=1e-14)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd", "momentum": 0.9},
        {"solver": "gd", "momentum": 0.9, "nesterov": True, "learning_rate": 0.5},
        {"solver": "sgd", "momentum": 0.9, "shuffle": False, "batch_size": 50},
        {"solver": "adam", "shuffle": False, "batch_size": 50, "learning_rate": 0.01},
    ],
    ids=["gd", "gd-nesterov", "sgd", "adam"],
)
def test_warm_start_twice_equals_once(iris, params):
    """fit(max_iter=10) twice is fit(max_iter=20): the optimizer state is kept."""
    X, y = iris
    common = dict(random_state=0, tol=0.0, n_iter_no_change=1000, **params)
    twice = TwoLayerClassifier(max_iter=10, warm_start=True, **common)
    quiet_fit(twice, X, y)
    quiet_fit(twice, X, y)
    once = quiet_fit(TwoLayerClassifier(max_iter=20, **common), X, y)
    assert len(twice.loss_curve_) == 20 and twice.n_iter_ == 10
    assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)
    for a, b in zip(weights_of(twice), weights_of(once), strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_partial_fit_is_one_epoch_for_stochastic_solvers(iris):
    X, y = iris
    clf = TwoLayerClassifier(solver="sgd", batch_size=30, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.n_iter_ == 1 and clf.t_ == len(y)
    # A later batch may miss a class.
    clf.partial_fit(X[y != 2], y[y != 2])
    assert clf.n_iter_ == 2
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_lbfgs(iris):
    X, y = iris
    clf = TwoLayerClassifier(solver="lbfgs", random_state=0, max_iter=15)
    with pytest.warns(ConvergenceWarning, match="max_iter=15"):
        clf.fit(X, y)
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    assert np.all(np.diff(clf.loss_curve_) <= 0)  # L-BFGS-B's line search descends
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as excinfo:
        clf.partial_fit(X, y)
    # scikit-learn's available_if chains the reason as the cause.
    assert "not available for solver='lbfgs'" in str(excinfo.value.__cause__)


@pytest.mark.parametrize("solver", SOLVERS)
def test_public_attributes_are_not_scratch_space_during_fit(iris, solver):
    """While fit runs, the previous model's attributes stay as they were."""
    X, y = iris
    clf = quiet_fit(TwoLayerClassifier(solver=solver, random_state=0, max_iter=5), X, y)
    before = [w.copy() for w in weights_of(clf)]
    seen = []

    def scorer(estimator, X_val, y_val, sample_weight=None):
        assert estimator is not clf
        seen.append(
            all(
                np.array_equal(a, b)
                for a, b in zip(weights_of(clf), before, strict=True)
            )
        )
        return estimator.score(X_val, y_val)

    clf.set_params(early_stopping=True, scoring=scorer, max_iter=8)
    quiet_fit(clf, X, y)
    assert seen and all(seen)


# ----------------------------------------------------------- early stopping
@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_restores_the_best_epoch(digits_split, solver):
    X_train, X_test, y_train, y_test = digits_split
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
    )
    clf = TwoLayerClassifier(solver=solver, scoring="accuracy", random_state=0)
    quiet_fit(clf, X_fit, y_fit, X_val=X_val, y_val=y_val)
    n = clf.n_iter_
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == n
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.validation_scores_[clf.best_iter_ - 1] == clf.best_validation_score_
    # The fitted weights are the best epoch's: they score exactly that.
    assert clf.score(X_val, y_val) == clf.best_validation_score_
    # It stopped by the rule: the last n_iter_no_change epochs did not beat the
    # best score before them by more than tol.
    if n < clf.max_iter and solver != "lbfgs":
        k = clf.n_iter_no_change
        best_before = max(clf.validation_scores_[: n - k])
        assert max(clf.validation_scores_[n - k :]) <= best_before + clf.tol


def test_early_stopping_on_loss_with_a_hold_out(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    clf = TwoLayerClassifier(early_stopping=True, random_state=0).fit(X_train, y_train)
    losses = np.array(clf.validation_loss_curve_)
    assert_allclose(clf.validation_scores_, -losses)
    assert clf.best_iter_ == np.argmin(losses) + 1
    assert clf.score(X_test, y_test) > 0.9


def test_early_stopping_with_strings_and_dataframes(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=list("abcd"))
    names = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warnings while scoring
        clf = TwoLayerClassifier(
            early_stopping=True, scoring="f1_macro", random_state=0, max_iter=300
        )
        quiet_fit(clf, df, names)
    assert clf.best_validation_score_ > 0.8
    assert set(clf.predict(df)) <= set(names)


def test_early_stopping_hold_out_is_stratified_and_seeded(iris):
    X, y = iris
    a = quiet_fit(TwoLayerClassifier(early_stopping=True, random_state=3), X, y)
    b = quiet_fit(TwoLayerClassifier(early_stopping=True, random_state=3), X, y)
    assert_array_equal(a.validation_loss_curve_, b.validation_loss_curve_)
    # 10% of 150, 5 of each class: training on the other 135.
    assert a.t_ == a.n_iter_ * 135


def test_x_val_needs_y_val(iris):
    X, y = iris
    with pytest.raises(ValueError, match="X_val and y_val"):
        TwoLayerClassifier().fit(X, y, X_val=X)


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_one_line_per_epoch_and_why_it_stopped(iris, solver):
    X, y = iris
    out = io.StringIO()
    with redirect_stdout(out):
        clf = TwoLayerClassifier(
            solver=solver, verbose=True, early_stopping=True, random_state=0
        )
        quiet_fit(clf, X, y)
    lines = out.getvalue().splitlines()
    epoch_line = re.compile(
        r"^Epoch +\d+, loss \d+\.\d{6}, validation loss \d+\.\d{6}, "
        r"validation score -?\d+\.\d{6}, \d+\.\d\d s$"
    )
    assert len(lines) == clf.n_iter_ + 1
    assert all(epoch_line.match(line) for line in lines[:-1]), lines[:2]
    assert lines[-1].startswith(f"Stopped after epoch {clf.n_iter_}: ")


# ------------------------------------------------------------ class weights
def test_balanced_class_weight_raises_minority_recall():
    recalls = {None: [], "balanced": []}
    for seed in range(3):
        X, y = make_classification(
            2000, n_features=10, weights=[0.95, 0.05], class_sep=0.5, random_state=seed
        )
        X = StandardScaler().fit_transform(X)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, stratify=y, random_state=0
        )
        for class_weight, found in recalls.items():
            clf = TwoLayerClassifier(class_weight=class_weight, random_state=0)
            clf.fit(X_train, y_train)
            found.append(recall_score(y_test, clf.predict(X_test)))
    # Measured: mean minority recall 0.31 without weights, 0.73 balanced.
    assert np.mean(recalls["balanced"]) > np.mean(recalls[None]) + 0.2
    assert all(b > p for b, p in zip(recalls["balanced"], recalls[None], strict=True))


def test_class_weight_composes_with_sample_weight(iris):
    X, y = iris
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    by_class = quiet_fit(
        TwoLayerClassifier(
            class_weight={0: 3.0, 1: 1.0, 2: 0.5}, random_state=0, max_iter=20
        ),
        X,
        y,
        sample_weight=w,
    )
    by_sample = quiet_fit(
        TwoLayerClassifier(random_state=0, max_iter=20),
        X,
        y,
        sample_weight=w * np.array([3.0, 1.0, 0.5])[y],
    )
    for a, b in zip(weights_of(by_class), weights_of(by_sample), strict=True):
        assert_allclose(a, b, rtol=1e-12)


# ------------------------------------------------------------ sparse input
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
def test_sparse_and_dense_give_the_same_model(iris, fmt, solver):
    X, y = iris
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # a third of the entries are zero
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    params = dict(solver=solver, random_state=0, max_iter=30, batch_size=40)
    dense = quiet_fit(TwoLayerClassifier(**params), X, y)
    sparse = quiet_fit(TwoLayerClassifier(**params), Xs, y)
    for a, b in zip(weights_of(dense), weights_of(sparse), strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-10)


def test_sparse_input_is_never_densified(iris, monkeypatch):
    X, y = iris
    seen = []
    real = _backprop.loss_gradient

    def spy(theta, layout, X, *args, **kwargs):
        seen.append(sp.issparse(X))
        return real(theta, layout, X, *args, **kwargs)

    monkeypatch.setattr(_backprop, "loss_gradient", spy)
    quiet_fit(TwoLayerClassifier(max_iter=3), sp.csr_matrix(X), y)
    assert seen and all(seen)


# ------------------------------------------------------------------ float32
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_trains_and_predicts_in_float32(iris, solver):
    X, y = iris
    params = dict(solver=solver, random_state=0, max_iter=10, shuffle=False)
    c32 = quiet_fit(TwoLayerClassifier(**params), X.astype(np.float32), y)
    c64 = quiet_fit(TwoLayerClassifier(**params), X, y)
    assert all(w.dtype == np.float32 for w in weights_of(c32))
    assert all(w.dtype == np.float64 for w in weights_of(c64))
    X32 = X.astype(np.float32)
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        assert getattr(c32, method)(X32).dtype == np.float32
        assert getattr(c64, method)(X).dtype == np.float64
    # Ten epochs of float32 rounding: agreement to float32 precision. (Over many
    # more, L-BFGS's line search lets the two trajectories drift apart.)
    assert_allclose(c32.predict_proba(X32), c64.predict_proba(X), atol=1e-4)
    for a, b in zip(weights_of(c32), weights_of(c64), strict=True):
        assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_float32_input_is_not_copied(iris, monkeypatch):
    X, y = iris
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    seen = []
    real = _backprop.loss_gradient

    def spy(theta, layout, X, *args, **kwargs):
        seen.append(X is X32 or np.shares_memory(X, X32))
        return real(theta, layout, X, *args, **kwargs)

    monkeypatch.setattr(_backprop, "loss_gradient", spy)
    quiet_fit(TwoLayerClassifier(max_iter=3), X32, y)
    assert seen and all(seen)

    # online learning of two classes reads X through its own gradient object
    items = []
    real_item = _online.ItemLossGradient

    def item_spy(layout, X, *args):
        items.append(X is X32 or np.shares_memory(X, X32))
        return real_item(layout, X, *args)

    monkeypatch.setattr(_online, "ItemLossGradient", item_spy)
    quiet_fit(TwoLayerClassifier(solver="sgd", batch_size=1, max_iter=2), X32, y == 2)
    assert items == [True]


# --------------------------------------------------------------- multilabel
def test_multilabel():
    X, Y = make_multilabel_classification(
        300, n_features=10, n_classes=4, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    clf = quiet_fit(TwoLayerClassifier(random_state=0), X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    assert_array_equal(clf.classes_, np.arange(4))
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape == clf.predict(X).shape
    assert clf.decision_function(X).shape == Y.shape
    assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert (clf.predict(X) == Y).mean() > 0.85
    clf2 = TwoLayerClassifier(solver="sgd", random_state=0)
    clf2.partial_fit(X, Y, classes=np.arange(4))
    assert clf2.n_outputs_ == 4


# ---------------------------------------------------------- stopping rules
def _monitor_run(losses, max_iter=None, **params):
    """Feed ``losses`` to a Monitor as if each came from an epoch; the weights of
    epoch i are [i]. Return the monitor and the final weights."""

    theta = np.zeros(1)
    monitor = _monitor.Monitor(theta, **params)
    for i, loss in enumerate(losses[:max_iter]):
        before = theta.copy()
        theta[...] = i + 1
        if monitor.after_epoch(loss, before, theta):
            break
    monitor.finish(theta)
    return monitor, theta


def test_full_batch_rule_waits_for_the_loss_to_settle():

    # A momentum bump: the loss dips to 0.3, rises for 30 epochs, then falls far
    # below and settles. "No new best for 10 epochs" stops on the bump; the
    # full-batch rule (stopping=_monitor.SETTLED) waits until the loss stops moving.
    losses = [1.0, 0.3] + [0.3 + 0.02 * i for i in range(30)]
    losses += [0.9 * 0.9**i for i in range(60)] + [0.001] * 30
    improvement, _ = _monitor_run(losses, tol=1e-4, n_iter_no_change=10)
    assert improvement.n_iter == 12 and improvement.status == _monitor.CONVERGED
    settled, _ = _monitor_run(
        losses, tol=1e-4, n_iter_no_change=10, stopping=_monitor.SETTLED
    )
    assert settled.status == _monitor.CONVERGED
    assert "changed by less than tol=0.0001 for 10" in settled.message
    # It ran through the bump and the fall; the first epoch at 0.001 still moved,
    # the 10 after it did not.
    assert settled.n_iter == len(losses) - 30 + 11
    assert settled.best_loss == 0.001


@pytest.mark.parametrize("max_iter", [None, 20], ids=["settled", "max_iter"])
def test_full_batch_run_ending_far_above_its_best_is_diverged(max_iter):

    # The loss reaches 0.2 at epoch 3, then jumps and stays near 5: whether the
    # rule fires (flat at 5) or the budget runs out, the run is an overshoot and
    # the weights of epoch 3 come back.
    losses = [1.0, 0.5, 0.2] + [5.0 + 0.5 * (-1) ** i for i in range(20)] + [5.0] * 30
    monitor, theta = _monitor_run(
        losses, max_iter, tol=1e-4, n_iter_no_change=10, stopping=_monitor.SETTLED
    )
    assert monitor.status == _monitor.DIVERGED
    assert "far above its best 0.2 (epoch 3)" in monitor.message
    assert theta[0] == 2  # the weights the loss of epoch 3 was taken at


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_online_epoch_is_the_minibatch_epoch_with_batches_of_one(n_outputs, momentum):
    # online_epoch is minibatch_epoch with batches of one and less work per step:
    # the same steps in the same (shuffled) order, zero weights skipped, and the
    # same epoch loss.
    from skbackprop._training import solvers as _solvers

    rng = np.random.default_rng(0)
    n, m, H = 50, 4, 6
    layout = _network.Layout(m, H, n_outputs)
    X = rng.normal(size=(n, m))
    y = rng.integers(max(n_outputs, 2), size=n)
    Y = _network.targets(y, max(n_outputs, 2), float)
    activation = "logistic" if n_outputs == 1 else "softmax"
    s = rng.uniform(0.5, 2.0, size=n)
    s[[3, 17]] = 0.0  # no step for these
    s /= s.sum()
    theta0 = _network.init_params(layout, np.random.RandomState(0))

    def batch(theta, rows, s_rows):
        return _backprop.loss_gradient(
            theta, layout, X[rows], Y[rows], s_rows, 0.01, activation
        )

    item = _online.ItemLossGradient(layout, X, Y, 0.01, activation)
    thetas, losses = [], []
    for make in (
        lambda rule, rng: _training.minibatch_epoch(batch, s, rule, 1, rng),
        lambda rule, rng: _training.online_epoch(item, s, rule, rng),
    ):
        theta = theta0.copy()
        epoch = make(_solvers.GradientDescent(0.3, momentum), np.random.RandomState(1))
        losses.append([epoch(theta) for _ in range(3)])
        thetas.append(theta)
    assert_allclose(losses[1], losses[0], rtol=1e-12)
    assert_allclose(thetas[1], thetas[0], rtol=0, atol=1e-12)


def test_batch_size_one_takes_the_online_epoch(iris, monkeypatch):

    calls = []
    online = _training.online_epoch
    monkeypatch.setattr(
        _training, "online_epoch", lambda *a: calls.append(1) or online(*a)
    )
    X, y = iris
    clf = TwoLayerClassifier(
        solver="sgd", batch_size=1, momentum=0.0, max_iter=20, random_state=0
    )
    quiet_fit(clf, X, y)
    assert calls == [1]
    assert clf.score(X, y) > 0.95


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "rule",
    [
        {"momentum": 0.0},
        {"momentum": 0.9, "nesterov": True},
        {"solver": "adam", "learning_rate": 0.01},
    ],
    ids=["notes", "nesterov", "adam"],
)
def test_online_learning_of_the_notes_network_equals_the_minibatch_path(
    dtype, rule, monkeypatch
):
    # Two classes on dense data: fit and partial_fit with batch_size=1 take the
    # per-item kernel, and must train exactly as the general mini-batch epoch
    # with batches of one would: shuffled, with an L2 term and zero weights.

    X, y = make_classification(60, n_features=5, random_state=0)
    X = StandardScaler().fit_transform(X).astype(dtype)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    w[[4, 9]] = 0.0
    params = {
        "solver": "sgd",
        "batch_size": 1,
        "n_hidden": 5,
        "l2": 0.01,
        "max_iter": 4,
        "random_state": 0,
        **rule,
    }

    def train():
        fitted = quiet_fit(TwoLayerClassifier(**params), X, y, sample_weight=w)
        partial = TwoLayerClassifier(**params)
        partial.partial_fit(X, y, classes=[0, 1], sample_weight=w)
        partial.partial_fit(X, y, sample_weight=w)
        return fitted, partial

    items = []
    kernel = _online.ItemLossGradient._one_unit_item
    monkeypatch.setattr(
        _online.ItemLossGradient,
        "_one_unit_item",
        lambda self, *a: items.append(1) or kernel(self, *a),
    )
    online = train()
    assert len(items) == 4 * 58 + 2 * 58  # every sample but the two of weight 0

    def minibatch(self, objective, data, rule, rng):
        return _training.minibatch_epoch(objective, data.s, rule, 1, rng)

    monkeypatch.setattr(TwoLayerClassifier, "_epoch", minibatch)
    reference = train()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for got, want in zip(online, reference, strict=True):
        for a, b in zip(weights_of(got), weights_of(want), strict=True):
            assert a.dtype == dtype
            assert_allclose(a, b, rtol=0, atol=tol)
        assert_allclose(got.loss_curve_, want.loss_curve_, rtol=tol)
