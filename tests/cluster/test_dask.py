"""Scale-out on dask.distributed: grid search on a cluster, incremental training.

A real ``LocalCluster`` of worker processes runs the searches. CI installs the
``dask`` extra and sets SKBACKPROP_REQUIRE_OPTIONAL=1, so these tests run there.
"""

import re

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier
from skbackprop.__main__ import main

distributed = require("distributed")
dask_array = require("dask.array")
dask_ml_wrappers = require("dask_ml.wrappers")
joblib = require("joblib")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _search(n_jobs):
    pipe = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    grid = {
        "twolayerclassifier__learning_rate": [0.5, 2.0],
        "twolayerclassifier__n_hidden": [4, 16],
    }
    return GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs)


def test_grid_search_on_a_cluster_matches_one_process(client, digits_split):
    X_train, _, y_train, _ = digits_split
    X, y = X_train[:600], y_train[:600]
    local = _search(n_jobs=1).fit(X, y)

    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        remote = _search(n_jobs=None).fit(X, y)

    # The fits ran on the cluster's worker processes, not here.
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in tasks.data} == workers
    assert remote.best_params_ == local.best_params_
    assert remote.best_score_ == local.best_score_
    for split in range(3):
        key = f"split{split}_test_score"
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert_array_equal(
        remote.cv_results_["rank_test_score"], local.cv_results_["rank_test_score"]
    )
    assert_array_equal(
        remote.best_estimator_[-1].coefs_[0], local.best_estimator_[-1].coefs_[0]
    )


def _cv_rows(out):
    """(rank, learning_rate, n_hidden, mean, std) of the printed CV table."""
    return re.findall(r"^\s*(\d)\s+(\S+)\s+(\d+)\s+([\d.]+) ± ([\d.]+)", out, re.M)


def _held_out(out):
    return re.search(r"Held-out accuracy: .*", out).group(0)


CLI_GRID = ["--learning-rate", "0.5", "2", "--n-hidden", "4", "16", "--cv", "3"]


@pytest.fixture(scope="module")
def one_process_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("one")
    return _run_cli([*CLI_GRID, "--output", str(out_dir)])


def _run_cli(argv):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    assert status == 0
    return out.getvalue()


def test_command_line_on_an_existing_scheduler(client, one_process_run, tmp_path):
    address = client.scheduler.address
    out = _run_cli([*CLI_GRID, "--scheduler", address, "--output", str(tmp_path)])

    assert f"dask: 2 worker(s) at {address}" in out
    assert _cv_rows(out) == _cv_rows(one_process_run)
    assert _held_out(out) == _held_out(one_process_run)


def test_command_line_starts_a_local_cluster(one_process_run, tmp_path):
    out = _run_cli([*CLI_GRID, "--dask-local", "2", "--output", str(tmp_path)])

    assert re.search(r"dask: 2 worker\(s\) at tcp://127\.0\.0\.1:\d+", out)
    assert _cv_rows(out) == _cv_rows(one_process_run)
    assert _held_out(out) == _held_out(one_process_run)


def test_unreachable_scheduler_is_a_one_line_error(capsys):
    status = main([*CLI_GRID, "--scheduler", "tcp://127.0.0.1:1"])
    assert status == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "cannot reach the dask scheduler tcp://127.0.0.1:1" in err[0]


def test_incremental_trains_through_partial_fit_on_chunks(client, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    chunk, epochs = 250, 30
    classes = np.unique(y_train)
    net = TwoLayerClassifier(n_hidden=32, learning_rate=1.0, random_state=0)
    X = dask_array.from_array(X_train, chunks=(chunk, X_train.shape[1]))
    y = dask_array.from_array(y_train, chunks=chunk)
    assert X.numblocks[0] == 6

    incremental = dask_ml_wrappers.Incremental(
        net, scoring="accuracy", shuffle_blocks=False
    )
    for _ in range(epochs):
        incremental.partial_fit(X, y, classes=classes)

    # The same steps by hand: one partial_fit per chunk, in order.
    by_hand = clone(net)
    for _ in range(epochs):
        for start in range(0, len(X_train), chunk):
            stop = start + chunk
            by_hand.partial_fit(
                X_train[start:stop], y_train[start:stop], classes=classes
            )

    trained = incremental.estimator_
    assert trained.n_iter_ == epochs * 6
    for got, expected in zip(
        trained.coefs_ + trained.intercepts_,
        by_hand.coefs_ + by_hand.intercepts_,
        strict=True,
    ):
        assert_array_equal(got, expected)
    X_test_dask = dask_array.from_array(X_test, chunks=(100, X_test.shape[1]))
    y_test_dask = dask_array.from_array(y_test, chunks=100)
    accuracy = incremental.score(X_test_dask, y_test_dask)
    assert accuracy == by_hand.score(X_test, y_test)
    assert accuracy > 0.9
    assert_array_equal(
        incremental.predict(X_test_dask).compute(), by_hand.predict(X_test)
    )


def test_incremental_fit_with_shuffled_blocks_learns(client, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    X = dask_array.from_array(X_train, chunks=(200, X_train.shape[1]))
    y = dask_array.from_array(y_train, chunks=200)
    incremental = dask_ml_wrappers.Incremental(
        TwoLayerClassifier(n_hidden=16, learning_rate=1.0, random_state=0),
        random_state=0,
    )
    incremental.fit(X, y, classes=np.unique(y_train))
    first_pass = incremental.estimator_.loss_curve_
    for _ in range(9):
        incremental.partial_fit(X, y, classes=np.unique(y_train))

    curve = incremental.estimator_.loss_curve_
    assert len(curve) == 10 * X.numblocks[0]
    assert curve[: len(first_pass)] == first_pass
    assert np.mean(curve[-7:]) < 0.5 * np.mean(curve[:7])
    assert incremental.score(X_test, y_test) > 0.85
