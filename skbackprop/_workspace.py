"""Where the full-batch pass runs: its chunks, blocks and threads.

This module decides nothing about *what* is computed (that is `_backprop`); it
decides in which order the rows are visited and on which thread. It knows no
array of the pass but the gradient vectors it adds up: the pass keeps its own
scratch in the workspace (`Workspace.scratch`), one per thread slot.

- The rows are split into up to `MAX_CHUNKS` contiguous **chunks** of equal size,
  as many as there is work for (each worth at least `CHUNK_FLOPS`, about a
  millisecond). Each chunk sums its gradient into its own vector, and the chunks'
  vectors are added in chunk order. The plan depends only on the number of rows
  and the network (and, for sparse data, on the nonzeros per row: the products
  cost ``H`` per stored entry), so the result is the same, bit for bit, whether
  the chunks run on one thread or several.
- With more than one chunk, the chunks run on as many threads as BLAS is allowed
  to use (so ``threadpoolctl`` limits and joblib workers are respected), and BLAS
  itself runs single-threaded inside them. That lets the elementwise work (the
  sigmoids, the deltas), which is as large as the matrix work and which NumPy does
  on one thread, run on all cores; and a busy machine hurts a few long-running
  threads much less than BLAS threads that synchronise at every product.
- OpenBLAS's thread count is a setting of the whole process, and fits may run
  in several threads at once (joblib's threading backend, dask workers). So the
  passes of all fits share one `single_threaded_blas` section: the first pass to
  enter it saves every BLAS library's thread count and sets 1, the last to leave
  sets the saved counts back, and the chunk threads are counted from the saved
  counts (`blas_threads`), never from the 1 that another fit has set.
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
from contextlib import contextmanager

import numpy as np

# Any of these gives the same result up to rounding; they were the fastest, or as
# fast as any, on the benchmark's shapes (docs/performance.rst).
BLOCK_BYTES = 2**19  # hidden activations per block
CHUNK_FLOPS = 2 * 10**7  # least work worth a chunk of its own
MAX_CHUNKS = 8

_blas_controller = None

# The state of `single_threaded_blas`, shared by the passes of every thread.
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
    """The most threads BLAS may use, as set outside `single_threaded_blas`.

    While passes are inside the section, this is the count they will restore, not
    the 1 they have set.
    """
    with _blas_lock:
        counts = _blas_saved if _blas_passes else _blas_counts()
    return max(counts, default=1)


@contextmanager
def single_threaded_blas():
    """Limit BLAS to one thread, in the whole process, while the block runs.

    Safe to enter from several threads at once: the first to enter saves the
    thread count of every BLAS library and sets 1, the last to leave sets the
    saved counts back, also when the block raises. In between, the limit stays 1.
    """
    global _blas_passes, _blas_saved
    with _blas_lock:
        if not _blas_passes:
            _blas_saved = _blas_counts()
            _set_blas_counts([1] * len(_blas_saved))
        _blas_passes += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_passes -= 1
            if not _blas_passes:
                _set_blas_counts(_blas_saved)
                _blas_saved = None


def _blas_counts():
    return [lib.num_threads for lib in blas_controller().lib_controllers]


def _set_blas_counts(counts):
    """Set the thread count of each BLAS library, then let any thread set them.

    threadpoolctl 3.8 lets only one thread at a time set OpenBLAS's count (the
    first to set it, until that thread lets go or ends; 3.5 lets any thread), and
    the last pass to leave `single_threaded_blas` may run in another thread than
    the first.
    """
    for lib, count in zip(blas_controller().lib_controllers, counts, strict=True):
        lib.set_num_threads(count)
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:
        clear()  # only if this thread had taken control


def flops_per_row(layout, row_nonzeros=None):
    """Floating-point operations of one row's forward and backward pass.

    The products with ``X`` cost ``H`` per stored entry of a row: ``m`` of them
    in a dense row, ``row_nonzeros`` (on average) in a sparse one.
    """
    m, H, K = layout
    entries = m if row_nonzeros is None else row_nonzeros
    return round(6 * (entries * H + H * K))


def row_nonzeros(X):
    """Stored entries per row of a sparse ``X``, on average; None if dense."""
    if isinstance(X, np.ndarray) or not X.shape[0]:
        return None
    return X.nnz / X.shape[0]


def chunk_bounds(n_samples, layout, chunks=None, row_nonzeros=None):
    """``[(start, stop), ...]``: contiguous runs of rows of (nearly) equal size.

    ``chunks`` of them, or as many as have `CHUNK_FLOPS` of work each, at most
    `MAX_CHUNKS`; the work of a row is counted by `flops_per_row`.
    """
    if chunks is None:
        work = n_samples * flops_per_row(layout, row_nonzeros)
        chunks = min(MAX_CHUNKS, work // CHUNK_FLOPS)
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
        Most threads to use; BLAS's thread count when None (`blas_threads`).
    row_nonzeros : float, default=None
        For sparse data, the stored entries per row (`row_nonzeros`): the
        chunks are planned by that work, not by a dense row's.
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
        self.threads = 1
        if len(self.chunks) > 1:
            if threads is None:
                threads = blas_threads()
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
            return chunk(0, n_samples, out, 0)
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

        with single_threaded_blas():
            if self.threads == 1:
                values = [task(i) for i in range(len(self.chunks))]
            else:
                pool = self._pool()
                futures = [pool.submit(task, i) for i in range(len(self.chunks))]
                wait(futures)  # all inside the section, also when one raises
                values = [future.result() for future in futures]
        value = values[0]
        for v, grad in zip(values[1:], chunk_grads, strict=True):
            value += v
            out += grad
        return value

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
