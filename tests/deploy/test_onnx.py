"""ONNX export: the converter's graphs run in onnxruntime and give the labels and
probabilities of the estimator; pipelines, DataFrames and a missing extra."""

import copy
import io
import subprocess
import sys

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import skbackprop
from skbackprop import TwoLayerClassifier, onnx_inputs, to_onnx
from skbackprop._deploy.onnx import HIDDEN_OPERATORS
from skbackprop._engine.units import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Largest difference from predict_proba: float32 graphs; float64 graphs; float64
# graphs whose probabilities ONNX's ZipMap holds in float32.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12, "zipmap": 1e-7}
LABELS = np.array(["setosa", "versicolor", "virginica", "x"])


@pytest.fixture(scope="module")
def onnxruntime():
    require("skl2onnx")
    require("onnx")
    return require("onnxruntime")


def run(onnxruntime, onx, X):
    """The outputs of ``onx`` on ``X`` in onnxruntime."""
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, onnx_inputs(onx, X))


def problem(kind, labels="int", n_classes=3, activation="logistic"):
    """Data and a fitted classifier: ``kind`` is 'binary', 'multiclass' or
    'multilabel'; labels are integers or strings; the hidden units are
    ``activation``."""
    if kind == "multilabel":
        X, y = make_multilabel_classification(
            300, 6, n_classes=n_classes, random_state=0
        )
    else:
        k = 2 if kind == "binary" else n_classes
        X, y = make_classification(
            300, 6, n_informative=4, n_classes=k, n_clusters_per_class=1, random_state=0
        )
        y = LABELS[y] if labels == "str" else 10 * y - 7
    X = StandardScaler().fit_transform(X)
    clf = TwoLayerClassifier(
        n_hidden=8, activation=activation, max_iter=150, random_state=0
    )
    return X, clf.fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    cache = {}

    def get(kind, labels="int"):
        if (kind, labels) not in cache:
            cache[kind, labels] = problem(kind, labels)
        return cache[kind, labels]

    return get


def probabilities(outputs, clf, zipmap):
    """The probability matrix of the graph's outputs, whatever ``zipmap``."""
    if zipmap is False:
        return outputs[1]
    if zipmap == "columns":
        return np.column_stack(outputs[1:])
    return np.array([[row[c] for c in clf.classes_] for row in outputs[1]])


@pytest.mark.parametrize("zipmap", [False, True, "columns"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kind, labels",
    [
        ("binary", "int"),
        ("binary", "str"),
        ("multiclass", "int"),
        ("multiclass", "str"),
        ("multilabel", "int"),
    ],
)
def test_graph_gives_our_labels_and_probabilities(
    onnxruntime, fitted, kind, labels, dtype, zipmap
):
    X, clf = fitted(kind, labels)
    X = X.astype(dtype)

    onx = to_onnx(clf, X[:1], options={"zipmap": zipmap})
    outputs = run(onnxruntime, onx, X)

    expected = clf.predict(X)
    assert_array_equal(outputs[0], expected)
    assert outputs[0].shape == expected.shape
    assert outputs[0].dtype == (object if labels == "str" else np.int64)
    proba = probabilities(outputs, clf, zipmap)
    assert proba.shape == (len(X), len(clf.classes_))
    rounded = zipmap is True and dtype == np.float64
    tolerance = TOLERANCE["zipmap" if rounded else dtype]
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=tolerance)
    if zipmap is False:
        assert proba.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_graph_computes_each_hidden_unit(onnxruntime, activation, kind, dtype):
    X, clf = problem(kind, activation=activation)
    X = X.astype(dtype)

    onx = to_onnx(clf, X[:1], options={"zipmap": False})
    label, proba = run(onnxruntime, onx, X)

    first = next(node for node in onx.graph.node if node.op_type == "Add")
    hidden = next(node for node in onx.graph.node if first.output[0] in node.input)
    operator = HIDDEN_OPERATORS[activation]
    # skl2onnx leaves Identity nodes out of the graph it writes: h is X W1 + b1
    assert hidden.op_type == ("MatMul" if operator == "Identity" else operator)
    assert_array_equal(label, clf.predict(X))
    expected = clf.predict_proba(X)
    assert_allclose(proba, expected, rtol=0, atol=TOLERANCE[dtype])
    assert ((expected > 0.05) & (expected < 0.95)).mean() > 0.05


def test_the_graph_has_the_unit_the_model_was_fitted_with(onnxruntime):
    X, clf = problem("multiclass", activation="tanh")
    clf.set_params(activation="relu")  # after the fit: not the model's units
    label, proba = run(onnxruntime, to_onnx(clf, X[:1], options={"zipmap": False}), X)
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)


def test_every_hidden_unit_has_an_onnx_operator():
    assert set(HIDDEN_OPERATORS) == set(ACTIVATIONS)


def test_probabilities_are_not_all_certain(fitted):
    """The comparisons above are of probabilities away from 0 and 1."""
    for kind in ("binary", "multiclass", "multilabel"):
        proba = fitted(kind)[1].predict_proba(fitted(kind)[0])
        assert ((proba > 0.05) & (proba < 0.95)).mean() > 0.05


def test_output_types_are_declared(onnxruntime, fitted):
    """Labels of shape (n,) or (n, n_labels); probabilities (n, n_classes) in
    the input's type."""
    from onnx import TensorProto

    for kind, n_labels in [("binary", None), ("multilabel", 3)]:
        X, clf = fitted(kind)
        onx = to_onnx(clf, X[:1], options={"zipmap": False})
        label, proba = onx.graph.output
        dims = [d.dim_value or None for d in label.type.tensor_type.shape.dim]
        assert dims == ([None] if n_labels is None else [None, n_labels])
        assert label.type.tensor_type.elem_type == TensorProto.INT64
        assert proba.type.tensor_type.elem_type == TensorProto.DOUBLE
        dims = [d.dim_value or None for d in proba.type.tensor_type.shape.dim]
        assert dims == [None, len(clf.classes_)]


def test_float32_weights_in_a_float64_graph(onnxruntime):
    X, clf = problem("multiclass")
    clf.fit(X.astype(np.float32), clf.predict(X))
    assert clf.coefs_[0].dtype == np.float32

    label, proba = run(onnxruntime, to_onnx(clf, X[:1], options={"zipmap": False}), X)

    assert_array_equal(label, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_saturated_outputs_stay_finite(onnxruntime, fitted, kind, dtype):
    """Logits of hundreds: ONNX's Sigmoid and Softmax give 0 and 1, not NaN
    (where the logits are of hundreds, float32's relative rounding of them is
    larger than 1e-5 of a probability: those are compared where saturated)."""
    X, clf = fitted(kind)
    clf = copy.deepcopy(clf)
    clf.coefs_ = [clf.coefs_[0], 300 * clf.coefs_[1]]
    X = X.astype(dtype)

    label, proba = run(onnxruntime, to_onnx(clf, X[:1], options={"zipmap": False}), X)

    Z = clf.decision_function(X).reshape(len(X), -1)
    saturated = (np.abs(Z) > 30).all(axis=1)
    assert np.isfinite(proba).all()
    assert_array_equal(label, clf.predict(X))
    assert saturated.sum() > len(X) / 2
    expected = clf.predict_proba(X[saturated])
    assert_allclose(proba[saturated], expected, rtol=0, atol=TOLERANCE[dtype])
    assert ((expected < 1e-12) | (expected > 1 - 1e-12)).any(axis=1).all()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_an_older_opset(onnxruntime, fitted, kind):
    """Opset 13: the first whose Softmax takes the axis as ONNX does today."""
    X, clf = fitted(kind)
    X = X.astype(np.float32)

    onx = to_onnx(clf, X[:1], options={"zipmap": False}, target_opset=13)
    label, proba = run(onnxruntime, onx, X)

    assert {o.domain: o.version for o in onx.opset_import}[""] == 13
    assert_array_equal(label, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)


def test_nocl_labels_are_class_indices(onnxruntime, fitted):
    X, clf = fitted("multiclass", "str")

    label, _ = run(
        onnxruntime, to_onnx(clf, X[:1], options={"zipmap": False, "nocl": True}), X
    )

    assert_array_equal(label, np.searchsorted(clf.classes_, clf.predict(X)))


def test_integral_float_labels_become_int64(onnxruntime, fitted):
    X, clf = fitted("multiclass")
    clf = TwoLayerClassifier(n_hidden=4, max_iter=20).fit(X, clf.predict(X) / 1.0)

    label, _ = run(onnxruntime, to_onnx(clf, X[:1], options={"zipmap": False}), X)

    assert label.dtype == np.int64
    assert_array_equal(label, clf.predict(X))


def test_labels_beyond_int64_are_refused(onnxruntime, fitted):
    X, clf = fitted("binary")
    y = np.where(clf.predict(X) > 0, 2**63 + 1, 0).astype(np.uint64)
    clf = TwoLayerClassifier(n_hidden=4, max_iter=20).fit(X, y)

    with pytest.raises(ValueError, match="do not fit ONNX's int64 labels"):
        to_onnx(clf, X[:1])


def test_skl2onnx_converts_a_pipeline_once_registered(onnxruntime):
    skl2onnx = require("skl2onnx")
    X, y = make_classification(200, 5, n_informative=3, n_classes=3, random_state=1)
    X = 100 * X.astype(np.float32) + 50
    pipeline = make_pipeline(
        StandardScaler(), TwoLayerClassifier(n_hidden=8, random_state=0)
    ).fit(X, y)

    skbackprop.register_onnx_converter()
    onx = skl2onnx.to_onnx(pipeline, X[:1], options={"zipmap": False})
    label, proba = run(onnxruntime, onx, X)

    assert_array_equal(label, pipeline.predict(X))
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=1e-5)


# ------------------------------------------------------------- a CSV's DataFrame
@pytest.fixture(scope="module")
def penguins():
    """Penguins as read from its CSV: strings with missing values, integers
    and floats with missing values; the species to predict."""
    X = require("palmerpenguins").load_penguins()
    y = X.pop("species").astype(object).to_numpy()
    return X, y


def csv_pipeline(strings, numbers):
    """The preprocessing of a CSV's columns and the classifier."""
    preprocess = ColumnTransformer(
        [
            (
                "strings",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                strings,
            ),
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), numbers),
        ]
    )
    return make_pipeline(preprocess, TwoLayerClassifier(n_hidden=8, random_state=0))


def odd_rows(X):
    """Rows with missing strings and numbers, and categories never seen."""
    odd = X.iloc[:8].copy()
    odd.loc[odd.index[0], "island"] = "Atlantis"
    odd.loc[odd.index[1], "sex"] = np.nan
    odd.loc[odd.index[2], "bill_length_mm"] = np.nan
    odd.loc[odd.index[3], ["island", "sex", "body_mass_g", "year"]] = np.nan
    odd.loc[odd.index[4], "sex"] = "unknown"
    return odd


@pytest.mark.parametrize("string_dtype", [object, None])
def test_mixed_type_csv_pipeline(onnxruntime, penguins, string_dtype):
    """One ONNX input per column, named after it: strings (object dtype, or
    the dtype pandas reads strings as) and numbers with missing values,
    categories never seen in fit."""
    X, y = penguins
    X = X.copy()
    strings = ["island", "sex"]
    numbers = [c for c in X.columns if c not in strings]
    if string_dtype is not None:
        X[strings] = X[strings].astype(string_dtype)
    pipeline = csv_pipeline(strings, numbers).fit(X, y)
    assert X["sex"].isna().any() and X[numbers].isna().any().any()

    onx = to_onnx(pipeline, X, options={"zipmap": False})

    assert [put.name for put in onx.graph.input] == list(X.columns)
    for rows in (X, odd_rows(X)):
        label, proba = run(onnxruntime, onx, rows)
        assert_array_equal(label, pipeline.predict(rows))
        assert_allclose(proba, pipeline.predict_proba(rows), rtol=0, atol=1e-5)


def test_inputs_are_taken_from_the_dataframe_by_column_name(onnxruntime, penguins):
    """skl2onnx renames columns whose names ONNX does not allow; the inputs
    still come from the columns of the model's DataFrame, in any order, and the
    columns the model does not take (the target, say) are left out."""
    X, y = penguins
    X = X.rename(columns={"body_mass_g": "body mass (g)"})
    strings = ["island", "sex"]
    numbers = [c for c in X.columns if c not in strings]
    pipeline = csv_pipeline(strings, numbers).fit(X, y)
    taken = X[numbers + strings]  # another order than the file's
    onx = to_onnx(pipeline, taken, options={"zipmap": False})
    assert "body mass (g)" not in [put.name for put in onx.graph.input]

    as_read = X.assign(species=y)  # the file's order, and its target column
    label, proba = run(onnxruntime, onx, as_read)
    assert_array_equal(label, pipeline.predict(X))
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="no column 'body mass \\(g\\)'"):
        onnx_inputs(onx, X.drop(columns="body mass (g)"))


def test_dataframe_column_of_another_kind_is_named(onnxruntime, penguins):
    X, y = penguins
    X = X.assign(when=np.datetime64("2007-11-10"))

    with pytest.raises(TypeError, match="Column 'when'"):
        to_onnx(make_pipeline(TwoLayerClassifier()), X)


def test_onnx_inputs_checks_the_columns(onnxruntime, fitted):
    X, clf = fitted("binary")
    onx = to_onnx(clf, X[:1])
    pandas = require("pandas")

    with pytest.raises(ValueError, match="3 columns but the model has 1 input"):
        onnx_inputs(onx, pandas.DataFrame(X[:, :3]))


# -------------------------------------------------------------- the extra
def test_importing_skbackprop_imports_no_onnx_package():
    code = "import sys, skbackprop; "
    code += "print(sorted(m for m in sys.modules if 'onnx' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['skbackprop._deploy.onnx']"


@pytest.mark.parametrize("missing", ["skl2onnx", "onnx"])
def test_missing_extra_is_named(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    X, y = make_classification(40, 3, n_informative=2, n_redundant=0, random_state=0)
    clf = TwoLayerClassifier(max_iter=5).fit(X, y)

    for convert in (lambda: to_onnx(clf, X), skbackprop.register_onnx_converter):
        with pytest.raises(ImportError, match=r"pip install skbackprop\[onnx\]"):
            convert()


# ------------------------------------------- DataFrames, categories, precision
def _frame(n=300, seed=0):
    """A DataFrame with an empty-string category, missing strings, a boolean
    column and large-valued numeric columns of small spread."""
    pandas = require("pandas")
    rng = np.random.default_rng(seed)
    X = pandas.DataFrame(
        {
            # missing as pandas reads it, NaN: scikit-learn before 1.7 takes a
            # None in an object column for a category, not for a missing value
            "colour": rng.choice(np.array(["", "red", "blue", np.nan], object), n),
            "longitude": -122.4 + 1e-3 * rng.normal(size=n),
            "year": 2000.0 + rng.integers(0, 20, n),
            "flag": rng.random(n) > 0.5,
        }
    )
    score = 1e3 * (X["longitude"] + 122.4) + 2 * (X["colour"] == "") - X["flag"]
    return X, np.where(score > 0, "yes", "no")


def _cli_pipeline(X, y):
    """The command line's preprocessing of ``X``'s columns and the classifier."""
    from skbackprop._cli.main import preprocessing
    from skbackprop._cli.reading import classify

    columns = classify(X, "data.csv")
    net = TwoLayerClassifier(n_hidden=8, max_iter=300, random_state=0)
    return make_pipeline(preprocessing(columns), net).fit(X, y)


def _pandas_major():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("pandas").split(".")[0])
    except PackageNotFoundError:
        return 0


# pandas' "str" dtype keeps missing values from pandas 3 on; before, astype(str)
# writes them as the text 'nan', and no missing string is left to test.
STR_WITH_MISSING = pytest.param(
    "str",
    marks=pytest.mark.skipif(
        _pandas_major() < 3, reason="astype(str) turns missing into 'nan'"
    ),
)


@pytest.mark.parametrize("dtype", [None, np.float64])
@pytest.mark.parametrize("strings", [STR_WITH_MISSING, object, "category"])
def test_an_empty_string_category_is_not_missing(onnxruntime, dtype, strings):
    X, y = _frame()
    X["colour"] = X["colour"].astype(strings)
    pipeline = _cli_pipeline(X, y)
    assert pipeline.score(X, y) > 0.95

    onx = to_onnx(pipeline, X, dtype=dtype, options={"zipmap": False})
    label, proba = run(onnxruntime, onx, X)

    assert_array_equal(label, pipeline.predict(X))
    tolerance = 1e-10 if dtype == np.float64 else 0.05  # float32 rounds longitudes
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=tolerance)
    # the string that stands for a missing one is recorded, and is not ''
    inputs = onnx_inputs(onx, X)
    assert set(inputs["colour"].ravel()) == {"", "red", "blue", "<missing>"}


def test_without_an_empty_string_category_missing_strings_are_empty(onnxruntime):
    X, y = _frame()
    X["colour"] = X["colour"].replace("", "green")
    pipeline = _cli_pipeline(X, y)
    onx = to_onnx(pipeline, X, options={"zipmap": False})

    assert set(onnx_inputs(onx, X)["colour"].ravel()) == {"", "red", "blue", "green"}
    label, _ = run(onnxruntime, onx, X)
    assert_array_equal(label, pipeline.predict(X))


@pytest.mark.parametrize("flag_dtype", [bool, "boolean"])
def test_boolean_feature_columns_are_numbers(onnxruntime, flag_dtype):
    X, y = _frame()
    X["flag"] = X["flag"].astype(flag_dtype)
    if flag_dtype == "boolean":
        X.loc[3, "flag"] = None  # pandas' boolean dtype has missing values
    pipeline = _cli_pipeline(X, y)

    onx = to_onnx(pipeline, X, dtype=np.float64, options={"zipmap": False})
    label, proba = run(onnxruntime, onx, X)

    assert_array_equal(label, pipeline.predict(X))
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=1e-10)


def test_float64_inputs_keep_large_values_exact(onnxruntime):
    """Columns far from 0 against their spread: float32 inputs round them, a
    float64 export gives the model's probabilities."""
    X, y = _frame()
    pipeline = _cli_pipeline(X, y)
    expected = pipeline.predict_proba(X)

    onx64 = to_onnx(pipeline, X, dtype=np.float64, options={"zipmap": False})
    onx32 = to_onnx(pipeline, X, options={"zipmap": False})

    assert onnx_inputs(onx64, X)["longitude"].dtype == np.float64
    assert_allclose(run(onnxruntime, onx64, X)[1], expected, rtol=0, atol=1e-10)
    assert np.abs(run(onnxruntime, onx32, X)[1] - expected).max() > 1e-4


@pytest.mark.filterwarnings("ignore:Skipping features without any observed")
def test_a_float64_imputer_that_drops_columns_is_refused(onnxruntime):
    X, y = _frame()
    X = X[["longitude", "year"]].assign(empty=np.nan)
    pipeline = make_pipeline(SimpleImputer(), TwoLayerClassifier(max_iter=5))
    pipeline.fit(X, y)

    with pytest.raises(NotImplementedError, match="leave those columns out of X"):
        to_onnx(pipeline, X, dtype=np.float64)


def test_to_onnx_refuses_another_dtype(fitted):
    X, clf = fitted("binary")
    with pytest.raises(ValueError, match="dtype=.*float16.*numpy.float64"):
        to_onnx(clf, X[:1], dtype=np.float16)


@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
@pytest.mark.parametrize("scaled", [False, True])
def test_a_classifier_fitted_on_a_dataframe_takes_its_columns_as_one_input(
    onnxruntime, fitted, dtype, scaled
):
    pandas = require("pandas")
    X, clf = fitted("multiclass")
    X = pandas.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    y = clf.predict(X.to_numpy())
    model = TwoLayerClassifier(n_hidden=8, max_iter=50, random_state=0)
    model = make_pipeline(StandardScaler(), model) if scaled else model
    model.fit(X, y)

    onx = to_onnx(model, X, dtype=dtype, options={"zipmap": False})
    assert [put.name for put in onx.graph.input] == ["X"]
    shuffled = X[X.columns[::-1]].assign(target=y)  # taken by name
    label, proba = run(onnxruntime, onx, shuffled)

    assert_array_equal(label, model.predict(X))
    atol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(proba, model.predict_proba(X), rtol=0, atol=atol)


def test_strings_without_a_column_transformer_are_refused(penguins):
    X, y = penguins
    with pytest.raises(TypeError, match="Column 'island' of X holds strings.*"):
        to_onnx(TwoLayerClassifier().fit(X[["year"]], y), X[["year", "island"]])


@pytest.mark.parametrize("form", ["csr", "csc", "coo"])
def test_onnx_inputs_of_sparse_data_are_dense(onnxruntime, fitted, form):
    sparse = require("scipy.sparse")
    X, clf = fitted("binary")
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    onx = to_onnx(clf, X[:1], options={"zipmap": False})

    label, proba = run(onnxruntime, onx, sparse.coo_matrix(X).asformat(form))

    assert_array_equal(label, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_boolean_classes_are_booleans(onnxruntime, fitted, kind):
    from onnx import TensorProto

    X, clf = fitted(kind)
    y = clf.predict(X) == clf.classes_[0]  # two classes, True and False
    clf = TwoLayerClassifier(n_hidden=4, max_iter=50, random_state=0).fit(X, y)

    onx = to_onnx(clf, X[:1], options={"zipmap": False})
    label, _ = run(onnxruntime, onx, X)

    assert onx.graph.output[0].type.tensor_type.elem_type == TensorProto.BOOL
    assert label.dtype == np.bool_
    assert_array_equal(label, clf.predict(X))
    # ONNX's ZipMap holds int64 keys and labels: there they are 0 and 1
    label, _ = run(onnxruntime, to_onnx(clf, X[:1]), X)
    assert label.dtype == np.int64
    assert_array_equal(label, clf.predict(X).astype(np.int64))


@pytest.mark.parametrize("empty_cell", [False, True])
@pytest.mark.parametrize("onnx_dtype", [None, "float32", "float64"])
def test_the_command_line_exports_boolean_columns(
    onnxruntime, tmp_path, capsys, onnx_dtype, empty_cell
):
    """A True/False column of a CSV file, with an empty cell or not, trains as
    numbers and exports, in the precision that ``--onnx-dtype`` asks for; the
    predict command gives the model's predictions."""
    from skbackprop import load_model
    from skbackprop.__main__ import main

    X, y = _frame(120)
    X = X.drop(columns="colour").assign(target=y)
    if empty_cell:
        X["flag"] = X["flag"].astype(object)
        X.loc[3, "flag"] = None
    data = tmp_path / "flags.csv"
    X.to_csv(data, index=False)
    model, onnx_file = tmp_path / "m.skops", tmp_path / "m.onnx"
    option = [] if onnx_dtype is None else ["--onnx-dtype", onnx_dtype]
    argv = ["--data", data, "--n-hidden", "4", "--learning-rate", "1", "--cv", "2",
            "--output", tmp_path, "--save-model", model, "--export-onnx", onnx_file,
            *option]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    out = capsys.readouterr().out
    assert "numeric, imputed (median) and standardized: longitude, year, flag" in out
    assert f"(ONNX, {onnx_dtype or 'float32'}: labels" in out
    assert (tmp_path / "loss_curve.png").exists()

    onnx = require("onnx")
    onx, pipeline = onnx.load(onnx_file), load_model(model)
    X = X.drop(columns="target").astype({"flag": "boolean"})
    label, proba = run(onnxruntime, onx, X)
    assert_array_equal(label, pipeline.predict(X))
    atol = 1e-10 if onnx_dtype == "float64" else 0.05  # float32 rounds longitudes
    assert_allclose(proba, pipeline.predict_proba(X), rtol=0, atol=atol)

    complete = tmp_path / "complete.csv"  # the rows without an empty cell
    X.dropna().to_csv(complete, index=False)
    assert main(["predict", "--model", str(model), "--data", str(complete)]) == 0
    predicted = require("pandas").read_csv(io.StringIO(capsys.readouterr().out))
    assert_array_equal(predicted["prediction"], pipeline.predict(X.dropna()))
