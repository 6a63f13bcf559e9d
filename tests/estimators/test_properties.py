"""Properties of TwoLayerClassifier on generated problems (hypothesis).

Problems: n from 1 to 60 samples, m from 1 to 8 features, H from 1 to 8 hidden
units, K from 2 to 5 classes (or 2 to 5 labels of a multilabel target), labels as
ints or strings, finite X whose columns have scales from 1e-8 to 1e8, dense or
sparse, float64 or float32, sample weights with zeros, and every solver and
option that changes how `fit` runs.

Properties:

1. `fit` succeeds, or raises exactly the error its input calls for (one class,
   weights that are all zero, a hold-out too small to stratify); a fitted model
   has finite weights and loss curve.
2. `predict_proba` is finite, in [0, 1], and its rows sum to 1 within a few
   rounding errors (at most 1e-12 in float64).
3. `predict` is the argmax of `predict_proba`, mapped to `classes_`.
4. `predict_log_proba` is finite everywhere and equals ``log(predict_proba)``
   wherever the probability is a normal float (above 2.2e-308 in float64).
5. `decision_function` is consistent with `predict` and `predict_proba`.
6. The analytic gradient matches central finite differences.
7. A sequence of `partial_fit` calls succeeds or raises the error its input
   calls for, and leaves a usable model.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerClassifier
from skbackprop._engine import backprop as _backprop
from skbackprop._engine import network as _network

SOLVERS = sorted(TwoLayerClassifier._parameter_constraints["solver"][0].options)


def examples(share):
    """A share of the profile's max_examples (see conftest.py)."""
    return settings(max_examples=max(1, round(settings.default.max_examples * share)))


# ------------------------------------------------------------------ strategies
def label_sets(K):
    """K distinct labels: ints (possibly negative, not contiguous) or strings.

    Built distinct (a start plus positive gaps; a common text prefix) rather
    than filtered for uniqueness, which would discard examples.
    """
    ints = st.builds(
        lambda start, gaps: start + np.cumsum(gaps),
        st.integers(-1000, 1000),
        st.lists(st.integers(1, 50), min_size=K, max_size=K),
    )
    # numpy drops trailing NUL characters from str arrays: keep them out.
    prefix = st.text(st.characters(exclude_characters="\x00"), max_size=3)
    strings = st.builds(lambda p, v: [f"{p}{i}" for i in v], prefix, ints)
    return st.one_of(
        ints,
        strings.map(np.array),
        strings.map(lambda labels: np.array(labels, dtype=object)),
    )


@st.composite
def matrices(draw, n, m, dtype):
    """Finite X: entries in [-1, 1] times a per-column scale 10^-8 .. 10^8."""
    X = draw(hnp.arrays(np.float64, (n, m), elements=st.floats(-1, 1, allow_nan=False)))
    exponents = draw(hnp.arrays(np.float64, m, elements=st.floats(-8, 8)))
    X = (X * 10.0**exponents).astype(dtype)
    return sp.csr_matrix(X) if draw(st.booleans()) else X


def weights(n):
    """None, or non-negative weights with zeros among them."""
    values = st.one_of(st.sampled_from([0.0, 0.0, 1.0, 2.0]), st.floats(0, 10))
    return st.none() | hnp.arrays(np.float64, n, elements=values)


@st.composite
def params(draw, incremental=False):
    """Estimator parameters: every solver, with small max_iter to stay fast."""
    solvers = [s for s in SOLVERS if s != "lbfgs"] if incremental else SOLVERS
    p = {
        "n_hidden": draw(st.integers(1, 8)),
        "solver": draw(st.sampled_from(solvers)),
        "learning_rate": draw(
            st.just("auto") | st.floats(-3, 1).map(lambda e: 10.0**e)
        ),
        "l2": draw(st.just(0.0) | st.floats(0, 1)),
        "batch_size": draw(st.none() | st.integers(1, 64)),
        "max_iter": draw(st.integers(1, 15)),
        "tol": draw(st.sampled_from([0.0, 1e-4])),
        "n_iter_no_change": draw(st.integers(1, 5)),
        "shuffle": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0.0, 0.5, 0.9])),
        "nesterov": draw(st.booleans()),
        "random_state": draw(st.integers(0, 2**32 - 1)),
    }
    if not incremental:
        p["early_stopping"] = draw(st.booleans())
        p["validation_fraction"] = draw(st.sampled_from([0.1, 0.3, 0.5]))
        p["scoring"] = draw(st.sampled_from(["loss", "accuracy"]))
        p["class_weight"] = draw(st.sampled_from([None, "balanced"]))
    return p


@st.composite
def problems(draw, valid=False):
    """``(X, y, sample_weight, params)``; ``valid=True``: fit must succeed."""
    n = draw(st.integers(2 if valid else 1, 60))
    m = draw(st.integers(1, 8))
    K = draw(st.integers(2, 5))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = draw(matrices(n, m, dtype))
    multilabel = draw(st.booleans()) if not valid else False
    if multilabel:
        y = draw(hnp.arrays(np.int64, (n, K), elements=st.integers(0, 1)))
    else:
        labels = draw(label_sets(K))
        index = draw(hnp.arrays(np.int64, n, elements=st.integers(0, K - 1)))
        if valid:  # at least two classes
            index[:2] = draw(st.permutations(range(K)))[:2]
        y = labels[index]
    sample_weight = draw(weights(n))
    if valid and sample_weight is not None:
        sample_weight[0] = draw(st.floats(0.5, 10))  # not all zero
    p = draw(params())
    if valid:
        p["early_stopping"] = False
    if multilabel:
        p["class_weight"] = None  # not supported for multilabel (documented)
    return X, y, sample_weight, p


def _fit(clf, X, y, sample_weight):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, sample_weight=sample_weight)


def _expected_error(X, y, sample_weight, p):
    """The error `fit` must raise on this input, as a regex, or None."""
    one_class = y.ndim == 1 and len(np.unique(y)) < 2
    zero_weights = sample_weight is not None and not sample_weight.any()
    if one_class:
        return "at least 2 classes"
    if p["early_stopping"]:
        # Only a hold-out that leaves nothing to train on, or a part whose
        # weights are all zero, stops early stopping: a hold-out that cannot be
        # stratified is drawn at random, and a class of one sample trains.
        return "cannot hold out|non-zero|sums to zero"
    if zero_weights:
        return "non-zero|sums to zero"
    return None


# -------------------------------------------------------------- 1. fit itself
@examples(1.0)
@given(problems())
def test_fit_succeeds_or_raises_the_error_its_input_calls_for(problem):
    X, y, sample_weight, p = problem
    clf = TwoLayerClassifier(**p)
    expected = _expected_error(X, y, sample_weight, p)
    try:
        _fit(clf, X, y, sample_weight)
    except ValueError as error:
        assert expected is not None, f"fit raised on a valid problem: {error}"
        assert re.search(expected, str(error)), error
        return
    if expected is not None and not p["early_stopping"]:
        pytest.fail(f"fit did not raise {expected!r}")
    if y.ndim == 1:
        assert_array_equal(clf.classes_, np.unique(y))
    for array in clf.coefs_ + clf.intercepts_:
        assert array.dtype == X.dtype
        assert np.isfinite(array).all()
    assert np.isfinite(clf.loss_curve_).all()
    assert 1 <= clf.n_iter_ <= p["max_iter"]


# ------------------------------------------------- 2-5. the outputs of a model
@st.composite
def fitted_models(draw):
    """A model fitted on a valid problem, with its output weights scaled up to
    1e3 times (logits in the thousands: probabilities that round to 0 and 1),
    and inputs to predict on: the training X and a copy scaled by 10^-8..10^8."""
    X, y, sample_weight, p = draw(problems(valid=True))
    clf = _fit(TwoLayerClassifier(**p), X, y, sample_weight)
    scale = draw(st.sampled_from([1.0, 1.0, 10.0, 1e3]))
    clf.coefs_[1] = clf.coefs_[1] * np.asarray(scale, dtype=X.dtype)
    clf.intercepts_[1] = clf.intercepts_[1] * np.asarray(scale, dtype=X.dtype)
    factor = np.asarray(10.0 ** draw(st.floats(-8, 8)), dtype=X.dtype)
    return clf, [X, X * factor]


def _eps(a):
    return np.finfo(a.dtype).eps


@examples(0.5)
@given(fitted_models())
def test_predict_proba_is_a_distribution(model):
    clf, inputs = model
    K = len(clf.classes_)
    for X in inputs:
        proba = clf.predict_proba(X)
        assert proba.shape == (X.shape[0], K)
        assert proba.dtype == X.dtype
        assert np.isfinite(proba).all()
        assert ((proba >= 0) & (proba <= 1)).all()
        # Softmax: p_k = e_k / sum(e) has rows summing to 1 up to one rounding
        # per term and the sum's K - 1 additions; the sigmoid pair g(-z), g(z)
        # to a few. 8 K eps bounds both: 8.9e-15 <= 1e-12 in float64.
        assert np.abs(proba.sum(axis=1) - 1).max() <= 8 * K * _eps(proba)


@examples(0.5)
@given(fitted_models())
def test_predict_is_the_argmax_of_predict_proba(model):
    clf, inputs = model
    for X in inputs:
        proba = clf.predict_proba(X)
        predicted = clf.predict(X)
        index = np.searchsorted(clf.classes_, predicted)
        assert_array_equal(clf.classes_[index], predicted)  # labels of classes_
        # predict decides on the logits, which can differ where the rounded
        # probabilities tie (a logit of 1e-17 gives g(z) = g(-z) = 0.5): the
        # predicted class always has the highest probability, and where that
        # is unique it is the argmax.
        rows = np.arange(len(index))
        assert_array_equal(proba[rows, index], proba.max(axis=1))
        unique = (proba == proba.max(axis=1, keepdims=True)).sum(axis=1) == 1
        assert_array_equal(
            predicted[unique], clf.classes_[proba.argmax(axis=1)][unique]
        )


@examples(0.5)
@given(fitted_models())
def test_predict_log_proba_is_the_log_of_predict_proba(model):
    clf, inputs = model
    for X in inputs:
        proba = clf.predict_proba(X)
        log_proba = clf.predict_log_proba(X)
        assert log_proba.shape == proba.shape
        assert np.isfinite(log_proba).all()
        assert (log_proba <= 0).all()
        # Both are computed from the same shifted logits t = z - max z (or
        # +-z): p = e^t / S and log p = t - log S. An absolute error d in log p
        # is a relative error d in p, and the roundings are those of t and of
        # the final operation, each at most eps |log p|, plus a few eps from
        # exp, the sum and log: hence the bound 4 eps (1 + |log p|), compared
        # on the log scale, where it holds near p = 1 as well (np.log of a p
        # rounded to 1 is 0, log_proba the exact -1e-20). Where p is below the
        # smallest normal float (2.2e-308; probabilities down to 1e-300 occur
        # here) it has lost its relative precision and only finiteness is
        # checked.
        normal = proba >= np.finfo(proba.dtype).tiny
        with np.errstate(divide="ignore"):
            log_of_proba = np.log(proba)
        error = np.abs(log_proba - log_of_proba)[normal]
        bound = (4 * _eps(proba) * (1 + np.abs(log_proba)))[normal]
        assert (error <= bound).all(), (error / bound).max()


@examples(0.5)
@given(fitted_models())
def test_decision_function_is_consistent_with_predict(model):
    clf, inputs = model
    for X in inputs:
        Z = clf.decision_function(X)
        assert np.isfinite(Z).all()
        predicted = clf.predict(X)
        proba = clf.predict_proba(X)
        if len(clf.classes_) == 2:
            assert Z.shape == (X.shape[0],)
            assert_array_equal(predicted, clf.classes_[(Z > 0).astype(int)])
            # the sigmoid is monotone: a larger logit, a larger probability
            order = np.argsort(Z, kind="stable")
            assert (np.diff(proba[order, 1]) >= 0).all()
        else:
            assert Z.shape == proba.shape
            assert_array_equal(predicted, clf.classes_[Z.argmax(axis=1)])
            # softmax keeps the order of the logits within each row
            for z, p in zip(Z, proba, strict=True):
                order = np.argsort(z, kind="stable")
                assert (np.diff(p[order]) >= 0).all()


# -------------------------------------------------------------- 6. gradient
@st.composite
def gradient_problems(draw):
    """Network, data and weights for a finite-difference check.

    The columns of X have scales s_j from 1e-8 to 1e8; the rows of W1 are drawn
    as u_j / s_j, so that the hidden pre-activations X W1 are of order one,
    where a difference quotient can resolve the loss. The check is done in the
    coordinates u (W1 = u / s), in which every coordinate has the same scale.
    """
    n = draw(st.integers(1, 60))
    m, H = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kind = draw(st.sampled_from(["binary", "softmax", "multilabel"]))
    K = 1 if kind == "binary" else draw(st.integers(2 if kind != "softmax" else 3, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scales = 10.0 ** draw(hnp.arrays(np.float64, m, elements=st.floats(-8, 8)))
    X = rng.normal(size=(n, m)) * scales
    activation = _network.SOFTMAX if kind == "softmax" else _network.SIGMOID
    if kind == "softmax":
        Y = _network.targets(rng.integers(K, size=n), K, np.float64)
    else:
        Y = rng.integers(2, size=(n, K)).astype(np.float64)
    s = draw(weights(n))
    s = np.ones(n) if s is None else s
    s[draw(st.integers(0, n - 1))] = draw(st.floats(0.5, 10))  # not all zero
    s = s / s.sum()
    layout = _network.Layout(m, H, K)
    u = rng.normal(size=layout.size)
    u[layout.size - K - H * K :] *= 10.0 ** draw(st.floats(-1, 1))  # W2, b2
    l2 = draw(st.sampled_from([0.0, 0.1, 1.0]))
    # theta = D u: W1's row j is divided by s_j, the other weights are u.
    D = np.ones(layout.size)
    layout.unpack(D).W1[...] = 1 / scales[:, None]
    return layout, X, Y, s, l2, activation, u, D


@examples(0.5)
@given(gradient_problems())
def test_gradient_matches_finite_differences(problem):
    layout, X, Y, s, l2, activation, u, D = problem

    def f(u):
        return _network.loss(D * u, layout, X, Y, s, l2, activation)

    value, grad_theta = _backprop.loss_gradient(D * u, layout, X, Y, s, l2, activation)
    grad = D * grad_theta  # chain rule: d f / d u = D d loss / d theta
    assert value == pytest.approx(f(u), rel=1e-12)
    step = 1e-6
    numeric = np.empty_like(u)
    for i in range(u.size):
        e = np.zeros_like(u)
        e[i] = step
        numeric[i] = (f(u + e) - f(u - e)) / (2 * step)
    # Central differences: truncation error step^2 |f'''| / 6 ~ 1e-12, rounding
    # error eps |f| / step ~ 2e-10 |f| per coordinate. 1e-6 relative to the
    # gradient is the project's tolerance; the rounding floor 1e-8 (1 + |f|) per
    # coordinate keeps a near-zero gradient from turning noise into failure.
    floor = 1e-8 * (1 + abs(value)) * np.sqrt(u.size)
    assert np.linalg.norm(grad - numeric) <= 1e-6 * np.linalg.norm(grad) + floor


# ------------------------------------------------------------ 7. partial_fit
@st.composite
def partial_fit_sequences(draw):
    m = draw(st.integers(1, 8))
    K = draw(st.integers(2, 5))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    labels = draw(label_sets(K))
    batches = []
    for _ in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 20))
        X = draw(matrices(n, m, dtype))
        index = draw(hnp.arrays(np.int64, n, elements=st.integers(0, K - 1)))
        batches.append((X, labels[index], draw(weights(n))))
    return labels, batches, draw(params(incremental=True))


@examples(0.5)
@given(partial_fit_sequences())
def test_partial_fit_sequence_succeeds_or_raises_the_error_its_input_calls_for(
    sequence,
):
    labels, batches, p = sequence
    clf = TwoLayerClassifier(**p)
    for i, (X, y, sample_weight) in enumerate(batches):
        classes = labels if i == 0 else None
        if sample_weight is not None and not sample_weight.any():
            with pytest.raises(ValueError, match="non-zero|sums to zero"):
                clf.partial_fit(X, y, classes=classes, sample_weight=sample_weight)
            if i == 0:
                return
            continue
        clf.partial_fit(X, y, classes=classes, sample_weight=sample_weight)
        assert_array_equal(clf.classes_, np.unique(labels))
        assert all(np.isfinite(a).all() for a in clf.coefs_ + clf.intercepts_)
        proba = clf.predict_proba(X)
        assert np.isfinite(proba).all()
