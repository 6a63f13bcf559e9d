"""Chunks of rows of dask collections, validated and summarised on their
workers.

A fit on the cluster never brings the data to the client. `build` cuts ``X``,
``y`` and ``sample_weight`` into chunks of whole rows (``y`` and the weights
aligned with the rows of ``X``: taken chunk by chunk, rechunked, or cut from an
array in memory), validates each chunk on its worker as `fit` validates the
arrays in memory (`validated_block`, a `Block`), and fetches the small
`Summary` of each: its `_training.rules.TargetSummary` and dtype. The data is
then the `Chunks`: the futures of the blocks, their summaries, and the summary
of all of them, which the rules of the fit read.

The functions that run on the workers are here too: `weight_summary` and
`weight_share` summarise a chunk's weights for `_training.rules`,
`split_block` takes a chunk's hold-out, and `make_part` turns a chunk into the
`Part` that the passes take (its targets encoded, its weights normalised).

dask is the optional ``dask`` extra; it is imported by the functions that need
it, never when this module is imported.
"""

import math
import sys
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_array, column_or_1d

from .._training import rules as _rules
from .._training import targets as _targets
from .._training import values as _values

FLOATS = [np.float64, np.float32]


# --------------------------------------------------------------------------------------
# dask, imported lazily
# --------------------------------------------------------------------------------------
def known_rows(collection):
    """Whether the rows of each chunk of a dask collection are known, as
    scikit-learn's metrics need (a dask DataFrame's, or Series', are not)."""
    chunks = getattr(collection, "chunks", None)
    return chunks is not None and not np.isnan(chunks[0]).any()


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (array, DataFrame, Series).

    Without importing dask: an object cannot be a dask collection unless dask has
    been imported already.
    """
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


# --------------------------------------------------------------------------------------
# Chunks of rows
# --------------------------------------------------------------------------------------
def row_blocks(obj):
    """``(blocks, lengths)``: the row chunks of a dask collection as delayed
    objects, and their lengths (None if unknown)."""
    import dask.array as da

    if isinstance(obj, da.Array):
        if obj.ndim == 2 and obj.numblocks[1] > 1:
            obj = obj.rechunk({1: -1})  # a chunk has whole rows
        blocks = list(obj.to_delayed().reshape(obj.numblocks[0], -1)[:, 0])
        lengths = obj.chunks[0] if obj.ndim else None
        if lengths is not None and any(math.isnan(n) for n in lengths):
            lengths = None
        return blocks, lengths
    return list(obj.to_delayed()), None


def block_lengths(blocks, client):
    """The row counts of ``blocks``, computed on the cluster."""
    import dask

    return tuple(client.compute([dask.delayed(len)(b) for b in blocks], sync=True))


def aligned_blocks(obj, X_blocks, X_lengths, client, name, X_divisions=None):
    """The row chunks of ``obj`` (``y``, a weight) that go with ``X_blocks``.

    A dask collection chunked as ``X`` is taken chunk by chunk (the lengths
    are checked on the workers); one chunked otherwise is rechunked like
    ``X``; an in-memory array is cut into ``X``'s chunks. Chunks are known to
    be alike when ``obj`` and ``X`` are DataFrames or Series of the same
    known divisions, or when their row counts are equal (counted, where
    unknown, when both have as many chunks). Returns ``(blocks, X_lengths)``,
    the lengths computed if they were needed and unknown.
    """
    import dask
    import dask.array as da

    if obj is None:
        return [None] * len(X_blocks), X_lengths
    if is_dask_collection(obj):
        blocks, lengths = row_blocks(obj)
        if len(blocks) == len(X_blocks):
            if _same_divisions(obj, X_divisions):
                return blocks, X_lengths
            if lengths is None:
                lengths = block_lengths(blocks, client)
            if X_lengths is None:
                X_lengths = block_lengths(X_blocks, client)
            if tuple(lengths) == tuple(X_lengths):
                return blocks, X_lengths
        if X_lengths is None:
            X_lengths = block_lengths(X_blocks, client)
        if not isinstance(obj, da.Array):
            obj = obj.to_dask_array(lengths=True)
        if obj.shape[0] != sum(X_lengths):
            raise ValueError(
                f"{name} has {obj.shape[0]} rows, X has {sum(X_lengths)}: pass one "
                "per row of X."
            )
        return row_blocks(obj.rechunk({0: X_lengths}))[0], X_lengths
    if X_lengths is None:
        X_lengths = block_lengths(X_blocks, client)
    n = _n_rows(obj)
    if n != sum(X_lengths):
        raise ValueError(
            f"{name} has {n} rows, X has {sum(X_lengths)}: pass one per row of X."
        )
    stops = np.cumsum(X_lengths)
    pieces = [
        _rows(obj, stop - length, stop)
        for length, stop in zip(X_lengths, stops, strict=True)
    ]
    return [dask.delayed(piece, pure=False) for piece in pieces], X_lengths


def _same_divisions(obj, divisions):
    """Whether the dask DataFrame or Series ``obj`` has the known
    ``divisions`` (those of a DataFrame ``X``): then its partitions hold the
    rows of the same index ranges as those of ``X``."""
    return (
        divisions is not None
        and getattr(obj, "known_divisions", False)
        and tuple(obj.divisions) == tuple(divisions)
    )


def _n_rows(obj):
    return obj.shape[0] if hasattr(obj, "shape") else len(obj)


def _rows(obj, start, stop):
    if hasattr(obj, "iloc"):
        return obj.iloc[start:stop]
    return np.asarray(obj)[start:stop]


# --------------------------------------------------------------------------------------
# On the workers: validation, summaries, hold-out, parts
# --------------------------------------------------------------------------------------
class Block(NamedTuple):
    """One chunk of rows, validated: ``X``, labels ``y``, raw weights ``w``.

    A chunk whose targets hold values that its kind of target refuses (NaN in
    a regressor's) is not validated: its ``X`` and ``w`` are None, ``y`` is
    as given and ``non_finite`` says where they are, for `build` to refuse
    with the error of all chunks."""

    X: object
    y: np.ndarray
    w: np.ndarray | None
    index: int
    non_finite: object = None


class Part(NamedTuple):
    """One chunk of rows as the pass takes it: inputs, targets, normalised
    weights, and the labels (for scorers)."""

    X: object
    Y: np.ndarray
    s: np.ndarray
    y: np.ndarray


def validated_block(X, y, w, index, sparse_rows, kind=_targets.LABELS, y_name="y"):
    """Validate one chunk as `fit` validates all of X, y and sample_weight.

    The same checks (`check_array` with the dtypes of `fit`, the targets of the
    `_targets.Kind` ``kind``, finite non-negative weights) raise the same
    errors, on the worker; the chunk's row counts must agree. Targets that
    the kind refuses where they are not finite are summarised instead
    (`Block.non_finite`): the error names their first row and count in all
    of ``y``, which `build` knows from every chunk.
    """
    found = None if kind.non_finite is None else kind.non_finite(y)
    if found is not None:
        return Block(None, y, None, index, found)
    X = check_array(
        X,
        dtype=FLOATS,
        accept_sparse=["csr", "csc"],
        ensure_min_samples=0,
        input_name="X",
    )
    if sparse_rows and hasattr(X, "tocsr"):
        X = X.tocsr()
    y = check_array(
        y, ensure_2d=False, dtype=None, ensure_min_samples=0, input_name=y_name
    )
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y)
    _check_rows(X, y, y_name, index)
    y = kind.check(y, y_name)
    if w is not None:
        # the checks of each value that fit makes of all of them; those of the
        # weights as a whole are `_rules.check_weights`, on the summaries
        w = check_array(
            w,
            ensure_2d=False,
            dtype=np.float64,
            ensure_min_samples=0,
            input_name="sample_weight",
        )
        if w.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D, one weight per sample; got shape "
                f"{w.shape} in chunk {index}."
            )
        _check_rows(X, w, "sample_weight", index)
    return Block(X, y, w, index)


def _check_rows(X, other, name, index):
    if other.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and {name} are chunked differently: chunk {index} of X has "
            f"{X.shape[0]} rows, of {name} {other.shape[0]}. Chunk {name} like "
            "the rows of X (the same partitions), or pass it as a NumPy array."
        )


class Summary(NamedTuple):
    """What the client learns about a chunk: the `_rules.TargetSummary` of its
    targets, and the dtype of its ``X``; for a chunk whose targets are
    refused, only their rows and `Block.non_finite`."""

    targets: _rules.TargetSummary
    dtype: np.dtype
    non_finite: object = None


def summary(block, name="y", kind=_targets.LABELS):
    """The chunk's `Summary`; its targets are checked as `fit` checks ``y``
    (``name``: the argument it was passed as; ``kind``: a `_targets.Kind`)."""
    if block.non_finite is not None:
        rows = _rules.TargetSummary(len(block.y), None, np.zeros(0), np.zeros(0, int))
        return Summary(rows, None, block.non_finite)
    return Summary(kind.summarise(block.y, name), block.X.dtype)


def split_block(block, quota, seed, labels, alone):
    """``(training block, validation block)``: ``quota[k]`` rows of label
    ``labels[k]`` held out (``labels`` None: ``quota[0]`` of the rows whose
    label is not in ``alone``), drawn with ``seed``."""
    rng = np.random.RandomState(seed)
    held = np.zeros(len(block.y), dtype=bool)
    if labels is None:
        rows = np.arange(len(held))
        if len(alone):
            rows = rows[~np.isin(block.y, alone)]
        held[rng.choice(rows, quota[0], replace=False)] = True
    else:
        for label, k in zip(labels, quota, strict=True):
            if k:
                rows = np.flatnonzero(block.y == label)
                held[rng.choice(rows, k, replace=False)] = True
    return _take(block, ~held), _take(block, held)


def _take(block, rows):
    w = None if block.w is None else block.w[rows]
    return Block(block.X[rows], block.y[rows], w, block.index)


def weight_summary(block, weights):
    """The `_rules.WeightSummary` of the chunk, whose rows' weights are its
    sample weights times the class weights ``weights``."""
    w = _rules.loss_weights(block.w, block.y, weights)
    return _rules.summarise_weights(block.w, w, len(block.y))


def weight_share(block, weights, top):
    """The chunk's `_rules.share` of the total of the weights."""
    w = _rules.loss_weights(block.w, block.y, weights)
    return _rules.share(w, len(block.y), top)


def make_part(block, classes, weights, top, total, dtype, kind=_targets.LABELS):
    """The chunk as the pass takes it: targets encoded by ``kind`` (a
    `_targets.Kind`) with ``classes``,
    weights normalised by the maximum ``top`` and the total ``total`` of all
    chunks (`_rules.normalised`), as in memory."""
    # its labels are among classes: checked on the client
    Y = kind.encode(block.y, classes, dtype)
    w = _rules.loss_weights(block.w, block.y, weights)
    s = _rules.normalised(w, len(block.y), top, total, dtype)
    return Part(aligned(block.X, dtype), Y, aligned(s, dtype), block.y)


def aligned(array, dtype):
    """``array`` of ``dtype``, aligned in memory: NumPy runs a product with an
    unaligned operand (as a buffer received from another process can be)
    without BLAS, several times slower."""
    if not isinstance(array, np.ndarray):
        return array.astype(dtype, copy=False)  # sparse
    return np.require(array, dtype, ["ALIGNED"])


# --------------------------------------------------------------------------------------
# On the client: the chunks and their summaries
# --------------------------------------------------------------------------------------
class Chunks(NamedTuple):
    """Data on the cluster: the futures of its chunks (`Block`, validated), their
    `Summary`, the `_rules.TargetSummary` of all of them, the number of
    features, and the collections it was given as (None for a hold-out)."""

    blocks: list
    summaries: list
    summary: _rules.TargetSummary
    n_features: int
    given: tuple | None

    @property
    def dtype(self):
        return np.dtype(self.summaries[0].dtype)


def build(
    client,
    X,
    y,
    sample_weight,
    *,
    sparse_rows=False,
    y_name="y",
    kind=_targets.LABELS,
    owner="TwoLayerClassifier",
):
    """The `Chunks` of ``X, y, sample_weight``, validated on the workers, where
    they stay.

    ``sparse_rows``: sparse chunks become CSR, whose rows can be taken.
    ``y_name``: the argument ``y`` was passed as, for the messages. ``kind``:
    the `_targets.Kind` of ``y``; ``owner``: the estimator, for the messages.
    """
    import dask

    X_blocks, lengths = row_blocks(X)
    divisions = X.divisions if getattr(X, "known_divisions", False) else None
    y_blocks, lengths = aligned_blocks(y, X_blocks, lengths, client, "y", divisions)
    w_blocks, lengths = aligned_blocks(
        sample_weight, X_blocks, lengths, client, "sample_weight", divisions
    )
    validated = [
        dask.delayed(validated_block, pure=True)(
            Xb, yb, wb, i, sparse_rows, kind, y_name
        )
        for i, (Xb, yb, wb) in enumerate(zip(X_blocks, y_blocks, w_blocks, strict=True))
    ]
    blocks = client.compute(validated)
    summaries = summarise(client, blocks, y_name, kind)
    found = [s.non_finite for s in summaries]
    if any(f is not None for f in found):
        lengths = [s.targets.rows for s in summaries]
        merged = _values.merge_non_finite(found, lengths)
        kind.refuse_non_finite(merged, y_name, y)
    dtypes = {np.dtype(s.dtype) for s in summaries}
    if len(dtypes) > 1:
        raise ValueError(
            f"The chunks of X have different dtypes {sorted(map(str, dtypes))}; "
            "give X one dtype."
        )
    if len({s.targets.width for s in summaries}) > 1:
        raise ValueError(
            "The chunks of y mix 1-D targets and 2-D ones of different widths; "
            "pass one kind of target."
        )
    if sum(s.targets.rows for s in summaries) == 0:
        raise ValueError(
            f"Found array with 0 sample(s) while a minimum of 1 is required by {owner}."
        )
    given = (X, y, sample_weight)
    return Chunks(blocks, summaries, merged_summary(summaries), n_features(X), given)


def summarise(client, blocks, y_name="y", kind=_targets.LABELS):
    """The `Summary` of each block (targets of the `_targets.Kind` ``kind``),
    fetched from the workers in the chunks' order: a chunk that fails its
    checks raises the error of the first such chunk, whichever finished first,
    so that it is the error of the fit in memory, which meets the first bad
    row first."""
    futures = client.map(summary, blocks, name=y_name, kind=kind)
    return [future.result() for future in futures]


def n_features(X):
    """Columns of a dask array or DataFrame, known without computing it."""
    return len(X.columns) if hasattr(X, "columns") else int(X.shape[1])


def merged_summary(summaries):
    """The `_rules.TargetSummary` of the labels of all chunks."""
    return _rules.merge_targets([s.targets for s in summaries])
