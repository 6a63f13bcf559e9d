"""The regressor on dask collections: the data-parallel fit gives the model of
the fit in memory, predictions are lazy and chunked, R² is scored on dask
collections, and bad targets get the error they get in memory.

A real ``LocalCluster`` of worker processes runs the fits, as in
``test_dask_fit.py``, whose checks of the classifier these mirror. The data are
vega_datasets' cars: the fuel use and acceleration of 400 cars from their
cylinders, displacement, power, weight and year.
"""

import warnings

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

from skbackprop import TwoLayerRegressor
from skbackprop._cluster import distributed as _distributed
from skbackprop._engine.units import ACTIVATIONS

distributed = require("distributed")
da = require("dask.array")
dd = require("dask.dataframe")
pd = require("pandas")
local_data = require("vega_datasets").local_data

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXACT = 1e-8  # relative: the fits differ only in the order of summation
PARAMS = dict(n_hidden=8, max_iter=40, random_state=0)
FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Year"]
TARGETS = ["Miles_per_Gallon", "Acceleration"]


def _standardized(frame):
    return (frame - frame.mean()) / frame.std(ddof=0)


@pytest.fixture(scope="module")
def cars():
    """The cars with a known power, as a DataFrame: features and targets
    standardized, the fuel use missing for 8 of them (rows 10 to 362)."""
    frame = local_data.cars()
    frame = frame[frame["Horsepower"].notna()].reset_index(drop=True)
    frame["Year"] = frame["Year"].dt.year.astype(float)
    columns = FEATURES + TARGETS
    return _standardized(frame[columns].astype(float))


@pytest.fixture(scope="module")
def data(cars):
    """``(X, Y)`` of the cars whose fuel use is known: 392 rows; ``Y`` of two
    columns, fuel use and acceleration."""
    known = cars.dropna()
    return known[FEATURES].to_numpy(), known[TARGETS].to_numpy()


def targets(Y, width):
    """The fuel use (1-D), or both targets."""
    return Y[:, 0] if width == 1 else Y


def _dask(X, y, rows=100):
    return (
        da.from_array(X, chunks=(rows, X.shape[1])),
        da.from_array(y, chunks=(rows,) + y.shape[1:]),
    )


def _relative_error(a, b):
    return max(
        np.max(np.abs(p - q)) / max(np.max(np.abs(p)), np.finfo(p.dtype).tiny)
        for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)
    )


def assert_same_model(expected, got, rtol=EXACT):
    assert got.n_iter_ == expected.n_iter_
    assert_allclose(got.loss_curve_, expected.loss_curve_, rtol=rtol)
    assert _relative_error(expected, got) <= rtol
    assert got.n_outputs_ == expected.n_outputs_
    assert got.out_activation_ == "identity"
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
@pytest.mark.parametrize("width", [1, 2])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_fit_is_the_in_memory_fit(client, data, solver, activation, width):
    X, Y = data
    y = targets(Y, width)
    params = dict(PARAMS, solver=solver, activation=activation)
    expected = TwoLayerRegressor(**params).fit(X, y)
    with distributed.get_task_stream(client) as tasks:
        got = TwoLayerRegressor(**params).fit(*_dask(X, y))

    assert_same_model(expected, got)
    assert got.predict(X).shape == y.shape
    # the loss and gradient of the chunks were computed on both workers
    workers = {
        task["worker"]
        for task in tasks.data
        if str(task["key"]).startswith("skbackprop-part_loss_gradient")
    }
    assert workers == set(client.scheduler_info()["workers"])


def test_the_fit_learns(client, data):
    """What the equal models above learn, on a random quarter of the cars held
    out: R² of 0.80 over both targets (0.86 for fuel use), where a linear
    model reaches 0.73."""
    X, Y = data
    X_train, X_test, Y_train, Y_test = train_test_split(
        X, Y, test_size=0.25, random_state=0
    )
    reg = TwoLayerRegressor(random_state=0).fit(*_dask(X_train, Y_train))
    linear = LinearRegression().fit(X_train, Y_train).score(X_test, Y_test)
    assert reg.score(X_test, Y_test) > max(0.75, linear + 0.05)


@pytest.mark.parametrize("width", [1, 2])
def test_dataframes_and_series(client, cars, data, width):
    X, Y = data
    frame = pd.DataFrame(X, columns=FEATURES)
    y = pd.Series(Y[:, 0], name=TARGETS[0]) if width == 1 else pd.DataFrame(
        Y, columns=TARGETS
    )  # fmt: skip
    expected = TwoLayerRegressor(**PARAMS).fit(frame, y)

    got = TwoLayerRegressor(**PARAMS).fit(
        dd.from_pandas(frame, npartitions=4), dd.from_pandas(y, npartitions=4)
    )
    assert_same_model(expected, got)
    assert_array_equal(got.feature_names_in_, FEATURES)
    # y in memory is cut into the partitions of X
    in_memory_y = TwoLayerRegressor(**PARAMS).fit(
        dd.from_pandas(frame, npartitions=3), y
    )
    assert_same_model(expected, in_memory_y)


def test_targets_chunked_otherwise_are_rechunked_like_X(client, data):
    X, Y = data
    expected = TwoLayerRegressor(**PARAMS).fit(X, Y)
    got = TwoLayerRegressor(**PARAMS).fit(
        da.from_array(X, chunks=(150, 2)), da.from_array(Y, chunks=(100, 1))
    )
    assert_same_model(expected, got)


@pytest.mark.parametrize("width", [1, 2])
def test_sample_weight(client, data, width):
    X, Y = data
    y = targets(Y, width)
    sample_weight = np.random.RandomState(0).uniform(0, 3, len(y))
    expected = TwoLayerRegressor(**PARAMS).fit(X, y, sample_weight)
    got = TwoLayerRegressor(**PARAMS).fit(
        *_dask(X, y), da.from_array(sample_weight, chunks=100)
    )
    assert_same_model(expected, got)
    unweighted = TwoLayerRegressor(**PARAMS).fit(X, y)
    assert _relative_error(unweighted, got) > 1e-3  # the weights counted


def test_float32_stays_float32(client, data):
    X, Y = data
    X, Y = X.astype(np.float32), Y.astype(np.float32)
    expected = TwoLayerRegressor(**PARAMS).fit(X, Y)
    got = TwoLayerRegressor(**PARAMS).fit(*_dask(X, Y))
    assert got.coefs_[0].dtype == np.float32
    assert got.predict(X).dtype == np.float32
    assert_same_model(expected, got, rtol=1e-4)  # float32 sums in another order


def _warnings_of(model, X, y):
    """The warnings of ``model.fit(X, y)``: their categories and messages."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(X, y)
    return [(w.category, str(w.message)) for w in record]


@pytest.mark.parametrize(
    "scale", [lambda Y: 150 + 75 * Y, lambda Y: 0.05 * Y], ids=["large", "small"]
)
def test_targets_far_from_unit_scale_get_the_in_memory_warning(client, data, scale):
    # The scale of each target column comes from the parts' sums: the same
    # warning, naming the same column, as in memory (a ConvergenceWarning's
    # advice with max_iter=5, a UserWarning of its own when the fit settles).
    X, Y = data
    Y = np.c_[Y[:, 1], scale(Y[:, 0])]
    for max_iter in (5, 200):
        params = dict(PARAMS, max_iter=max_iter)
        expected = _warnings_of(TwoLayerRegressor(**params), X, Y)
        got = _warnings_of(TwoLayerRegressor(**params), *_dask(X, Y))
        assert got == expected
        assert any("scale y" in message.lower() and "its column 1" in message
                   for _, message in got)  # fmt: skip


def test_warm_start_continues_as_in_memory(client, data):
    X, Y = data
    params = dict(PARAMS, max_iter=15, warm_start=True)
    expected = TwoLayerRegressor(**params).fit(X, Y).fit(X, Y)
    got = TwoLayerRegressor(**params)
    got.fit(*_dask(X, Y)).fit(*_dask(X, Y))
    assert got.n_iter_ == 15 and len(got.loss_curve_) == 30
    assert_same_model(expected, got)


def test_a_warm_start_on_other_targets_gets_the_in_memory_error(client, data):
    X, Y = data
    params = dict(PARAMS, max_iter=5, warm_start=True)
    with pytest.raises(ValueError) as in_memory:
        TwoLayerRegressor(**params).fit(X, Y).fit(X, Y[:, 0])
    reg = TwoLayerRegressor(**params).fit(*_dask(X, Y))
    before = [W.copy() for W in reg.coefs_]
    with pytest.raises(ValueError) as on_dask:
        reg.fit(*_dask(X, Y[:, 0]))
    assert str(on_dask.value) == str(in_memory.value)
    assert "y has 1 target column(s), but the fitted model has 2" in str(on_dask.value)
    for got, expected in zip(reg.coefs_, before, strict=True):
        assert_array_equal(got, expected)


# --------------------------------------------------------------------------------------
# Early stopping
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("scoring", ["loss", None, "neg_mean_absolute_error"])
@pytest.mark.parametrize("width", [1, 2])
def test_dask_validation_set(client, data, width, scoring):
    X, Y = data
    y = targets(Y, width)
    params = dict(PARAMS, scoring=scoring, n_iter_no_change=3)
    expected = TwoLayerRegressor(**params).fit(
        X[:300], y[:300], X_val=X[300:], y_val=y[300:]
    )
    X_val, y_val = _dask(X[300:], y[300:], rows=50)
    got = TwoLayerRegressor(**params).fit(
        *_dask(X[:300], y[:300]), X_val=X_val, y_val=y_val
    )

    assert_same_model(expected, got)
    assert_allclose(got.validation_scores_, expected.validation_scores_, rtol=EXACT)
    assert got.best_validation_score_ == pytest.approx(
        expected.best_validation_score_, rel=EXACT
    )
    if scoring is None:  # the regressor's score: R²
        assert got.best_validation_score_ == pytest.approx(
            got.score(X[300:], y[300:]), rel=EXACT
        )


def _row_ids(X):
    """The rows of ``X``, whose last column is the row index."""
    return np.rint(X[:, -1]).astype(int)


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


@pytest.mark.parametrize("scoring", ["loss", "r2", None])
@pytest.mark.parametrize("width", [1, 2])
def test_early_stopping_holds_out_on_the_cluster(
    client, data, recorded_hold_out, width, scoring
):
    """The hold-out is a plain random draw of ceil(fraction * n) rows, from
    every chunk; the fit is the in-memory fit on the other rows validated on
    these, by the loss or by a scorer of the held-out rows."""
    X, Y = data
    X = np.c_[X, np.arange(len(X))]  # the row index, to recognise held-out rows
    y = targets(Y, width)
    params = dict(
        PARAMS, max_iter=15, early_stopping=True, validation_fraction=0.15,
        scoring=scoring,
    )  # fmt: skip
    got = TwoLayerRegressor(**params).fit(*_dask(X, y))
    (held,) = recorded_hold_out

    assert len(held) == len(set(held)) == np.ceil(0.15 * len(y))
    assert len(set(held // 100)) == 4
    train, held = np.setdiff1d(np.arange(len(y)), held), np.sort(held)
    expected = TwoLayerRegressor(**dict(params, early_stopping=False)).fit(
        X[train], y[train], X_val=X[held], y_val=y[held]
    )
    assert_same_model(expected, got)
    assert_allclose(got.validation_scores_, expected.validation_scores_, rtol=EXACT)
    assert got.t_ == got.n_iter_ * len(train)


# --------------------------------------------------------------------------------------
# Prediction and score, chunk by chunk
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["predict", "hidden_activations"])
@pytest.mark.parametrize("width", [1, 2])
def test_prediction_is_lazy_and_chunked(client, data, width, method):
    X, Y = data
    reg = TwoLayerRegressor(**PARAMS).fit(X, targets(Y, width))

    got = getattr(reg, method)(da.from_array(X, chunks=(100, 3)))

    assert isinstance(got, da.Array)
    assert got.numblocks[0] == 4
    expected = getattr(reg, method)(X)
    assert got.shape == expected.shape and got.dtype == expected.dtype  # declared
    computed = got.compute()
    assert computed.shape == expected.shape and computed.dtype == expected.dtype
    assert_allclose(computed, expected, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [1, 2])
def test_prediction_on_a_dataframe(client, data, width, dtype):
    """Columns and type declared before the rows are known; partitions that a
    filter emptied predict as no rows."""
    X, Y = data
    frame = pd.DataFrame(X.astype(dtype), columns=FEATURES)
    reg = TwoLayerRegressor(**PARAMS).fit(frame, targets(Y, width))
    partitions = dd.from_pandas(frame, npartitions=4)
    kept = partitions[partitions["Year"] > 0.1]  # the cars are sorted by year

    for given, rows in [(partitions, frame), (kept, frame[frame["Year"] > 0.1])]:
        got = reg.predict(given)
        expected = reg.predict(rows)
        assert isinstance(got, da.Array)
        assert got.shape[1:] == expected.shape[1:] and got.dtype == expected.dtype
        assert_allclose(got.compute(), expected, rtol=1e-6)
    assert kept.map_partitions(len).compute().min() == 0  # an emptied partition


def test_prediction_on_a_dataframe_checks_feature_names(client, data):
    X, Y = data
    reg = TwoLayerRegressor(**PARAMS).fit(pd.DataFrame(X, columns=FEATURES), Y)
    renamed = dd.from_pandas(pd.DataFrame(X, columns=FEATURES[::-1]), npartitions=2)
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(renamed)
    with pytest.raises(ValueError, match="features, but TwoLayerRegressor"):
        reg.predict(da.from_array(X[:, :3]))  # checked now, not when computed


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("form", ["dataframe", "array", "y in memory"])
@pytest.mark.parametrize("width", [1, 2])
def test_r2_on_dask_collections(client, data, width, form, weighted):
    X, Y = data
    y = targets(Y, width)
    reg = TwoLayerRegressor(**PARAMS).fit(X[:250], y[:250])
    w = np.random.default_rng(0).uniform(0.5, 2, len(y)) if weighted else None
    expected = reg.score(X, y, w)
    assert 0.3 < expected < 1  # an R² of a model, not of a constant
    if form == "array":
        args = _dask(X, y) + (None if w is None else da.from_array(w, chunks=100),)
    else:  # a DataFrame's chunks have unknown row counts
        frame = dd.from_pandas(pd.DataFrame(X), npartitions=3)
        values = dd.from_pandas(pd.DataFrame(y).squeeze(axis=1), npartitions=3)
        weights = None if w is None else dd.from_pandas(pd.Series(w), npartitions=3)
        args = (frame, y, w) if form == "y in memory" else (frame, values, weights)

    assert reg.score(*args) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------
def _target_forms(cars, name):
    """The fuel use with its missing values as ``y`` of each form, in memory
    and on dask (chunks of 100 rows: the missing ones in the first and the
    last), and the cars' features."""
    X = cars[FEATURES].to_numpy()
    fuel, both = cars[TARGETS[0]], cars[TARGETS]
    forms = {
        "array": (fuel.to_numpy(), da.from_array(fuel.to_numpy(), chunks=100)),
        "matrix": (both.to_numpy(), da.from_array(both.to_numpy(), chunks=(100, 2))),
        "series": (fuel, dd.from_pandas(fuel, npartitions=4)),
        "dataframe": (both, dd.from_pandas(both, npartitions=4)),
        "series in memory": (fuel, fuel),
    }
    return X, forms[name]


@pytest.mark.parametrize(
    "form", ["array", "matrix", "series", "dataframe", "series in memory"]
)
def test_a_missing_target_gets_the_in_memory_error(client, cars, form):
    """The first row and the count of all chunks, and the column's name."""
    X, (y, y_dask) = _target_forms(cars, form)
    with pytest.raises(ValueError) as in_memory:
        TwoLayerRegressor(**PARAMS).fit(X, y)
    reg = TwoLayerRegressor(**PARAMS).fit(*_dask(X[:300], X[:300, :2]))
    before = dict(vars(reg))

    with pytest.raises(ValueError) as on_dask:
        reg.fit(da.from_array(X, chunks=(100, 5)), y_dask)

    assert str(on_dask.value) == str(in_memory.value)
    message = str(on_dask.value)
    assert "holds NaN in 8 row(s), the first at row 10:" in message
    named = {
        "array": "y holds",
        "matrix": "y in column 0 holds",
        "series": "y ('Miles_per_Gallon') holds",
        "dataframe": "y in column 'Miles_per_Gallon' holds",
        "series in memory": "y ('Miles_per_Gallon') holds",
    }
    assert message.startswith(named[form])
    assert vars(reg).keys() == before.keys()
    assert all(vars(reg)[name] is value for name, value in before.items())


def test_an_infinite_target_in_a_later_column_and_chunk(client, data):
    X, Y = data
    Y = Y.copy()
    Y[[250, 390], 1] = np.inf
    frame = pd.DataFrame(Y, columns=TARGETS)
    with pytest.raises(ValueError) as in_memory:
        TwoLayerRegressor(**PARAMS).fit(X, frame)
    with pytest.raises(ValueError) as on_dask:
        TwoLayerRegressor(**PARAMS).fit(
            da.from_array(X, chunks=(100, 5)), dd.from_pandas(frame, npartitions=4)
        )
    assert str(on_dask.value) == str(in_memory.value)
    assert str(on_dask.value).startswith(
        "y in column 'Acceleration' holds infinity in 2 row(s), the first at row 250:"
    )


def test_a_missing_validation_target_gets_the_in_memory_error(client, cars):
    X, (y, y_dask) = _target_forms(cars, "series")
    train = np.flatnonzero(y.notna())[:200]
    with pytest.raises(ValueError) as in_memory:
        TwoLayerRegressor(**PARAMS).fit(X[train], y.iloc[train], X_val=X, y_val=y)
    with pytest.raises(ValueError) as on_dask:
        TwoLayerRegressor(**PARAMS).fit(
            *_dask(X[train], y.iloc[train].to_numpy()),
            X_val=da.from_array(X, chunks=(100, 5)),
            y_val=y_dask,
        )
    assert str(on_dask.value) == str(in_memory.value)
    assert str(on_dask.value).startswith("y_val ('Miles_per_Gallon') holds NaN")


def test_class_labels_are_refused_as_in_memory(client, data):
    X, _ = data
    labels = np.where(X[:, 0] > 0, "many", "few")
    with pytest.raises(ValueError) as in_memory:
        TwoLayerRegressor(**PARAMS).fit(X, labels)
    with pytest.raises(ValueError) as on_dask:
        TwoLayerRegressor(**PARAMS).fit(*_dask(X, labels))
    assert str(on_dask.value) == str(in_memory.value)
    assert "For class labels use TwoLayerClassifier" in str(on_dask.value)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_solvers_point_to_incremental_with_the_regressor(
    client, data, solver
):
    X, Y = data
    with pytest.raises(ValueError) as info:
        TwoLayerRegressor(solver=solver).fit(*_dask(X, Y))
    message = str(info.value)
    assert f"dask_ml.wrappers.Incremental(TwoLayerRegressor(solver='{solver}'))" in (
        message
    )
    assert "solver='gd' or 'lbfgs'" in message


@pytest.mark.parametrize("solver", ["sgd", "gd"])
def test_incremental_trains_the_regressor_chunk_by_chunk(client, data, solver):
    """Where the error above points: dask-ml's Incremental calls partial_fit
    on the chunks in order, as by hand. (It takes 1-D targets only: it finds
    the chunks of y by their row alone.)"""
    dask_ml_wrappers = require("dask_ml.wrappers")
    X, Y = data
    y = Y[:, 0]
    net = TwoLayerRegressor(n_hidden=8, solver=solver, batch_size=20, random_state=0)
    incremental = dask_ml_wrappers.Incremental(net, shuffle_blocks=False)
    for _ in range(3):
        incremental.partial_fit(*_dask(X[:300], y[:300]))

    by_hand = clone(net)
    for _ in range(3):
        for start in range(0, 300, 100):
            by_hand.partial_fit(X[start : start + 100], y[start : start + 100])
    trained = incremental.estimator_
    assert trained.n_iter_ == 9
    for got, expected in zip(
        trained.coefs_ + trained.intercepts_,
        by_hand.coefs_ + by_hand.intercepts_,
        strict=True,
    ):
        assert_array_equal(got, expected)
    r2 = trained.score(*_dask(X[300:], y[300:]))  # R² on dask collections
    assert r2 == pytest.approx(by_hand.score(X[300:], y[300:]), rel=1e-12)
