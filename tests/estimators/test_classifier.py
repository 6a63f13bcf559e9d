"""Behaviour of TwoLayerClassifier as a scikit-learn estimator."""

import pickle
import warnings

import numpy as np
import pytest
from _helpers import PREDICTION_METHODS, fitted
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import check_grad
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import TwoLayerClassifier


@pytest.fixture(scope="module")
def binary():
    X, y = make_blobs(200, centers=2, cluster_std=2.0, random_state=0)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------------------------ accuracy
def test_digits_holdout_accuracy_with_defaults():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    assert model.fit(X_train, y_train).score(X_test, y_test) >= 0.96


def test_breast_cancer_cv_accuracy_with_defaults():
    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    assert cross_val_score(model, X, y, cv=5).mean() >= 0.96


def test_grid_search_over_learning_rate_and_n_hidden_on_digits():
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", TwoLayerClassifier(random_state=0))]
    )
    grid = {"clf__learning_rate": [1e-4, 0.5], "clf__n_hidden": [2, 32]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    # A learning rate of 1e-4 barely moves the weights and 2 hidden units cannot
    # separate ten digits: the sensible corner wins, by a wide margin.
    assert search.best_params_ == {"clf__learning_rate": 0.5, "clf__n_hidden": 32}
    assert search.best_score_ > 0.9
    scores = search.cv_results_["mean_test_score"]
    assert np.sort(scores)[-2] < search.best_score_ - 0.1


# -------------------------------------------------------------- the outputs
def test_output_shapes_and_consistency(iris, binary):
    for X, y in (iris, binary):
        clf = fitted(X, y)
        K = len(np.unique(y))
        proba = clf.predict_proba(X)
        assert proba.shape == (len(X), K)
        assert_allclose(proba.sum(axis=1), 1.0)
        assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
        # exp(log o) = o; np.log(proba) itself loses digits where o is near 1.
        assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
        Z = clf.decision_function(X)
        assert Z.shape == ((len(X),) if K == 2 else (len(X), K))
        assert clf.hidden_activations(X).shape == (len(X), clf.n_hidden)
        assert clf.out_activation_ == ("logistic" if K == 2 else "softmax")
        assert clf.n_outputs_ == (1 if K == 2 else K)
        H = clf.n_hidden
        assert [W.shape for W in clf.coefs_] == [(X.shape[1], H), (H, clf.n_outputs_)]
        assert [b.shape for b in clf.intercepts_] == [(H,), (clf.n_outputs_,)]


def test_predict_log_proba_is_finite_where_proba_rounds_to_zero(binary):
    X, y = binary
    clf = fitted(X, y)
    assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)), rtol=1e-10)
    # Output weights scaled up give logits of thousands: probabilities of exactly
    # 0 and 1, whose logarithm must still be finite.
    clf.coefs_[1] = clf.coefs_[1] * 1e4
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert (proba == 0).any()
    assert np.isfinite(log_proba).all()
    Z = clf.decision_function(X)
    assert_allclose(log_proba[:, 1], -np.logaddexp(0, -Z))


def test_string_and_noncontiguous_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    ints = np.array([-3, 10, 42])[y]
    for labels in (names, ints):
        clf = fitted(X, labels)
        assert_array_equal(clf.classes_, np.unique(labels))
        assert (clf.predict(X) == labels).mean() > 0.9


def test_pandas_and_lists(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = fitted(df, pd.Series(y))
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"a": "z"}))
    assert_array_equal(fitted(X.tolist(), y.tolist()).predict(X), clf.predict(df))


def test_loss_gradient_passes_check_grad(iris):
    X, y = iris
    clf = fitted(X, y, n_hidden=5, l2=0.1, max_iter=5)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    loss, (coef_grads, intercept_grads) = clf.loss_gradient(X, y, sample_weight=w)
    assert [d.shape for d in coef_grads] == [W.shape for W in clf.coefs_]
    assert [d.shape for d in intercept_grads] == [b.shape for b in clf.intercepts_]

    def set_flat(theta):
        W1, W2 = clf.coefs_
        b1, b2 = clf.intercepts_
        sizes = np.cumsum([W1.size, b1.size, W2.size])
        parts = np.split(theta, sizes)
        clf.coefs_ = [parts[0].reshape(W1.shape), parts[2].reshape(W2.shape)]
        clf.intercepts_ = [parts[1], parts[3]]

    def flat(arrays):
        return np.concatenate(
            [arrays[0][0].ravel(), arrays[1][0], arrays[0][1].ravel(), arrays[1][1]]
        )

    theta0 = flat((clf.coefs_, clf.intercepts_))

    def f(theta):
        set_flat(theta)
        return clf.loss_gradient(X, y, sample_weight=w)[0]

    def g(theta):
        set_flat(theta)
        return flat(clf.loss_gradient(X, y, sample_weight=w)[1])

    assert check_grad(f, g, theta0) / np.linalg.norm(g(theta0)) < 1e-6


# ------------------------------------------------------- training behaviour
def test_partial_fit_is_one_step_of_the_notes(binary):
    X, y = binary
    clf = TwoLayerClassifier(
        n_hidden=3, learning_rate=0.7, momentum=0.0, random_state=0
    )
    clf.partial_fit(X, y, classes=[0, 1])
    before = [W.copy() for W in clf.coefs_] + [b.copy() for b in clf.intercepts_]
    loss, (cg, ig) = clf.loss_gradient(X, y)
    clf.partial_fit(X, y)
    after = clf.coefs_ + clf.intercepts_
    for w0, grad, w1 in zip(before, cg + ig, after, strict=True):
        assert_allclose(w1, w0 - 0.7 * grad, rtol=0, atol=1e-15)
    assert clf.loss_curve_[-1] == loss
    assert clf.n_iter_ == 2 and clf.t_ == 2 * len(X)


def test_partial_fit_matches_one_update_of_the_notes_by_hand():
    from _notes import HAND, notes_update

    d = HAND
    n, alpha = len(d["y"]), 0.3
    clf = TwoLayerClassifier(n_hidden=2, learning_rate=n * alpha, momentum=0.0, l2=0.0)
    clf.partial_fit(d["X"], d["y"], classes=[0.0, 1.0])  # initialises the shapes
    clf.coefs_ = [d["W1"].copy(), d["w"].reshape(2, 1)]
    clf.intercepts_ = [d["b1"].copy(), np.array([d["b"]])]
    clf.partial_fit(d["X"], d["y"])
    W1, b1, w, b = notes_update(d["X"], d["y"], d["W1"], d["b1"], d["w"], d["b"], alpha)
    assert_allclose(clf.coefs_[0], W1, rtol=0, atol=1e-12)
    assert_allclose(clf.intercepts_[0], b1, rtol=0, atol=1e-12)
    assert_allclose(clf.coefs_[1].ravel(), w, rtol=0, atol=1e-12)
    assert_allclose(clf.intercepts_[1], [b], rtol=0, atol=1e-12)


def test_partial_fit_requires_classes_first_and_then_the_same(binary):
    X, y = binary
    clf = TwoLayerClassifier()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X, y + 5)


def test_stops_on_no_improvement_and_warns_at_max_iter(binary):
    X, y = binary
    clf = fitted(X, y, max_iter=2000)
    assert clf.n_iter_ < 2000
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ == min(clf.loss_curve_)
    with pytest.warns(ConvergenceWarning, match="max_iter=3") as record:
        TwoLayerClassifier(max_iter=3, random_state=0).fit(X, y)
    assert len(record) == 1


@pytest.mark.parametrize("scale, learning_rate", [(1.0, 1e6), (1e6, 0.5), (1e6, 1e6)])
def test_divergence_is_caught_and_best_weights_restored(binary, scale, learning_rate):
    X, y = binary
    X = X * scale
    clf = TwoLayerClassifier(learning_rate=learning_rate, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    # No overflow RuntimeWarning escapes (pyproject turns them into errors too).
    assert not [w for w in record if issubclass(w.category, RuntimeWarning)]
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    if learning_rate == 1e6:
        messages = [
            str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)
        ]
        assert any("diverged" in m and "learning_rate" in m for m in messages)
        assert clf.loss_ == clf.best_loss_ or clf.loss_curve_[-1] >= clf.best_loss_


def test_same_random_state_same_model(iris):
    X, y = iris
    a, b = fitted(X, y), fitted(X, y)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert_array_equal(u, v)
    c = TwoLayerClassifier(random_state=1, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        c.fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_warm_start_continues_from_previous_weights(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = TwoLayerClassifier(
            max_iter=5, momentum=0.0, warm_start=True, random_state=0
        )
        clf.fit(X, y).fit(X, y)
        once = TwoLayerClassifier(max_iter=10, momentum=0.0, tol=0, random_state=0).fit(
            X, y
        )
    assert len(clf.loss_curve_) == 10 and clf.n_iter_ == 5
    assert_allclose(clf.coefs_[0], once.coefs_[0], rtol=1e-12)


def test_pickle_and_clone(iris):
    X, y = iris
    clf = fitted(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params()
    assert not hasattr(fresh, "coefs_")


# ------------------------------------------------------------------- errors
def test_prediction_before_fit_raises(iris):
    X, _ = iris
    for method in PREDICTION_METHODS:
        with pytest.raises(NotFittedError):
            getattr(TwoLayerClassifier(), method)(X)


@pytest.mark.parametrize(
    "make_bad, match",
    [
        (lambda X, y: (np.where(X > 1, np.nan, X), y), "NaN"),
        (lambda X, y: (np.where(X > 1, np.inf, X), y), "infinity"),
        (lambda X, y: (X + 1j, y), "[Cc]omplex"),
        (lambda X, y: (X[:0], y[:0]), "0 sample"),
        (lambda X, y: (X, np.zeros_like(y)), "at least 2 classes; got 1 class"),
        (lambda X, y: (X, y + 0.5), "Unknown label type"),
        (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    ],
    ids=["nan", "inf", "complex", "empty", "one class", "continuous y", "length"],
)
def test_bad_input_raises_and_leaves_fitted_model_unchanged(iris, make_bad, match):
    X, y = iris
    clf = fitted(X, y)
    before = pickle.dumps(clf)
    proba = clf.predict_proba(X)
    X_bad, y_bad = make_bad(X, y)
    with pytest.raises(ValueError, match=match):
        clf.fit(X_bad, y_bad)
    assert pickle.dumps(clf) == before
    assert_array_equal(clf.predict_proba(X), proba)


def test_wrong_feature_count_at_predict(iris):
    X, y = iris
    clf = fitted(X, y)
    with pytest.raises(
        ValueError, match="X has 3 features, but TwoLayerClassifier is expecting 4"
    ):
        clf.predict(X[:, :3])


@pytest.mark.parametrize(
    "params",
    [
        {"n_hidden": 0},
        {"learning_rate": 0},
        {"learning_rate": -1},
        {"solver": "adamw"},
        {"l2": -1},
        {"max_iter": 0},
        {"n_iter_no_change": 0},
        {"momentum": 1.0},
        {"tol": -1},
    ],
)
def test_invalid_parameters_name_themselves(iris, params):
    X, y = iris
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        TwoLayerClassifier(**params).fit(X, y)


def test_bad_sample_weights(iris):
    X, y = iris
    with pytest.raises(ValueError, match="negative"):
        TwoLayerClassifier().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="zero"):
        TwoLayerClassifier().fit(X, y, sample_weight=np.zeros(len(y)))


# learning_rate=50 without momentum on standardized digits: in 5 epochs the loss
# jumps from 2.3 to 100+.
OVERSHOOTING = {
    "n_hidden": 64,
    "learning_rate": 50.0,
    "momentum": 0.0,
    "l2": 0.0,
    "random_state": 0,
}


def test_overshooting_run_is_reported_and_its_best_weights_kept(digits):
    # A run that ends far above its best is reported as diverged (MLPClassifier
    # calls such a run converged), and the weights of the lowest loss are kept.
    X, y = digits
    clf = TwoLayerClassifier(**OVERSHOOTING, max_iter=5)
    with pytest.warns(ConvergenceWarning, match="far above its best.*learning_rate=50"):
        clf.fit(X, y)
    best = int(np.argmin(clf.loss_curve_))
    assert clf.loss_curve_[-1] > 2 * clf.best_loss_
    assert clf.best_iter_ == best + 1
    loss, _ = clf.loss_gradient(X, y)
    assert loss == pytest.approx(clf.best_loss_, rel=1e-12)


def test_full_batch_run_that_overshoots_and_recovers_trains_on(digits):
    # The same run given 300 epochs comes back from 100+ and trains on: the
    # full-batch rule waits for the loss to settle rather than stopping while it
    # is far above its best.
    X, y = digits
    clf = TwoLayerClassifier(
        **OVERSHOOTING, tol=1e-4, n_iter_no_change=10, max_iter=300
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert max(clf.loss_curve_[:10]) > 40 * clf.loss_curve_[0]
    assert clf.loss_ < clf.loss_curve_[0] / 10
    assert clf.score(X, y) > 0.95
