"""BLAS's thread counts, read and set as the user's environment would, for the
tests of the estimator's thread settings."""

import threading

from threadpoolctl import ThreadpoolController, threadpool_info


def blas_threads():
    """The thread count of each BLAS library, as threadpoolctl reports it."""
    return [
        lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"
    ]


def set_blas_threads(counts):
    """Set the BLAS libraries' thread counts as ``OPENBLAS_NUM_THREADS`` would.

    From a thread of its own that then ends: threadpoolctl 3.8 lets only one
    thread at a time set OpenBLAS's count, the first to set it, until it ends or
    leaves a ``with threadpool_limits()`` block.
    """

    def set_counts():
        libs = ThreadpoolController().select(user_api="blas").lib_controllers
        for lib, count in zip(libs, counts, strict=True):
            lib.set_num_threads(count)

    thread = threading.Thread(target=set_counts)
    thread.start()
    thread.join()
