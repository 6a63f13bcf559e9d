"""A table of bad input: each raises a clear error and changes nothing.

Every case names the exception and a message that names the problem, and runs
on a fitted model: afterwards the model's coefficients, every other attribute
and its predictions are what they were before. The parameter table holds an
invalid value of each kind (negative, zero, wrong type, unknown) for every
parameter, and a test checks that no parameter is missing from it.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import PREDICTION_METHODS
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils._param_validation import InvalidParameterError

from skbackprop import TwoLayerClassifier

pd = pytest.importorskip("pandas")

COLUMNS = ["sepal length", "sepal width", "petal length", "petal width"]


@pytest.fixture(scope="module")
def fitted_blob(iris):
    """A fitted model, pickled: each case unpickles a fresh copy."""
    X, y = iris
    clf = TwoLayerClassifier(n_hidden=4, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(pd.DataFrame(X, columns=COLUMNS), y)
    return pickle.dumps(clf)


def _state(clf):
    """Every attribute but the parameters, as bytes."""
    params = clf.get_params(deep=False)
    return {k: pickle.dumps(v) for k, v in vars(clf).items() if k not in params}


def _assert_unchanged(clf, state, proba, X):
    assert_array_equal(clf.coefs_[0], pickle.loads(state["coefs_"])[0])
    assert_array_equal(clf.coefs_[1], pickle.loads(state["coefs_"])[1])
    now = _state(clf)
    changed = [k for k in state.keys() | now.keys() if now.get(k) != state.get(k)]
    assert not changed, f"attributes {changed} changed"
    assert_array_equal(clf.predict_proba(pd.DataFrame(X, columns=COLUMNS)), proba)


# ------------------------------------------------------------- the input table
def _nan(X):
    return np.where(X > 1, np.nan, X)


def _with(value):
    """X as an object array with one entry replaced by ``value``."""

    def make(X):
        X = X.astype(object)
        X[0, 0] = value
        return X

    return make


# (id, method, make the arguments from (X, y), exception, message)
# X, y are the training data as arrays; the model was fitted on a DataFrame.
FIT = [
    (
        "X with NaN",
        "fit",
        lambda X, y: (_nan(X), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "X with +inf",
        "fit",
        lambda X, y: (np.where(X > 1, np.inf, X), y),
        ValueError,
        "Input X contains infinity",
    ),
    (
        "X with -inf",
        "fit",
        lambda X, y: (np.where(X > 1, -np.inf, X), y),
        ValueError,
        "Input X contains infinity",
    ),
    ("complex X", "fit", lambda X, y: (X + 1j, y), ValueError, "Complex data"),
    ("empty X", "fit", lambda X, y: (X[:0], y[:0]), ValueError, "0 sample"),
    ("X without features", "fit", lambda X, y: (X[:, :0], y), ValueError, "0 feature"),
    ("1-D X", "fit", lambda X, y: (X[:, 0], y), ValueError, "Expected 2D array"),
    ("3-D X", "fit", lambda X, y: (X[:, :, None], y), ValueError, "dim 3"),
    (
        "ragged X",
        "fit",
        lambda X, y: ([[1.0, 2.0], [3.0]], [0, 1]),
        ValueError,
        "inhomogeneous",
    ),
    (
        "strings in X",
        "fit",
        lambda X, y: (np.full(X.shape, "a"), y),
        ValueError,
        "could not convert string to float",
    ),
    (
        "object X with a string",
        "fit",
        lambda X, y: (_with("petal")(X), y),
        ValueError,
        "could not convert string to float: 'petal'",
    ),
    (
        "object X with None",
        "fit",
        lambda X, y: (_with(None)(X), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "object X with a dict",
        "fit",
        lambda X, y: (_with({})(X), y),
        TypeError,
        "must be a string or a real number, not 'dict'",
    ),
    (
        "sparse X with NaN",
        "fit",
        lambda X, y: (sp.csr_matrix(_nan(X)), y),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "one sample",
        "fit",
        lambda X, y: (X[:1], y[:1]),
        ValueError,
        "at least 2 classes; got 1 class",
    ),
    (
        "one class",
        "fit",
        lambda X, y: (X, np.zeros_like(y)),
        ValueError,
        "at least 2 classes; got 1 class",
    ),
    (
        "continuous y",
        "fit",
        lambda X, y: (X, y + 0.5),
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "y too short",
        "fit",
        lambda X, y: (X, y[:-1]),
        ValueError,
        r"inconsistent numbers of samples: \[150, 149\]",
    ),
    (
        "y too long",
        "fit",
        lambda X, y: (X, np.r_[y, 0]),
        ValueError,
        r"inconsistent numbers of samples: \[150, 151\]",
    ),
    (
        "y with NaN",
        "fit",
        lambda X, y: (X, np.where(y == 0, np.nan, y)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "y with None",
        "fit",
        lambda X, y: (X, np.where(y == 0, None, y)),
        ValueError,
        "Unknown label type: unknown",
    ),
    (
        "y mixing strings and numbers",
        "fit",
        lambda X, y: (X, np.array([v or "setosa" for v in y], dtype=object)),
        ValueError,
        "y mixes labels that cannot be sorted together, such as strings and numbers",
    ),
    (
        "y mixing strings and Python ints",
        "fit",
        lambda X, y: (X, np.array([int(v) or "setosa" for v in y], dtype=object)),
        ValueError,
        "y mixes labels that cannot be sorted together, such as strings and numbers",
    ),
    (
        "2-D y that is not 0/1",
        "fit",
        lambda X, y: (X, np.c_[y, y]),
        ValueError,
        "2-D y must be a multilabel indicator matrix",
    ),
    ("3-D y", "fit", lambda X, y: (X, y[:, None, None]), ValueError, "dim 3"),
]

SAMPLE_WEIGHT = [
    (
        "negative sample_weight",
        "fit",
        lambda X, y: (X, y, -np.ones(len(y))),
        ValueError,
        "sample_weight contains negative values",
    ),
    (
        "sample_weight all zero",
        "fit",
        lambda X, y: (X, y, np.zeros(len(y))),
        ValueError,
        "non-zero|sums to zero",
    ),
    (
        "sample_weight too short",
        "fit",
        lambda X, y: (X, y, np.ones(len(y) - 1)),
        ValueError,
        r"sample_weight.shape == \(149,\), expected \(150,\)",
    ),
    (
        "sample_weight with NaN",
        "fit",
        lambda X, y: (X, y, np.r_[np.nan, np.ones(len(y) - 1)]),
        ValueError,
        "sample_weight contains NaN",
    ),
    (
        "sample_weight with inf",
        "fit",
        lambda X, y: (X, y, np.r_[np.inf, np.ones(len(y) - 1)]),
        ValueError,
        "sample_weight contains infinity",
    ),
    (
        "2-D sample_weight",
        "fit",
        lambda X, y: (X, y, np.ones((len(y), 1))),
        ValueError,
        "Sample weights must be 1D array or scalar",
    ),
    (
        "sample_weight of strings",
        "fit",
        lambda X, y: (X, y, np.full(len(y), "heavy")),
        ValueError,
        "could not convert string to float: np.str_\\('heavy'\\)",
    ),
    (
        "complex sample_weight",
        "fit",
        lambda X, y: (X, y, np.ones(len(y)) + 1j),
        ValueError,
        "Complex data not supported",
    ),
]

# Calls that need keyword arguments: (id, method, make (args, kwargs), exc, msg)
KEYWORDS = [
    (
        "X_val without y_val",
        "fit",
        lambda X, y: ((X, y), {"X_val": X}),
        ValueError,
        "X_val and y_val must be passed together",
    ),
    (
        "X_val with 3 features",
        "fit",
        lambda X, y: ((X, y), {"X_val": X[:, :3], "y_val": y}),
        ValueError,
        "X has 3 features, but TwoLayerClassifier is expecting 4",
    ),
    (
        "y_val with an unknown class",
        "fit",
        lambda X, y: ((X, y), {"X_val": X, "y_val": y + 1}),
        ValueError,
        r"y_val has labels \[3\] that are not in classes \[0 1 2\] of y",
    ),
    (
        "X_val with NaN",
        "fit",
        lambda X, y: ((X, y), {"X_val": _nan(X), "y_val": y}),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "partial_fit with more classes",
        "partial_fit",
        lambda X, y: ((X, y), {"classes": [0, 1, 2, 3]}),
        ValueError,
        r"classes=array\(\[0, 1, 2, 3\]\) is not the same as on the first call",
    ),
    (
        "partial_fit with fewer classes",
        "partial_fit",
        lambda X, y: ((X, y), {"classes": [0, 1]}),
        ValueError,
        r"classes=array\(\[0, 1\]\) is not the same as on the first call",
    ),
    (
        "partial_fit with other classes",
        "partial_fit",
        lambda X, y: ((X, y), {"classes": ["a", "b", "c"]}),
        ValueError,
        "is not the same as on the first call",
    ),
    (
        "partial_fit with classes mixing strings and numbers",
        "partial_fit",
        lambda X, y: ((X, y), {"classes": np.array(["setosa", 1, 2], dtype=object)}),
        ValueError,
        "classes mixes labels that cannot be sorted together",
    ),
    (
        "partial_fit with a new label",
        "partial_fit",
        lambda X, y: ((X, y + 1), {}),
        ValueError,
        r"y has labels \[3\] that are not in classes \[0 1 2\] of the fitted model",
    ),
    (
        "partial_fit with 3 features",
        "partial_fit",
        lambda X, y: ((X[:, :3], y), {}),
        ValueError,
        "X has 3 features, but TwoLayerClassifier is expecting 4",
    ),
    (
        "partial_fit with NaN",
        "partial_fit",
        lambda X, y: ((_nan(X), y), {}),
        ValueError,
        "Input X contains NaN",
    ),
    (
        "partial_fit with zero weights",
        "partial_fit",
        lambda X, y: ((X, y), {"sample_weight": np.zeros(len(y))}),
        ValueError,
        "non-zero|sums to zero",
    ),
    (
        "warm start with a new label",
        "warm-start fit",
        lambda X, y: ((X, np.where(y == 2, 7, y)), {}),
        ValueError,
        r"y has classes \[0 1 7\], but the fitted model has classes \[0 1 2\]",
    ),
    (
        "warm start with 3 features",
        "warm-start fit",
        lambda X, y: ((X[:, :3], y), {}),
        ValueError,
        "X has 3 features, but TwoLayerClassifier is expecting 4",
    ),
    (
        "warm start with more hidden units",
        "warm-start fit, n_hidden=5",
        lambda X, y: ((X, y), {}),
        ValueError,
        r"Cannot continue training from weights of shape \(4, 4\) and \(4, 3\)",
    ),
    (
        "partial_fit with class_weight='balanced'",
        "partial_fit, class_weight='balanced'",
        lambda X, y: ((X, y), {}),
        ValueError,
        "class_weight='balanced' is not supported by partial_fit",
    ),
    (
        "loss_gradient with a new label",
        "loss_gradient",
        lambda X, y: ((X, y + 1), {}),
        ValueError,
        "not in classes",
    ),
]

PREDICT_METHODS = [*PREDICTION_METHODS, "score"]


def _predict_cases():
    frame = lambda X, columns: pd.DataFrame(X, columns=columns)  # noqa: E731
    bad = [
        (
            "3 features",
            lambda X: X[:, :3],
            ValueError,
            "X has 3 features, but TwoLayerClassifier is expecting 4",
        ),
        (
            "renamed feature",
            lambda X: frame(X, ["sepal length", "sepal width", "petal area", "x"]),
            ValueError,
            "The feature names should match those that were passed during fit",
        ),
        (
            "reordered features",
            lambda X: frame(X, COLUMNS[::-1]),
            ValueError,
            "Feature names must be in the same order as they were in fit",
        ),
        ("NaN", _nan, ValueError, "Input X contains NaN"),
        (
            "inf",
            lambda X: np.where(X > 1, np.inf, X),
            ValueError,
            "Input X contains infinity",
        ),
        ("complex", lambda X: X + 1j, ValueError, "Complex data"),
        ("empty", lambda X: X[:0], ValueError, "0 sample"),
        ("1-D", lambda X: X[0], ValueError, "Expected 2D array"),
        ("strings", lambda X: np.full(X.shape, "a"), ValueError, "could not convert"),
    ]
    for method in PREDICT_METHODS:
        for name, make, exc, match in bad:
            if method == "score":
                args = lambda X, y, make=make: ((make(X), y), {})  # noqa: E731
            else:
                args = lambda X, y, make=make: ((make(X),), {})  # noqa: E731
            yield (f"{method} on {name} X", method, args, exc, match)


def _as_keywords(cases):
    for name, method, make, exc, match in cases:
        yield name, method, (lambda X, y, make=make: (make(X, y), {})), exc, match


CASES = [*_as_keywords(FIT + SAMPLE_WEIGHT), *KEYWORDS, *_predict_cases()]


@pytest.mark.parametrize(
    "method, make_args, exception, match",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_raises_and_changes_nothing(
    iris, fitted_blob, method, make_args, exception, match
):
    X, y = iris
    clf = pickle.loads(fitted_blob)
    state = _state(clf)
    proba = clf.predict_proba(pd.DataFrame(X, columns=COLUMNS))
    args, kwargs = make_args(X, y)
    if method.startswith("warm-start fit"):
        clf.set_params(warm_start=True)
    method, _, setting = method.partition(", ")
    if setting:  # a parameter the case needs, as "name=value"
        name, value = setting.split("=")
        clf.set_params(**{name: eval(value)})
    method = "fit" if method == "warm-start fit" else method
    with warnings.catch_warnings():
        # a DataFrame-fitted model warns on arrays without feature names
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        with pytest.raises(exception, match=match):
            getattr(clf, method)(*args, **kwargs)
    _assert_unchanged(clf, state, proba, X)


def test_partial_fit_needs_classes_first_and_leaves_unfitted_model_unfitted(iris):
    X, y = iris
    clf = TwoLayerClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert vars(clf) == vars(TwoLayerClassifier())


def test_one_column_y_warns_and_fits_like_1d_y(iris):
    # Not an error: a column vector y is raveled, with scikit-learn's warning.
    X, y = iris
    params = {"n_hidden": 3, "max_iter": 5, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(DataConversionWarning, match="column-vector y was passed"):
            column = TwoLayerClassifier(**params).fit(X, y[:, None])
        flat = TwoLayerClassifier(**params).fit(X, y)
    for a, b in zip(column.coefs_, flat.coefs_, strict=True):
        assert_array_equal(a, b)
    assert column.predict(X).shape == y.shape


@pytest.mark.parametrize("fitted_with_names", [True, False])
def test_feature_names_mismatch_at_predict_warns(iris, fitted_blob, fitted_with_names):
    X, y = iris
    clf = pickle.loads(fitted_blob)
    if fitted_with_names:
        X_predict, match = X, "X does not have valid feature names"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = clone(clf).fit(X, y)
        X_predict = pd.DataFrame(X, columns=COLUMNS)
        match = "X has feature names, but TwoLayerClassifier was fitted without"
    with pytest.warns(UserWarning, match=match):
        clf.predict(X_predict)


# --------------------------------------------------------- the parameter table
# For every parameter, invalid values of each kind that applies: negative, zero,
# wrong type, unknown value, and the edges of its range.
INVALID_PARAMS = {
    "n_hidden": [-1, 0, 2.5, "64", None, [8]],
    "activation": ["softmax", "sigmoid", "Tanh", "", None, 1],
    "learning_rate": [-1.0, 0, "fast", None, np.nan, np.inf],
    "solver": ["newton", "", None, 1, "GD"],
    "l2": [-1e-3, "big", None, np.nan, np.inf],
    "batch_size": [-1, 0, 1.5, "auto"],
    "max_iter": [-1, 0, 1.5, None, np.inf],
    "tol": [-1e-4, "small", None, np.nan],
    "n_iter_no_change": [-1, 0, 2.5, None],
    "shuffle": ["yes", 1, None],
    "momentum": [-0.1, 1.0, 1.5, "high", None],
    "nesterov": ["yes", 0, None],
    "beta_1": [-0.1, 1.0, "x", None],
    "beta_2": [-0.1, 1.0, "x", None],
    "epsilon": [-1e-8, 0, "x", None],
    "early_stopping": ["yes", 1, None],
    "validation_fraction": [-0.1, 0, 1, 1.5, "x", None],
    "scoring": ["accuracyy", "", 1],
    "class_weight": ["balance", 1, ["a"]],
    "warm_start": ["yes", 1, None],
    "random_state": [-1, 2**32, "seed", 1.5],
    "verbose": [-1, "loud", 1.5],
}

PARAM_CASES = [(name, v) for name, values in INVALID_PARAMS.items() for v in values]


def test_every_parameter_is_in_the_table():
    assert set(INVALID_PARAMS) == set(TwoLayerClassifier().get_params())


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "name, value", PARAM_CASES, ids=[f"{n}={v!r}" for n, v in PARAM_CASES]
)
def test_invalid_parameter_names_itself_and_changes_nothing(
    iris, fitted_blob, method, name, value
):
    X, y = iris
    clf = pickle.loads(fitted_blob)
    state = _state(clf)
    proba = clf.predict_proba(pd.DataFrame(X, columns=COLUMNS))
    clf.set_params(**{name: value})
    with pytest.raises(
        InvalidParameterError,
        match=f"The '{name}' parameter of TwoLayerClassifier must be .* Got ",
    ):
        getattr(clf, method)(pd.DataFrame(X, columns=COLUMNS), y)
    _assert_unchanged(clf, state, proba, X)


@pytest.mark.parametrize(
    "value, error",
    [
        ({0: -1.0}, "got -1.0 for class 0"),
        ({1: np.nan}, "got nan for class 1"),
        ({2: np.inf}, "got inf for class 2"),
        ({0: "heavy"}, "got 'heavy' for class 0"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_class_weight_values_name_class_weight(
    iris, fitted_blob, method, value, error
):
    X, y = iris
    clf = pickle.loads(fitted_blob)
    state = _state(clf)
    proba = clf.predict_proba(pd.DataFrame(X, columns=COLUMNS))
    clf.set_params(class_weight=value)
    with pytest.raises(ValueError, match=f"class_weight must map .* {error}"):
        getattr(clf, method)(pd.DataFrame(X, columns=COLUMNS), y)
    _assert_unchanged(clf, state, proba, X)


def test_unknown_parameter_name():
    with pytest.raises(ValueError, match="Invalid parameter 'alpha' for estimator"):
        TwoLayerClassifier().set_params(alpha=1e-4)
    with pytest.raises(TypeError, match="unexpected keyword argument 'alpha'"):
        TwoLayerClassifier(alpha=1e-4)


def test_partial_fit_is_unavailable_for_lbfgs():
    clf = TwoLayerClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        clf.partial_fit  # noqa: B018 (the attribute access is what raises)
    # available_if chains the reason, which names the solver
    assert "not available for solver='lbfgs'" in str(info.value.__cause__)
