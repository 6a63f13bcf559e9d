"""Where the passes run: their chunks, blocks and threads, and BLAS's threads.

This module decides nothing about *what* is computed (that is `_backprop`); it
decides in which order the rows are visited and on which thread. It knows no
array of the pass but the gradient vectors it adds up: the pass keeps its own
scratch in the workspace (`Workspace.scratch`), one per thread slot.

- The rows are split into up to `MAX_CHUNKS` contiguous **chunks** of equal size,
  as many as there is work for (each worth at least `CHUNK_FLOPS`, about a
  millisecond; `chunk_count`). Each chunk sums its gradient into its own vector,
  and the chunks' vectors are added in chunk order. The plan depends only on the
  number of rows and the network (and, for sparse data, on the nonzeros per row:
  the products cost ``H`` per stored entry), so the result is the same, bit for
  bit, whether the chunks run on one thread or several.
- `threads_for` is the one place that decides how many threads a computation
  runs on: one per `THREAD_FLOPS` of work (about 5 ms of one core), at most one
  per chunk and at most as many as BLAS is allowed to use (so ``threadpoolctl``
  limits, ``OPENBLAS_NUM_THREADS`` and joblib workers are respected). Inside a
  pass BLAS always runs single-threaded, also when the pass runs on the calling
  thread alone. Parallel chunks let the elementwise
  work (the sigmoids, the deltas), which is as large as the matrix work and
  which NumPy does on one thread, run on all cores; and a busy machine hurts a
  few long-running threads much less than BLAS threads that synchronise at
  every product. On small data BLAS's own threads cost far more than they save:
  each product of a few hundred rows pays a synchronisation of the threads, and
  many times more when another process keeps a core busy.
- Prediction of more than one block of rows runs as a training pass does, on
  the chunks and threads of a `Workspace` (`_backprop.logits`). A forward pass
  of one block or less, the hidden layer of ``hidden_activations`` and early
  stopping's validation loss run on the calling thread (`run_forward`), with
  BLAS at one thread when `threads_for` gives the pass one thread, and at its
  own count beyond, where a product is long enough to be worth splitting.
- OpenBLAS's thread count is a setting of the whole process, and fits may run
  in several threads at once (joblib's threading backend, dask workers). So all
  passes share one section, `single_threaded`: the first to enter it saves
  every BLAS library's thread count and sets 1, the last to leave sets the saved
  counts back, and threads are counted from the saved counts (`blas_threads`),
  never from the 1 that another pass has set.
- Within a chunk the rows are visited in **blocks** of at most `block_rows` rows,
  which bounds the scratch memory and keeps a block's hidden layer in the CPU
  cache between the matrix product and the elementwise work.

docs/performance.rst has the measurements behind these choices. A training loop
owns one `Workspace` for a whole fit and passes it to every
`_backprop.loss_gradient` call, so no iteration allocates or starts threads, and
closes it when the fit ends, which stops its threads. The caller's arrays are only
ever read.
"""

import queue
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

# Any of these gives the same result up to rounding; they were the fastest, or as
# fast as any, on the benchmark's shapes (docs/performance.rst).
BLOCK_BYTES = 2**19  # hidden activations per block
CHUNK_FLOPS = 2 * 10**7  # least work worth a chunk of its own
MAX_CHUNKS = 8
# Least work worth a thread of its own, about 5 ms of one core: below it, waking
# a thread and waiting for it costs more than the thread saves, the more so when
# another process keeps a core busy (docs/performance.rst).
THREAD_FLOPS = 10**8
# A stored entry of sparse X costs about ten dense multiply-adds of time: scipy's
# sparse products run at a tenth of BLAS's rate or less (docs/performance.rst).
SPARSE_ENTRY_COST = 10

_blas_controller = None

# The state of `single_threaded`, shared by the passes of every thread.
_blas_lock = threading.Lock()
_blas_passes = 0  # passes inside the section now
_blas_saved = None  # each BLAS library's thread count before the first of them


def blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries, made once.

    Inspecting the loaded libraries takes about a millisecond; scikit-learn keeps
    one global controller for the same reason (``sklearn.utils.parallel``).
    """
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController().select(user_api="blas")
    return _blas_controller


def blas_threads():
    """The most threads BLAS may use, as set outside `single_threaded`.

    While passes are inside the section, this is the count they will restore, not
    the 1 they have set.
    """
    with _blas_lock: counts = _counts_outside_section()  # noqa: E701  # fmt: skip
    return max(counts, default=1)


def _counts_outside_section():
    return _blas_counts() if _blas_saved is None else _blas_saved


def single_threaded(function, *args):
    """``function(*args)`` with BLAS limited to one thread in the whole process.

    Safe to call from several threads at once, and nested: the first call to
    enter saves the thread count of every BLAS library and sets 1, the last to
    leave sets the saved counts back, also when ``function`` raises. In between,
    the limit stays 1. Saving, setting and restoring happen under one lock,
    which `blas_threads` takes too: no pass counts its threads from a change
    half done.

    A KeyboardInterrupt is raised where CPython runs the signal handler: in the
    main thread, between two bytecode instructions at which it checks for
    pending signals -- as a function starts, at a loop's jump back, after a call
    of a C function returns and, before Python 3.11, after a call of a Python
    function returns. So it never comes in another thread, and in the main
    thread it may come after any call here. Whether this call is in the section
    is recorded in ``inside``, by the same assignment that changes the section's
    count, one statement on one line with no call after the count is computed:
    an interrupt comes before both or after both. One while `_enter_section`
    sets the counts to 1 sets them back before it goes on
    (`_blas_to_one_thread`), and ``inside`` stays False; one while
    `_leave_section` sets them back leaves ``inside`` True, and leaving again
    finishes it; the lock is held in ``with`` statements of one line each, which
    let it go. So
    whichever instruction an interrupt comes before, the process is left as it
    was found.
    """
    inside = [False]
    try:
        with _blas_lock: _enter_section(inside)  # noqa: E701  # fmt: skip
        value = function(*args)
        with _blas_lock: _leave_section(inside)  # noqa: E701  # fmt: skip
    except BaseException:
        if inside[0]:
            with _blas_lock: _leave_section(inside)  # noqa: E701  # fmt: skip
        raise
    return value


def _enter_section(inside):
    """One more call in the section: the first saves the counts and sets 1.
    ``inside[0]`` becomes True in the assignment that counts the call."""
    global _blas_passes, _blas_saved
    _blas_saved, _blas_passes, inside[0] = _blas_to_one_thread() if not _blas_passes else _blas_saved, _blas_passes + 1, True  # noqa: E501  # fmt: skip


def _leave_section(inside):
    """One call less: the last sets the saved counts back. ``inside[0]``
    becomes False in the assignment that counts the call out."""
    global _blas_passes, _blas_saved
    _blas_passes, _blas_saved, inside[0] = (0, _set_blas_counts(_blas_saved), False) if _blas_passes == 1 else (_blas_passes - 1, _blas_saved, False)  # noqa: E501  # fmt: skip


def _blas_to_one_thread():
    """Set every BLAS library to one thread; return their counts before."""
    saved = _blas_counts()
    try:
        return _set_blas_counts([1] * len(saved)) or saved
    except BaseException:  # some set, some not: set them all back
        _set_blas_counts(saved)
        raise


def _blas_counts():
    return [lib.num_threads for lib in blas_controller().lib_controllers]


def _set_blas_counts(counts):
    """Set the thread count of each BLAS library, then let any thread set them.

    threadpoolctl 3.8 lets only one thread at a time set OpenBLAS's count (the
    first to set it, until that thread lets go or ends; 3.5 lets any thread), and
    the last pass to leave `single_threaded` may run in another thread than
    the first.
    """
    for lib, count in zip(blas_controller().lib_controllers, counts, strict=True):
        lib.set_num_threads(count)
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:
        clear()  # only if this thread had taken control


def flops_per_row(layout, row_nonzeros=None):
    """Work of one row's forward and backward pass, in floating-point
    operations at the rate of dense products.

    The products with ``X`` cost ``H`` per stored entry of a row: ``m`` of them
    in a dense row, ``row_nonzeros`` (on average) in a sparse one, each of which
    takes the time of `SPARSE_ENTRY_COST` dense ones.
    """
    m, H, K = layout
    entries = m if row_nonzeros is None else SPARSE_ENTRY_COST * row_nonzeros
    return round(6 * (entries * H + H * K))


def row_nonzeros(X):
    """Stored entries per row of a sparse ``X``, on average; None if dense."""
    if isinstance(X, np.ndarray) or not X.shape[0]:
        return None
    return X.nnz / X.shape[0]


def chunk_count(flops):
    """Chunks for ``flops`` of work: one per `CHUNK_FLOPS`, 1 to `MAX_CHUNKS`."""
    return int(max(1, min(MAX_CHUNKS, flops // CHUNK_FLOPS)))


def threads_for(flops, chunks=MAX_CHUNKS):
    """The threads a computation of ``flops`` operations in ``chunks`` chunks
    runs on.

    This is the one place that decides: a thread per `THREAD_FLOPS` of work, at
    most one per chunk and at most as many as BLAS may use (`blas_threads`), with
    BLAS single-threaded inside each. Less work runs on the calling thread, on
    one BLAS thread.
    """
    return int(max(1, min(blas_threads(), chunks, flops // THREAD_FLOPS)))


def run_forward(n_samples, layout, function, *args):
    """``function(*args)``, a forward pass of ``n_samples`` rows on this thread
    (a prediction of one block or less, hidden activations, a validation loss),
    on the BLAS threads it is worth.

    One BLAS thread (`single_threaded`) when `threads_for` gives the pass one
    thread, where BLAS's own threads would cost more than they save; otherwise
    BLAS's own count, unchanged.
    """
    flops = n_samples * flops_per_row(layout) // 3  # a third of a training pass
    if threads_for(flops) == 1:
        return single_threaded(function, *args)
    return function(*args)


def chunk_bounds(n_samples, layout, chunks=None, row_nonzeros=None):
    """``[(start, stop), ...]``: contiguous runs of rows of (nearly) equal size.

    ``chunks`` of them, or as many as the work makes (`chunk_count`); the work
    of a row is counted by `flops_per_row`.
    """
    if chunks is None:
        chunks = chunk_count(n_samples * flops_per_row(layout, row_nonzeros))
    size = -(-n_samples // max(1, min(chunks, n_samples)))
    return [
        (start, min(start + size, n_samples)) for start in range(0, n_samples, size)
    ]


def block_rows(layout, dtype):
    """Rows per block: about `BLOCK_BYTES` of hidden activations, at least 64."""
    return max(64, BLOCK_BYTES // (layout.n_hidden * np.dtype(dtype).itemsize))


class Workspace:
    """Chunk plan, block size and threads for passes over ``n_samples`` rows.

    Parameters
    ----------
    layout : Layout
        The network's sizes.
    n_samples : int
        Rows of every pass (the full batch, or the largest mini-batch).
    dtype : dtype
        Float type of the data and parameters.
    rows : int, default=None
        Most rows per block; `block_rows` when None.
    chunks : int, default=None
        Number of chunks; from the amount of work when None (`chunk_bounds`).
    threads : int, default=None
        Most threads to use; decided by `threads_for` when None.
    row_nonzeros : float, default=None
        For sparse data, the stored entries per row (`row_nonzeros`): the
        chunks and threads are planned by that work, not by a dense row's.
    """

    def __init__(
        self,
        layout,
        n_samples,
        dtype,
        *,
        rows=None,
        chunks=None,
        threads=None,
        row_nonzeros=None,
    ):
        self.layout, self.n_samples, self.dtype = layout, n_samples, np.dtype(dtype)
        self.chunks = chunk_bounds(n_samples, layout, chunks, row_nonzeros)
        self.single = len(self.chunks) == 1
        longest = max(stop - start for start, stop in self.chunks)
        self.rows = max(1, min(longest, rows or block_rows(layout, dtype)))
        if threads is None:
            flops = n_samples * flops_per_row(layout, row_nonzeros)
            self.threads = threads_for(flops, len(self.chunks))
        else:
            self.threads = max(1, min(threads, len(self.chunks)))
        self._free = queue.SimpleQueue()  # the thread slots not in use
        for slot in range(self.threads):
            self._free.put(slot)
        self._grads = {}  # one vector per chunk after the first, by length
        self._executor = None
        self._scratch = {}

    def scratch(self, make):
        """The scratch ``make(self)`` of a pass, made once and kept.

        It is made on the first call with ``make`` and returned by every later
        one, for the life of the workspace, so no iteration of a training loop
        allocates it again. A pass keeps there what each of its threads writes
        to, one per thread slot: `threads` of them, and `run` tells each chunk
        its slot.
        """
        kept = self._scratch.get(make)
        if kept is None:
            kept = self._scratch[make] = make(self)
        return kept

    def fits(self, layout, n_samples, dtype):
        """Whether this workspace serves a pass of ``n_samples`` rows."""
        return (
            (n_samples == self.n_samples or (self.single and n_samples <= self.rows))
            and dtype == self.dtype
            and layout == self.layout
        )

    def run(self, chunk, out, n_samples):
        """Add up ``chunk(start, stop, grad, slot)`` over the chunks of a pass
        over ``n_samples`` rows.

        ``chunk`` writes the gradient of rows ``start:stop`` into ``grad`` and
        returns their share of the loss. ``slot``, from 0 to ``threads - 1``, is
        the thread slot it runs in: no two chunks running at once have the same.
        The chunks' gradients are added into ``out`` and their losses summed,
        both in chunk order; returns the loss.
        """
        if len(self.chunks) == 1:
            return single_threaded(chunk, 0, n_samples, out, 0)
        # as long as `out`: all of a gradient, or the part the chunks sum
        chunk_grads = self._grads.get(out.size)
        if chunk_grads is None:
            chunk_grads = self._grads[out.size] = [
                np.empty_like(out) for _ in self.chunks[1:]
            ]
        grads = [out, *chunk_grads]
        errstate = np.geterr()  # NumPy's error state is per thread: pass it on

        def task(i):
            slot = self._free.get()
            try:
                with np.errstate(**errstate):
                    return chunk(*self.chunks[i], grads[i], slot)
            finally:
                self._free.put(slot)

        values = single_threaded(self._run_tasks, task)
        value = values[0]
        for v, grad in zip(values[1:], chunk_grads, strict=True):
            value += v
            out += grad
        return value

    def _run_tasks(self, task):
        """``[task(i) for each chunk i]``, on the threads of the workspace."""
        if self.threads == 1:
            return [task(i) for i in range(len(self.chunks))]
        pool = self._pool()
        futures = [pool.submit(task, i) for i in range(len(self.chunks))]
        wait(futures)  # all inside the section, also when one raises
        return [future.result() for future in futures]

    def _pool(self):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.threads, thread_name_prefix="skbackprop"
            )
        return self._executor

    def close(self):
        """Stop the threads, if any were started."""
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
