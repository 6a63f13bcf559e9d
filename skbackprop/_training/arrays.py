"""The weights of a fit in any array library: the few things training does to
them that NumPy and the array API standard spell differently.

Training keeps its weights ``theta`` where the data is: a NumPy vector for
NumPy data, and for the arrays of another library (PyTorch, CuPy,
array-api-strict, under scikit-learn's ``array_api_dispatch``) an array of that
library on the data's device. The update rules, the monitor and the loops copy,
zero and update ``theta`` through these functions, which keep NumPy's fast,
bit-for-bit unchanged forms for NumPy arrays and use the array API for the
others. The random numbers, the labels and L-BFGS's vector stay on the host,
as NumPy arrays, and move with `like` and `to_numpy`.
"""

import numpy as np

from .._engine.blas import axpy as blas_axpy


def compat():
    """``array_api_compat``: scikit-learn's copy (1.8 and later) or the package,
    which scikit-learn 1.6 and 1.7 need for array API dispatch."""
    try:
        from sklearn.externals import array_api_compat
    except ImportError:
        import array_api_compat
    return array_api_compat


def on_numpy(array):
    """Whether ``array`` is a NumPy array (or anything NumPy takes as one)."""
    return isinstance(array, np.ndarray) or not hasattr(array, "__dlpack__")


def namespace(array):
    """The array namespace of ``array``: ``numpy`` itself for NumPy arrays, so
    that the engine takes its fast forms (`_engine.network`), else
    ``array_api_compat``'s namespace of its library."""
    return np if on_numpy(array) else compat().array_namespace(array)


def device(array):
    """The device of ``array`` ("cpu" for NumPy)."""
    return "cpu" if on_numpy(array) else compat().device(array)


def numpy_dtype(array):
    """NumPy's dtype of the same name as the dtype of ``array``."""
    if on_numpy(array):
        return array.dtype
    return np.dtype(str(array.dtype).rpartition(".")[2])


def all_finite(array):
    """Whether every number of ``array`` is finite."""
    if on_numpy(array):
        return bool(np.isfinite(array).all())
    xp = namespace(array)
    return bool(xp.all(xp.isfinite(array)))


def copy(array):
    """A copy of ``array``, in its library and on its device."""
    if on_numpy(array):
        return array.copy()
    return namespace(array).asarray(array, copy=True)


def zeros_like(array):
    return (np if on_numpy(array) else namespace(array)).zeros_like(array)


def empty_like(array):
    return (np if on_numpy(array) else namespace(array)).empty_like(array)


def to_numpy(array):
    """``array`` as a NumPy array on the host (itself, for NumPy)."""
    if on_numpy(array):
        return np.asarray(array)
    if hasattr(array, "detach"):  # PyTorch
        return array.detach().cpu().numpy()
    if type(array).__module__.startswith("cupy"):
        return array.get()
    try:
        return np.asarray(array)
    except (RuntimeError, TypeError, ValueError):  # on another device first
        info = namespace(array).__array_namespace_info__()
        return np.asarray(array.to_device(info.default_device()))


def like(host, reference, copy=False):
    """The NumPy array ``host`` in the library, dtype and device of
    ``reference``; a copy if ``copy`` (NumPy's ``astype`` otherwise copies
    only to change the dtype)."""
    if on_numpy(reference):
        return host.astype(reference.dtype, copy=copy)
    xp = namespace(reference)
    return xp.asarray(host, dtype=reference.dtype, device=device(reference), copy=True)


def axpy(a, x, y):
    """``y <- y + a x`` in place: BLAS for NumPy vectors (`_engine.blas.axpy`).
    The weights are exactly ``ndarray`` (the common case first: an online
    step is a few microseconds)."""
    if type(y) is np.ndarray or on_numpy(y):
        blas_axpy(a, x, y)
    else:
        y += a * x
