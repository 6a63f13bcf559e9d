"""Model files: .skops loaded with the trusted types and nothing else, .joblib."""

import re
import sys

import numpy as np
import pytest
import sklearn.compose
from _helpers import DATA, ROOT, assert_as_written_elsewhere, dated_pipeline, mixed_rows
from _optional import require
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skbackprop
from skbackprop import TRUSTED_TYPES, TwoLayerClassifier, TwoLayerRegressor, load_model
from skbackprop._cli.main import make_search
from skbackprop._cli.reading import Columns
from skbackprop._deploy.model_file import FORMER_NAMES, save_model
from skbackprop._training.solvers import SOLVERS

sio = require("skops.io")
pd = require("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def fitted_pipeline(solver, columns=True, multilabel=False):
    """A pipeline of the command line's kind, fitted with ``solver``."""
    rows = mixed_rows(n=60)
    frame = (
        pd.DataFrame([r[:3] for r in rows], columns=["name", "size", "colour"])
        .replace("", np.nan)
        .astype({"size": float})
    )
    y = np.array([r[-1] or "no" for r in rows])
    if multilabel:
        y = np.column_stack([y == "yes", frame["colour"] == "red"]).astype(int)
    spec = (
        Columns(numeric=["size"], categorical=["colour"], identifier=["name"])
        if columns
        else None
    )
    if not columns:
        frame = frame[["size"]].fillna(0).to_numpy()
    search = make_search([1.0], [3], cv=2, n_jobs=None, random_state=0, columns=spec)
    pipeline = search.estimator.set_params(net__solver=solver, net__max_iter=5)
    if solver == "adam":
        pipeline.set_params(net__early_stopping=True)
    return pipeline.fit(frame, y), frame


def regression_data(targets="1-D"):
    """Scikit-learn's bundled sets as loaded, far from unit scale: the
    diabetes progression (one target), or Linnerud's three measurements."""
    if targets == "1-D":
        return load_diabetes(return_X_y=True, scaled=False)
    return load_linnerud(return_X_y=True)


def fitted_regressor(solver, form, targets="1-D"):
    """A regressor fitted with ``solver``: alone on standardized data, in a
    pipeline after a scaler, or that pipeline with its targets standardized
    by a TransformedTargetRegressor; and the inputs it takes."""
    X, y = regression_data(targets)
    net = TwoLayerRegressor(n_hidden=4, solver=solver, max_iter=5, random_state=0)
    if solver == "adam":
        net.set_params(early_stopping=True)
    if form == "alone":
        X = StandardScaler().fit_transform(X)
        y = StandardScaler().fit_transform(y.reshape(len(y), -1)).squeeze()
        return net.fit(X, y), X, y
    model = make_pipeline(StandardScaler(), net)
    if form == "pipeline":
        y = y / np.abs(y).max(axis=0)
    else:
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return model.fit(X, y), X, y


REGRESSOR_FORMS = ["alone", "pipeline", "scaled targets"]


def test_trusted_types_are_exactly_what_these_pipelines_hold():
    """Every type a pipeline needs is trusted, and nothing more is."""
    needed = set()
    for solver in SOLVERS:
        for columns in (True, False):
            pipeline, _ = fitted_pipeline(solver, columns)
            needed |= set(sio.get_untrusted_types(data=sio.dumps(pipeline)))
        for form in REGRESSOR_FORMS:
            model = fitted_regressor(solver, form, "multi-output")[0]
            needed |= set(sio.get_untrusted_types(data=sio.dumps(model)))
    pipeline, _ = fitted_pipeline("gd", multilabel=True)
    needed |= set(sio.get_untrusted_types(data=sio.dumps(pipeline)))
    pipeline, _ = dated_pipeline()
    needed |= set(sio.get_untrusted_types(data=sio.dumps(pipeline)))
    # A regression's: TwoLayerRegressor inside a TransformedTargetRegressor.
    X = np.random.default_rng(0).normal(size=(30, 2))
    search = make_search([1.0], [3], cv=2, n_jobs=None, random_state=0,
                         task="regression")  # fmt: skip
    pipeline = search.estimator.set_params(net__regressor__max_iter=5)
    pipeline.fit(X, 100 * X.sum(axis=1))
    needed |= set(sio.get_untrusted_types(data=sio.dumps(pipeline)))
    assert needed <= set(TRUSTED_TYPES)
    # The one type that depends on the version: scikit-learn 1.6's
    # ColumnTransformer keeps its left-over columns in a list of its own.
    remainder = "sklearn.compose._column_transformer._RemainderColsList"
    if not hasattr(sklearn.compose._column_transformer, "_RemainderColsList"):
        needed.add(remainder)
    # Files written before the layer folders name the same classes by their
    # former modules (test_files_written_before_the_layer_folders_load).
    assert needed | set(FORMER_NAMES) == set(TRUSTED_TYPES)
    assert skbackprop.TRUSTED_TYPES is TRUSTED_TYPES


@pytest.mark.parametrize("estimator", [TwoLayerClassifier, TwoLayerRegressor])
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_update_rule_a_fitted_model_keeps_is_trusted(solver, estimator):
    # A model keeps its update rule so that partial_fit continues; a rule
    # missing from TRUSTED_TYPES would make its .skops files refused.
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 3
    model = estimator(n_hidden=2, solver=solver, max_iter=2).fit(X, y)
    kept = {
        f"{type(value).__module__}.{type(value).__qualname__}"
        for value in vars(model).values()
        if type(value).__module__.startswith("skbackprop.")
    }
    assert bool(kept) == (SOLVERS[solver].rule is not None)
    assert kept <= set(TRUSTED_TYPES)
    assert set(sio.get_untrusted_types(data=sio.dumps(model))) <= set(TRUSTED_TYPES)


def test_the_api_reference_lists_the_trusted_types():
    api = (ROOT / "docs" / "api.rst").read_text()
    entry = api.split(".. data:: TRUSTED_TYPES")[1].split("\n\n\n")[0]
    listed = entry.split("\n   * ", 1)[1]  # the bullet list
    named = re.findall(r'``"([\w.]+)"``', listed)
    assert sorted(named) == sorted(TRUSTED_TYPES)


@pytest.mark.parametrize("suffix", [".skops", ".joblib"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_saved_pipeline_loads_and_predicts_the_same(tmp_path, suffix, solver):
    pipeline, X = fitted_pipeline(solver)
    path = tmp_path / f"model{suffix}"
    save_model(pipeline, path)
    loaded = load_model(path)
    assert_array_equal(loaded.predict(X), pipeline.predict(X))
    assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    if SOLVERS[solver].rule is not None:  # the update rule was saved: training goes on
        net = loaded[-1]
        n_iter = net.n_iter_
        net.partial_fit(loaded[0].transform(X), pipeline.predict(X))
        assert net.n_iter_ == n_iter + 1


@pytest.mark.parametrize("targets", ["1-D", "multi-output"])
@pytest.mark.parametrize("form", REGRESSOR_FORMS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_regressor_saved_with_skops_loads_with_the_trusted_types(
    tmp_path, solver, form, targets
):
    """skops.io.dump, then load_model: no type left untrusted, the same
    predictions to the bit, and a warm start that continues as the original's
    does (the kept update rule included)."""
    model, X, y = fitted_regressor(solver, form, targets)
    path = tmp_path / "regressor.skops"
    sio.dump(model, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)

    loaded = load_model(path)

    assert type(loaded) is type(model)
    predicted = model.predict(X)
    assert predicted.shape == y.shape
    assert_array_equal(loaded.predict(X), predicted)
    continued = []
    for each in (model, loaded):
        # TransformedTargetRegressor.fit starts from a clone of its regressor:
        # its fitted regressor continues on the transformed targets
        fitted, targets = each, y
        if form == "scaled targets":
            fitted = each.regressor_
            targets = each.transformer_.transform(y.reshape(len(y), -1))
        net = fitted if form == "alone" else fitted[-1]
        before = len(net.loss_curve_)
        net.set_params(warm_start=True, max_iter=3)
        fitted.fit(X, targets.reshape(y.shape))
        assert len(net.loss_curve_) == before + net.n_iter_
        continued.append(each.predict(X))
    assert_array_equal(continued[1], continued[0])
    assert not np.array_equal(continued[0], predicted)


@pytest.mark.parametrize("suffix", [".skops", ".joblib"])
def test_save_model_writes_a_regressor_that_loads(tmp_path, suffix):
    model, X, _ = fitted_regressor("gd", "scaled targets")
    path = tmp_path / f"regressor{suffix}"
    save_model(model, path)
    assert_array_equal(load_model(path).predict(X), model.predict(X))


def test_an_unfitted_regressor_loads_unfitted(tmp_path):
    model = make_pipeline(StandardScaler(), TwoLayerRegressor(3, random_state=0))
    path = tmp_path / "unfitted.skops"
    sio.dump(model, path)
    loaded = load_model(path)
    assert loaded.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert loaded[-1].get_params() == clone(model[-1]).get_params()
    X, y = regression_data()
    y = y / 400  # of unit scale
    assert_array_equal(loaded.fit(X, y).predict(X), model.fit(X, y).predict(X))


class Shady(TransformerMixin, BaseEstimator):
    """A transformer skops does not know: loading it could run its code."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_a_file_with_an_untrusted_type_is_refused(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    pipeline = make_pipeline(Shady(), TwoLayerClassifier(n_hidden=2, max_iter=3))
    path = tmp_path / "shady.skops"
    sio.dump(pipeline.fit(X, y), path)
    with pytest.raises(ValueError, match=r"test_model_file\.Shady") as info:
        load_model(path)
    assert "does not trust" in str(info.value)


def test_a_plain_pipeline_of_the_estimator_loads(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    pipeline = make_pipeline(StandardScaler(), TwoLayerClassifier(n_hidden=2))
    path = tmp_path / "plain.skops"
    sio.dump(pipeline.fit(X, y), path)
    assert_array_equal(load_model(path).predict(X), pipeline.predict(X))


def test_unknown_suffix_and_missing_skops(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="ends in .skops or .joblib"):
        load_model(tmp_path / "model.pkl")
    with pytest.raises(ValueError, match="ends in .skops or .joblib"):
        save_model(object(), tmp_path / "model.pkl")
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r"pip install 'skbackprop\[skops\]'"):
        load_model(tmp_path / "model.skops")


# ------------------------------------------ files written by an earlier main
# tests/data/earlier_*.skops were written by skbackprop 0.1.0 before its
# modules moved into layer folders (the two iris models by save_model, the
# dated one by ``python -m skbackprop --data earlier_dated.csv --target label
# --learning-rate 1.0 --n-hidden 3 --cv 2 --max-iter 30 --save-model ...``),
# with the predictions of that code, before and after a warm start of 5
# epochs, in earlier_skops_expected.npz.
EARLIER = DATA


@pytest.fixture(scope="module")
def earlier_expected():
    with np.load(EARLIER / "earlier_skops_expected.npz") as expected:
        return dict(expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.InconsistentVersionWarning")
@pytest.mark.parametrize("name", ["iris_gd", "iris_adam"])
def test_files_written_before_the_layer_folders_load(name, earlier_expected):
    from sklearn.datasets import load_iris

    path = EARLIER / f"earlier_{name}.skops"
    assert set(sio.get_untrusted_types(file=path)) <= set(FORMER_NAMES)
    X, y = load_iris(return_X_y=True)
    clf = load_model(path)
    proba = clf.predict_proba(X)
    assert_as_written_elsewhere(proba, earlier_expected[f"{name}__proba"])
    # the kept update rule continues the run as the earlier code did
    clf.set_params(warm_start=True, max_iter=5, early_stopping=False).fit(X, y)
    proba = clf.predict_proba(X)
    assert_as_written_elsewhere(proba, earlier_expected[f"{name}__warm_proba"])


# The pipeline's ColumnTransformer and SimpleImputer were written by
# scikit-learn 1.9.1, and scikit-learn loads its estimators in the version that
# wrote them or a later one only (1.6 lacks attributes that 1.9 no longer keeps).
WRITER_SKLEARN = (1, 9)


@pytest.mark.skipif(
    tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < WRITER_SKLEARN,
    reason="written by scikit-learn 1.9, which earlier versions do not load",
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.InconsistentVersionWarning")
def test_a_pipeline_with_dates_written_before_the_layer_folders_loads(
    earlier_expected,
):
    import pandas as pd

    path = EARLIER / "earlier_dated.skops"
    assert set(sio.get_untrusted_types(file=path)) <= set(TRUSTED_TYPES)
    frame = pd.read_csv(EARLIER / "earlier_dated.csv")
    y = frame.pop("label")
    pipeline = load_model(path)
    proba = pipeline.predict_proba(frame)
    assert_as_written_elsewhere(proba, earlier_expected["dated__proba"])
    pipeline.set_params(net__warm_start=True, net__max_iter=5).fit(frame, y)
    proba = pipeline.predict_proba(frame)
    assert_as_written_elsewhere(proba, earlier_expected["dated__warm_proba"])
