"""A fit leaves the process as it found it: BLAS's thread counts, and its threads.

While the chunk threads of a pass run, BLAS is limited to one thread in the
whole process (`skbackprop._engine.workspace`). After fits return, whichever threads
they ran in (the main thread, joblib's threading backend, threads started
together, a dask worker's threads) and also when they raise, every library's
thread count is the one before. And no thread a fit starts is alive after it
returns.

The data make passes of several chunks and threads (digits four times over, 128
hidden units);
the `passes` fixture records the chunks as they run, so each test checks that it
saw chunk threads and BLAS at one thread, and cannot pass for want of them.
"""

import threading
from functools import partial

import numpy as np
import pytest
from _blas_threads import blas_threads, set_blas_threads
from _helpers import run_together
from _optional import require
from joblib import parallel_config
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skbackprop import TwoLayerClassifier
from skbackprop._engine import network as _network
from skbackprop._engine import workspace as _workspace

# warnings.catch_warnings is not thread-safe: filter for the whole module.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = {
    "gd": {},
    "lbfgs": {},
    "adam": {"batch_size": 3600},  # two mini-batches of several chunks each
}
H = 128  # hidden units: work for more than one thread in every pass


@pytest.fixture(scope="module")
def digits4():
    """Standardized digits four times over: 7188 rows, 64 features, 10 classes."""
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return np.tile(X, (4, 1)), np.tile(y, 4)


def _estimator(solver="gd", **params):
    return TwoLayerClassifier(
        n_hidden=H, max_iter=5, solver=solver, random_state=0, **SOLVERS[solver]
    ).set_params(**params)


def test_the_data_make_passes_of_several_chunks(digits4, blas_start):
    X, _ = digits4
    layout = _network.Layout(X.shape[1], H, 10)
    assert len(_workspace.chunk_bounds(X.shape[0], layout)) == _workspace.MAX_CHUNKS
    assert len(_workspace.chunk_bounds(3600, layout)) > 1
    for n in (X.shape[0], 3600):
        assert _workspace.threads_for(n * _workspace.flops_per_row(layout)) > 1


# --------------------------------------------------------------------------------------
# Observing the passes
# --------------------------------------------------------------------------------------
class Injected(Exception):
    """The failure a test makes a chunk raise."""


class Passes:
    """What the chunks of the multi-chunk passes saw: threads, BLAS thread counts.

    ``fail_at = k`` makes the second chunk of the k-th pass of every workspace
    raise `Injected`, in a chunk thread when there are several.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.workspaces = []  # those with more than one chunk
        self.count = {}  # passes per workspace
        self.threads = set()  # the threads that ran chunks
        self.blas = set()  # BLAS thread counts inside the chunks
        self.fail_at = None

    def chunk_threads(self):
        return {t for t in self.threads if t.name.startswith("skbackprop")}

    def assert_threads_from(self, count):
        """Assert that every workspace counted its chunk threads from BLAS's count
        ``count``, and that BLAS ran on one thread inside every chunk."""
        assert self.workspaces
        for work in self.workspaces:
            flops = work.n_samples * _workspace.flops_per_row(work.layout)
            share = flops // _workspace.THREAD_FLOPS  # a thread per share of work
            assert work.threads == max(1, min(count, len(work.chunks), share))
        assert self.blas == {(1,) * len(blas_threads())}


@pytest.fixture
def passes(monkeypatch):
    """Record every multi-chunk `Workspace.run` of the test (see `Passes`)."""
    seen = Passes()
    run = _workspace.Workspace.run
    libs = _workspace.blas_controller().lib_controllers

    def recording_run(work, chunk, out, n_samples):
        if len(work.chunks) == 1:
            return run(work, chunk, out, n_samples)
        with seen.lock:
            if work not in seen.count:
                seen.workspaces.append(work)
                seen.count[work] = 0
            seen.count[work] += 1
            failing = seen.count[work] == seen.fail_at

        def recorded(start, stop, grad, slot):
            with seen.lock:
                seen.threads.add(threading.current_thread())
                seen.blas.add(tuple(lib.num_threads for lib in libs))
            if failing and start == work.chunks[1][0]:
                raise Injected
            return chunk(start, stop, grad, slot)

        return run(work, recorded, out, n_samples)

    monkeypatch.setattr(_workspace.Workspace, "run", recording_run)
    return seen


def _thread_counts():
    """Every library's thread count, as threadpoolctl reports it."""
    return {
        (lib["filepath"], lib["user_api"]): lib["num_threads"]
        for lib in threadpool_info()
    }


@pytest.fixture(params=[2, 3])
def blas_start(request):
    """Every BLAS library at ``request.param`` threads for the test, then as before.

    More than one thread, so that limiting BLAS to one changes something, whatever
    the machine.
    """
    before = blas_threads()
    set_blas_threads([request.param] * len(before))
    assert blas_threads() == [request.param] * len(before)
    yield request.param
    set_blas_threads(before)


# --------------------------------------------------------------------------------------
# BLAS's thread counts
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("limits", [None, 1, 3])
@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_in_the_main_thread_leaves_blas_as_found(digits4, passes, solver, limits):
    X, y = digits4
    found = _thread_counts()
    with threadpool_limits(limits=limits, user_api="blas"):
        before = _thread_counts()
        _estimator(solver).fit(X, y)
        assert _thread_counts() == before
    assert _thread_counts() == found
    passes.assert_threads_from(limits or max(blas_threads()))


def test_fits_in_joblib_threads_leave_blas_as_found(digits4, passes, blas_start):
    # GridSearchCV in joblib's threading backend: two fits at a time.
    X, y = digits4
    before = _thread_counts()
    search = GridSearchCV(_estimator(), {"n_hidden": [H, 192]}, cv=2, n_jobs=2)
    with parallel_config(backend="threading"):
        search.fit(X, y)
    assert _thread_counts() == before
    passes.assert_threads_from(blas_start)


@pytest.mark.parametrize("n_threads", [2, 4])
def test_fits_in_threads_started_together_leave_blas_as_found(
    digits4, passes, blas_start, n_threads
):
    X, y = digits4
    before = _thread_counts()
    estimators = [_estimator(max_iter=10, random_state=i) for i in range(n_threads)]
    _, errors = run_together([partial(e.fit, X, y) for e in estimators])
    assert not errors, errors
    assert _thread_counts() == before
    assert len(passes.workspaces) == n_threads
    # Also the fits that start while another holds BLAS at one thread.
    passes.assert_threads_from(blas_start)


def test_fits_on_a_dask_worker_leave_blas_as_found(digits4, passes, blas_start):
    distributed = require("distributed")
    X, y = digits4
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        before = client.run(_thread_counts)
        futures = [
            client.submit(_estimator(max_iter=10, random_state=i).fit, X, y, pure=False)
            for i in range(4)
        ]
        fitted = client.gather(futures)
        after = client.run(_thread_counts)
    assert after == before
    assert all(hasattr(estimator, "coefs_") for estimator in fitted)
    assert len(passes.workspaces) == 4
    passes.assert_threads_from(blas_start)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_failing_fits_leave_blas_as_found(digits4, passes, blas_start, n_threads):
    X, y = digits4
    before = _thread_counts()
    passes.fail_at = 3
    estimators = [_estimator(max_iter=10, random_state=i) for i in range(n_threads)]
    _, errors = run_together([partial(e.fit, X, y) for e in estimators])
    assert [type(error) for error in errors] == [Injected] * n_threads
    assert _thread_counts() == before
    assert list(passes.count.values()) == [3] * n_threads
    passes.assert_threads_from(blas_start)


def test_workspace_made_during_a_pass_counts_the_blas_threads_found(blas_start):
    # A fit that starts while another fit's pass holds BLAS at one thread.
    layout = _network.Layout(64, 64, 10)
    n = 28752  # work for 8 threads
    seen = []

    def chunk(start, stop, grad, slot):
        with _workspace.Workspace(layout, n, np.float64) as work:
            seen.append(work.threads)
        grad[:] = 0.0
        return 0.0

    with _workspace.Workspace(layout, n, np.float64) as outer:
        assert outer.threads == blas_start
        outer.run(chunk, np.empty(layout.size), n)
    assert seen == [blas_start] * len(outer.chunks)


# --------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------
def _new_threads(before):
    return [thread.name for thread in threading.enumerate() if thread not in before]


def _assert_chunk_threads_were_used(passes):
    # The passes ran on a pool of chunk threads, started once per workspace, not
    # once per pass.
    assert passes.workspaces
    assert passes.chunk_threads()
    assert len(passes.chunk_threads()) <= sum(w.threads for w in passes.workspaces)


@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_leaves_no_thread_running(digits4, passes, blas_start, solver):
    X, y = digits4
    before = set(threading.enumerate())
    _estimator(solver).fit(X, y)
    assert _new_threads(before) == []
    _assert_chunk_threads_were_used(passes)


@pytest.mark.parametrize("solver", ["gd", "adam"])
def test_partial_fit_leaves_no_thread_running(digits4, passes, blas_start, solver):
    X, y = digits4
    before = set(threading.enumerate())
    estimator = _estimator(solver)
    estimator.partial_fit(X, y, classes=np.unique(y))
    assert _new_threads(before) == []
    estimator.partial_fit(X, y)
    assert _new_threads(before) == []
    _assert_chunk_threads_were_used(passes)


def test_loss_gradient_leaves_no_thread_running(digits4, passes, blas_start):
    X, y = digits4
    estimator = _estimator(max_iter=1).fit(X[::20], y[::20])  # one chunk
    before = set(threading.enumerate())
    estimator.loss_gradient(X, y)
    assert _new_threads(before) == []
    _assert_chunk_threads_were_used(passes)


@pytest.mark.parametrize("solver", SOLVERS)
def test_failing_fit_leaves_no_thread_running(digits4, passes, blas_start, solver):
    X, y = digits4
    passes.fail_at = 2
    before = set(threading.enumerate())
    with pytest.raises(Injected):
        _estimator(solver).fit(X, y)
    assert _new_threads(before) == []
    _assert_chunk_threads_were_used(passes)


def test_the_callers_floating_point_settings_neither_break_nor_change(iris):
    # numpy.seterr(all="raise") is the strictest setting a caller can have: an
    # exponential that underflows to 0 in a sigmoid is no error for the
    # estimator, and the setting is as it was afterwards.
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)  # unscaled: large logits
    with np.errstate(all="raise"):
        before = np.geterr()
        clf = TwoLayerClassifier(max_iter=50, random_state=0)
        clf.fit(X, y)
        clf.partial_fit(X, y)
        for method in ["predict", "predict_proba", "predict_log_proba"]:
            getattr(clf, method)(X)
        clf.decision_function(X), clf.hidden_activations(X), clf.loss_gradient(X, y)
        assert np.geterr() == before
