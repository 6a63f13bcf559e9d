"""Persistence: pickle and joblib round trips, fitted and unfitted, float32 and
float64, predict identically and train on identically."""

import os
import pickle

import joblib
import numpy as np
import pytest
from _helpers import DATA, PREDICTION_METHODS, assert_as_written_elsewhere, weights_of
from numpy.testing import assert_array_equal
from sklearn.datasets import load_linnerud
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier, TwoLayerRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _pickle(estimator, tmp_path):
    return pickle.loads(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))


def _pickle_protocol_2(estimator, tmp_path):
    return pickle.loads(pickle.dumps(estimator, protocol=2))


def _joblib(estimator, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    return joblib.load(path)


def _joblib_compressed(estimator, tmp_path):
    path = tmp_path / "model.joblib.gz"
    joblib.dump(estimator, path, compress=3)
    return joblib.load(path)


def _joblib_memmap(estimator, tmp_path):
    # The arrays come back as read-only memory maps, as in a joblib worker.
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    return joblib.load(path, mmap_mode="r")


ROUND_TRIPS = [_pickle, _pickle_protocol_2, _joblib, _joblib_compressed, _joblib_memmap]


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_fitted_round_trip_predicts_identically(
    iris, tmp_path, round_trip, dtype, solver
):
    X, y = iris
    X = X.astype(dtype)
    clf = TwoLayerClassifier(n_hidden=8, solver=solver, max_iter=20, random_state=0)
    clf.fit(X, y)
    restored = round_trip(clf, tmp_path)
    assert restored.get_params() == clf.get_params()
    for a, b in zip(weights_of(clf), weights_of(restored), strict=True):
        assert b.dtype == dtype
        assert_array_equal(a, b)
    for method in PREDICTION_METHODS:
        assert_array_equal(getattr(restored, method)(X), getattr(clf, method)(X))
    assert restored.loss_curve_ == clf.loss_curve_


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_restored_model_continues_training_identically(
    iris, tmp_path, round_trip, dtype, solver
):
    # The optimizer's state (velocity, moments, shuffling generator) is saved too:
    # partial_fit and a warm start continue exactly as the original would, and
    # never write into the (possibly read-only) restored arrays.
    X, y = iris
    X = X.astype(dtype)
    params = {"n_hidden": 8, "solver": solver, "max_iter": 5, "random_state": 0}
    clf = TwoLayerClassifier(warm_start=True, **params).fit(X, y)
    restored = round_trip(clf, tmp_path)
    for estimator in (clf, restored):
        estimator.partial_fit(X, y)
        estimator.fit(X, y)
    for a, b in zip(weights_of(clf), weights_of(restored), strict=True):
        assert_array_equal(a, b)
    assert restored.loss_curve_ == clf.loss_curve_


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unfitted_round_trip_stays_unfitted_and_fits_identically(
    iris, tmp_path, round_trip, dtype
):
    X, y = iris
    X = X.astype(dtype)
    clf = TwoLayerClassifier(n_hidden=8, max_iter=20, random_state=0)
    restored = round_trip(clf, tmp_path)
    assert restored.get_params() == clf.get_params()
    assert vars(restored) == vars(clf)
    with pytest.raises(NotFittedError):
        restored.predict(X)
    clf.fit(X, y)
    restored.fit(X, y)
    for a, b in zip(weights_of(clf), weights_of(restored), strict=True):
        assert b.dtype == dtype
        assert_array_equal(a, b)
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_round_trip_keeps_feature_names(iris, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = TwoLayerClassifier(n_hidden=4, max_iter=10, random_state=0).fit(df, y)
    restored = _joblib(clf, tmp_path)
    assert_array_equal(restored.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(restored.predict_proba(df), clf.predict_proba(df))
    with pytest.raises(ValueError, match="feature names"):
        restored.predict(df.rename(columns={"a": "z"}))


def test_pickle_is_deterministic(iris):
    # The same model pickles to the same bytes: a saved model can be compared
    # or hashed to check it is the one expected.
    X, y = iris
    a = TwoLayerClassifier(n_hidden=4, max_iter=10, random_state=0).fit(X, y)
    b = TwoLayerClassifier(n_hidden=4, max_iter=10, random_state=0).fit(X, y)
    assert pickle.dumps(a) == pickle.dumps(b)


# ------------------------------------------------- models pickled by 0.1.0
PICKLED = [
    "binary_gd",
    "multiclass_adam",
    "multiclass_sgd_float32",
    "multilabel_lbfgs_sparse",
    "strings_early_stopping",
]


@pytest.fixture(scope="module")
def pickled_expected():
    with np.load(os.path.join(DATA, "pickled_models_expected.npz")) as expected:
        return dict(expected)


# A pickle records the scikit-learn version that wrote it; another version
# warns when loading it, as scikit-learn does for its own estimators.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.InconsistentVersionWarning")
@pytest.mark.parametrize("name", PICKLED)
def test_models_pickled_by_an_earlier_version_load_and_predict_the_same(
    name, pickled_expected
):
    # The files were written by skbackprop 0.1.0 before its modules were
    # reorganised: the classes they name must stay importable where they were.
    with open(os.path.join(DATA, f"{name}.pkl"), "rb") as f:
        clf = pickle.load(f)
    X = pickled_expected[f"{name}__X"]
    proba = clf.predict_proba(X)
    assert_as_written_elsewhere(proba, pickled_expected[f"{name}__proba"])
    Z = clf.decision_function(X)
    assert_as_written_elsewhere(Z, pickled_expected[f"{name}__decision"])
    assert_array_equal(clf.predict(X), pickled_expected[f"{name}__predict"])
    # and they train on, from their pickled optimizer state
    y = clf.predict(X)
    clf.set_params(warm_start=True, max_iter=1, early_stopping=False).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


# ------------------------------------------------------------- the regressor
@pytest.fixture(scope="module")
def linnerud():
    """Linnerud's exercises and three body measurements, standardized."""
    X, Y = load_linnerud(return_X_y=True)
    return StandardScaler().fit_transform(X), StandardScaler().fit_transform(Y)


def _targets(Y, width):
    return Y[:, 0] if width == 1 else Y


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("width", [1, 3])
def test_fitted_regressor_round_trip_predicts_identically(
    linnerud, tmp_path, round_trip, dtype, width
):
    X, Y = linnerud
    X, y = X.astype(dtype), _targets(Y, width)
    reg = TwoLayerRegressor(n_hidden=8, max_iter=20, random_state=0).fit(X, y)
    restored = round_trip(reg, tmp_path)
    assert restored.get_params() == reg.get_params()
    assert restored.out_activation_ == "identity" and restored.n_outputs_ == width
    for a, b in zip(weights_of(reg), weights_of(restored), strict=True):
        assert b.dtype == dtype
        assert_array_equal(a, b)
    assert restored.predict(X).shape == y.shape
    for method in ("predict", "hidden_activations"):
        assert_array_equal(getattr(restored, method)(X), getattr(reg, method)(X))
    assert restored.score(X, y) == reg.score(X, y)
    assert restored.loss_curve_ == reg.loss_curve_


@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_restored_regressor_continues_training_identically(
    linnerud, tmp_path, round_trip, solver
):
    X, Y = linnerud
    params = {"n_hidden": 8, "solver": solver, "max_iter": 5, "random_state": 0}
    reg = TwoLayerRegressor(warm_start=True, batch_size=5, **params).fit(X, Y)
    restored = round_trip(reg, tmp_path)
    for estimator in (reg, restored):
        estimator.partial_fit(X, Y)
        estimator.fit(X, Y)
    for a, b in zip(weights_of(reg), weights_of(restored), strict=True):
        assert_array_equal(a, b)
    assert restored.loss_curve_ == reg.loss_curve_
    assert len(reg.loss_curve_) == 5 + 1 + reg.n_iter_


def test_regressor_pickle_is_deterministic(linnerud):
    X, Y = linnerud
    a = TwoLayerRegressor(n_hidden=4, max_iter=10, random_state=0).fit(X, Y)
    b = TwoLayerRegressor(n_hidden=4, max_iter=10, random_state=0).fit(X, Y)
    assert pickle.dumps(a) == pickle.dumps(b)
