"""Exact data-parallel training on dask: each chunk of rows on its worker.

The loss is a weighted sum over rows, ``sum_i s_i CE_i``, with weights ``s``
normalised over all rows; so is its gradient. With ``s`` normalised globally,
the sums of the chunks of rows add up to the full-batch loss and gradient, and a
fit on dask collections descends the same objective as a fit in memory, up to
the order of summation:

- `build` validates the chunks of ``X``, ``y`` and ``sample_weight`` on the
  workers, where they stay, and returns what the client needs to know about
  them, all of it small: row counts, the labels and their counts per chunk
  (`Summary`). The rules of the fit in memory (`_training.rules`: the classes,
  the class weights, the sizes of early stopping's hold-out) read these
  summaries, added up; `hold_out` draws the hold-out's rows chunk by chunk;
  `problem` checks the weights by their summaries, normalises them over all
  chunks and makes each chunk a *part* ``(X, Y, s, y)`` held on its worker.
- `Objective` is `_training.Objective` for parts: it sends the weights to every
  worker, each part computes its share of the loss and gradient with
  `_backprop.loss_gradient` (the in-memory pass, with the L2 term left out), a
  tree of fixed shape adds the shares in chunk order, and the client adds the L2
  term and takes the step. The sum is the same, bit for bit, whichever worker
  computes which part: a worker that dies costs the time to recompute its parts
  from their lineage, not a change in the model.
- `OnCluster` is the backend that `BaseTwoLayerNetwork.fit` hands dask
  collections to: the steps of the fit in memory, on these chunks and parts.
- `predict_lazily` maps a prediction method over the chunks of a dask input.

dask is the optional ``dask`` extra; it is imported by the functions that need
it, never when this module is imported.
"""

import math
import sys
import uuid
from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_array, column_or_1d

from .._engine import backprop as _backprop
from .._engine import network as _network
from .._engine.blas import flat
from .._training import rules as _rules
from .._training import solvers as _solvers
from .._training import targets as _targets
from .._training.report import UNSCALED_RMS
from .._training.solvers import SOLVERS

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
    if y.ndim == 2 and len(y):
        _targets.check_indicator(y, "y")
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
    labels, and the dtype of its ``X``."""

    targets: _rules.TargetSummary
    dtype: np.dtype


def summary(block, name="y"):
    """The chunk's `Summary`; its labels are checked as `fit` checks ``y``
    (``name``: the argument it was passed as)."""
    return Summary(_rules.summarise_targets(block.y, name), block.X.dtype)


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


def make_part(block, classes, weights, top, total, dtype):
    """The chunk as the pass takes it: targets encoded with ``classes``,
    weights normalised by the maximum ``top`` and the total ``total`` of all
    chunks (`_rules.normalised`), as in memory."""
    # its labels are among classes: checked on the client
    Y = _targets.encode(block.y, classes, dtype)
    w = _rules.loss_weights(block.w, block.y, weights)
    s = _rules.normalised(w, len(block.y), top, total, dtype)
    return Part(_aligned(block.X, dtype), Y, _aligned(s, dtype), block.y)


def _aligned(array, dtype):
    """``array`` of ``dtype``, aligned in memory: NumPy runs a product with an
    unaligned operand (as a buffer received from another process can be)
    without BLAS, several times slower."""
    if not isinstance(array, np.ndarray):
        return array.astype(dtype, copy=False)  # sparse
    return np.require(array, dtype, ["ALIGNED"])


def part_loss_gradient(theta, part, layout, activation):
    """The part's share ``sum_i s_i CE_i`` of the loss, and of its gradient (the
    L2 term is the client's, added once)."""
    if not len(part.y):
        return 0.0, np.zeros_like(theta)
    theta = _aligned(theta, theta.dtype)
    return _backprop.loss_gradient(
        theta, layout, part.X, part.Y, part.s, 0.0, activation
    )


def part_loss(theta, part, layout, activation):
    """The part's share of the cross-entropy, as `_network.loss` computes it."""
    if not len(part.y):
        return 0.0
    theta = _aligned(theta, theta.dtype)
    return _network.loss(theta, layout, part.X, part.Y, part.s, 0.0, activation)


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


def build(client, X, y, sample_weight, *, sparse_rows=False, y_name="y"):
    """The `Chunks` of ``X, y, sample_weight``, validated on the workers, where
    they stay.

    ``sparse_rows``: sparse chunks become CSR, whose rows can be taken.
    ``y_name``: the argument ``y`` was passed as, for the messages.
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
    summaries = summarise(client, blocks, y_name)
    dtypes = {np.dtype(s.dtype) for s in summaries}
    if len(dtypes) > 1:
        raise ValueError(
            f"The chunks of X have different dtypes {sorted(map(str, dtypes))}; "
            "give X one dtype."
        )
    if len({s.targets.width for s in summaries}) > 1:
        raise ValueError(
            "The chunks of y mix 1-D labels and indicator matrices of different "
            "widths; pass one kind of target."
        )
    if sum(s.targets.rows for s in summaries) == 0:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required by "
            "TwoLayerClassifier."
        )
    given = (X, y, sample_weight)
    return Chunks(blocks, summaries, merged_summary(summaries), n_features(X), given)


def summarise(client, blocks, y_name="y"):
    """The `Summary` of each block, fetched from the workers."""
    return client.gather(client.map(summary, blocks, name=y_name))


def n_features(X):
    """Columns of a dask array or DataFrame, known without computing it."""
    return len(X.columns) if hasattr(X, "columns") else int(X.shape[1])


def merged_summary(summaries):
    """The `_rules.TargetSummary` of the labels of all chunks."""
    return _rules.merge_targets([s.targets for s in summaries])


def hold_out(client, blocks, summaries, sizes, rng):
    """Split early stopping's hold-out of `_rules.hold_out_sizes` ``sizes`` off
    the chunks, on the workers.

    Each class's hold-out is split between the chunks by a multivariate
    hypergeometric draw, so that every set of rows of those sizes is equally
    likely, as in a stratified split in memory; each chunk then draws its rows.
    All draws come from ``rng``, on the client, from the summaries alone.

    Returns the futures of the training and validation blocks and the labels of
    the classes of a single sample.
    """
    targets = [s.targets for s in summaries]
    labels, alone = sizes.strata, sizes.alone
    if labels is None:  # the rows of each chunk that can be held out
        table = np.array([[t.rows - _counts_of(t, alone).sum()] for t in targets])
        quota = np.array([sizes.n_val])
    else:
        table = np.array(
            [_counts_of(t, labels) for t in targets], dtype=np.int64
        ).reshape(len(targets), len(labels))
        quota = _stratified_counts(table.sum(axis=0), sizes.n_val, rng)
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


def _counts_of(targets, labels):
    """The rows of each of ``labels`` in a chunk (`_rules.TargetSummary`)."""
    counts = np.zeros(len(labels), np.int64)
    present = np.isin(targets.labels, labels)
    counts[np.searchsorted(labels, targets.labels[present])] = targets.counts[present]
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
    activation: str
    y: np.ndarray  # `_rules.like_y`
    parts: list
    client: object
    weighted: bool  # whether the weights are not all equal


def problem(client, data, net, weights, validation=False):
    """The `Chunks` ``data`` as parts for the network ``net`` (a
    `_targets.Net`), with the rows weighted by their sample weights times the
    class weights ``weights`` (`_rules.ClassWeights`, or None), checked by
    `_rules.check_weights` (``validation``: they are those of a validation set)
    and normalised over all chunks as in memory."""
    classes, layout, activation = net
    blocks, dtype = data.blocks, data.dtype
    summary = _rules.merge_weights(
        client.gather(client.map(weight_summary, blocks, weights=weights))
    )
    _rules.check_weights(summary, validation)
    top = summary.top
    total = math.fsum(
        client.gather(client.map(weight_share, blocks, weights=weights, top=top))
    )
    parts = client.map(
        make_part,
        blocks,
        classes=classes,
        weights=weights,
        top=top,
        total=total,
        dtype=dtype,
        pure=False,
    )
    return ClusterProblem(
        Shape((summary.rows, layout.n_features), dtype),
        None,
        None,
        classes,
        layout,
        activation,
        _rules.like_y(data.summary),
        parts,
        client,
        summary.weighted,
    )


# --------------------------------------------------------------------------------------
# The backend of a fit on the cluster
# --------------------------------------------------------------------------------------
class OnCluster:
    """The backend of `BaseTwoLayerNetwork.fit` for dask collections: the steps
    of the fit in memory (`_training.in_memory`, which lists what a backend
    does), on the chunks of rows on their workers.

    Parameters
    ----------
    estimator : BaseTwoLayerNetwork
        The estimator being fitted, which checks the feature names and count of
        a dask ``X`` (``_check_dask_X``).

    Raises
    ------
    ValueError
        If the solver takes mini-batches, or there is no dask.distributed
        client to run the fit.
    """

    # The network is known before any hold-out: its weights are drawn first, so
    # a hold-out changes the training rows, not the start.
    draws_start_first = True

    def __init__(self, estimator):
        solver = estimator.solver
        batches = SOLVERS[self.auto_solver(0) if solver == "auto" else solver].batches
        check_full_batch(solver, batches)
        self.estimator, self.client = estimator, current_client()

    def auto_solver(self, n_rows):
        return _solvers.auto_solver(n_rows, full_batch_only=True)

    def data(self, X, y, sample_weight, reset, holding_out):
        self.estimator._check_dask_X(X, reset=reset)
        return build(self.client, X, y, sample_weight, sparse_rows=holding_out)

    def checked_weights(self, data):
        return data  # each chunk's weights are checked with the chunk

    def validation_set(self, X_val, y_val, sample_weight_val):
        if not is_dask_collection(X_val):
            raise ValueError(
                "X_val must be a dask collection, as X is: dask.array.from_array "
                "makes one of a NumPy array, dask.dataframe.from_pandas of a "
                "pandas DataFrame."
            )
        self.estimator._check_dask_X(X_val, reset=False)
        scoring = self.estimator.scoring
        given = (X_val, y_val, sample_weight_val)
        if scoring != "loss" and not all(known_rows(v) for v in given if v is not None):
            raise ValueError(
                f"scoring={scoring!r} needs the rows of each chunk of X_val "
                "and y_val, and a dask DataFrame or Series does not know them: "
                "pass X_val.to_dask_array(lengths=True) and "
                "y_val.to_dask_array(lengths=True), or scoring='loss'."
            )
        return build(self.client, *given, y_name="y_val")

    def hold_out(self, data, sizes, rng):
        train, val, alone = hold_out(
            self.client, data.blocks, data.summaries, sizes, rng
        )
        return self._of(train, data, data.given), self._of(val, data, None), alone

    def _of(self, blocks, data, given):
        """The `Chunks` of ``blocks``, rows of ``data``."""
        summaries = summarise(self.client, blocks)
        summary = merged_summary(summaries)
        return Chunks(blocks, summaries, summary, data.n_features, given)

    def problem(self, data, net, weights, validation=False):
        return problem(self.client, data, net, weights, validation)

    def scored(self, data, weights, problem):
        # as given to fit; a hold-out, as the parts hold it
        return scored_collections(problem) if data.given is None else data.given

    def objective(self, problem, l2):
        return Objective(problem, l2)

    def validation_loss(self, val):
        return Objective(val, 0.0).loss

    def unscaled(self, problem):
        return lambda X: unscaled_column(problem)


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
        self.layout, self.activation, self.l2 = data.layout, data.activation, l2

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
        """Futures of ``function(theta, part, layout, activation)``, part by part.

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
