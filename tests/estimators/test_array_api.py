"""The estimators on PyTorch and array-api-strict arrays, under scikit-learn's
array API dispatch: they train and predict in the library and on the device
of X, from the weights of the NumPy fit, to the NumPy fit's results; NumPy
input is unchanged by dispatch; a model moves to NumPy by `move_to`.

scikit-learn's own array API checks run in test_common.py."""

import os
import pickle
import warnings

import numpy as np
import pytest
import sklearn
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier, TwoLayerRegressor, move_to, to_onnx
from skbackprop._training.arrays import to_numpy as host

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("SCIPY_ARRAY_API") != "1",
        reason="array API dispatch needs SCIPY_ARRAY_API=1 before SciPy is imported",
    ),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


def dispatch():
    return sklearn.config_context(array_api_dispatch=True)


@pytest.fixture(scope="module")
def torch():
    return require("torch")


@pytest.fixture(scope="module")
def diabetes_scaled():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def fit_both(estimator, X, y, torch, dtype=np.float64, **fit_params):
    """The estimator fitted on NumPy and, under dispatch, on PyTorch tensors."""
    X = X.astype(dtype)
    on_numpy = sklearn.base.clone(estimator).fit(X, y, **fit_params)
    with dispatch():
        on_torch = sklearn.base.clone(estimator).fit(
            torch.asarray(X), torch.asarray(y), **fit_params
        )
    return on_numpy, on_torch


def assert_same_weights(a, b, **tolerance):
    weights, weights_b = a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_
    for W, W_b in zip(weights, weights_b, strict=True):
        assert_allclose(host(W_b), W, **tolerance)


# ----------------------------------------------------------------------- parity
@pytest.mark.parametrize("solver", ["gd", "sgd", "adam"])
def test_classifier_on_torch_float64_matches_numpy(iris, torch, solver):
    X, y = iris
    estimator = TwoLayerClassifier(solver=solver, max_iter=50, tol=0, random_state=0)
    a, b = fit_both(estimator, X, y, torch)
    assert isinstance(b.coefs_[0], torch.Tensor)
    assert b.n_iter_ == a.n_iter_ == 50
    assert_same_weights(a, b, rtol=1e-10, atol=1e-12)
    with dispatch():
        proba = b.predict_proba(torch.asarray(X))
        labels = b.predict(torch.asarray(X))
    assert isinstance(proba, torch.Tensor)
    assert_allclose(host(proba), a.predict_proba(X), rtol=1e-10, atol=1e-14)
    assert_array_equal(host(labels), a.predict(X))
    assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-10)


def test_regressor_on_torch_float64_matches_numpy(diabetes_scaled, torch):
    X, y = diabetes_scaled
    estimator = TwoLayerRegressor(solver="gd", max_iter=50, tol=0, random_state=0)
    a, b = fit_both(estimator, X, y, torch)
    assert_same_weights(a, b, rtol=1e-10, atol=1e-12)
    with dispatch():
        predicted = b.predict(torch.asarray(X))
        r2 = b.score(torch.asarray(X), torch.asarray(y))
    assert predicted.shape == (len(X),)
    assert_allclose(host(predicted), a.predict(X), rtol=1e-10, atol=1e-12)
    assert r2 == pytest.approx(a.score(X, y), rel=1e-10)


@pytest.mark.parametrize("Estimator", [TwoLayerClassifier, TwoLayerRegressor])
def test_float32_on_torch_matches_numpy_to_1e4(iris, diabetes_scaled, torch, Estimator):
    X, y = iris if Estimator is TwoLayerClassifier else diabetes_scaled
    estimator = Estimator(solver="gd", max_iter=50, tol=0, random_state=0)
    a, b = fit_both(estimator, X, y, torch, dtype=np.float32)
    assert b.coefs_[0].dtype == torch.float32
    for W_numpy, W_torch in zip(a.coefs_, b.coefs_, strict=True):
        assert_allclose(host(W_torch), W_numpy, rtol=1e-4, atol=1e-5)


# In float32, L-BFGS's line searches and its curvature pairs take the rounding
# of each evaluation into their next steps: the losses agree to 6e-4 here.
@pytest.mark.parametrize("dtype, rel", [(np.float64, 1e-6), (np.float32, 2e-3)])
@pytest.mark.parametrize("Estimator", [TwoLayerClassifier, TwoLayerRegressor])
def test_lbfgs_on_torch_reaches_the_numpy_loss(
    iris, diabetes_scaled, torch, Estimator, dtype, rel
):
    X, y = iris if Estimator is TwoLayerClassifier else diabetes_scaled
    estimator = Estimator(solver="lbfgs", max_iter=30, tol=0, random_state=0)
    a, b = fit_both(estimator, X, y, torch, dtype=dtype)
    assert b.n_iter_ == a.n_iter_
    assert b.loss_ == pytest.approx(a.loss_, rel=rel)


def test_array_api_strict_on_another_device(iris):
    # array-api-strict allows only the standard's functions, and simulates
    # devices: every array of the fit stays on the device of X.
    strict = require("array_api_strict")
    device = strict.Device("device1")
    X, y = iris
    estimator = TwoLayerClassifier(max_iter=30, tol=0, random_state=0)
    a = sklearn.base.clone(estimator).fit(X, y)
    X_xp, y_xp = strict.asarray(X, device=device), strict.asarray(y, device=device)
    with dispatch():
        b = sklearn.base.clone(estimator).fit(X_xp, y_xp)
        proba = b.predict_proba(X_xp)
        h = b.hidden_activations(X_xp)
        Z = b.decision_function(X_xp)
    for array in [*b.coefs_, *b.intercepts_, proba, h, Z]:
        assert array.device == device
    assert_allclose(host(proba), a.predict_proba(X), rtol=1e-10, atol=1e-14)
    assert_allclose(host(h), a.hidden_activations(X), rtol=1e-10)


# ------------------------------------------------------------- the other calls
def test_partial_fit_and_loss_gradient_on_torch(iris, torch):
    X, y = iris
    classes = np.unique(y)
    a, b = TwoLayerClassifier(random_state=0), TwoLayerClassifier(random_state=0)
    X_t, y_t = torch.asarray(X), torch.asarray(y)
    for _ in range(3):
        a.partial_fit(X, y, classes=classes)
        with dispatch():
            b.partial_fit(X_t, y_t, classes=classes)
    assert_allclose(host(b.coefs_[0]), a.coefs_[0], rtol=1e-10, atol=1e-14)
    loss, (coef_grads, intercept_grads) = a.loss_gradient(X, y)
    with dispatch():
        loss_t, (coef_grads_t, intercept_grads_t) = b.loss_gradient(X_t, y_t)
    assert loss_t == pytest.approx(loss, rel=1e-12)
    assert isinstance(coef_grads_t[0], torch.Tensor)
    grads, grads_t = coef_grads + intercept_grads, coef_grads_t + intercept_grads_t
    for g, g_t in zip(grads, grads_t, strict=True):
        assert_allclose(host(g_t), g, rtol=1e-9, atol=1e-15)


def test_early_stopping_holds_out_the_same_rows_on_torch(iris, torch):
    X, y = iris
    estimator = TwoLayerClassifier(early_stopping=True, max_iter=40, random_state=0)
    a, b = fit_both(estimator, X, y, torch)
    assert b.best_iter_ == a.best_iter_
    assert_allclose(b.validation_loss_curve_, a.validation_loss_curve_, rtol=1e-10)


def test_string_labels_are_encoded_on_the_host(iris, torch):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    with dispatch():
        clf = TwoLayerClassifier(max_iter=20, random_state=0)
        clf.fit(torch.asarray(X), names)
        predicted = clf.predict(torch.asarray(X))
    # strings cannot be tensors: the labels come back as NumPy, as classes_ is
    assert isinstance(clf.classes_, np.ndarray)
    assert predicted.dtype == names.dtype
    assert set(predicted) <= set(names)


def test_numpy_input_is_unchanged_by_dispatch(iris):
    X, y = iris
    estimator = TwoLayerClassifier(max_iter=30, random_state=0)
    a = sklearn.base.clone(estimator).fit(X, y)
    with dispatch():
        b = sklearn.base.clone(estimator).fit(X, y)
        proba = b.predict_proba(X)
    assert_array_equal(b.coefs_[0], a.coefs_[0])
    assert_array_equal(proba, a.predict_proba(X))


@pytest.mark.skipif(
    not sklearn.utils.get_tags(StandardScaler()).array_api_support,
    reason="this scikit-learn's StandardScaler does not take the array API",
)
def test_pipeline_and_grid_search_on_torch(iris, torch):
    X, y = load_iris(return_X_y=True)
    X_t, y_t = torch.asarray(X), torch.asarray(y)
    pipe = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    with dispatch():
        pipe.fit(X_t, y_t)
        assert isinstance(pipe.predict(X_t), torch.Tensor)
        assert pipe.score(X_t, y_t) > 0.9
        grid = {"twolayerclassifier__n_hidden": [4, 8]}
        search = GridSearchCV(pipe, grid, cv=3).fit(X_t, y_t)
    assert search.best_score_ > 0.8
    assert isinstance(search.best_estimator_[-1].coefs_[0], torch.Tensor)


# --------------------------------------------------------------- what is refused
def test_online_learning_on_a_device_is_refused(iris, torch):
    X, y = iris
    clf = TwoLayerClassifier(solver="sgd", batch_size=1)
    refused = "batch_size=1.*NumPy arrays"
    with dispatch(), pytest.raises(ValueError, match=refused):
        clf.fit(torch.asarray(X), torch.asarray(y))
    with dispatch(), pytest.raises(ValueError, match=refused):
        clf.partial_fit(torch.asarray(X), torch.asarray(y), classes=[0, 1, 2])
    assert not hasattr(clf, "coefs_")
    # the gradient at the fitted weights takes no steps, of any size
    with dispatch():
        clf.set_params(batch_size=None).fit(torch.asarray(X), torch.asarray(y))
        clf.set_params(batch_size=1).loss_gradient(torch.asarray(X), torch.asarray(y))


def test_sparse_tensors_are_refused(torch):
    X = torch.eye(6, dtype=torch.float64).to_sparse()
    y = torch.asarray([0, 1] * 3)
    with dispatch(), pytest.raises(TypeError, match="sparse torch array.*NumPy only"):
        TwoLayerClassifier().fit(X, y)


def test_prediction_on_other_arrays_names_the_fix(iris, torch):
    X, y = iris
    with dispatch():
        clf = TwoLayerClassifier(max_iter=5, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(y))
        same = r"predict\(\) must use the same namespace"
        with pytest.raises(ValueError, match=same):
            clf.predict(X)
    with pytest.raises(ValueError, match="skbackprop.move_to"):
        clf.predict_proba(X)  # dispatch off: X would become NumPy


def test_training_on_stays_where_the_model_is(iris, torch):
    # A warm start or another partial_fit continues the weights and the update
    # rule's state where they are: X must be there too.
    X, y = iris
    X_t, y_t = torch.asarray(X), torch.asarray(y)
    on_torch = TwoLayerClassifier(max_iter=5, warm_start=True, random_state=0)
    on_numpy = TwoLayerClassifier(max_iter=5, warm_start=True, random_state=0)
    with dispatch():
        on_torch.fit(X_t, y_t)
        on_numpy.fit(X, y)
        before = host(on_torch.coefs_[0]).copy()
        continuing = "Continuing to train a fitted TwoLayerClassifier"
        with pytest.raises(ValueError, match=continuing + ".*NumPy array"):
            on_torch.fit(X, y)
        with pytest.raises(ValueError, match=continuing + ".*torch array on cpu"):
            on_numpy.fit(X_t, y_t)
        with pytest.raises(ValueError, match=r"\(partial_fit\) must use the same"):
            on_torch.partial_fit(X, y)
        with pytest.raises(ValueError, match=r"loss_gradient\(\) must use the same"):
            on_torch.loss_gradient(X, y)
    assert_array_equal(host(on_torch.coefs_[0]), before)
    with pytest.raises(ValueError, match="dispatch is off.*config_context"):
        on_torch.predict(X_t)


def test_a_float32_model_predicts_float64_data_as_numpy_does(iris, torch):
    X, y = iris
    estimator = TwoLayerClassifier(max_iter=20, random_state=0)
    a, b = fit_both(estimator, X, y, torch, dtype=np.float32)
    with dispatch():
        proba = b.predict_proba(torch.asarray(X))  # float64 X
    expected = a.predict_proba(X)
    assert proba.dtype == torch.float64 and expected.dtype == np.float64
    assert_allclose(host(proba), expected, rtol=1e-5)


# ------------------------------------------------------------ moving a model
def test_move_to_numpy_and_back(iris, torch):
    X, y = iris
    X_t = torch.asarray(X)
    with dispatch():
        clf = TwoLayerClassifier(solver="adam", max_iter=10, random_state=0)
        clf.fit(X_t, torch.asarray(y))
        proba = host(clf.predict_proba(X_t))
    on_numpy = move_to(clf, np)
    assert isinstance(on_numpy.coefs_[0], np.ndarray)
    # numeric labels are kept next to the data, as scikit-learn's array API
    # classifiers keep them, and move with the model
    assert isinstance(clf.classes_, torch.Tensor)
    assert_array_equal(on_numpy.classes_, [0, 1, 2])
    assert isinstance(on_numpy._optimizer.m, np.ndarray)  # warm starts go on
    assert isinstance(clf.coefs_[0], torch.Tensor)  # the model is left as it was
    assert_allclose(on_numpy.predict_proba(X), proba, rtol=1e-12)
    restored = pickle.loads(pickle.dumps(on_numpy))
    assert_array_equal(restored.predict_proba(X), on_numpy.predict_proba(X))
    assert isinstance(move_to(clf, "numpy").coefs_[0], np.ndarray)  # or by name
    with pytest.raises(ValueError, match="cannot import 'nonesuch'"):
        move_to(clf, "nonesuch")
    with pytest.raises(TypeError, match="takes an array library"):
        move_to(clf, 3)
    back = move_to(on_numpy, torch, device="cpu")
    with dispatch():
        assert_allclose(host(back.predict_proba(X_t)), proba, rtol=1e-12)


def test_a_model_on_a_device_is_not_pickled_or_exported(iris, torch):
    X, y = iris
    with dispatch():
        clf = TwoLayerClassifier(max_iter=5, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(y))
    advice = r"torch arrays on cpu.*move_to\(model, numpy\)"
    with pytest.raises(TypeError, match=advice):
        pickle.dumps(clf)
    require("skl2onnx")
    with pytest.raises(TypeError, match="ONNX export needs a model on NumPy"):
        to_onnx(clf, X[:2].astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        to_onnx(move_to(clf, np), X[:2].astype(np.float32))


def test_classifier_and_regressor_declare_array_api_support():
    for estimator in (TwoLayerClassifier(), TwoLayerRegressor()):
        assert sklearn.utils.get_tags(estimator).array_api_support


def test_a_failed_fit_on_a_device_leaves_the_model(torch):
    X, y = make_classification(60, 5, random_state=0)
    with dispatch():
        clf = TwoLayerClassifier(max_iter=5, random_state=0)
        clf.fit(torch.asarray(X), torch.asarray(y))
        before = host(clf.coefs_[0]).copy()
        X_bad = torch.asarray(X)
        X_bad[0, 0] = float("nan")
        with pytest.raises(ValueError, match="NaN"):
            clf.fit(X_bad, torch.asarray(y))
    assert_array_equal(host(clf.coefs_[0]), before)
