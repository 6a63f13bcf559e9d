"""Determinism: the same random_state gives bit-for-bit the same model.

Across two fits, across warm-start continuations and partial_fit sequences, and
whatever the state of numpy's global random generator, for every solver and
for the options that draw random numbers (shuffling, the early-stopping split).
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skbackprop import TwoLayerClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SETTINGS = {
    "gd": {"solver": "gd"},
    "sgd shuffled": {"solver": "sgd", "batch_size": 16},
    "adam shuffled": {"solver": "adam", "batch_size": 16, "learning_rate": 0.01},
    "lbfgs": {"solver": "lbfgs"},
    "early stopping": {"solver": "sgd", "early_stopping": True, "batch_size": 16},
    "balanced, float32": {"class_weight": "balanced", "dtype": np.float32},
    "online, binary": {"solver": "sgd", "batch_size": 1, "binary": True},
    "online, multiclass": {"solver": "sgd", "batch_size": 1},
}
DATA_OPTIONS = ("dtype", "binary")


def _estimator(setting, random_state=0, **extra):
    params = {k: v for k, v in SETTINGS[setting].items() if k not in DATA_OPTIONS}
    params.update(extra)
    return TwoLayerClassifier(
        n_hidden=6, max_iter=8, random_state=random_state, **params
    )


def _data(iris, setting):
    X, y = iris
    if SETTINGS[setting].get("binary"):  # the notes' network: one sigmoid output
        y = (y == 2).astype(int)
    return X.astype(SETTINGS[setting].get("dtype", np.float64)), y


def _assert_identical(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert u.dtype == v.dtype
        assert_array_equal(u, v)
    assert a.loss_curve_ == b.loss_curve_


def _disturb_global_rng(seed):
    """Set numpy's global generator to a state of its own, and draw from it."""
    np.random.seed(seed)
    np.random.random_sample(seed % 7 + 1)


@pytest.mark.parametrize("setting", SETTINGS)
def test_two_fits_are_identical_whatever_the_global_rng(iris, setting):
    X, y = _data(iris, setting)
    _disturb_global_rng(1)
    a = _estimator(setting).fit(X, y)
    _disturb_global_rng(2)
    b = _estimator(setting).fit(X, y)
    _assert_identical(a, b)
    # and the same estimator refitted
    _disturb_global_rng(3)
    _assert_identical(a, a.fit(X, y))
    _assert_identical(a, b)


@pytest.mark.parametrize("setting", SETTINGS)
def test_a_random_state_instance_seeded_alike_gives_the_same_model(iris, setting):
    X, y = _data(iris, setting)
    a = _estimator(setting, random_state=np.random.RandomState(7)).fit(X, y)
    _disturb_global_rng(4)
    b = _estimator(setting, random_state=np.random.RandomState(7)).fit(X, y)
    _assert_identical(a, b)


@pytest.mark.parametrize("setting", SETTINGS)
def test_random_state_none_follows_the_global_rng(iris, setting):
    # random_state=None draws from numpy's global generator (scikit-learn's
    # convention): seeding it alike gives the same model, otherwise not.
    X, y = _data(iris, setting)
    _disturb_global_rng(5)
    a = _estimator(setting, random_state=None).fit(X, y)
    _disturb_global_rng(5)
    b = _estimator(setting, random_state=None).fit(X, y)
    _assert_identical(a, b)
    _disturb_global_rng(6)
    c = _estimator(setting, random_state=None).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("setting", SETTINGS)
def test_warm_start_continuations_are_identical(iris, setting):
    X, y = _data(iris, setting)
    a = _estimator(setting, warm_start=True)
    b = _estimator(setting, warm_start=True)
    for seed in range(3):
        _disturb_global_rng(10 + seed)
        a.fit(X, y)
        _disturb_global_rng(20 + seed)
        b.fit(X, y)
        _assert_identical(a, b)
    assert len(a.loss_curve_) > a.n_iter_  # the fits did continue


@pytest.mark.parametrize(
    "setting", [s for s in SETTINGS if SETTINGS[s].get("solver") != "lbfgs"]
)
def test_partial_fit_sequences_are_identical(iris, setting):
    X, y = _data(iris, setting)
    batches = np.array_split(np.random.default_rng(0).permutation(len(y)), 5)
    runs = []
    for seed in (30, 40):
        clf = _estimator(setting, class_weight=None)  # 'balanced': fit only
        for i, rows in enumerate(batches):
            _disturb_global_rng(seed + i)
            classes = np.unique(y) if i == 0 else None
            clf.partial_fit(X[rows], y[rows], classes=classes)
        runs.append(clf)
    _assert_identical(*runs)


def test_different_random_states_give_different_models(iris):
    # The seed does reach the initial weights: the tests above are not vacuous.
    X, y = iris
    a = _estimator("sgd shuffled", random_state=0).fit(X, y)
    b = _estimator("sgd shuffled", random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])
