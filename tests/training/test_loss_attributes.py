"""``loss_``, ``best_loss_`` and ``loss_curve_`` describe the weights a fit returns.

However training ends -- L-BFGS converged before its first step, a first epoch
that overflowed, a divergence guard that went back to earlier weights, early
stopping that restored its best epoch -- ``loss_`` is the training loss of the
returned weights (as `loss_gradient` computes it on the training data), every
number is finite, and the warnings quote only finite numbers.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerClassifier

NOT_FINITE = re.compile(r"\b(nan|inf)\b", re.IGNORECASE)


def _fit_recording(clf, X, y, **fit_params):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y, **fit_params)
    return [str(w.message) for w in record if w.category is ConvergenceWarning]


def _assert_describes_the_weights(clf, X, y):
    loss_at_weights, _ = clf.loss_gradient(X, y)
    assert np.isfinite(clf.loss_) and np.isfinite(clf.best_loss_)
    assert np.isfinite(clf.loss_curve_).all()
    assert_allclose(clf.loss_, loss_at_weights, rtol=1e-12)
    assert clf.best_loss_ <= clf.loss_


@pytest.fixture(scope="module")
def binary():
    return make_classification(200, 5, random_state=0)


def test_lbfgs_converged_at_the_start_reports_the_loss_of_its_weights(binary):
    X, y = binary
    clf = TwoLayerClassifier(solver="lbfgs", tol=1e10, random_state=0).fit(X, y)
    assert clf.n_iter_ == 0 and clf.loss_curve_ == []
    _assert_describes_the_weights(clf, X, y)
    assert clf.best_loss_ == clf.loss_


def test_online_learning_that_overflows_in_its_first_epoch(binary):
    X, y = binary
    clf = TwoLayerClassifier(
        solver="sgd", batch_size=1, learning_rate=1e6, max_iter=3, random_state=0
    )
    messages = _fit_recording(clf, X * 1000, y)
    assert len(messages) == 1
    assert "overflowed at epoch 1" in messages[0]
    assert "keeps its initial weights: it is untrained" in messages[0]
    assert not NOT_FINITE.search(messages[0]), messages[0]
    _assert_describes_the_weights(clf, X * 1000, y)


def test_an_overflow_later_quotes_the_last_finite_loss(binary):
    X, y = binary
    clf = TwoLayerClassifier(
        solver="sgd", batch_size=1, learning_rate=3e3, momentum=0.0, random_state=0
    )
    messages = _fit_recording(clf, X * 100, y)
    assert messages and not NOT_FINITE.search(messages[0]), messages
    _assert_describes_the_weights(clf, X * 100, y)


@pytest.mark.parametrize("seed", [2, 3])
def test_a_guarded_divergence_reports_the_loss_of_the_restored_weights(seed):
    # Unscaled blobs and a step of 2.0 set by the user: training ends far above
    # its best loss, and the guard goes back to the best weights.
    X, y = make_blobs(n_samples=100, n_features=4, centers=3, random_state=seed)
    X = 3 * X
    clf = TwoLayerClassifier(learning_rate=2.0, random_state=seed)
    messages = _fit_recording(clf, X, y)
    assert len(messages) == 1 and "far above its best" in messages[0]
    _assert_describes_the_weights(clf, X, y)
    assert clf.loss_ == clf.best_loss_ < clf.loss_curve_[-1]


@pytest.mark.parametrize("solver", ["gd", "sgd", "lbfgs"])
def test_early_stopping_reports_the_loss_of_the_best_epoch(iris, solver):
    X, y = iris
    clf = TwoLayerClassifier(
        n_hidden=8, solver=solver, scoring="accuracy", random_state=0
    )
    # A third of the validation labels are wrong: the validation loss rises as
    # the network grows confident, and an earlier epoch is the best.
    y_val = y[::4].copy()
    y_val[::3] = (y_val[::3] + 1) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X[::4], y_val=y_val)
    assert clf.best_iter_ < clf.n_iter_  # an earlier epoch's weights came back
    _assert_describes_the_weights(clf, X, y)


def test_a_divergence_back_to_the_initial_weights_says_the_model_is_untrained():
    # 10000 hidden units on 10 rows: the first step of a rate of 2.0 set by the
    # user already overshoots, and the best weights are the initial ones.
    rng = np.random.RandomState(0)
    X, y = rng.randn(10, 3), np.arange(10) % 2
    clf = TwoLayerClassifier(n_hidden=10000, learning_rate=2.0, random_state=0)
    messages = _fit_recording(clf, X, y)
    assert len(messages) == 1
    assert "keeps its initial weights: it is untrained" in messages[0]
    assert "lowest loss were restored" not in messages[0]
    _assert_describes_the_weights(clf, X, y)


def test_a_divergence_after_progress_restores_trained_weights(binary):
    X, y = make_blobs(n_samples=100, n_features=4, centers=3, random_state=2)
    clf = TwoLayerClassifier(learning_rate=2.0, random_state=2)
    messages = _fit_recording(clf, 3 * X, y)
    assert "lowest loss were restored" in messages[0]
    assert "untrained" not in messages[0]


def test_verbose_says_when_the_initial_weights_were_kept(capsys):
    rng = np.random.RandomState(0)
    X, y = rng.randn(10, 3), np.arange(10) % 2
    clf = TwoLayerClassifier(
        n_hidden=10000, learning_rate=2.0, random_state=0, verbose=True
    )
    _fit_recording(clf, X, y)
    assert "kept the initial weights." in capsys.readouterr().out
