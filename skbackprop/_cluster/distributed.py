"""Exact data-parallel training on dask: each chunk of rows on its worker.

The loss is a weighted sum over rows, ``sum_i s_i L_i`` (``L_i`` the row's
cross-entropy for a classifier, half its squared error for a regressor), with
weights ``s`` normalised over all rows; so is its gradient. With ``s``
normalised globally, the sums of the chunks of rows add up to the full-batch
loss and gradient, and a fit on dask collections descends the same objective as
a fit in memory, up to the order of summation:

- `OnCluster` is the backend that `BaseTwoLayerNetwork.fit` hands dask
  collections to: the steps of the fit in memory, on chunks of rows validated
  and summarised on their workers (`chunks`). The rules of the fit in memory
  (`_training.rules`: the classes, the class weights, the sizes of early
  stopping's hold-out) read these summaries, added up.
- `hold_out` draws the hold-out's rows chunk by chunk; `problem` checks the
  weights by their summaries, normalises them over all chunks and makes each
  chunk a *part* ``(X, Y, s, y)`` held on its worker (`ClusterProblem`).
- `Objective` is `loops.Objective` for parts: it sends the weights to every
  worker, each part computes its share of the loss and gradient with
  `_backprop.loss_gradient` (the in-memory pass, with the L2 term left out), a
  tree of fixed shape adds the shares in chunk order (`tree_sum`), and the
  client adds the L2 term and takes the step. The sum is the same, bit for bit,
  whichever worker computes which part: a worker that dies costs the time to
  recompute its parts from their lineage, not a change in the model.

dask is the optional ``dask`` extra; it is imported by the functions that need
it, never when this module is imported.
"""

import math
import uuid
from typing import NamedTuple

import numpy as np

from .._engine import backprop as _backprop
from .._engine import network as _network
from .._engine.blas import flat
from .._training import rules as _rules
from .._training import solvers as _solvers
from .._training import targets as _targets
from .._training.loops import Closing
from .._training.report import UNSCALED_RMS, far_from_unit_scale
from .._training.solvers import SOLVERS
from .chunks import (
    Chunks,
    aligned,
    build,
    is_dask_collection,
    known_rows,
    make_part,
    merged_summary,
    split_block,
    summarise,
    weight_share,
    weight_summary,
)

FAN_IN = 8  # shares added per task of the reduction tree
# Weights are sent inside the tasks up to this many bytes in all, else scattered.
SCATTER_BYTES = 2**23

INCREMENTAL_ADVICE = (
    "dask_ml.wrappers.Incremental({owner}(solver={solver!r})), which "
    "calls partial_fit on the chunks one after the other"
)


# --------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------
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


def check_full_batch(solver, batches, owner="TwoLayerClassifier"):
    """Only full-batch solvers take a dask input: their gradient is a sum over the
    chunks. A mini-batch solver steps through the rows in sequence. ``owner``:
    the estimator's class name, for the advice."""
    if batches != "full" and batches is not None:
        raise ValueError(
            f"solver={solver!r} steps through mini-batches one after the other, "
            "which the chunks of a dask input do not allow without moving them to "
            "one machine. On dask collections use solver='gd' or 'lbfgs' (exact "
            "full-batch steps, each chunk on its worker), or "
            + INCREMENTAL_ADVICE.format(owner=owner, solver=solver)
            + "."
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
        self.owner = type(estimator).__name__
        check_full_batch(solver, batches, self.owner)
        self.estimator, self.client = estimator, current_client()
        self.kind = estimator._target_kind  # a `_targets.Kind`: labels or values

    def weights(self, theta):
        return theta  # the client steps them

    def auto_solver(self, n_rows):
        return _solvers.auto_solver(n_rows, full_batch_only=True)

    def data(self, X, y, sample_weight, reset, holding_out):
        self.estimator._check_dask_X(X, reset=reset)
        return build(
            self.client,
            X,
            y,
            sample_weight,
            sparse_rows=holding_out,
            kind=self.kind,
            owner=self.owner,
        )

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
        return build(
            self.client, *given, y_name="y_val", kind=self.kind, owner=self.owner
        )

    def hold_out(self, data, sizes, rng):
        train, val, alone = hold_out(
            self.client, data.blocks, data.summaries, sizes, rng
        )
        return self._of(train, data, data.given), self._of(val, data, None), alone

    def _of(self, blocks, data, given):
        """The `Chunks` of ``blocks``, rows of ``data``."""
        summaries = summarise(self.client, blocks, kind=self.kind)
        summary = merged_summary(summaries)
        return Chunks(blocks, summaries, summary, data.n_features, given)

    def problem(self, data, net, weights, validation=False):
        # the module's
        return problem(self.client, data, net, weights, validation, self.kind)

    def scored(self, data, weights, problem):
        # as given to fit; a hold-out, as the parts hold it
        return scored_collections(problem) if data.given is None else data.given

    def objective(self, problem, l2):
        return Objective(problem, l2)

    def validation_loss(self, val):
        return Objective(val, 0.0).loss

    def unscaled(self, problem):
        return lambda X: unscaled_column(problem)

    def unscaled_targets(self, problem):
        return lambda: unscaled_targets(problem)


# --------------------------------------------------------------------------------------
# Early stopping's hold-out
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# The problem: the parts on the cluster
# --------------------------------------------------------------------------------------
class Shape(NamedTuple):
    """The shape and dtype of data held on the cluster, as the estimator asks."""

    shape: tuple
    dtype: np.dtype


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
    y: np.ndarray  # `_rules.like_y`
    parts: list
    client: object
    weighted: bool  # whether the weights are not all equal


def problem(client, data, net, weights, validation=False, kind=_targets.LABELS):
    """The `Chunks` ``data`` as parts for the network ``net`` (a
    `_targets.Net`), with the rows weighted by their sample weights times the
    class weights ``weights`` (`_rules.ClassWeights`, or None), checked by
    `_rules.check_weights` (``validation``: they are those of a validation set)
    and normalised over all chunks as in memory; the targets are encoded by
    ``kind`` (a `_targets.Kind`)."""
    classes, layout, output, activation = net
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
        kind=kind,
        pure=False,
    )
    return ClusterProblem(
        Shape((summary.rows, layout.n_features), dtype),
        None,
        None,
        classes,
        layout,
        output,
        activation,
        _rules.like_y(data.summary),
        parts,
        client,
        summary.weighted,
    )


# --------------------------------------------------------------------------------------
# The objective and the validation loss on the cluster
# --------------------------------------------------------------------------------------
class Objective(Closing):
    """The training loss and its gradient summed over the parts on the cluster,
    ``objective(theta, rows, s_rows)`` as `loops.Objective` (``rows`` must
    be None: the steps are full-batch; ``s_rows`` is ignored, the parts hold
    their weights).

    Each call sends ``theta`` to the workers, adds the parts' shares in chunk
    order by `tree_sum`, and adds the L2 term here. It holds no resources of
    its own (weights sent to the workers go with the futures of the call); it
    is a context manager, as `loops.Objective`, so that training uses
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
        """The loss of the parts, without the L2 term."""
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


def part_loss_gradient(theta, part, layout, output, activation):
    """The part's share ``sum_i s_i L_i`` of the loss, and of its gradient (the
    L2 term is the client's, added once)."""
    if not len(part.y):
        return 0.0, np.zeros_like(theta)
    theta = aligned(theta, theta.dtype)
    return _backprop.loss_gradient(
        theta, layout, part.X, part.Y, part.s, 0.0, output, activation=activation
    )


def part_loss(theta, part, layout, output, activation):
    """The part's share of the loss, as `_network.loss` computes it."""
    if not len(part.y):
        return 0.0
    theta = aligned(theta, theta.dtype)
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
# The parts as the report and scorers see them
# --------------------------------------------------------------------------------------
def part_squares(part):
    """Column sums of squares of the part's ``X``, in float64."""
    X = part.X
    if hasattr(X, "multiply"):
        return np.asarray(X.multiply(X).sum(axis=0), dtype=np.float64).ravel()
    return np.einsum("ij,ij->j", X, X, dtype=np.float64)


def unscaled_column(data):
    """`report.unscaled_column` of the ``X`` of the parts, on the cluster."""
    client = data.client
    squares = tree_sum(client, client.map(part_squares, data.parts, pure=False))
    squares = squares / data.X.shape[0]
    column = int(np.argmax(squares))
    rms = float(np.sqrt(squares[column]))
    return (column, rms) if rms > UNSCALED_RMS else None


def part_target_moments(part):
    """The part's row count, and the column sums and sums of squares of its
    targets ``Y``, in float64: one vector."""
    Y = part.Y.astype(np.float64)
    return np.concatenate([[len(Y)], Y.sum(axis=0), np.einsum("ij,ij->j", Y, Y)])


def unscaled_targets(data):
    """`report.unscaled_targets` of the targets of the parts, on the cluster:
    their means and standard deviations from the parts' sums."""
    client = data.client
    moments = tree_sum(client, client.map(part_target_moments, data.parts, pure=False))
    n, k = moments[0], data.layout.n_outputs
    mean = moments[1 : 1 + k] / n
    spread = np.sqrt(np.maximum(moments[1 + k :] / n - mean**2, 0.0))
    return far_from_unit_scale(mean, spread)


def scored_collections(data):
    """``(X, y, sample_weight)`` of the parts as dask arrays, for scorers:
    computed chunk by chunk on the workers when a scorer asks for them.

    The targets are declared as the parts hold them (1-D values or labels, a
    matrix of several columns), of the type of theirs: the summaries of the
    targets do not say whether one column of values was 1-D.
    """
    import dask
    import dask.array as da

    client, parts = data.client, data.parts
    targets = client.gather(client.map(_part_targets, parts))
    m, dtype = data.layout.n_features, data.X.dtype

    def column(name, shapes, dtype_of):
        pieces = [
            da.from_delayed(dask.delayed(part_field)(part, name), shape, dtype=dtype_of)
            for part, shape in zip(parts, shapes, strict=True)
        ]
        return da.concatenate(pieces)

    rows = [shape[0] for shape, _ in targets]
    X = column("X", [(n, m) for n in rows], dtype)
    y_dtype = np.result_type(*(y_dtype for _, y_dtype in targets))
    y = column("y", [shape for shape, _ in targets], y_dtype)
    s = column("s", [(n,) for n in rows], dtype) if data.weighted else None
    return X, y, s


def _part_targets(part):
    """The shape and dtype of the part's targets."""
    return part.y.shape, part.y.dtype
