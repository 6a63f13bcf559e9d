"""The warnings of fit: where they point, and advice that fits the data.

Also the limits of exactness that the documentation states (User Guide,
Reproducibility): what gives the same model bit for bit, and what only up to
rounding.
"""

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _helpers import fitted
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerClassifier

# On standardized iris: mini-batch descent stopped after two epochs, still
# improving; full-batch steps of 1000 that overshoot at once.
MAX_ITER = {"solver": "sgd", "max_iter": 2}
DIVERGES = {"learning_rate": 1e3}
ENDINGS = pytest.mark.parametrize(
    "params", [MAX_ITER, DIVERGES], ids=["max_iter", "diverged"]
)


def _convergence_warnings(record):
    return [w for w in record if issubclass(w.category, ConvergenceWarning)]


def _message(X, y, params):
    """The one ConvergenceWarning of a fit with ``params``."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        TwoLayerClassifier(random_state=0, **params).fit(X, y)
    [w] = _convergence_warnings(record)
    return str(w.message)


# ------------------------------------------------------------ where they point
@ENDINGS
def test_warning_points_at_the_line_that_calls_fit(iris, params):
    # Not at scikit-learn's wrapper around fit (sklearn/base.py), nor at this
    # package: a warning filter or a traceback then names the user's code.
    X, y = iris
    clf = TwoLayerClassifier(random_state=0, **params)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        clf.fit(X, y)
    [w] = _convergence_warnings(record)
    assert (w.filename, w.lineno) == (__file__, line)


def test_warning_points_at_the_line_that_calls_fit_of_a_subclass(iris):
    # A subclass's fit that calls the inherited one is the caller of that fit.
    X, y = iris

    class Subclass(TwoLayerClassifier):
        def fit(self, X, y):
            self.line = inspect.currentframe().f_lineno + 1
            return super().fit(X, y)

    clf = Subclass(random_state=0, **MAX_ITER)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    [w] = _convergence_warnings(record)
    assert (w.filename, w.lineno) == (__file__, clf.line)


# ------------------------------------------------------- advice that fits
@ENDINGS
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
def test_standardized_X_gets_no_advice_to_scale_it(iris, params, container):
    X, y = iris
    message = _message(container(X), y, params)
    assert "scale" not in message.lower()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("change", ["spread", "mean"])
@ENDINGS
def test_X_with_a_column_in_the_thousands_gets_advice_to_scale_it(
    iris, params, change, container, dtype
):
    X, y = iris
    X = X.astype(dtype)  # a copy
    if change == "spread":
        X[:, 2] *= 1000.0
    else:
        X[:, 2] += 1000.0
    message = _message(container(X), y, params)
    if container is np.asarray:
        assert "scale X (StandardScaler)" in message
    else:  # StandardScaler cannot center a sparse matrix
        assert "scale X (MaxAbsScaler or StandardScaler(with_mean=False)" in message
    assert "column 2" in message


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_advice_to_scale_reads_sparse_X_on_strided_values(iris, container):
    # Sparse X whose values are every other number of an array: fit takes it.
    X, y = iris
    X = container(X * [1.0, 1.0, 1000.0, 1.0])
    values = np.repeat(X.data, 2)[::2]
    X = container((values, X.indices, X.indptr), shape=X.shape)
    assert not X.data.flags.c_contiguous
    assert "column 2" in _message(X, y, DIVERGES)  # "gd" keeps X as it is


def test_advice_to_scale_counts_every_column(iris):
    # One unscaled column among many standardized ones is enough, wherever it is.
    X, y = iris
    X = np.hstack([X, X, X])
    X[:, -1] *= 1000.0
    assert "column 11" in _message(X, y, MAX_ITER)


def test_lbfgs_at_max_iter_is_not_advised_a_learning_rate(iris):
    # L-BFGS chooses its own steps: it ignores learning_rate.
    X, y = iris
    message = _message(X, y, {"solver": "lbfgs", "max_iter": 2})
    assert "max_iter" in message
    assert "learning_rate" not in message


# ------------------------------------------ bit for bit, or up to rounding
def _assert_same_weights(a, b, atol=0.0):
    """Bit for bit with ``atol=0``, else within ``atol``."""
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert_allclose(u, v, rtol=0, atol=atol)


@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
def test_sample_weights_times_a_power_of_two_give_the_same_model(iris, solver):
    X, y = iris
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    a = fitted(X, y, w, solver=solver)
    for factor in (1024.0, 0.125):
        _assert_same_weights(a, fitted(X, y, factor * w, solver=solver))


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_sample_weights_times_another_constant_agree_up_to_rounding(iris, solver):
    # 3.7 * w is rounded before fit sees it: not bit for bit.
    X, y = iris
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    a = fitted(X, y, w, solver=solver)
    for factor in (3.7, 0.1):
        _assert_same_weights(a, fitted(X, y, factor * w, solver=solver), 1e-12)


LAYOUTS = {
    "C-ordered": np.ascontiguousarray,
    "Fortran-ordered": np.asfortranarray,
    "DataFrame": pd.DataFrame,
    "CSR": sp.csr_matrix,
}


# 2 hidden units: the narrow products that BLAS may sum in another order for a
# Fortran-ordered X; 32: the default.
@pytest.mark.parametrize("n_hidden", [2, 32])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_another_memory_layout_agrees_up_to_rounding(iris, layout, n_hidden):
    X, y = iris
    X_layout = LAYOUTS[layout](X)
    model = fitted(X_layout, y, n_hidden=n_hidden, max_iter=100)
    # bit for bit in its own layout ...
    _assert_same_weights(model, fitted(X_layout, y, n_hidden=n_hidden, max_iter=100))
    # ... and up to rounding against C order
    c_ordered = fitted(np.ascontiguousarray(X), y, n_hidden=n_hidden, max_iter=100)
    _assert_same_weights(model, c_ordered, 1e-12)


def test_max_iter_advises_a_learning_rate_only_where_one_was_set(iris):
    # An 'auto' step is the estimator's to adapt: a larger one set by hand
    # diverges where it would have grown. A step set by hand may be too small.
    X, y = iris
    assert "learning_rate" not in _message(X, y, MAX_ITER)
    message = _message(X, y, {**MAX_ITER, "learning_rate": 0.001})
    assert "Increase max_iter or learning_rate" in message
