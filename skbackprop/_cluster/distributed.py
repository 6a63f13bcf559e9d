"""Exact data-parallel training on dask: each chunk of rows on its worker.

The loss is a weighted sum over rows, ``sum_i s_i CE_i``, with weights ``s``
normalised over all rows; so is its gradient. With ``s`` normalised globally,
the sums of the chunks of rows add up to the full-batch loss and gradient, and a
fit on dask collections descends the same objective as a fit in memory, up to
the order of summation:

- `build` validates the chunks of ``X``, ``y`` and ``sample_weight`` on the
  workers, where they stay, and returns what the client needs to know about
  them, all of it small: row counts, the labels and their counts per chunk
  (`Summary`). Classes (`network`), class weights (`class_weights`) and early
  stopping's hold-out (`hold_out`) are decided from these summaries; `problem`
  normalises the weights over all chunks and makes each chunk a *part*
  ``(X, Y, s, y)`` held on its worker.
- `Objective` is `_training.Objective` for parts: it sends the weights to every
  worker, each part computes its share of the loss and gradient with
  `_backprop.loss_gradient` (the in-memory pass, with the L2 term left out), a
  tree of fixed shape adds the shares in chunk order, and the client adds the L2
  term and takes the step. The sum is the same, bit for bit, whichever worker
  computes which part: a worker that dies costs the time to recompute its parts
  from their lineage, not a change in the model.
- `predict_lazily` maps a prediction method over the chunks of a dask input.

dask is the optional ``dask`` extra; it is imported by the functions that need
it, never when this module is imported.
"""

import math
import sys
import uuid
from typing import NamedTuple

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d

from .._engine import backprop as _backprop
from .._engine import network as _network
from .._engine.blas import flat
from .._training import targets as _targets
from .._training.report import UNSCALED_RMS

FLOATS = [np.float64, np.float32]
FAN_IN = 8  # shares added per task of the reduction tree
# Weights are sent inside the tasks up to this many bytes in all, else scattered.
SCATTER_BYTES = 2**23

INCREMENTAL_ADVICE = (
    "dask_ml.wrappers.Incremental(TwoLayerClassifier(solver={solver!r})), which "
    "calls partial_fit on the chunks one after the other"
)


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


def current_client():
    """The dask.distributed client that runs the fit; a clear error if none."""
    try:
        from distributed import default_client
    except ImportError as error:
        raise ImportError(
            "Fitting on dask collections runs on a dask.distributed cluster, which "
            "needs the dask extra: pip install 'skbackprop[dask]'"
        ) from error
    try:
        return default_client()
    except ValueError as error:
        raise ValueError(
            "Fitting on dask collections runs on the current dask.distributed "
            "Client, and there is none. Start one first (distributed.Client() "
            "starts a local cluster), or pass NumPy arrays (X.compute()) to fit "
            "in memory."
        ) from error


def check_full_batch(solver, batches):
    """Only full-batch solvers take a dask input: their gradient is a sum over the
    chunks. A mini-batch solver steps through the rows in sequence."""
    if batches != "full" and batches is not None:
        raise ValueError(
            f"solver={solver!r} steps through mini-batches one after the other, "
            "which the chunks of a dask input do not allow without moving them to "
            "one machine. On dask collections use solver='gd' or 'lbfgs' (exact "
            "full-batch steps, each chunk on its worker), or "
            + INCREMENTAL_ADVICE.format(solver=solver)
            + "."
        )


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
    """One chunk of rows, validated: ``X``, labels ``y``, raw weights ``w``."""

    X: object
    y: np.ndarray
    w: np.ndarray | None
    index: int


class Part(NamedTuple):
    """One chunk of rows as the pass takes it: inputs, targets, normalised
    weights, and the labels (for scorers)."""

    X: object
    Y: np.ndarray
    s: np.ndarray
    y: np.ndarray


def validated_block(X, y, w, index, sparse_rows):
    """Validate one chunk as `fit` validates all of X, y and sample_weight.

    The same checks (`check_array` with the dtypes of `fit`, the targets of a
    classifier, finite non-negative weights) raise the same errors, on the
    worker; the chunk's row counts must agree.
    """
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
        y, ensure_2d=False, dtype=None, ensure_min_samples=0, input_name="y"
    )
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y)
    _check_rows(X, y, "y", index)
    if y.ndim == 2:
        if len(y):
            _targets.check_indicator(y, "y")
    elif len(y):
        check_classification_targets(y)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D, one weight per sample; got shape "
                f"{w.shape} in chunk {index}."
            )
        _check_rows(X, w, "sample_weight", index)
        if not np.isfinite(w).all():
            raise ValueError("sample_weight contains NaN or infinity.")
        if (w < 0).any():
            raise ValueError("sample_weight contains negative values.")
    return Block(X, y, w, index)


def _check_rows(X, other, name, index):
    if other.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and {name} are chunked differently: chunk {index} of X has "
            f"{X.shape[0]} rows, of {name} {other.shape[0]}. Chunk {name} like "
            "the rows of X (the same partitions), or pass it as a NumPy array."
        )


class Summary(NamedTuple):
    """What the client learns about a chunk: sizes, dtype, labels and counts."""

    rows: int
    dtype: np.dtype
    n_labels: int | None  # columns of a multilabel y, else None
    labels: np.ndarray  # distinct labels of a 1-D y (empty for multilabel)
    counts: np.ndarray  # rows of each label


def summary(block):
    y = block.y
    if y.ndim == 2:
        return Summary(len(y), block.X.dtype, y.shape[1], y[:0, 0], np.zeros(0, int))
    labels, counts = np.unique(y, return_counts=True)
    return Summary(len(y), block.X.dtype, None, labels, counts)


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


def weights(block, labels, class_weights):
    """The chunk's sample weights times the weight of each row's class (None:
    all ones)."""
    w = block.w
    if class_weights is not None:
        cw = class_weights[np.searchsorted(labels, block.y)]
        w = cw if w is None else cw * w
    return w


def weight_max(block, labels, class_weights):
    w = weights(block, labels, class_weights)
    return 1.0 if w is None else (float(w.max()) if len(w) else 0.0)


def weight_sum(block, labels, class_weights, top):
    w = weights(block, labels, class_weights)
    return float(len(block.y)) if w is None else float((w / top).sum())


def make_part(block, classes, labels, class_weights, top, total, dtype):
    """The chunk as the pass takes it: targets encoded with ``classes``,
    weights normalised by the maximum ``top`` and the total ``total`` of all
    chunks, as `_targets.normalised_weights` normalises all of them."""
    y = block.y  # its labels are among classes: checked on the client
    if y.ndim == 2:
        Y = y.astype(dtype)
    else:  # as _targets.encode_targets
        Y = _network.targets(np.searchsorted(classes, y), len(classes), dtype)
    w = weights(block, labels, class_weights)
    if w is None:
        s = np.full(len(block.y), 1.0 / total)
    else:
        s = (w / top) / total
    return Part(_aligned(block.X, dtype), Y, _aligned(s, dtype), block.y)


def _aligned(array, dtype):
    """``array`` of ``dtype``, aligned in memory: NumPy runs a product with an
    unaligned operand (as a buffer received from another process can be)
    without BLAS, several times slower."""
    if not isinstance(array, np.ndarray):
        return array.astype(dtype, copy=False)  # sparse
    return np.require(array, dtype, ["ALIGNED"])


def part_loss_gradient(theta, part, layout, output, activation):
    """The part's share ``sum_i s_i CE_i`` of the loss, and of its gradient (the
    L2 term is the client's, added once), for the output units ``output`` and
    the hidden units ``activation``."""
    if not len(part.y):
        return 0.0, np.zeros_like(theta)
    theta = _aligned(theta, theta.dtype)
    return _backprop.loss_gradient(
        theta, layout, part.X, part.Y, part.s, 0.0, output, activation=activation
    )


def part_loss(theta, part, layout, output, activation):
    """The part's share of the cross-entropy, as `_network.loss` computes it."""
    if not len(part.y):
        return 0.0
    theta = _aligned(theta, theta.dtype)
    args = theta, layout, part.X, part.Y, part.s, 0.0, output, activation
    return _network.loss(*args)


def add(*shares):
    """Add ``(loss, gradient)`` shares, or losses, in the order given."""
    if isinstance(shares[0], tuple):
        loss, grad = shares[0][0], shares[0][1].copy()
        for value, g in shares[1:]:
            loss += value
            grad += g
        return loss, grad
    total = shares[0]
    for value in shares[1:]:
        total += value
    return total


def part_field(part, name):
    return getattr(part, name)


# --------------------------------------------------------------------------------------
# On the client: data on the cluster
# --------------------------------------------------------------------------------------
class Shape(NamedTuple):
    """The shape and dtype of data held on the cluster, as the estimator asks."""

    shape: tuple
    dtype: np.dtype


def build(client, X, y, sample_weight, *, sparse_rows=False):
    """``(blocks, summaries)``: the chunks of ``X, y, sample_weight`` validated
    on the workers (futures of `Block`, which stay there) and their `Summary`.

    ``sparse_rows``: sparse chunks become CSR, whose rows can be taken.
    """
    import dask

    X_blocks, lengths = row_blocks(X)
    divisions = X.divisions if getattr(X, "known_divisions", False) else None
    y_blocks, lengths = aligned_blocks(y, X_blocks, lengths, client, "y", divisions)
    w_blocks, lengths = aligned_blocks(
        sample_weight, X_blocks, lengths, client, "sample_weight", divisions
    )
    validated = [
        dask.delayed(validated_block, pure=True)(Xb, yb, wb, i, sparse_rows)
        for i, (Xb, yb, wb) in enumerate(zip(X_blocks, y_blocks, w_blocks, strict=True))
    ]
    blocks = client.compute(validated)
    summaries = summarise(client, blocks)
    dtypes = {np.dtype(s.dtype) for s in summaries}
    if len(dtypes) > 1:
        raise ValueError(
            f"The chunks of X have different dtypes {sorted(map(str, dtypes))}; "
            "give X one dtype."
        )
    if len({s.n_labels for s in summaries}) > 1:
        raise ValueError(
            "The chunks of y mix 1-D labels and indicator matrices of different "
            "widths; pass one kind of target."
        )
    if sum(s.rows for s in summaries) == 0:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required by "
            "TwoLayerClassifier."
        )
    return blocks, summaries


def summarise(client, blocks):
    """The `Summary` of each block, fetched from the workers."""
    return client.gather(client.map(summary, blocks))


def n_features(X):
    """Columns of a dask array or DataFrame, known without computing it."""
    return len(X.columns) if hasattr(X, "columns") else int(X.shape[1])


def merged_counts(summaries):
    """The distinct labels of all chunks, sorted, and their counts."""
    labels = np.concatenate([s.labels for s in summaries])
    counts = np.concatenate([s.counts for s in summaries])
    distinct = _targets.sorted_labels(labels, "y") if len(labels) else labels
    totals = np.zeros(len(distinct), np.int64)
    np.add.at(totals, np.searchsorted(distinct, labels), counts)
    return distinct, totals


def class_weights(class_weight, summaries):
    """``(labels, weights)``: the distinct labels of ``y`` and the weight of each,
    as `sklearn.utils.class_weight.compute_sample_weight` gives them
    (`_targets.class_weighted`), from the label counts; ``(None, None)``
    without ``class_weight``."""
    if class_weight is None:
        return None, None
    if summaries[0].n_labels is not None:
        raise ValueError("class_weight is not supported for multilabel y.")
    from sklearn.utils.class_weight import compute_class_weight

    labels, counts = merged_counts(summaries)
    if isinstance(class_weight, dict):
        _targets.check_class_weight(class_weight)
        return labels, compute_class_weight(class_weight, classes=labels, y=labels)
    # 'balanced': n / (n_classes * count), as compute_class_weight computes it
    return labels, counts.sum() / (len(labels) * counts.astype(np.float64))


def hold_out(client, blocks, summaries, fraction, rng):
    """Split early stopping's hold-out off the chunks, on the workers.

    The sizes are those of `_targets.hold_out`: ``ceil(fraction * n)`` of the
    rows that can be held out (a class of a single sample stays in training),
    stratified by class when the hold-out and the rest each have room for every
    class, else plain random, and never stratified for multilabel targets. Each
    class's hold-out is split between the chunks by a multivariate
    hypergeometric draw, so that every set of rows of those sizes is equally
    likely, as in a stratified split in memory; each chunk then draws its rows.
    All draws come from ``rng``, on the client, from the summaries alone.

    Returns the futures of the training and validation blocks and the labels of
    the classes of a single sample.
    """
    if summaries[0].n_labels is not None:  # multilabel
        labels = None
        alone = np.zeros(0)
        table = np.array([[s.rows] for s in summaries])
    else:
        labels, totals = merged_counts(summaries)
        alone = labels[totals == 1]
        labels = labels[totals > 1]
        table = np.array(
            [_counts_of(s, labels) for s in summaries], dtype=np.int64
        ).reshape(len(summaries), len(labels))
    per_class = table.sum(axis=0)
    eligible = int(per_class.sum())
    n_val = math.ceil(fraction * eligible)
    if eligible - n_val < 1:
        raise ValueError(
            f"early_stopping=True cannot hold out validation_fraction={fraction} of "
            f"{sum(s.rows for s in summaries)} samples and keep samples to train "
            "on. Pass X_val and y_val, lower validation_fraction, or set "
            "early_stopping=False."
        )
    stratify = labels is not None and min(n_val, eligible - n_val) >= len(labels)
    if stratify:
        quota = _stratified_counts(per_class, n_val, rng)
    else:
        table = table.sum(axis=1, keepdims=True)
        quota = np.array([n_val])
        labels = None
    split = []
    for b, block in enumerate(blocks):
        row_quota = np.zeros(len(quota), np.int64)
        for k in range(len(quota)):
            row_quota[k] = _hypergeometric_share(table, b, k, quota, rng)
        seed = rng.randint(np.iinfo(np.int32).max)
        split.append(client.submit(split_block, block, row_quota, seed, labels, alone))
        table[b] = 0  # the draws of later chunks are from the rest
        quota = quota - row_quota
    train = client.map(_first, split)
    val = client.map(_second, split)
    return train, val, alone


def _first(pair):
    return pair[0]


def _second(pair):
    return pair[1]


def _counts_of(summary, labels):
    counts = np.zeros(len(labels), np.int64)
    present = np.isin(summary.labels, labels)
    counts[np.searchsorted(labels, summary.labels[present])] = summary.counts[present]
    return counts


def _hypergeometric_share(table, b, k, quota, rng):
    """How many of the ``quota[k]`` rows still to hold out of column ``k`` fall in
    chunk ``b``, when they are drawn uniformly from the rows of chunks ``b`` and
    later (``table`` holds the rows of each chunk, 0 for earlier chunks)."""
    good = int(table[b, k])
    bad = int(table[b + 1 :, k].sum())
    draws = int(quota[k])
    if draws == 0 or good == 0:
        return 0
    if bad == 0:
        return draws
    return int(rng.hypergeometric(good, bad, draws))


def _stratified_counts(counts, n_draws, rng):
    """Rows to hold out of each class: proportional to ``counts``, rounded down,
    the remainder to the classes with the largest fractions (ties at random)."""
    exact = counts * (n_draws / counts.sum())
    quota = np.floor(exact).astype(np.int64)
    rest = n_draws - int(quota.sum())
    if rest:
        fractions = exact - quota
        order = np.lexsort((rng.permutation(len(counts)), -fractions))
        quota[order[:rest]] += 1
    return np.minimum(quota, counts)


class ClusterProblem(NamedTuple):
    """What the estimator's `_targets.Problem` holds, for data on the cluster:
    the parts (futures of `Part`) in place of the arrays."""

    X: Shape
    Y: None
    s: None
    classes: np.ndarray
    layout: _network.Layout
    output: str
    activation: str
    y: np.ndarray  # `labels_like_y`
    parts: list
    client: object
    weighted: bool  # whether the weights are not all equal

    @classmethod
    def of(cls, net, summaries):
        """The network ``net`` and the sizes of the data, without parts yet."""
        classes, layout, output, activation = net
        n = sum(s.rows for s in summaries)
        shape = Shape((n, layout.n_features), np.dtype(summaries[0].dtype))
        y = labels_like_y(summaries)
        return cls(
            shape, None, None, classes, layout, output, activation, y, [], None, False
        )


def labels_like_y(summaries):
    """A small array that the checks of targets read as they read ``y``: its
    distinct labels, or for a multilabel ``y`` an empty matrix as wide."""
    if summaries[0].n_labels is not None:
        return np.zeros((0, summaries[0].n_labels), int)
    return merged_counts(summaries)[0]


def network(summaries, classes, n_features, n_hidden, activation="logistic"):
    """``(classes, layout, output, activation)`` of the network for these
    targets, with ``n_hidden`` hidden units of the kind ``activation``, as
    `_targets.problem` decides them (``classes`` None: the labels of ``y``)."""
    dtype = np.dtype(summaries[0].dtype)
    classes, Y, output = _targets.encode_targets(
        labels_like_y(summaries), classes, dtype
    )
    layout = _network.Layout(n_features, int(n_hidden), Y.shape[1])
    return classes, layout, output, activation


def problem(client, blocks, summaries, net, weighting):
    """The chunks ``blocks`` as parts for the network ``net`` (``(classes,
    layout, output, activation)``), with the weights normalised over all of
    them as `_targets.normalised_weights` normalises them in memory.

    ``weighting`` is ``(labels, class_weights)`` from `class_weights`, or
    ``(None, None)``.
    """
    classes, layout, output, activation = net
    labels, cw = weighting
    dtype = np.dtype(summaries[0].dtype)
    top, total = 1.0, float(sum(s.rows for s in summaries))
    weighted = cw is not None or any(
        client.gather(client.map(_block_has_weights, blocks))
    )
    if weighted:
        top = max(
            client.gather(
                client.map(weight_max, blocks, labels=labels, class_weights=cw)
            )
        )
        if not top > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one weight must be positive."
            )
        shares = client.gather(
            client.map(weight_sum, blocks, labels=labels, class_weights=cw, top=top)
        )
        total = math.fsum(shares)
    parts = client.map(
        make_part,
        blocks,
        classes=classes,
        labels=labels,
        class_weights=cw,
        top=top,
        total=total,
        dtype=dtype,
        pure=False,
    )
    n = sum(s.rows for s in summaries)
    return ClusterProblem(
        Shape((n, layout.n_features), dtype),
        None,
        None,
        classes,
        layout,
        output,
        activation,
        labels_like_y(summaries),
        parts,
        client,
        weighted,
    )


def _block_has_weights(block):
    return block.w is not None


# --------------------------------------------------------------------------------------
# The objective and the validation loss on the cluster
# --------------------------------------------------------------------------------------
class Objective:
    """The training loss and its gradient summed over the parts on the cluster,
    ``objective(theta, rows, s_rows)`` as `_training.Objective` (``rows`` must
    be None: the steps are full-batch; ``s_rows`` is ignored, the parts hold
    their weights).

    Each call sends ``theta`` to the workers, adds the parts' shares in chunk
    order by `tree_sum`, and adds the L2 term here. It holds no resources of
    its own (weights sent to the workers go with the futures of the call); it
    is a context manager, as `_training.Objective`, so that training uses
    either alike.
    """

    def __init__(self, data, l2):
        self.client, self.parts = data.client, data.parts
        self.layout, self.l2 = data.layout, l2
        self.output, self.activation = data.output, data.activation

    def __call__(self, theta, rows=None, s_rows=None):
        if rows is not None:
            raise ValueError("the objective on the cluster takes all rows")
        value, grad = tree_sum(self.client, self._map(part_loss_gradient, theta))
        # A buffer received from a worker can be read-only or unaligned: BLAS
        # writes the L2 term into a copy of its own.
        grad = np.array(grad, dtype=theta.dtype, order="C")
        p, dp = self.layout.unpack(theta), self.layout.unpack(grad)
        return _backprop.with_penalty(value, flat(p), flat(dp), self.l2), grad

    def loss(self, theta):
        """The cross-entropy of the parts, without the L2 term."""
        return float(tree_sum(self.client, self._map(part_loss, theta)))

    def _map(self, function, theta):
        """Futures of ``function(theta, part, layout, output, activation)``, part
        by part.

        Small weights travel inside the tasks (one message each way); larger
        ones are scattered to every worker first, once.
        """
        client = self.client
        weights = theta
        if theta.nbytes * len(self.parts) > SCATTER_BYTES:
            weights = client.scatter(theta, broadcast=True, hash=False)
        return client.map(
            function,
            [weights] * len(self.parts),
            self.parts,
            layout=self.layout,
            output=self.output,
            activation=self.activation,
            key=[
                f"skbackprop-{function.__name__}-{uuid.uuid4().hex}" for _ in self.parts
            ],
        )

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def tree_sum(client, futures):
    """The sum of the results of ``futures``, added in their order by a tree of
    fixed shape, so the same inputs give the same sum to the bit.

    Each task of the tree adds `FAN_IN` results, on the workers, until at most
    `FAN_IN` are left; the client fetches and adds those.
    """
    while len(futures) > FAN_IN:
        futures = [
            client.submit(add, *futures[i : i + FAN_IN], pure=False)
            for i in range(0, len(futures), FAN_IN)
        ]
    return add(*client.gather(futures))


def part_squares(part):
    """Column sums of squares of the part's ``X``, in float64."""
    X = part.X
    if hasattr(X, "multiply"):
        return np.asarray(X.multiply(X).sum(axis=0), dtype=np.float64).ravel()
    return np.einsum("ij,ij->j", X, X, dtype=np.float64)


def unscaled_column(data):
    """`_report.unscaled_column` of the ``X`` of the parts, on the cluster."""
    client = data.client
    squares = tree_sum(client, client.map(part_squares, data.parts, pure=False))
    squares = squares / data.X.shape[0]
    column = int(np.argmax(squares))
    rms = float(np.sqrt(squares[column]))
    return (column, rms) if rms > UNSCALED_RMS else None


def scored_collections(data):
    """``(X, y, sample_weight)`` of the parts as dask arrays, for scorers:
    computed chunk by chunk on the workers when a scorer asks for them."""
    import dask
    import dask.array as da

    client, parts = data.client, data.parts
    rows = [s for s in client.gather(client.map(_part_rows, parts))]
    m, dtype = data.layout.n_features, data.X.dtype

    def column(name, shape_of, dtype_of):
        pieces = [
            da.from_delayed(
                dask.delayed(part_field)(part, name), shape_of(n), dtype=dtype_of
            )
            for part, n in zip(parts, rows, strict=True)
        ]
        return da.concatenate(pieces)

    X = column("X", lambda n: (n, m), dtype)
    y_shape = (lambda n: (n, data.y.shape[1])) if data.y.ndim == 2 else (lambda n: (n,))
    y = column("y", y_shape, data.y.dtype)
    s = column("s", lambda n: (n,), dtype) if data.weighted else None
    return X, y, s


def _part_rows(part):
    return len(part.y)


# --------------------------------------------------------------------------------------
# Prediction, chunk by chunk
# --------------------------------------------------------------------------------------
def check_2d(X):
    """A dask ``X`` that is not 2-D (an array of one dimension, a Series) gets
    the error of the in-memory methods, from its empty meta."""
    if X.ndim != 2:
        check_array(X._meta, ensure_min_samples=0, input_name="X")


def predict_lazily(estimator, method, X):
    """``estimator.method`` mapped over the row chunks of the dask collection
    ``X``: a dask array, computed chunk by chunk when asked for.

    Each chunk is predicted by the in-memory method, which validates it (feature
    names included) as it validates any ``X``.
    """
    import dask.array as da

    width = _output_width(estimator, method)
    meta_dtype = _output_dtype(estimator, method, X)
    # an empty array of the output's type and width: dask takes the columns of
    # every chunk from it
    meta = np.empty((0,) if width is None else (0, width), meta_dtype)
    if isinstance(X, da.Array):
        if X.ndim == 2 and X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        kwargs = (
            {"drop_axis": 1} if width is None else {"chunks": (X.chunks[0], (width,))}
        )
        return X.map_blocks(
            _predict_block, estimator, method, dtype=meta_dtype, meta=meta, **kwargs
        )
    return X.map_partitions(_predict_block, estimator, method, meta=meta)


def score(estimator, X, y, sample_weight):
    """The accuracy of ``estimator`` on dask collections: the predictions of
    ``X`` (computed chunk by chunk), the labels and the weights gathered, then
    scikit-learn's `accuracy_score`, which needs their lengths."""
    import dask
    from sklearn.metrics import accuracy_score

    # one collection at a time: dask warns against computing arrays and
    # DataFrames together
    predicted, y, sample_weight = (
        dask.compute(v)[0] if is_dask_collection(v) else v
        for v in (estimator.predict(X), y, sample_weight)
    )
    return float(accuracy_score(y, predicted, sample_weight=sample_weight))


def _output_dtype(estimator, method, X):
    """The dtype of ``estimator.method(X)``: the labels' for `predict` (0/1
    integers for multilabel targets), else the floats of the data and weights,
    as the in-memory method computes them."""
    if method == "predict":
        return np.dtype(int) if estimator._is_multilabel() else estimator.classes_.dtype
    dtypes = list(X.dtypes) if hasattr(X, "dtypes") else [X.dtype]
    data = np.float32 if all(np.dtype(d) == np.float32 for d in dtypes) else float
    return np.result_type(data, estimator.coefs_[0].dtype)


def _predict_block(X, estimator, method):
    """``estimator.method`` of one chunk; a chunk of no rows (a partition that
    a filter emptied) has an output of no rows."""
    if X.shape[0] == 0:
        width = _output_width(estimator, method)
        shape = (0,) if width is None else (0, width)
        return np.empty(shape, _output_dtype(estimator, method, X))
    return getattr(estimator, method)(X)


def _output_width(estimator, method):
    """Columns of the method's output; None for a vector."""
    if method == "hidden_activations":
        return estimator.coefs_[0].shape[1]
    if method in ("predict_proba", "predict_log_proba"):
        return max(2, estimator.n_outputs_)
    if estimator.n_outputs_ == 1:
        return None
    if method == "predict" and not estimator._is_multilabel():
        return None
    return estimator.n_outputs_
