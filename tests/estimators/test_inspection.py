"""A closer look at the network: hidden_activations and DecisionBoundaryDisplay."""

import numpy as np
import pytest
import sklearn
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import load_digits, make_blobs, make_moons
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

from skbackprop import TwoLayerClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SKLEARN_VERSION = parse_version(parse_version(sklearn.__version__).base_version)


def test_hidden_activations_project_digits_to_two_informative_features():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = TwoLayerClassifier(n_hidden=2, random_state=0).fit(X, y)

    h = clf.hidden_activations(X)

    assert h.shape == (len(X), 2)
    assert ((h >= 0) & (h <= 1)).all()
    W1, b1 = clf.coefs_[0], clf.intercepts_[0]
    assert_allclose(h, expit(X @ W1 + b1), rtol=1e-12)
    # Training shapes the two features for the ten classes: neighbours in the
    # plane of the hidden units share their class far more often than in the
    # plane of the first two principal components, or than by chance (0.1).
    knn = KNeighborsClassifier()
    hidden = cross_val_score(knn, h, y, cv=5).mean()
    pca = cross_val_score(knn, PCA(n_components=2).fit_transform(X), y, cv=5).mean()
    assert hidden > 0.6
    assert hidden > pca + 0.1


@pytest.fixture(scope="module")
def plt():
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    pyplot = require("matplotlib.pyplot")
    yield pyplot
    pyplot.close("all")


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=200, noise=0.15, random_state=0)
    return X, y, _moons_classifier().fit(X, y)


def _moons_classifier():
    # Trained past the first plateau, where the default stopping rule stops
    # with a nearly straight boundary.
    return TwoLayerClassifier(
        n_hidden=16,
        learning_rate=2.0,
        max_iter=1000,
        tol=0,
        n_iter_no_change=100,
        random_state=0,
    )


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    return X, y, TwoLayerClassifier(n_hidden=8, random_state=0).fit(X, y)


def _grid(display):
    return np.c_[display.xx0.ravel(), display.xx1.ravel()]


def _from_estimator(clf, X, response_method):
    from sklearn.inspection import DecisionBoundaryDisplay

    return DecisionBoundaryDisplay.from_estimator(
        clf, X, response_method=response_method, grid_resolution=40
    )


@pytest.mark.parametrize(
    "response_method, expected",
    [
        # "auto" takes decision_function first: the output logit.
        ("auto", lambda clf, grid: clf.decision_function(grid)),
        ("predict_proba", lambda clf, grid: clf.predict_proba(grid)[:, 1]),
        ("predict", lambda clf, grid: clf.predict(grid)),
    ],
)
def test_decision_boundary_binary(plt, moons, response_method, expected):
    X, y, clf = moons
    assert clf.score(X, y) > 0.95  # a straight line gets 0.87

    display = _from_estimator(clf, X, response_method)

    assert display.response.shape == display.xx0.shape == (40, 40)
    assert_allclose(display.response.ravel(), expected(clf, _grid(display)))
    assert display.surface_ is not None
    assert display.ax_.figure is display.figure_


# Multiclass decision functions and probabilities are drawn from scikit-learn
# 1.7 on; before, DecisionBoundaryDisplay draws only the predicted class.
MULTICLASS_RESPONSES = [("predict", lambda clf, grid: clf.predict(grid))]
if SKLEARN_VERSION >= parse_version("1.7"):
    MULTICLASS_RESPONSES += [
        ("predict_proba", lambda clf, grid: clf.predict_proba(grid)),
        ("decision_function", lambda clf, grid: clf.decision_function(grid)),
    ]


@pytest.mark.parametrize("response_method, expected", MULTICLASS_RESPONSES)
def test_decision_boundary_three_classes(plt, blobs, response_method, expected):
    X, y, clf = blobs
    assert clf.score(X, y) > 0.9

    display = _from_estimator(clf, X, response_method)

    response = display.response.reshape(-1, *display.response.shape[2:])
    assert_allclose(response, expected(clf, _grid(display)))
    predicted = set(np.unique(clf.predict(_grid(display))))
    assert predicted == {0, 1, 2}  # the grid shows all three softmax regions
    assert display.surface_ is not None


def test_decision_boundary_with_string_labels(plt, moons):
    X, y, _ = moons
    labels = np.array(["left", "right"])[y]
    clf = _moons_classifier().fit(X, labels)

    display = _from_estimator(clf, X, "predict")

    # The display encodes predicted labels as indices into classes_.
    expected = np.searchsorted(clf.classes_, clf.predict(_grid(display)))
    assert_array_equal(display.response.ravel(), expected)
