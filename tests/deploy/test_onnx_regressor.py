"""ONNX export of the regressor: the graph's output is `predict` in the input's
precision, alone, in pipelines, with its targets scaled by a
TransformedTargetRegressor, and from a DataFrame of mixed columns."""

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    QuantileTransformer,
    StandardScaler,
)

import skbackprop
from skbackprop import TwoLayerRegressor, onnx_inputs, to_onnx
from skbackprop._deploy.onnx import HIDDEN_OPERATORS
from skbackprop._engine.units import ACTIVATIONS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Largest difference from predict, relative to the largest predicted value:
# float32 graphs round each product and sum to float32; float64 graphs compute
# what predict computes, in another order.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


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


def assert_predicts(values, expected, dtype):
    """``values``, the graph's ``(n, n_outputs)`` output, is ``expected``,
    `predict`'s ``(n,)`` or ``(n, n_outputs)``, to the rounding of ``dtype``."""
    expected = np.asarray(expected)
    assert values.shape == (len(expected), expected.reshape(len(expected), -1).shape[1])
    assert values.dtype == dtype
    atol = TOLERANCE[dtype] * np.abs(expected).max()
    assert_allclose(values.reshape(expected.shape), expected, rtol=0, atol=atol)


def data(targets):
    """Standardized inputs and targets of scikit-learn's bundled sets: the
    diabetes progression (one target), or the three measurements of
    Linnerud's athletes."""
    if targets == "1-D":
        X, y = load_diabetes(return_X_y=True)
    else:
        X, y = load_linnerud(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y.reshape(len(y), -1))
    return X, y.ravel() if targets == "1-D" else y


def fitted(targets, activation="logistic"):
    X, y = data(targets)
    reg = TwoLayerRegressor(n_hidden=16, activation=activation, random_state=0)
    return X, y, reg.fit(X, y)


# ----------------------------------------------------------------- the network
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("targets", ["1-D", "multi-output"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_graph_gives_predict_for_each_hidden_unit(
    onnxruntime, activation, targets, dtype
):
    X, y, reg = fitted(targets, activation)
    X = X.astype(dtype)
    # the values compared vary with X, as the targets (of unit variance) do
    assert (reg.predict(X).std(axis=0) > 0.25).all()

    onx = to_onnx(reg, X[:1])
    (values,) = run(onnxruntime, onx, X)

    assert_predicts(values, reg.predict(X), dtype)
    # MatMul, Add, the hidden unit, MatMul, Add (skl2onnx leaves Identity
    # nodes out of the graph it writes)
    operator = HIDDEN_OPERATORS[activation]
    hidden = [] if operator == "Identity" else [operator]
    ops = [node.op_type for node in onx.graph.node]
    assert ops == ["MatMul", "Add", *hidden, "MatMul", "Add"]
    assert [output.name for output in onx.graph.output] == ["variable"]


def test_output_type_is_declared(onnxruntime):
    from onnx import TensorProto

    for targets, n_outputs in [("1-D", 1), ("multi-output", 3)]:
        X, _, reg = fitted(targets)
        for dtype, elem in [(np.float32, "FLOAT"), (np.float64, "DOUBLE")]:
            (output,) = to_onnx(reg, X[:1].astype(dtype)).graph.output
            dims = [d.dim_value or None for d in output.type.tensor_type.shape.dim]
            assert dims == [None, n_outputs]
            assert output.type.tensor_type.elem_type == getattr(TensorProto, elem)


def test_the_graph_has_the_unit_the_model_was_fitted_with(onnxruntime):
    X, _, reg = fitted("multi-output", activation="tanh")
    reg.set_params(activation="relu")  # after the fit: not the model's units
    (values,) = run(onnxruntime, to_onnx(reg, X[:1]), X)
    assert_predicts(values, reg.predict(X), np.float64)


def test_float32_weights_in_a_float64_graph(onnxruntime):
    X, y = data("1-D")
    reg = TwoLayerRegressor(n_hidden=8, random_state=0).fit(X.astype(np.float32), y)
    assert reg.coefs_[0].dtype == np.float32

    (values,) = run(onnxruntime, to_onnx(reg, X[:1]), X)

    assert_predicts(values, reg.predict(X), np.float64)


@pytest.mark.parametrize("targets", ["1-D", "multi-output"])
def test_an_older_opset(onnxruntime, targets):
    X, _, reg = fitted(targets)
    X = X.astype(np.float32)

    onx = to_onnx(reg, X[:1], target_opset=13)
    (values,) = run(onnxruntime, onx, X)

    assert {o.domain: o.version for o in onx.opset_import}[""] == 13
    assert_predicts(values, reg.predict(X), np.float32)


# ------------------------------------------------------------------ pipelines
def raw(targets):
    """The bundled sets as loaded: features and targets far from unit scale."""
    if targets == "1-D":
        return load_diabetes(return_X_y=True, scaled=False)
    return load_linnerud(return_X_y=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("targets", ["1-D", "multi-output"])
def test_a_pipeline_with_a_scaler(onnxruntime, targets, dtype):
    X, y = raw(targets)
    X = X.astype(dtype)
    # targets standardized, as the regressor's defaults expect; inputs as loaded
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    pipeline = make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0))
    assert pipeline.fit(X, y).score(X, y) > 0.3

    (values,) = run(onnxruntime, to_onnx(pipeline, X[:1]), X)

    assert_predicts(values, pipeline.predict(X), dtype)


TARGET_SCALERS = {
    "standardized": StandardScaler(),
    "scaled only": StandardScaler(with_mean=False),
    "centred only": StandardScaler(with_std=False),
    "none": None,
}


def targets_for(scaler, y):
    """Targets ``y`` moved so that the transformer ``scaler`` makes them of
    unit scale, with a mean the transform keeps where it keeps one: a scaler
    that does not centre still learns a mean (``mean_``), which its inverse
    does not add."""
    z = (y - y.mean(axis=0)) / y.std(axis=0)
    return {
        "standardized": y,
        "scaled only": (z + 0.5) * y.std(axis=0),
        "centred only": z + y.mean(axis=0),
        "none": z + 0.5,
    }[scaler]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("targets", ["1-D", "multi-output"])
@pytest.mark.parametrize("scaler", TARGET_SCALERS)
def test_targets_scaled_by_a_transformed_target_regressor(
    onnxruntime, scaler, targets, dtype
):
    """The regressor's values transformed back, as predict does: a
    StandardScaler's inverse multiplies by ``scale_`` only where it divided,
    and adds ``mean_`` only where it subtracted it."""
    X, y = raw(targets)
    X, y = X.astype(dtype), targets_for(scaler, y)
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0)),
        transformer=TARGET_SCALERS[scaler],
    )
    assert model.fit(X, y).score(X, y) > 0.2
    if scaler == "scaled only":
        assert (np.abs(model.transformer_.mean_) > 1).all()

    onx = to_onnx(model, X[:1])
    (values,) = run(onnxruntime, onx, X)

    assert [output.name for output in onx.graph.output] == ["variable"]
    assert_predicts(values, model.predict(X), dtype)


@pytest.mark.parametrize(
    "transformer",
    [QuantileTransformer(n_quantiles=20), FunctionTransformer(np.log, np.exp)],
    ids=["quantiles", "log"],
)
def test_other_target_transformers_are_refused_by_name(transformer):
    require("skl2onnx")
    X, y = raw("1-D")
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), TwoLayerRegressor(max_iter=5)),
        transformer=transformer,
    ).fit(X, y)

    with pytest.raises(NotImplementedError) as error:
        to_onnx(model, X[:1])
    message = str(error.value)
    assert type(transformer).__name__ in message
    assert "skl2onnx has no converter of TransformedTargetRegressor" in message
    assert "transformer=StandardScaler()" in message


def test_skl2onnx_converts_a_pipeline_once_registered(onnxruntime):
    skl2onnx = require("skl2onnx")
    X, y = raw("multi-output")
    X = X.astype(np.float32)
    pipeline = make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0))
    pipeline.fit(X, (y - y.mean(axis=0)) / y.std(axis=0))  # standardized targets

    skbackprop.register_onnx_converter()
    onx = skl2onnx.to_onnx(pipeline, X[:1])
    (values,) = run(onnxruntime, onx, X)

    assert_predicts(values, pipeline.predict(X), np.float32)


# ------------------------------------------------------- a CSV's DataFrame
def test_mixed_type_dataframe_with_scaled_targets(onnxruntime):
    """Penguins' body mass from its CSV's other columns: strings and numbers
    with missing values, one ONNX input per column, targets in grams scaled
    by a TransformedTargetRegressor."""
    X = require("palmerpenguins").load_penguins()
    X = X[X["body_mass_g"].notna()]
    y = X.pop("body_mass_g").to_numpy()
    strings = ["species", "island", "sex"]
    numbers = [c for c in X.columns if c not in strings]
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
    model = TransformedTargetRegressor(
        make_pipeline(preprocess, TwoLayerRegressor(n_hidden=8, random_state=0)),
        transformer=StandardScaler(),
    )
    assert model.fit(X, y).score(X, y) > 0.8
    assert X["sex"].isna().any()
    odd = X.iloc[:6].copy()  # missing values, a category never seen
    odd.loc[odd.index[0], "island"] = "Atlantis"
    odd.loc[odd.index[1], ["bill_length_mm", "sex"]] = np.nan
    odd.loc[odd.index[2], ["island", "flipper_length_mm", "year"]] = np.nan

    onx = to_onnx(model, X)

    assert [put.name for put in onx.graph.input] == list(X.columns)
    for rows in (X, odd):
        (values,) = run(onnxruntime, onx, rows)
        assert_predicts(values, model.predict(rows), np.float32)
