"""Targets are checked against the network they are for.

A warm-started `fit`, `partial_fit` on a fitted model, a validation set
``X_val, y_val`` and `loss_gradient` each take a ``y`` for a network whose output
units already exist (or, for ``y_val``, are those of the training ``y``). A
``y`` of the other kind (1-D labels for a multilabel network, an indicator
matrix for a multiclass one), with another number of labels, or with labels the
network has no unit for, raises a ValueError that names the argument and what
was expected, and leaves the model exactly as it was. Without these checks the
network kept its weights and silently switched between sigmoid and softmax
units, or computed a loss with the wrong ones. A 2-D target of any kind must be
a 0/1 indicator matrix.
"""

import pickle
import warnings

import numpy as np
import pytest
from _helpers import fitted, state_of
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

N = 90


@pytest.fixture(scope="module")
def data():
    """``(X, Y, y)``: a 3-label indicator ``Y`` and 3-class ``y`` for the same X.

    Networks for either have the same weight shapes: only the output units'
    activation tells them apart.
    """
    X, Y = make_multilabel_classification(N, n_features=4, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), Y, np.arange(N) % 3


def _targets(kind, data):
    """The training targets of each kind of model."""
    _, Y, y = data
    return {
        "multiclass": y,
        "binary": y % 2,
        "multilabel": Y,
        "2-label multilabel": Y[:, :2],
    }[kind]


def _trained(kind, data, **params):
    """A small network fitted on ``data`` with targets of ``kind``."""
    return fitted(data[0], _targets(kind, data), n_hidden=4, max_iter=5, **params)


def _four_labels(Y):
    return np.column_stack([Y, Y[:, 0]])


# (id, fitted model, method, make (args, kwargs) from (X, Y, y), message)
# "warm fit" is fit with warm_start=True; "fit" refits the model from scratch.
CASES = [
    # ---- warm-started fit: y must have the classes the network has
    (
        "warm fit on a subset of the classes",
        "multiclass",
        "warm fit",
        lambda X, Y, y: ((X, y % 2), {}),
        r"^y has classes \[0 1\], but the fitted model has classes \[0 1 2\]\. "
        r"With warm_start=True, .*set warm_start=False to train a new model",
    ),
    (
        "warm fit on more classes",
        "multiclass",
        "warm fit",
        lambda X, Y, y: ((X, np.arange(N) % 4), {}),
        r"^y has classes \[0 1 2 3\], but the fitted model has classes \[0 1 2\]",
    ),
    (
        "warm fit on booleans",
        "multiclass",
        "warm fit",
        lambda X, Y, y: ((X, y > 0), {}),
        r"^y has classes \[False +True\], but the fitted model has classes "
        r"\[0 1 2\]",
    ),
    (
        "warm fit of a multilabel model on 1-D y",
        "multilabel",
        "warm fit",
        lambda X, Y, y: ((X, y), {}),
        r"^y is 1-D, but the fitted model is multilabel, with 3 labels: y must be "
        r"a 0/1 indicator matrix of shape \(n_samples, 3\)\. With warm_start=True",
    ),
    (
        "warm fit of a multiclass model on an indicator y",
        "multiclass",
        "warm fit",
        lambda X, Y, y: ((X, Y), {}),
        r"^y is a multilabel indicator matrix, but the fitted model is not "
        r"multilabel: y must be 1-D, with labels in \[0 1 2\]\. With warm_start",
    ),
    (
        "warm fit of a 2-label multilabel model on binary y",
        "2-label multilabel",
        "warm fit",
        lambda X, Y, y: ((X, y % 2), {}),
        r"^y is 1-D, but the fitted model is multilabel, with 2 labels",
    ),
    (
        "warm fit of a binary model on a 2-label indicator y",
        "binary",
        "warm fit",
        lambda X, Y, y: ((X, Y[:, :2]), {}),
        r"^y is a multilabel indicator matrix, but the fitted model is not "
        r"multilabel: y must be 1-D, with labels in \[0 1\]",
    ),
    (
        "warm fit of a multilabel model on fewer labels",
        "multilabel",
        "warm fit",
        lambda X, Y, y: ((X, Y[:, :2]), {}),
        r"^y has 2 labels \(columns\), but the fitted model has 3: y must be a "
        r"0/1 indicator matrix of shape \(n_samples, 3\)",
    ),
    # ---- partial_fit on a fitted model: y must fit its output units
    (
        "partial_fit of a multilabel model on 1-D y",
        "multilabel",
        "partial_fit",
        lambda X, Y, y: ((X, y), {}),
        r"^y is 1-D, but the fitted model is multilabel, with 3 labels",
    ),
    (
        "partial_fit of a multilabel model on 1-D y and its classes",
        "multilabel",
        "partial_fit",
        lambda X, Y, y: ((X, y), {"classes": [0, 1, 2]}),
        r"^y is 1-D, but the fitted model is multilabel, with 3 labels",
    ),
    (
        "partial_fit of a multiclass model on an indicator y",
        "multiclass",
        "partial_fit",
        lambda X, Y, y: ((X, Y), {}),
        r"^y is a multilabel indicator matrix, but the fitted model is not "
        r"multilabel",
    ),
    (
        "partial_fit of a binary model on a 2-label indicator y",
        "binary",
        "partial_fit",
        lambda X, Y, y: ((X, Y[:, :2]), {}),
        r"^y is a multilabel indicator matrix, but the fitted model is not "
        r"multilabel",
    ),
    (
        "partial_fit of a multilabel model on more labels",
        "multilabel",
        "partial_fit",
        lambda X, Y, y: ((X, _four_labels(Y)), {}),
        r"^y has 4 labels \(columns\), but the fitted model has 3",
    ),
    (
        "partial_fit with a label outside classes_",
        "multiclass",
        "partial_fit",
        lambda X, Y, y: ((X, y + 1), {}),
        r"^y has labels \[3\] that are not in classes \[0 1 2\] of the fitted "
        r"model\.$",
    ),
    # ---- a validation set: y_val must be targets of the network of y
    (
        "1-D y_val for a multilabel y",
        "multilabel",
        "fit",
        lambda X, Y, y: ((X, Y), {"X_val": X, "y_val": y}),
        r"^y_val is 1-D, but y is multilabel, with 3 labels: y_val must be a 0/1 "
        r"indicator matrix of shape \(n_samples, 3\)\.$",
    ),
    (
        "indicator y_val for a multiclass y",
        "multiclass",
        "fit",
        lambda X, Y, y: ((X, y), {"X_val": X, "y_val": Y}),
        r"^y_val is a multilabel indicator matrix, but y is not multilabel: y_val "
        r"must be 1-D, with labels in \[0 1 2\]\.$",
    ),
    (
        "y_val with more labels than y",
        "multilabel",
        "fit",
        lambda X, Y, y: ((X, Y), {"X_val": X[:32], "y_val": _four_labels(Y)[:32]}),
        r"^y_val has 4 labels \(columns\), but y has 3",
    ),
    (
        "y_val with fewer labels than y, warm-started",
        "multilabel",
        "warm fit",
        lambda X, Y, y: ((X, Y), {"X_val": X, "y_val": Y[:, :2]}),
        r"^y_val has 2 labels \(columns\), but y has 3",
    ),
    (
        "y_val that is 2-D but not an indicator",
        "multilabel",
        "fit",
        lambda X, Y, y: ((X, Y), {"X_val": X, "y_val": np.column_stack([y, y])}),
        r"^A 2-D y_val must be a multilabel indicator matrix of 0s and 1s; got "
        r"'multiclass-multioutput' targets\.$",
    ),
    (
        "y_val of two values that are not 0 and 1",
        "multilabel",
        "fit",
        lambda X, Y, y: ((X, Y), {"X_val": X, "y_val": 2 * Y}),
        r"^A 2-D y_val must be a multilabel indicator matrix of 0s and 1s; got "
        r"the values \[0 2\]\.$",
    ),
    (
        "y of two values that are not 0 and 1",
        "multilabel",
        "fit",
        lambda X, Y, y: ((X, Y + 1), {}),
        r"^A 2-D y must be a multilabel indicator matrix of 0s and 1s; got the "
        r"values \[1 2\]\.$",
    ),
    (
        "y_val with a class that y does not have",
        "multiclass",
        "fit",
        lambda X, Y, y: ((X, y), {"X_val": X, "y_val": np.arange(N) % 4}),
        r"^y_val has labels \[3\] that are not in classes \[0 1 2\] of y\.$",
    ),
    (
        "y_val with a third class for a binary y",
        "binary",
        "fit",
        lambda X, Y, y: ((X, y % 2), {"X_val": X, "y_val": y}),
        r"^y_val has labels \[2\] that are not in classes \[0 1\] of y\.$",
    ),
    (
        "sample_weight_val longer than X_val",
        "multiclass",
        "fit",
        lambda X, Y, y: (
            (X, y),
            {"X_val": X[:32], "y_val": y[:32], "sample_weight_val": np.ones(66)},
        ),
        r"^Invalid sample_weight_val \(X_val has 32 samples\): .*\(66,\)",
    ),
    (
        "negative sample_weight_val",
        "multiclass",
        "fit",
        lambda X, Y, y: (
            (X, y),
            {"X_val": X, "y_val": y, "sample_weight_val": -np.ones(N)},
        ),
        r"^Invalid sample_weight_val .*negative",
    ),
    (
        "sample_weight_val without a validation set",
        "multiclass",
        "fit",
        lambda X, Y, y: ((X, y), {"sample_weight_val": np.ones(N)}),
        r"^sample_weight_val is the weights of a validation set: pass X_val and "
        r"y_val with it",
    ),
    (
        "sample_weight_val without a validation set, with early stopping",
        "multiclass",
        "fit, early_stopping=True",
        lambda X, Y, y: ((X, y), {"sample_weight_val": np.ones(N)}),
        r"^sample_weight_val is the weights of a validation set",
    ),
    # ---- loss_gradient: y must be targets of the fitted network
    (
        "loss_gradient of a multilabel model on 1-D y",
        "multilabel",
        "loss_gradient",
        lambda X, Y, y: ((X, y), {}),
        r"^y is 1-D, but the fitted model is multilabel, with 3 labels: y must be "
        r"a 0/1 indicator matrix of shape \(n_samples, 3\)\.$",
    ),
    (
        "loss_gradient of a multiclass model on an indicator y",
        "multiclass",
        "loss_gradient",
        lambda X, Y, y: ((X, Y), {}),
        r"^y is a multilabel indicator matrix, but the fitted model is not "
        r"multilabel: y must be 1-D, with labels in \[0 1 2\]\.$",
    ),
    (
        "loss_gradient of a multilabel model on fewer labels",
        "multilabel",
        "loss_gradient",
        lambda X, Y, y: ((X, Y[:, :2]), {}),
        r"^y has 2 labels \(columns\), but the fitted model has 3",
    ),
    (
        "loss_gradient with a label outside classes_",
        "multiclass",
        "loss_gradient",
        lambda X, Y, y: ((X, y + 1), {}),
        r"^y has labels \[3\] that are not in classes \[0 1 2\] of the fitted "
        r"model\.$",
    ),
]


@pytest.mark.parametrize(
    "kind, method, make_args, match",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_targets_of_another_network_raise_and_change_nothing(
    data, kind, method, make_args, match
):
    X = data[0]
    clf = _trained(kind, data)
    method, _, setting = method.partition(", ")
    if method == "warm fit":
        method = "fit"
        clf.set_params(warm_start=True)
    if setting:  # a parameter the case needs, as "name=value"
        name, value = setting.split("=")
        clf.set_params(**{name: eval(value)})
    state, proba = state_of(clf), clf.predict_proba(X)
    args, kwargs = make_args(*data)
    with pytest.raises(ValueError, match=match) as info:
        getattr(clf, method)(*args, **kwargs)
    if method != "fit" or not clf.warm_start:
        # warm_start is no setting of partial_fit, loss_gradient or a new fit
        assert "warm_start" not in str(info.value)
    before = pickle.loads(state["coefs_"]) + pickle.loads(state["intercepts_"])
    for now, then in zip(clf.coefs_ + clf.intercepts_, before, strict=True):
        assert_array_equal(now, then)
    now = state_of(clf)
    changed = [k for k in state.keys() | now.keys() if now.get(k) != state.get(k)]
    assert not changed, f"attributes {changed} changed"
    assert_array_equal(clf.predict_proba(X), proba)


def test_first_partial_fit_of_multilabel_y_needs_its_label_indices(data):
    X, Y, _ = data
    clf = TwoLayerClassifier(n_hidden=4)
    for classes in ([0, 1], ["a", "b", "c"]):
        with pytest.raises(
            ValueError,
            match=r"^For a multilabel indicator y, classes must be its label "
            r"\(column\) indices \[0 1 2\]; got classes=",
        ):
            clf.partial_fit(X, Y, classes=classes)
        assert vars(clf) == vars(TwoLayerClassifier(n_hidden=4))
    clf.partial_fit(X, Y, classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.out_activation_ == "logistic"


# ------------------------------------------------------- what is still accepted
def test_warm_fit_on_the_same_classes_as_other_values_continues(data):
    # Booleans are the classes 0 and 1: the fit continues from the weights, and
    # the classes are those of the new y, as for any fit.
    X, _, y = data
    clf = _trained("binary", data, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, (y % 2).astype(bool))
        assert len(clf.loss_curve_) == 10
        assert_array_equal(clf.classes_, [False, True])
        assert clf.predict(X).dtype == bool
        clf.fit(X, (y % 2).astype(np.int32))
    assert len(clf.loss_curve_) == 15
    assert clf.predict(X).dtype == np.int32


def test_warm_fit_of_each_kind_continues(data):
    X = data[0]
    for kind in ("multiclass", "binary", "multilabel", "2-label multilabel"):
        clf = _trained(kind, data, warm_start=True)
        activation, n_outputs = clf.out_activation_, clf.n_outputs_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, _targets(kind, data))
        assert len(clf.loss_curve_) == 10
        assert (clf.out_activation_, clf.n_outputs_) == (activation, n_outputs)


def test_targets_with_only_some_of_the_classes_are_accepted(data):
    # A batch, a validation set or a gradient check need not show every class.
    X, _, y = data
    some = y != 2
    clf = _trained("multiclass", data)
    loss, (coef_grads, _) = clf.loss_gradient(X[some], y[some])
    weighted, (weighted_coef_grads, _) = clf.loss_gradient(X, y, sample_weight=some)
    assert_allclose(loss, weighted, rtol=1e-12)
    assert_allclose(coef_grads[1], weighted_coef_grads[1], rtol=1e-10, atol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, X_val=X[some], y_val=y[some])
    assert len(clf.validation_loss_curve_) == 5
    clf.partial_fit(X[some], y[some])
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_sample_weight_val_weighs_the_validation_loss(data):
    X, _, y = data
    weights = np.where(y == 0, 1.0, 0.0)
    weighted = _trained("multiclass", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted.fit(X, y, X_val=X, y_val=y, sample_weight_val=weights)
        only_zeros = _trained("multiclass", data).fit(
            X, y, X_val=X[y == 0], y_val=y[y == 0]
        )
    assert_allclose(weighted.validation_loss_curve_, only_zeros.validation_loss_curve_)


def test_loss_gradient_is_at_the_fitted_weights_whatever_n_hidden_says(data):
    X, _, y = data
    clf = _trained("multiclass", data)
    loss, (coef_grads, _) = clf.loss_gradient(X, y)
    clf.set_params(n_hidden=7)
    again, (coef_grads_again, _) = clf.loss_gradient(X, y)
    assert again == loss
    assert_array_equal(coef_grads_again[0], coef_grads[0])


def test_partial_fit_with_another_n_hidden_says_which(data):
    X, _, y = data
    clf = _trained("multiclass", data).set_params(n_hidden=7)
    state = state_of(clf)
    with pytest.raises(ValueError, match=r"n_hidden=7.*has 4 hidden units") as info:
        clf.partial_fit(X, y)
    assert "warm_start" not in str(info.value)
    assert state_of(clf) == state
