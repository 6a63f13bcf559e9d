"""How many threads a computation runs on, and BLAS's threads inside it.

`_workspace.threads_for` decides: a thread per share of work, at most one per
chunk and at most as many as BLAS may use, and BLAS on one thread inside every
pass -- also a pass on the calling thread alone, where BLAS's own threads would
synchronise at every small product. A prediction too small for a second thread
runs on one BLAS thread too; a larger one keeps BLAS's count. Every count is
restored exactly, library by library, and a limit the user sets with
threadpoolctl is respected.

The tests record BLAS's thread counts inside the computations they watch; none
times anything.
"""

import sys
import threading

import numpy as np
import pytest
from _blas_threads import blas_threads, set_blas_threads
from _helpers import PREDICTION_METHODS, run_together
from threadpoolctl import threadpool_limits

from skbackprop import TwoLayerClassifier
from skbackprop._engine import backprop as _backprop
from skbackprop._engine import network as _network
from skbackprop._engine import units as _units
from skbackprop._engine import workspace as _workspace

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def blas_found():
    """BLAS's libraries at 2, 3, ... threads (a different count each, so that a
    restore that mixed them up is seen), then as before."""
    before = blas_threads()
    counts = [2 + i for i in range(len(before))]
    set_blas_threads(counts)
    assert blas_threads() == counts
    yield counts
    set_blas_threads(before)


class Recorder:
    """BLAS's thread counts seen inside the calls of a patched function."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []

    def wrap(self, function):
        def recorded(*args, **kwargs):
            with self.lock:
                self.seen.append(tuple(blas_threads()))
            return function(*args, **kwargs)

        return recorded


@pytest.fixture
def in_blocks(monkeypatch):
    """The BLAS counts inside every block of every training pass."""
    recorder = Recorder()
    block = _backprop._block_loss_gradient
    monkeypatch.setattr(_backprop, "_block_loss_gradient", recorder.wrap(block))
    return recorder


@pytest.fixture
def in_forward(monkeypatch):
    """The BLAS counts inside every prediction's forward pass."""
    recorder = Recorder()
    for name in ("forward", "hidden", "loss"):
        function = getattr(_network, name)
        monkeypatch.setattr(_network, name, recorder.wrap(function))
    # the logits: of a block or less by the plain forward pass, of more rows
    # block by block (each block's hidden units, a row of the table)
    monkeypatch.setattr(_backprop, "forward", recorder.wrap(_backprop.forward))
    for name, row in _units.ACTIVATIONS.items():
        wrapped = row._replace(function=recorder.wrap(row.function))
        monkeypatch.setitem(_units.ACTIVATIONS, name, wrapped)
    return recorder


# --------------------------------------------------------------------------------------
# The decision
# --------------------------------------------------------------------------------------
def test_small_work_runs_on_one_thread(blas_found):
    small = _workspace.THREAD_FLOPS - 1
    assert _workspace.threads_for(small) == 1
    assert _workspace.threads_for(small, chunks=_workspace.MAX_CHUNKS) == 1


def test_larger_work_runs_on_a_thread_per_share_up_to_blas_threads(blas_found):
    flops = _workspace.THREAD_FLOPS
    assert _workspace.threads_for(2 * flops) == 2
    assert _workspace.threads_for(100 * flops) == max(blas_found)
    # never more threads than chunks
    assert _workspace.threads_for(100 * flops, chunks=2) == 2
    assert _workspace.threads_for(100 * flops, chunks=1) == 1


def test_sparse_work_is_counted_at_the_rate_of_sparse_products():
    # TF-IDF-like X, 4000 x 20000 with 100 stored entries a row: its products
    # are a tenth of the dense ones' operations, but take most of their time,
    # so the pass gets the threads a dense pass of about that time gets.
    layout = _network.Layout(20000, 64, 4)
    dense_like = _network.Layout(1000, 64, 4)  # as many operations a row
    with threadpool_limits(limits=2, user_api="blas"):
        sparse = _workspace.Workspace(layout, 4000, np.float64, row_nonzeros=100)
        dense = _workspace.Workspace(dense_like, 4000, np.float64)
        assert sparse.threads == dense.threads == 2
        assert len(sparse.chunks) == len(dense.chunks) > 1
        # with as few entries as a dense row of 100 features, one thread
        few = _workspace.Workspace(layout, 4000, np.float64, row_nonzeros=10)
        assert few.threads == 1


@pytest.mark.parametrize("limit", [1, 3])
def test_a_users_threadpool_limit_is_respected(limit):
    large = 100 * _workspace.THREAD_FLOPS
    with threadpool_limits(limits=limit, user_api="blas"):
        assert _workspace.threads_for(large) == limit
        layout = _network.Layout(64, 64, 10)
        with _workspace.Workspace(layout, 20000, np.float64) as work:
            assert work.threads == limit


def test_the_workspace_takes_its_threads_from_the_decision(blas_found):
    layout = _network.Layout(64, 64, 10)
    for n in (100, 2000, 8000, 20000):
        with _workspace.Workspace(layout, n, np.float64) as work:
            flops = n * _workspace.flops_per_row(layout)
            assert work.threads == _workspace.threads_for(flops, len(work.chunks))
    with _workspace.Workspace(layout, 2000, np.float64) as work:
        assert len(work.chunks) > 1 and work.threads == 1  # chunks, one thread
    with _workspace.Workspace(layout, 20000, np.float64) as work:
        assert work.threads == max(blas_found)


# --------------------------------------------------------------------------------------
# BLAS on one thread inside the passes, restored exactly after
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "gd"},
        {"solver": "lbfgs"},
        {"solver": "sgd", "batch_size": 100},
        {"solver": "adam", "batch_size": 100},
    ],
    ids=lambda params: params["solver"],
)
def test_small_passes_run_blas_on_one_thread(digits, in_blocks, blas_found, params):
    X, y = digits
    layout = _network.Layout(64, 64, 10)
    flops = len(X) * _workspace.flops_per_row(layout)
    assert _workspace.threads_for(flops) == 1  # what is tested
    TwoLayerClassifier(n_hidden=64, max_iter=3, random_state=0, **params).fit(X, y)
    assert in_blocks.seen
    assert set(in_blocks.seen) == {(1,) * len(blas_found)}
    assert blas_threads() == blas_found


def test_a_failing_small_pass_restores_blas(digits, monkeypatch, blas_found):
    X, y = digits

    def fail(*args, **kwargs):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(_backprop, "_block_loss_gradient", fail)
    with pytest.raises(ZeroDivisionError):
        TwoLayerClassifier(max_iter=3).fit(X, y)
    assert blas_threads() == blas_found


def test_an_epoch_of_many_batches_sets_blas_once(digits, monkeypatch, blas_found):
    # Setting BLAS's threads costs microseconds: a mini-batch epoch sets it on
    # entry and back on exit, not at every batch.
    X, y = digits
    calls = []
    set_counts = _workspace._set_blas_counts

    def recording_set_counts(counts):
        calls.append(list(counts))
        set_counts(counts)

    monkeypatch.setattr(_workspace, "_set_blas_counts", recording_set_counts)
    epochs = 2
    TwoLayerClassifier(
        solver="sgd", batch_size=10, max_iter=epochs, random_state=0
    ).fit(X, y)  # 180 batches per epoch
    assert 2 * epochs <= len(calls) <= 2 * (epochs + 1)  # + the returned loss
    assert calls[::2] == [[1] * len(blas_found)] * (len(calls) // 2)
    assert calls[1::2] == [blas_found] * (len(calls) // 2)


def test_online_epochs_run_blas_on_one_thread(digits, monkeypatch, blas_found):
    X, y = digits
    X, y = X[y < 2], y[y < 2]  # the notes' network: the one-item kernel
    seen = Recorder()
    monkeypatch.setattr(np, "dot", seen.wrap(np.dot))
    TwoLayerClassifier(solver="sgd", batch_size=1, max_iter=1).fit(X, y)
    assert seen.seen
    assert set(seen.seen) == {(1,) * len(blas_found)}
    assert blas_threads() == blas_found


# --------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    return TwoLayerClassifier(n_hidden=64, max_iter=5, random_state=0).fit(X, y)


@pytest.mark.parametrize("method", PREDICTION_METHODS)
def test_small_predictions_run_blas_on_one_thread(
    digits, fitted, in_forward, blas_found, method
):
    X, _ = digits
    getattr(fitted, method)(X[:500])
    assert in_forward.seen
    assert set(in_forward.seen) == {(1,) * len(blas_found)}
    assert blas_threads() == blas_found


@pytest.mark.parametrize("method", PREDICTION_METHODS)
def test_large_predictions_leave_blas_threads_as_found(
    digits, fitted, in_forward, blas_found, method
):
    X, _ = digits
    X = np.tile(X, (16, 1))  # 28752 rows: work for more than one thread forward
    getattr(fitted, method)(X)
    assert in_forward.seen
    # The logits of many rows are computed block by block on the chunk threads,
    # BLAS at one thread inside each; the hidden layer of all rows, one long
    # product, on BLAS's own threads.
    if method == "hidden_activations":
        assert set(in_forward.seen) == {tuple(blas_found)}
    else:
        assert set(in_forward.seen) == {(1,) * len(blas_found)}
    assert blas_threads() == blas_found
    in_forward.seen.clear()
    with threadpool_limits(limits=1, user_api="blas"):
        getattr(fitted, method)(X)
    assert set(in_forward.seen) == {(1,) * len(blas_found)}
    assert blas_threads() == blas_found


def test_validation_loss_runs_blas_on_one_thread(digits, in_forward, blas_found):
    X, y = digits
    TwoLayerClassifier(
        max_iter=3, early_stopping=True, scoring="loss", random_state=0
    ).fit(X, y)
    assert in_forward.seen
    assert set(in_forward.seen) == {(1,) * len(blas_found)}


def test_predictions_in_threads_at_once_leave_blas_as_found(digits, fitted, blas_found):
    X, _ = digits

    def predict():
        for _ in range(20):
            fitted.predict_proba(X[:300])

    _, errors = run_together([predict] * 8)
    assert not errors, errors
    assert blas_threads() == blas_found


# --------------------------------------------------------------------------------------
# An interrupt anywhere in the section
# --------------------------------------------------------------------------------------
class _InterruptAt:
    """Raises KeyboardInterrupt at the k-th place in `_workspace` where CPython
    may run a signal handler.

    CPython runs signal handlers, and so raises KeyboardInterrupt, in the main
    thread, between two bytecode instructions where it checks for pending
    signals: as a function starts, at a loop's jump back and after a call of a
    C function returns (from 3.11 on; 3.10 also checks after a call of a Python
    function returns). The places counted here hold all of those: the start of
    each line (a trace function's "line" events) and each return of a C
    function (a profile function's "c_return" events).
    """

    def __init__(self, k):
        self.k, self.places = k, 0

    def __call__(self, frame, event, arg):  # the global trace function
        return self._local if frame.f_code.co_filename == _workspace.__file__ else None

    def _local(self, frame, event, arg):
        if event == "line":
            self._place()
        return self._local

    def profile(self, frame, event, arg):
        if event == "c_return" and frame.f_code.co_filename == _workspace.__file__:
            self._place()

    def _place(self):
        self.places += 1
        if self.places == self.k:
            raise KeyboardInterrupt(f"place {self.k}")


def _nested_sections():
    # an epoch and a pass inside it
    _workspace.single_threaded(_workspace.single_threaded, lambda: None)


def _traced(tracer):
    previous_trace, previous_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(tracer)
    sys.setprofile(tracer.profile)
    try:
        _nested_sections()
    finally:
        sys.setprofile(previous_profile)
        sys.settrace(previous_trace)


def test_an_interrupt_anywhere_leaves_blas_and_the_section_as_found(blas_found):
    _nested_sections()  # what is made once is made before counting
    counter = _InterruptAt(0)
    _traced(counter)
    assert counter.places > 20  # the trace saw the section's lines and calls
    for k in range(1, counter.places + 1):
        with pytest.raises(KeyboardInterrupt, match=f"place {k}$"):
            _traced(_InterruptAt(k))
        assert blas_threads() == blas_found, k
        assert not _workspace._blas_lock.locked(), k
        assert _workspace.blas_threads() == max(blas_found), k
    _nested_sections()  # and the section still works
    assert blas_threads() == blas_found
