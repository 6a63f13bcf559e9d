"""Regression targets in memory and in chunks: what a ``y`` of numbers becomes
for the network.

A regression network has one identity output unit per target column, and its
targets are the values themselves: nothing is encoded, and there are no classes
or class weights. The rules here check that the values can be learned from
(numbers, every one finite, the column of a bad one named), summarise them for
the rules of `rules` (rows and columns: a hold-out of values is a plain random
draw) and make the training arrays, as `targets` does for labels. `VALUES` is
the `targets.Kind` that the backends of a fit read.

Values that are not finite are found as a `NonFinite` summary, of all of ``y``
in memory or of each chunk on a cluster; `merge_non_finite` adds up the
chunks', and `refuse_non_finite` raises the one error either way.
"""

from typing import NamedTuple

import numpy as np

from .._engine import network as _network
from . import rules as _rules
from .targets import Kind, Net, Problem, normalised_weights


class NonFinite(NamedTuple):
    """Where targets hold NaN or infinity: for each column (one for 1-D
    targets), its rows that do and the first of them (-1 if none), and
    whether any of them is NaN. ``ndim`` is that of the targets."""

    rows: np.ndarray
    first: np.ndarray
    nan: bool
    ndim: int


def non_finite(y):
    """The `NonFinite` of targets ``y`` as passed (an array-like, a pandas
    Series or DataFrame, a chunk of them), None if every value is finite or
    the targets are not floats (left to `check`)."""
    values = np.asarray(y)
    if values.dtype.kind not in "fc" or values.ndim not in (1, 2):
        return None
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    columns = bad.reshape(len(bad), -1)
    first = np.where(columns.any(axis=0), columns.argmax(axis=0), -1)
    nan = bool(np.isnan(values[bad]).any())
    return NonFinite(columns.sum(axis=0), first, nan, values.ndim)


def merge_non_finite(found, lengths):
    """The `NonFinite` of chunks of rows, in order, whose `non_finite` is
    ``found`` (None for a chunk without) and whose rows are ``lengths``;
    None if no chunk holds any."""
    offsets = np.cumsum([0, *lengths[:-1]])
    chunks = [(f, offset) for f, offset in zip(found, offsets, strict=True) if f]
    if not chunks:
        return None
    rows = sum(f.rows for f, _ in chunks)
    first = np.full(len(rows), -1)
    for f, offset in reversed(chunks):  # the earliest chunk's first row wins
        first = np.where(f.first >= 0, f.first + offset, first)
    nan = any(f.nan for f, _ in chunks)
    return NonFinite(rows, first, nan, chunks[0][0].ndim)


def refuse_non_finite(found, name="y", y=None):
    """Raise the error of targets whose `NonFinite` is ``found`` (nothing for
    None), naming the first column that holds NaN or infinity by its name in
    ``y`` as passed (a pandas Series or DataFrame, in memory or dask's), else
    by its number."""
    if found is None:
        return
    if found.ndim == 1:
        # a Series' name (pandas' or dask's; a dask array's name is its key)
        label = getattr(y, "name", None) if hasattr(y, "index") else None
        column = "" if label is None else f" ({label!r})"
        j = 0
    else:
        j = int(np.flatnonzero(found.rows)[0])
        names = getattr(y, "columns", None)
        column = f" in column {names[j]!r}" if names is not None else f" in column {j}"
    kind = "NaN" if found.nan else "infinity"
    raise ValueError(
        f"{name}{column} holds {kind} in {found.rows[j]} row(s), the first at row "
        f"{found.first[j]}: a regression target must be a finite number in every "
        "row. Drop those rows, or fill the targets in (for example with "
        "sklearn.impute.SimpleImputer on y)."
    )


def check_given(y, name="y"):
    """Refuse targets with NaN or infinity, naming the first such column.

    ``y`` as the user passed it (a list, an array, a pandas Series or
    DataFrame): a validated array no longer knows its column names. Targets
    that are not numbers are left to `check`.
    """
    refuse_non_finite(non_finite(y), name, y)


def check(y, name="y"):
    """Validated targets ``y`` as numbers: integers and booleans as floats, and
    a clear error for anything else (class labels belong to a classifier)."""
    if y.dtype.kind in "biuf":
        return y
    try:
        values = y.astype(np.float64)
    except (TypeError, ValueError):
        first = y.ravel()[0] if y.size else None
        raise ValueError(
            f"{name} must hold numbers for a regressor; got values of type "
            f"{y.dtype} such as {first!r}. For class labels use "
            "TwoLayerClassifier."
        ) from None
    check_given(values, name)  # None in an object array becomes NaN
    return values


def summarise(y, name="y"):
    """The `rules.TargetSummary` of validated values ``y``: their rows, and as
    ``width`` their number of columns (1 for 1-D ``y``). No labels: a hold-out
    of values is not stratified."""
    width = 1 if y.ndim == 1 else y.shape[1]
    return _rules.TargetSummary(len(y), width, y[:0].ravel(), np.zeros(0, np.int64))


def encode(y, classes, dtype):
    """The targets of the identity output units: the values as a column each,
    in ``dtype`` (``classes`` is None: values have none), in C order whatever
    the order of ``y`` (a DataFrame's columns are Fortran-ordered), so that
    sums over its rows do not depend on it."""
    return np.ascontiguousarray(np.asarray(y, dtype=dtype).reshape(len(y), -1))


def network(width, n_features, n_hidden, activation="logistic"):
    """The `targets.Net` of ``n_hidden`` hidden units of the kind ``activation``
    and ``width`` identity output units, one per target column."""
    layout = _network.Layout(n_features, int(n_hidden), int(width))
    return Net(None, layout, _network.IDENTITY, activation)


def problem(X, y, sample_weight, n_hidden, validation=False, activation="logistic"):
    """Validated values and weights as the arrays the numerics take (a
    `targets.Problem` without classes); ``validation``: the weights are those
    of a validation set (see `targets.normalised_weights`)."""
    Y = encode(y, None, X.dtype)
    layout = _network.Layout(X.shape[1], int(n_hidden), Y.shape[1])
    s = normalised_weights(sample_weight, X, y, None, validation)
    return Problem(X, Y, s, None, layout, _network.IDENTITY, activation, y)


def _problem(X, y, sample_weight, net, weights, validation):
    """`problem` for the network ``net``, as `Kind.problem` is called."""
    return problem(X, y, sample_weight, net.layout.n_hidden, validation, net.activation)


VALUES = Kind(
    check_given,
    check,
    summarise,
    encode,
    _problem,
    non_finite=non_finite,
    refuse_non_finite=refuse_non_finite,
)
