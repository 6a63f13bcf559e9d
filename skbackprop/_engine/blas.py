"""BLAS routines where NumPy is slow: level 1 on short vectors, for the passes
and the update rules, and the outer product of the passes with one output unit.

On vectors of a few dozen numbers a NumPy call costs more than the arithmetic, and
a call into `scipy.linalg.blas` costs a third to a half of it
(docs/performance.rst). The online kernel and every update rule step with these
routines; `axpy` is the one that writes, and it checks that it wrote in place.
`outer_into` writes ``u v^T`` as BLAS's ``gemm``, several times faster than
NumPy's ``matmul`` of an (r, 1) by a (1, H) matrix.
"""

from typing import NamedTuple

import numpy as np
from scipy.linalg import get_blas_funcs


class Blas(NamedTuple):
    """BLAS level-1 routines of one float type, from `scipy.linalg.blas`.

    On short vectors a call costs a third to a half of a NumPy call (0.1-0.25
    against 0.3-0.55 µs on ten numbers, docs/performance.rst), which counts when
    a step of online learning is a few dozen calls. ``copy(x, y)`` and
    ``axpy(x, y, a=a)`` write into ``y``, ``scal(a, x)`` into ``x``, and return
    it -- or, silently, a copy, if that array is not a contiguous vector of the
    routine's type; every array they are given here is one (`axpy` checks).
    OpenBLAS splits a ``dot`` of more than 10000 numbers between threads, which
    changes its last bits with their number; here it only sees H numbers.
    """

    dot: object
    copy: object
    scal: object
    axpy: object


BLAS = {
    np.dtype(dtype): Blas(*get_blas_funcs(("dot", "copy", "scal", "axpy"), dtype=dtype))
    for dtype in (np.float32, np.float64)
}
GEMM = {
    np.dtype(dtype): get_blas_funcs("gemm", dtype=dtype)
    for dtype in (np.float32, np.float64)
}


# OpenBLAS runs an axpy of more than 10000 numbers on several threads: on a
# memory-bound loop they gain little, and lose much on a busy machine.
BAND = 8192


def axpy(a, x, y):
    """``y <- y + a x`` in place, for vectors: BLAS calls and no temporary.

    A long vector is updated in bands of `BAND` numbers, one BLAS call each, so
    that BLAS does it on the calling thread; each number is computed as by one
    call.
    """
    if not (x.shape == y.shape == (y.size,) and y.flags.writeable):
        raise TypeError("axpy needs two vectors of one length, y writeable")
    routine = BLAS[y.dtype].axpy
    if y.size <= BAND:
        _check_in_place(routine(x, y, a=a), y)
        return
    for start in range(0, y.size, BAND):
        band = y[start : start + BAND]
        _check_in_place(routine(x[start : start + BAND], band, a=a), band)


def outer_into(u, v, out):
    """``out = u v^T``, the outer product of the vectors ``u`` (r,) and ``v``
    (H,), written into ``out``, of shape (r, H) and C order.

    It is the product of an (r, 1) by a (1, H) matrix, the chain rule's step
    back from one output unit. NumPy's ``matmul`` of those shapes loops row by
    row, about six times slower than BLAS (200 against 36 µs on 2048 x 64).
    Here ``out``'s transpose, an (H, r) matrix in Fortran order, takes
    ``gemm``'s ``v u^T`` with ``beta = 0``: each number is the one product
    ``u_i v_j``, as ``matmul`` computes it. Other arrays go to ``np.multiply``.
    """
    routine = GEMM.get(out.dtype)
    if (
        routine is None
        or out.size == 0
        or not (out.flags.c_contiguous and out.flags.aligned and out.flags.writeable)
        or u.dtype != out.dtype
        or v.dtype != out.dtype
    ):
        return np.multiply(u[:, None], v[None, :], out=out)
    c = out.T
    if routine(1.0, v[:, None], u[None, :], beta=0.0, c=c, overwrite_c=True) is not c:
        raise TypeError("outer_into could not write in place")  # scipy copied c
    return out


def _check_in_place(result, y):
    if result is not y:  # scipy copies a y it cannot update in place
        raise TypeError("axpy needs a contiguous float32 or float64 vector y")


def flat(p):
    """The `Params` ``p`` with W1 and W2 as flat views, as BLAS takes them."""
    return p._replace(W1=p.W1.reshape(-1), W2=p.W2.reshape(-1))  # all contiguous
