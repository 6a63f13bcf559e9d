"""Concurrency: predictions from many threads, fits in parallel processes.

- 8 threads calling the prediction methods of one fitted model at once get
  exactly (bit for bit) what one thread gets.
- Clones fitted in parallel with joblib, with the loky (processes) and threading
  backends, equal the same fits run one after the other, bit for bit.
"""

import warnings
from functools import partial

import numpy as np
import pytest
from _helpers import PREDICTION_METHODS, run_together
from joblib import Parallel, delayed
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerClassifier

N_THREADS = 8

# warnings.catch_warnings is not thread-safe: filter for the whole module.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def model(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return TwoLayerClassifier(n_hidden=32, max_iter=30, random_state=0).fit(X, y)


@pytest.mark.parametrize("method", PREDICTION_METHODS)
def test_threads_predicting_at_once_match_one_thread(digits, model, method):
    X, _ = digits
    X = np.tile(X, (4, 1))  # 7188 rows: long enough for the threads to overlap
    expected = getattr(model, method)(X)
    for _ in range(3):
        results, errors = run_together([partial(getattr(model, method), X)] * N_THREADS)
        assert not errors, errors
        for result in results:
            assert_array_equal(result, expected)


def test_threads_predicting_different_data_at_once(digits, model):
    # Each thread its own rows: no thread sees another's data or buffers.
    X, _ = digits
    chunks = np.array_split(X, N_THREADS)
    expected = [model.predict_proba(chunk) for chunk in chunks]
    results, errors = run_together([partial(model.predict_proba, c) for c in chunks])
    assert not errors, errors
    for result, rows_expected in zip(results, expected, strict=True):
        assert_array_equal(result, rows_expected)


def _fit(estimator, X, y):
    return estimator.fit(X, y)


def _fit_quietly(estimator, X, y):
    # In loky's worker processes, where the module's filter does not reach.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


CLONES = [
    {"solver": "gd", "random_state": 0},
    {"solver": "sgd", "random_state": 1},
    {"solver": "adam", "random_state": 2},
    {"solver": "lbfgs", "random_state": 3},
    {"solver": "sgd", "early_stopping": True, "random_state": 4},
    {"solver": "gd", "random_state": 5, "n_hidden": 8},
]


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_clones_fitted_in_parallel_equal_sequential_fits(digits, backend):
    X, y = digits
    X, y = X[:600], y[:600]
    base = TwoLayerClassifier(n_hidden=16, max_iter=15)
    estimators = [clone(base).set_params(**params) for params in CLONES]
    sequential = [_fit(clone(e), X, y) for e in estimators]
    fit = _fit_quietly if backend == "loky" else _fit
    parallel = Parallel(n_jobs=2, backend=backend)(
        delayed(fit)(clone(e), X, y) for e in estimators
    )
    for one, other in zip(sequential, parallel, strict=True):
        for a, b in zip(
            one.coefs_ + one.intercepts_, other.coefs_ + other.intercepts_, strict=True
        ):
            assert_array_equal(a, b)
        assert one.loss_curve_ == other.loss_curve_
        assert_array_equal(one.predict_proba(X), other.predict_proba(X))
