"""The warnings of fit: where they point, and advice that fits the data."""

import inspect
import warnings

import pytest
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
