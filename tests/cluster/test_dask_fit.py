"""Data-parallel fit on dask collections: the model of the in-memory fit, with
each chunk of rows on its worker.

A real ``LocalCluster`` of worker processes runs the fits. CI installs the
``dask`` extra and sets SKBACKPROP_REQUIRE_OPTIONAL=1, so these tests run there,
the killed worker and the client's memory included.
"""

import os
import re
import signal
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import PREDICTION_METHODS, ROOT, local_cluster
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification

from skbackprop import TwoLayerClassifier
from skbackprop._cluster import distributed as _distributed
from skbackprop._engine.units import ACTIVATIONS
from skbackprop._training.callbacks import AVAILABLE
from skbackprop._training.solvers import MINIBATCH_SAMPLES

distributed = require("distributed")
da = require("dask.array")
dd = require("dask.dataframe")
pd = require("pandas")
psutil = require("psutil")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXACT = 1e-8  # relative: the fits differ only in the order of summation
PARAMS = dict(n_hidden=8, max_iter=40, random_state=0)


@pytest.fixture(scope="module")
def data():
    """Three classes; the first column is the row's index, scaled into
    [-0.5, 0.5), so that a row can be recognised after a split."""
    X, y = make_classification(1200, 12, n_informative=6, n_classes=3, random_state=0)
    X[:, 0] = (np.arange(len(X)) - len(X) / 2) / len(X)
    return X, y


def _dask(X, y, rows=250):
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


def _relative_error(a, b):
    return max(
        np.max(np.abs(p - q)) / max(np.max(np.abs(p)), np.finfo(p.dtype).tiny)
        for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)
    )


def assert_same_model(expected, got, rtol=EXACT):
    assert got.n_iter_ == expected.n_iter_
    assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=rtol)
    assert _relative_error(expected, got) <= rtol
    assert_array_equal(got.classes_, expected.classes_)
    for got_array, expected_array in zip(
        got.coefs_ + got.intercepts_,
        expected.coefs_ + expected.intercepts_,
        strict=True,
    ):
        assert type(got_array) is np.ndarray
        assert got_array.dtype == expected_array.dtype
    assert got.loss_ == pytest.approx(expected.loss_, rel=rtol)
    assert got.best_iter_ == expected.best_iter_


# --------------------------------------------------------------------------------------
# The model of the in-memory fit
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_fit_is_the_in_memory_fit(client, data, solver, activation):
    X, y = data
    params = dict(PARAMS, solver=solver, activation=activation)
    expected = TwoLayerClassifier(**params).fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        got = TwoLayerClassifier(**params).fit(*_dask(X, y))

    assert_same_model(expected, got)
    # The loss and gradient of the chunks were computed on both workers.
    workers = {
        task["worker"]
        for task in tasks.data
        if str(task["key"]).startswith("skbackprop-part_loss_gradient")
    }
    assert workers == set(client.scheduler_info()["workers"])


def test_dataframes_and_series(client, data):
    X, y = data
    columns = [f"f{j}" for j in range(X.shape[1])]
    frame, labels = pd.DataFrame(X, columns=columns), pd.Series(y).map("c{}".format)
    expected = TwoLayerClassifier(**PARAMS).fit(frame, labels)

    got = TwoLayerClassifier(**PARAMS).fit(
        dd.from_pandas(frame, npartitions=4), dd.from_pandas(labels, npartitions=4)
    )
    assert_same_model(expected, got)
    assert_array_equal(got.feature_names_in_, columns)
    # y in memory is cut into the partitions of X.
    in_memory_y = TwoLayerClassifier(**PARAMS).fit(
        dd.from_pandas(frame, npartitions=3), labels
    )
    assert_same_model(expected, in_memory_y)


def test_y_chunked_otherwise_is_rechunked_like_X(client, data):
    X, y = data
    expected = TwoLayerClassifier(**PARAMS).fit(X, y)
    got = TwoLayerClassifier(**PARAMS).fit(
        da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=500)
    )
    assert_same_model(expected, got)


@pytest.mark.parametrize(
    "X_form", ["array", "dataframe", "dataframe of unknown divisions"]
)
@pytest.mark.parametrize("y_form", ["array", "series"])
def test_y_and_weights_of_as_many_chunks_of_other_sizes_are_rechunked(
    client, data, X_form, y_form
):
    X, y = data
    sample_weight = np.random.default_rng(0).uniform(0.5, 2, len(y))
    expected = TwoLayerClassifier(**PARAMS).fit(X, y, sample_weight)
    X_dask = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    if X_form == "array":
        X_dask = da.from_array(X, chunks=(400, X.shape[1]))
    elif X_form == "dataframe of unknown divisions":
        X_dask = X_dask.clear_divisions()
    if y_form == "array":  # three chunks, of other sizes than X's
        y_dask, w_dask = (
            da.from_array(v, chunks=((300, 500, 400),)) for v in (y, sample_weight)
        )
    else:
        y_dask, w_dask = (
            dd.from_pandas(pd.Series(v), npartitions=3).repartition(
                divisions=[0, 300, 800, 1199]
            )
            for v in (y, sample_weight)
        )

    got = TwoLayerClassifier(**PARAMS).fit(X_dask, y_dask, w_dask)

    assert_same_model(expected, got)


@pytest.mark.parametrize("class_weight", [None, "balanced", {0: 2.0, 1: 1.0, 2: 0.5}])
def test_sample_and_class_weights(client, data, class_weight):
    X, y = data
    keep = np.r_[0:700, 1000:1100]  # unbalanced classes, for 'balanced'
    X, y = X[keep], y[np.argsort(y[keep], kind="stable")]
    sample_weight = np.random.RandomState(0).uniform(0, 3, len(y))
    params = dict(PARAMS, class_weight=class_weight)
    expected = TwoLayerClassifier(**params).fit(X, y, sample_weight)
    got = TwoLayerClassifier(**params).fit(
        *_dask(X, y), da.from_array(sample_weight, chunks=250)
    )
    assert_same_model(expected, got)


def test_float32_stays_float32(client, data):
    X, y = data
    X = X.astype(np.float32)
    expected = TwoLayerClassifier(**PARAMS).fit(X, y)
    got = TwoLayerClassifier(**PARAMS).fit(*_dask(X, y))
    assert got.coefs_[0].dtype == np.float32
    assert_same_model(expected, got, rtol=1e-4)  # float32 sums in another order


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_sparse_float32_chunks_of_each_hidden_unit(client, data, activation):
    X, y = data
    X = X.astype(np.float32)
    X[np.abs(X) < 1.0] = 0.0  # two thirds of the entries
    # A step small enough for a smooth descent: float32's roundings, summed in
    # another order, then stay as small as they are.
    params = dict(PARAMS, activation=activation, learning_rate=0.5)
    expected = TwoLayerClassifier(**params).fit(sp.csr_matrix(X), y)
    Xd, yd = _dask(X, y)
    got = TwoLayerClassifier(**params).fit(Xd.map_blocks(sp.csr_matrix), yd)
    assert got.coefs_[0].dtype == np.float32
    assert_same_model(expected, got, rtol=1e-4)  # float32 sums in another order


def test_multilabel_targets(client, data):
    X, y = data
    Y = np.c_[y == 0, y != 1, np.arange(len(y)) % 3 == 0].astype(int)
    expected = TwoLayerClassifier(**PARAMS).fit(X, Y)
    got = TwoLayerClassifier(**PARAMS).fit(
        da.from_array(X, chunks=(250, 12)), da.from_array(Y, chunks=(250, 3))
    )
    assert_same_model(expected, got)


def test_warm_start_continues_as_in_memory(client, data):
    X, y = data
    params = dict(PARAMS, max_iter=15, warm_start=True)
    expected = TwoLayerClassifier(**params).fit(X, y).fit(X, y)
    got = TwoLayerClassifier(**params)
    got.fit(*_dask(X, y)).fit(*_dask(X, y))
    assert got.n_iter_ == 15 and len(got.loss_curve_) == 30
    assert_same_model(expected, got)


def test_divergence_guard(client, data):
    X, y = data
    params = dict(PARAMS, learning_rate=1e4, momentum=0.0)
    with pytest.warns(UserWarning, match="Training diverged") as expected_warnings:
        expected = TwoLayerClassifier(**params).fit(X, y)
    with pytest.warns(UserWarning, match="Training diverged") as got_warnings:
        got = TwoLayerClassifier(**params).fit(*_dask(X, y))
    assert_same_model(expected, got)
    assert [str(w.message) for w in got_warnings] == [
        str(w.message) for w in expected_warnings
    ]


def test_unscaled_X_is_advised_from_the_cluster(client, data):
    X, y = data
    X = X * np.r_[1.0, 1.0, 50.0, np.ones(9)]
    params = dict(PARAMS, max_iter=3)
    with pytest.warns(UserWarning) as expected_warnings:
        TwoLayerClassifier(**params).fit(X, y)
    with pytest.warns(UserWarning) as got_warnings:
        TwoLayerClassifier(**params).fit(*_dask(X, y))
    messages = [str(w.message) for w in got_warnings]
    assert messages == [str(w.message) for w in expected_warnings]
    assert "its column 2 has a root mean square" in messages[0]


def test_verbose_prints_the_epochs(client, data, capsys):
    X, y = data
    params = dict(PARAMS, max_iter=5, verbose=True)
    TwoLayerClassifier(**params).fit(X, y)
    expected = capsys.readouterr().out.splitlines()
    TwoLayerClassifier(**params).fit(*_dask(X, y))
    got = capsys.readouterr().out.splitlines()

    def without_time(lines):
        return [line.rsplit(",", 1)[0] for line in lines]

    assert len(got) == 6
    assert without_time(got[:5]) == without_time(expected[:5])
    assert got[5] == expected[5]


@pytest.mark.skipif(not AVAILABLE, reason="sklearn.callback is new in scikit-learn 1.9")
def test_a_callback_stops_training(client, data):
    X, y = data

    class StopAfter3:
        max_propagation_depth = None

        def setup(self, estimator, context):
            self.epochs = 0

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            pass

        def on_fit_task_end(self, estimator, context, **kwargs):
            if context.task_name == "epoch":
                self.epochs += 1
                return self.epochs >= 3
            return False

    clf = TwoLayerClassifier(**PARAMS).set_callbacks(StopAfter3())
    assert clf.fit(*_dask(X, y)).n_iter_ == 3


# --------------------------------------------------------------------------------------
# Early stopping
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("scoring", ["loss", None])
def test_dask_validation_set(client, data, scoring):
    X, y = data
    X_train, y_train, X_val, y_val = X[:900], y[:900], X[900:], y[900:]
    params = dict(PARAMS, scoring=scoring, n_iter_no_change=3)
    expected = TwoLayerClassifier(**params).fit(
        X_train, y_train, X_val=X_val, y_val=y_val
    )
    X_val_dask, y_val_dask = _dask(X_val, y_val, rows=100)
    got = TwoLayerClassifier(**params).fit(
        *_dask(X_train, y_train), X_val=X_val_dask, y_val=y_val_dask
    )
    assert_same_model(expected, got)
    assert_allclose(got.validation_scores_, expected.validation_scores_, rtol=EXACT)
    assert got.best_validation_score_ == pytest.approx(
        expected.best_validation_score_, rel=EXACT
    )


def test_a_scorer_on_a_dask_dataframe_validation_set_says_what_to_pass(client, data):
    # scikit-learn's metrics need the rows of each chunk, which a dask
    # DataFrame does not know: a clear error before training, nothing changed
    X, y = data
    X_val = dd.from_pandas(pd.DataFrame(X[900:]), npartitions=2)
    y_val = dd.from_pandas(pd.Series(y[900:]), npartitions=2)
    clf = TwoLayerClassifier(**dict(PARAMS, scoring="accuracy"))
    with pytest.raises(ValueError, match=r"needs the rows of each chunk of X_val"):
        clf.fit(*_dask(X[:900], y[:900]), X_val=X_val, y_val=y_val)
    assert not hasattr(clf, "coefs_")
    known = [v.to_dask_array(lengths=True) for v in (X_val, y_val)]
    fitted = clf.fit(*_dask(X[:900], y[:900]), X_val=known[0], y_val=known[1])
    assert len(fitted.validation_scores_) == fitted.n_iter_
    loss = clf.set_params(scoring="loss").fit(
        *_dask(X[:900], y[:900]), X_val=X_val, y_val=y_val
    )
    assert len(loss.validation_scores_) == loss.n_iter_


def _row_ids(X):
    return np.rint((X[:, 0] + 0.5) * 1200).astype(int)


@pytest.fixture
def recorded_hold_out(monkeypatch):
    """The rows that `_distributed.hold_out` holds out, per fit."""
    splits = []
    original = _distributed.hold_out

    def recording(client, *args, **kwargs):
        train, val, alone = original(client, *args, **kwargs)
        rows = [part.X for part in client.gather(val)]
        splits.append(_row_ids(np.concatenate(rows)))
        return train, val, alone

    monkeypatch.setattr(_distributed, "hold_out", recording)
    return splits


def test_early_stopping_holds_out_on_the_cluster(client, data, recorded_hold_out):
    X, y = data
    params = dict(PARAMS, max_iter=15, early_stopping=True, validation_fraction=0.15)
    got = TwoLayerClassifier(**params).fit(*_dask(X, y))
    again = TwoLayerClassifier(**params).fit(*_dask(X, y))
    TwoLayerClassifier(**dict(params, random_state=1)).fit(*_dask(X, y))
    held, held_again, held_other = recorded_hold_out

    # As in memory: ceil(fraction * n) rows, stratified by class.
    assert len(held) == len(set(held)) == 180
    assert_array_equal(np.bincount(y[held]), np.round(0.15 * np.bincount(y)))
    # Drawn from random_state, from every chunk.
    assert_array_equal(held, held_again)
    assert set(held) != set(held_other)
    assert len(set(held // 250)) == 5
    assert_same_model(got, again, rtol=0)
    # The fit is the in-memory fit on the other rows, validated on these.
    train = np.setdiff1d(np.arange(len(y)), held)
    expected = TwoLayerClassifier(**dict(params, early_stopping=False)).fit(
        X[train], y[train], X_val=X[np.sort(held)], y_val=y[np.sort(held)]
    )
    assert_same_model(expected, got)
    assert_allclose(got.validation_scores_, expected.validation_scores_, rtol=EXACT)
    assert got.t_ == got.n_iter_ * len(train)


@pytest.mark.parametrize("fraction", [0.1, 0.999])  # stratified, and not
def test_a_class_of_one_sample_stays_in_training(
    client, data, recorded_hold_out, fraction
):
    X, y = data
    y = y.copy()
    y[700] = 3  # the only sample of class 3
    params = dict(PARAMS, max_iter=2, early_stopping=True)
    TwoLayerClassifier(**params, validation_fraction=fraction).fit(*_dask(X, y))
    (held,) = recorded_hold_out
    assert 700 not in held
    assert len(held) == np.ceil(fraction * (len(y) - 1))


def test_early_stopping_with_a_scorer_on_the_hold_out(client, data, recorded_hold_out):
    X, y = data
    params = dict(PARAMS, max_iter=15, early_stopping=True, scoring="balanced_accuracy")
    got = TwoLayerClassifier(**params).fit(*_dask(X, y))
    (held,) = recorded_hold_out
    train, held = np.setdiff1d(np.arange(len(y)), held), np.sort(held)
    expected = TwoLayerClassifier(**dict(params, early_stopping=False)).fit(
        X[train], y[train], X_val=X[held], y_val=y[held]
    )
    assert_same_model(expected, got)
    assert_allclose(got.validation_scores_, expected.validation_scores_, rtol=EXACT)


# --------------------------------------------------------------------------------------
# Prediction, chunk by chunk
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", PREDICTION_METHODS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_prediction_is_lazy_and_chunked(client, data, method, n_classes):
    X, y = data
    y = y if n_classes == 3 else (y > 0).astype(int)
    clf = TwoLayerClassifier(**PARAMS).fit(X, y)
    X_dask = da.from_array(X, chunks=(300, 6))

    got = getattr(clf, method)(X_dask)
    assert isinstance(got, da.Array)
    assert got.numblocks[0] == 4
    computed = got.compute()
    expected = getattr(clf, method)(X)
    assert computed.shape == expected.shape and computed.dtype == expected.dtype
    assert got.shape == expected.shape and got.dtype == expected.dtype  # declared
    assert_allclose(computed, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "method",
    ["predict", "predict_proba", "predict_log_proba", "decision_function",
     "hidden_activations"],
)  # fmt: skip
def test_prediction_on_a_dataframe_declares_its_columns_and_type(
    client, data, method, dtype
):
    X, y = data
    X = X.astype(dtype)
    columns = [f"f{j}" for j in range(X.shape[1])]
    clf = TwoLayerClassifier(**PARAMS).fit(pd.DataFrame(X, columns=columns), y)
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=3)
    got = getattr(clf, method)(frame)
    expected = getattr(clf, method)(pd.DataFrame(X, columns=columns))
    # rows per partition are unknown until computed; columns and type are not
    assert got.shape[1:] == expected.shape[1:] and got.dtype == expected.dtype
    if got.ndim == 2:
        # Partitions of other sizes than the in-memory blocks: the products
        # round otherwise, and the sigmoid's tail multiplies a relative error of
        # its input by about |a| (6 here), so some tens of units in the last place.
        rtol = 50 * np.finfo(dtype).eps
        assert_allclose(got[:, -1].compute(), expected[:, -1], rtol=rtol)
    else:
        assert_array_equal(got.compute(), expected)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_prediction_on_a_dataframe_checks_feature_names(client, data):
    X, y = data
    columns = [f"f{j}" for j in range(X.shape[1])]
    clf = TwoLayerClassifier(**PARAMS).fit(pd.DataFrame(X, columns=columns), y)
    frame = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=3)
    got = clf.predict_proba(frame)
    assert isinstance(got, da.Array)
    assert_allclose(got.compute(), clf.predict_proba(X), rtol=1e-12)
    with pytest.raises(ValueError, match="features, but TwoLayerClassifier"):
        clf.predict(da.from_array(X[:, :5]))  # checked now, not when computed
    renamed = dd.from_pandas(pd.DataFrame(X, columns=columns[::-1]), npartitions=3)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)


METHODS = [
    "predict", "predict_proba", "predict_log_proba", "decision_function",
    "hidden_activations",
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_prediction_with_empty_chunks(client, data, method, n_classes):
    """A partition emptied by a filter, and a chunk of no rows, predict as no
    rows, as fit trains on them."""
    X, y = data
    y = y if n_classes == 3 else (y > 0).astype(int)
    columns = [f"f{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    clf = TwoLayerClassifier(**PARAMS).fit(frame, y)
    kept = frame["f0"] > 0.1  # the first column is the row index: the first
    filtered = dd.from_pandas(frame, npartitions=4)  # two partitions are emptied
    filtered = filtered[filtered["f0"] > 0.1]
    chunks = ((0, 600, 0, 600), (X.shape[1],))

    got = getattr(clf, method)(filtered).compute()
    expected = getattr(clf, method)(frame[kept])
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert_allclose(got, expected, rtol=1e-12)
    got = getattr(clf, method)(da.from_array(X, chunks=chunks)).compute()
    assert_allclose(got, getattr(clf, method)(X), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("form", ["dataframe", "array", "y in memory"])
def test_score_on_dask_collections(client, data, form, weighted):
    X, y = data
    clf = TwoLayerClassifier(**PARAMS).fit(X[:600], y[:600])
    w = np.random.default_rng(0).uniform(0.5, 2, len(y)) if weighted else None
    expected = clf.score(X, y, w)
    if form == "array":
        args = _dask(X, y) + (None if w is None else da.from_array(w, chunks=250),)
    else:  # a DataFrame's chunks have unknown row counts
        frame = dd.from_pandas(pd.DataFrame(X), npartitions=3)
        labels = dd.from_pandas(pd.Series(y), npartitions=3)
        weights = None if w is None else dd.from_pandas(pd.Series(w), npartitions=3)
        args = (frame, y, w) if form == "y in memory" else (frame, labels, weights)

    assert clf.score(*args) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("form", ["array", "series"])
def test_one_dimensional_dask_input_gets_the_in_memory_error(client, data, form):
    X, y = data
    clf = TwoLayerClassifier(**PARAMS).fit(X, y)
    column = X[:, 0] if form == "array" else pd.Series(X[:, 0])
    with pytest.raises(ValueError) as in_memory:
        clf.predict(column)
    words = str(in_memory.value).split("array=")[0]  # before the values
    if form == "array":
        column = da.from_array(column, chunks=300)
    else:
        column = dd.from_pandas(column, npartitions=2)
    for method in METHODS:
        with pytest.raises(ValueError, match=re.escape(words)):
            getattr(clf, method)(column)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [{"solver": "sgd"}, {"solver": "adam"}])
def test_minibatch_solvers_point_to_incremental(client, data, params):
    X, y = data
    clf = TwoLayerClassifier(**params, batch_size=1, max_iter=2).fit(X, y)
    before = dict(vars(clf))
    with pytest.raises(ValueError, match=r"dask_ml\.wrappers\.Incremental") as info:
        clf.fit(*_dask(X, y))
    assert "solver='gd' or 'lbfgs'" in str(info.value)
    assert vars(clf).keys() == before.keys()
    assert clf.coefs_ is before["coefs_"]


def test_bad_chunks_give_the_in_memory_error_and_change_nothing(client, data):
    X, y = data
    clf = TwoLayerClassifier(**PARAMS).fit(X, y)
    before = clf.coefs_[0].copy()
    X_nan = X.copy()
    X_nan[1100, 3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        clf.fit(*_dask(X_nan, y))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(*_dask(X, y + 0.5))
    with pytest.raises(ValueError, match="negative"):
        clf.fit(*_dask(X, y), -np.ones(len(y)))
    with pytest.raises(ValueError, match="expecting 12 features"):
        clf.set_params(warm_start=True).fit(*_dask(X[:, :5], y))
    clf.set_params(warm_start=False)
    assert_array_equal(clf.coefs_[0], before)


def _weights(*head, fill=1.0):
    return lambda n: np.r_[head, np.full(n - len(head), fill)]


# What a fit is given, wrong in one way: (parameters, arguments, the error).
# Arguments are functions of the number of rows; X and y are the data's.
BREAKING_A_RULE = {
    "a negative weight": (
        {},
        {"sample_weight": _weights(-1.0)},
        "sample_weight contains negative values.",
    ),
    "a weight that is NaN": (
        {},
        {"sample_weight": _weights(np.nan)},
        "Input sample_weight contains NaN.",
    ),
    "an infinite weight": (
        {},
        {"sample_weight": _weights(np.inf)},
        "Input sample_weight contains infinity or a value too large for "
        "dtype('float64').",
    ),
    "class weights of zero": (
        {"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}},
        {},
        "sample_weight sums to zero: at least one weight must be positive.",
    ),
    "class weights overflowing the weights": (
        {"class_weight": {0: 10.0, 1: 1.0, 2: 1.0}},
        {"sample_weight": _weights(fill=1e308)},
        "sample_weight contains NaN or infinity.",
    ),
    "class weights of multilabel y": (
        {"class_weight": "balanced"},
        {"y": lambda n: np.eye(3, dtype=int)[np.arange(n) % 3]},
        "class_weight is not supported for multilabel y.",
    ),
    "labels of one class": (
        {},
        {"y": lambda n: np.zeros(n, int)},
        "TwoLayerClassifier needs samples of at least 2 classes; got 1 class: 0.",
    ),
    "a hold-out leaving nothing to train on": (
        {"early_stopping": True, "validation_fraction": 0.9999},
        {},
        "early_stopping=True cannot hold out validation_fraction=0.9999 of 1200 "
        "samples and keep samples to train on. Pass X_val and y_val, lower "
        "validation_fraction, or set early_stopping=False.",
    ),
    "X_val without y_val": (
        {},
        {"X_val": lambda n: np.zeros((n // 4, 12))},
        "X_val and y_val must be passed together.",
    ),
    "sample_weight_val without a validation set": (
        {},
        {"sample_weight_val": _weights()},
        "sample_weight_val is the weights of a validation set: pass X_val and y_val "
        "with it.",
    ),
    "a negative validation weight": (
        {},
        {
            "X_val": lambda n: np.zeros((n // 4, 12)),
            "y_val": lambda n: np.arange(n // 4) % 3,
            "sample_weight_val": lambda n: _weights(-1.0)(n // 4),
        },
        "Invalid sample_weight_val (X_val has 300 samples): sample_weight contains "
        "negative values.",
    ),
    "validation labels of another class": (
        {},
        {
            "X_val": lambda n: np.zeros((n // 4, 12)),
            "y_val": lambda n: np.arange(n // 4) % 4,
        },
        "y_val has labels [3] that are not in classes [0 1 2] of y.",
    ),
}


@pytest.mark.parametrize("where", ["in memory", "on dask"])
@pytest.mark.parametrize("case", BREAKING_A_RULE)
def test_a_broken_rule_gives_the_same_error_in_memory_and_on_dask(
    client, data, case, where
):
    X, y = data
    params, arguments, message = BREAKING_A_RULE[case]
    given = {"X": X, "y": y} | {name: f(len(y)) for name, f in arguments.items()}
    if where == "on dask":
        given = {
            name: da.from_array(v, chunks=(250,) + v.shape[1:])
            for name, v in given.items()
        }
    clf = TwoLayerClassifier(**PARAMS).fit(X[:300], y[:300]).set_params(**params)
    before = dict(vars(clf))
    coefs = [W.copy() for W in clf.coefs_]

    with pytest.raises(ValueError) as error:
        clf.fit(**given)
    assert str(error.value) == message
    assert vars(clf).keys() == before.keys()
    assert all(vars(clf)[name] is value for name, value in before.items())
    for got, expected in zip(clf.coefs_, coefs, strict=True):
        assert_array_equal(got, expected)


def test_without_a_client_the_error_says_how_to_start_one(data, monkeypatch):
    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(distributed, "default_client", no_client)
    with pytest.raises(ValueError, match=r"distributed\.Client\(\)"):
        TwoLayerClassifier().fit(*_dask(*data))


def test_numpy_fit_imports_no_dask():
    import subprocess
    import sys

    code = (
        "import sys; from sklearn.datasets import load_iris;"
        "from skbackprop import TwoLayerClassifier;"
        "TwoLayerClassifier(max_iter=5).fit(*load_iris(return_X_y=True));"
        "print(any(m == 'dask' or m.startswith('dask.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------
# The client holds the weights, never the data
# --------------------------------------------------------------------------------------
class PeakMemory:
    """The peak resident memory of this process while the block runs, sampled."""

    def __enter__(self):
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()
        return self

    def _sample(self):
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc_info):
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)
        self.growth = self.peak - self.start


def _labelled(block):
    return (block[:, 0] + block[:, 1] > 0).astype(np.int64)


def test_the_client_never_gathers_X(client):
    # 240 MB of X, made on the workers: more than the client holds comfortably
    # in this test, where the whole of it would show as memory growth.
    n, m = 600_000, 50
    X = da.random.RandomState(0).standard_normal((n, m), chunks=(50_000, m))
    y = X.map_blocks(_labelled, drop_axis=1, dtype=np.int64)
    clf = TwoLayerClassifier(n_hidden=4, max_iter=3, random_state=0)
    small = TwoLayerClassifier(n_hidden=4, max_iter=1, random_state=0)
    small.fit(X[:50_000], y[:50_000])  # code paths warmed up, modules imported

    with PeakMemory() as memory:
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert memory.growth < 0.05 * X.nbytes, (memory.growth, X.nbytes)


# --------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------
def _kill_at(monkeypatch, evaluation, action):
    """Run ``action(client)`` when the loss and gradient of ``evaluation`` (from
    1) have been sent to the workers, before their sum is fetched."""
    calls = []
    original = _distributed.tree_sum

    def tree_sum(client, futures):
        calls.append(1)
        if len(calls) == evaluation:
            action(client)
        return original(client, futures)

    monkeypatch.setattr(_distributed, "tree_sum", tree_sum)
    return calls


def test_a_killed_worker_costs_time_not_the_model(data, monkeypatch):
    X, y = data
    params = dict(PARAMS, max_iter=25)
    expected = TwoLayerClassifier(**params).fit(X, y)
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        undisturbed = TwoLayerClassifier(**params).fit(*_dask(X, y))
        pids = set(client.run(os.getpid).values())
        killed = {}

        def kill_the_busiest_worker(client):
            holding = client.has_what()
            worker = max(holding, key=lambda w: len(holding[w]))
            killed["pid"] = client.run(os.getpid, workers=[worker])[worker]
            killed["keys"] = len(holding[worker])
            os.kill(killed["pid"], signal.SIGKILL)

        _kill_at(monkeypatch, 8, kill_the_busiest_worker)
        got = TwoLayerClassifier(**params).fit(*_dask(X, y))
        client.wait_for_workers(2, timeout=60)
        new_pids = set(client.run(os.getpid).values())

    assert killed["keys"] > 0 and killed["pid"] in pids
    assert killed["pid"] not in new_pids  # the nanny started a new worker
    assert_same_model(undisturbed, got, rtol=0)  # the same weights, bit for bit
    assert_same_model(expected, got)


def test_a_lost_scheduler_leaves_the_estimator_as_it_was(client, data, monkeypatch):
    X, y = data
    clf = TwoLayerClassifier(**PARAMS).fit(X[:300], y[:300])
    before = dict(vars(clf))
    coefs = [W.copy() for W in clf.coefs_]
    # A client of its own (the current one while it is open), whose connection
    # to the scheduler is cut in the middle of the fit.
    with distributed.Client(client.scheduler.address):

        def cut_the_connection_to_the_scheduler(client):
            client.loop.add_callback(client.scheduler_comm.comm.abort)

        _kill_at(monkeypatch, 3, cut_the_connection_to_the_scheduler)
        with pytest.raises(Exception, match="scheduler-connection-lost"):
            clf.fit(*_dask(X, y))
    assert vars(clf).keys() == before.keys()
    for name, value in before.items():
        assert vars(clf)[name] is value
    for got, expected in zip(clf.coefs_, coefs, strict=True):
        assert_array_equal(got, expected)
    assert clf.n_iter_ == 40 and clf.predict(X).shape == (1200,)


def test_the_benchmark_times_the_same_fit_in_memory_and_on_the_cluster(client):
    # On as many rows as solver="auto" takes mini-batches for in memory, the
    # benchmark's two fits are still the same full-batch descent.
    from skbackprop._bench import cluster as bench_cluster

    X, y = bench_cluster.make_data(MINIBATCH_SAMPLES, 12, 3)
    params = dict(bench_cluster.FIT_PARAMS, n_hidden=4, max_iter=2)
    expected = TwoLayerClassifier(**params).fit(X, y)
    assert_same_model(expected, TwoLayerClassifier(**params).fit(*_dask(X, y, 2500)))


def test_benchmark_runs_the_dask_case_when_named(capsys):
    from skbackprop.__main__ import main

    assert main(["bench", "dask", "--quick", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "LocalCluster of 2 worker processes" in out
    assert "one loss-and-gradient evaluation, by number of chunks" in out
    assert "communication dominates" in out


def test_the_example_of_the_docs_runs():
    import subprocess
    import sys

    script = ROOT / "docs" / "dask_local_cluster.py"
    out = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.splitlines()
    assert out[0] == "ndarray (20, 8)"
    assert out[2] == "Array (40000, 2) (8, 1)"
    assert float(out[3].split()[-1]) > 0.9
