"""Training: the objective, epochs of steps, and the loops that run them.

A fit descends one objective, the weighted mean loss of `_backprop` and its
gradient. The pieces, each a step of the training loop:

- `Objective`: the loss and gradient on all rows or a batch of rows, with the
  buffers and threads of the passes for the whole fit; closing it stops the
  threads.
- `full_batch_epoch`, `minibatch_epoch`, `online_epoch`: one epoch of steps of an
  update rule (`solvers`); each returns the epoch's training loss. `make_epoch`
  picks the one a solver takes.
- `descend` runs epochs under a monitor (`monitor.Monitor`); `lbfgs` runs
  scipy's L-BFGS-B under the same monitor.

The callable shapes passed between them:

- an objective: ``(theta, rows, s_rows) -> (loss, grad)``, the loss on the rows
  ``rows`` (None: all) with weights ``s_rows`` summing to one (a float, or on
  a device a 0-d array there, which the loops read once an epoch);
- an epoch: ``(theta) -> loss``, steps in place;
- ``validate``: ``(theta) -> (validation loss, validation score)``;
- ``on_epoch``: ``(epoch, theta) -> bool``, True to stop.
"""

import math

import numpy as np
from scipy.optimize import minimize

from .._engine import backprop as _backprop
from .._engine import online as _online
from .._engine.workspace import Workspace, row_nonzeros, single_threaded
from . import arrays as _arrays
from .monitor import DIVERGED


# --------------------------------------------------------------------------------------
# The objective
# --------------------------------------------------------------------------------------
class Closing:
    """What every objective is in a ``with`` block: leaving the block calls
    `close`, which frees what the objective holds (nothing, unless it says)."""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


class Objective(Closing):
    """The training loss and its gradient, ``objective(theta, rows, s_rows)``.

    On the rows ``rows`` of ``X`` (None: all of them) with weights ``s_rows``
    summing to one, by `_backprop.loss_gradient`. It keeps one workspace
    (buffers, threads) per batch size and one gradient vector for its whole
    life, so no step allocates them again: the gradient it returns is
    overwritten by the next call. Use it in a ``with`` block: leaving the block
    closes the workspaces, which stops their threads.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, m)
        Inputs.
    Y : ndarray of shape (n, K')
        Targets.
    layout : Layout
        The network's sizes.
    output : {"logistic", "softmax"}
        The output units and their loss, a row of `units.OUTPUTS`.
    l2 : float
        Strength of the L2 term.
    activation : {"logistic", "tanh", "relu", "identity"}, default="logistic"
        The hidden units, a row of `units.ACTIVATIONS`.
    """

    def __init__(self, X, Y, layout, output, l2, activation="logistic"):
        self.X, self.Y, self.layout = X, Y, layout
        self.output, self.l2, self.activation = output, l2, activation
        self.grad = np.empty(layout.size, X.dtype)
        self.row_nonzeros = row_nonzeros(X)  # of all rows: one plan per batch size
        self.workspaces = {}

    def __call__(self, theta, rows=None, s_rows=None):
        X, Y = (self.X, self.Y) if rows is None else (self.X[rows], self.Y[rows])
        n = X.shape[0]
        if n not in self.workspaces:
            self.workspaces[n] = Workspace(
                self.layout, n, theta.dtype, row_nonzeros=self.row_nonzeros
            )
        return _backprop.loss_gradient(
            theta,
            self.layout,
            X,
            Y,
            s_rows,
            self.l2,
            self.output,
            activation=self.activation,
            out=self.grad if self.grad.dtype == theta.dtype else None,
            work=self.workspaces[n],
        )

    def close(self):
        """Stop the threads of the workspaces."""
        for work in self.workspaces.values():
            work.close()


# --------------------------------------------------------------------------------------
# Epochs
# --------------------------------------------------------------------------------------
def make_epoch(batches, objective, s, rule, batch_size, rng):
    """The epoch of a solver that takes ``batches`` ("full" or "mini").

    A mini-batch epoch takes batches of ``batch_size`` rows, shuffled with
    ``rng`` unless it is None; batches of one row are online learning, which
    has its own epoch (`online_epoch`). Every epoch runs with BLAS on one
    thread (`single_threaded`), as its passes do: set once per
    epoch rather than at each of its batches.
    """
    if batches == "full":
        epoch = full_batch_epoch(objective, s, rule)
    elif batch_size == 1:
        item = _online.ItemLossGradient(
            objective.layout,
            objective.X,
            objective.Y,
            objective.l2,
            objective.output,
            objective.activation,
        )
        epoch = online_epoch(item, s, rule, rng)
    else:
        epoch = minibatch_epoch(objective, s, rule, batch_size, rng)

    def in_one_blas_thread(theta, *args):
        return single_threaded(epoch, theta, *args)

    # a full-batch epoch's `keep` and loss before the step (`descend`) pass through
    in_one_blas_thread.loss_before_step = getattr(epoch, "loss_before_step", False)
    return in_one_blas_thread


def full_batch_epoch(objective, s, rule):
    """One step on all samples; the loss returned is the loss before the step.

    ``objective(theta, rows, s_rows)`` is the loss and gradient (`Objective`).
    The epoch takes an optional ``keep(loss, theta)``, called with the loss
    and the weights it was taken at, before the step (`descend`).
    """

    def epoch(theta, keep=None):
        loss, grad = objective(theta, None, s)
        loss = float(loss)  # on a device, the one wait of the epoch
        if keep is not None:
            keep(loss, theta)
        rule.step(theta, grad)
        return loss

    epoch.loss_before_step = True
    return epoch


def minibatch_epoch(objective, s, rule, batch_size, rng=None):
    """One pass over the samples in batches of ``batch_size``, a step per batch.

    The samples are shuffled with ``rng`` at each epoch unless ``rng`` is None.
    Each step descends the weighted mean loss of its batch; the epoch's loss is
    the weighted mean of the batch losses, ``sum_i s_i CE_i``, taken as the
    weights move. A batch whose weights are all zero carries no gradient and is
    skipped.
    """
    n = len(s)
    starts = np.arange(0, n, batch_size)

    def epoch(theta):
        order = rng.permutation(n) if rng is not None else None
        masses, s_batches = batch_weights(s if order is None else s[order], starts)
        total = 0.0
        for b, start in enumerate(range(0, n, batch_size)):
            mass = float(masses[b])
            if mass <= 0:
                continue
            rows = slice(start, start + batch_size)
            loss, grad = objective(
                theta, rows if order is None else order[rows], s_batches[rows]
            )
            rule.step(theta, grad)
            total += mass * loss  # on a device, summed there
        return float(total)

    return epoch


def online_epoch(item_loss_gradient, s, rule, rng=None):
    """One pass over the samples, a step per sample: the notes' online learning.

    ``item_loss_gradient(theta, i)`` is the loss of sample ``i`` alone and its
    gradient. This is `minibatch_epoch` with batches of one, with less work per
    step: a batch of one has its own loss as its weighted mean, so a weight only
    decides whether a sample takes a step at all (not if it is zero) and how much
    its loss counts in the epoch's loss ``sum_i s_i CE_i``.
    """
    n = len(s)
    losses = np.zeros(n)  # each sample's loss, taken just before its step

    def epoch(theta):
        order = rng.permutation(n) if rng is not None else range(n)
        step = rule.step
        for i in order:
            if s[i] > 0:
                losses[i], grad = item_loss_gradient(theta, i)
                step(theta, grad)
        return float(s @ losses)

    return epoch


def batch_weights(s, starts):
    """Each batch's share of the weight, and the weights normalised per batch.

    ``s`` are the weights in the order of the epoch, the batches start at
    ``starts``. Done for the whole epoch at once rather than batch by batch: a
    step of a small batch costs a few dozen NumPy calls, and this saves three.
    """
    masses = np.add.reduceat(s, starts)
    sizes = np.diff(starts, append=len(s))
    return masses, s / np.repeat(np.where(masses > 0, masses, 1.0), sizes)


# --------------------------------------------------------------------------------------
# Training loops
# --------------------------------------------------------------------------------------
def quiet_floating_point():
    """NumPy's floating-point warnings off for training: an overflow or a NaN in
    a step is the monitor's to find and report, not NumPy's."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


def descend(theta, epoch, monitor, max_iter, observe=None):
    """Run ``epoch(theta)`` up to ``max_iter`` times under ``monitor``, in place.

    The monitor is told each epoch's loss with the weights it stands for, those
    before the epoch. A full-batch epoch, whose loss is taken before its step,
    hands them to the monitor then, if it keeps them (`Monitor.keeps`); other
    epochs are run on a copy kept of the weights before them. A full-batch
    epoch also tells ``observe(loss)`` (the update rule's `observe`, which
    adapts the steps to the loss) its finite loss before it steps: a full-batch
    loss is exact, so a rise shows that the last step overshot. The monitor is
    told which kind of loss it gets (`Monitor.lagging`, `Monitor.noisy`).
    """
    if getattr(epoch, "loss_before_step", False):
        monitor.lagging = True

        def keep(loss, theta):
            if monitor.keeps(loss):
                monitor.best_theta[...] = theta
            if observe is not None and math.isfinite(loss):
                observe(loss)

        def run(theta):
            return epoch(theta, keep), monitor.best_theta  # read only if kept

    else:
        monitor.noisy = True  # a mean over batches, taken as the weights move
        before = _arrays.empty_like(theta)

        def run(theta):
            before[...] = theta
            return epoch(theta), before

    with quiet_floating_point():
        for _ in range(max_iter):
            loss, theta_of_loss = run(theta)
            if monitor.after_epoch(loss, theta_of_loss, theta):
                break
        monitor.finish(theta)
    return monitor


def lbfgs(theta, objective, s, monitor, max_iter, tol):
    """Minimise with scipy's L-BFGS-B from ``theta``, in place.

    Each L-BFGS iteration counts as one epoch for the monitor, so ``loss_curve_``,
    ``verbose`` and early stopping behave as for the other solvers.
    The vector of L-BFGS-B stays on the host, in float64; each evaluation
    takes it to the library, dtype and device of ``theta`` and its gradient
    back (`arrays.like`, `arrays.to_numpy`).
    """

    def fun(x):
        loss, grad = objective(_arrays.like(x, theta), None, s)
        return float(loss), _arrays.to_numpy(grad).astype(np.float64)  # a copy

    def callback(intermediate_result):
        # a copy: the loss was taken at x itself, which scipy goes on changing
        x = _arrays.like(intermediate_result.x, theta, copy=True)
        if monitor.after_epoch(float(intermediate_result.fun), x, x):
            raise StopIteration

    def minimized():
        return minimize(
            fun,
            _arrays.to_numpy(theta).astype(np.float64),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol, "maxfun": 15 * max_iter},
        )

    with quiet_floating_point():
        # On a device the host's BLAS has only L-BFGS's vectors to work on, and
        # its threads, spinning between calls, would take the cores that the
        # array library computes on (PyTorch on the CPU: 2.6 times slower).
        on_host = _arrays.on_numpy(theta)
        result = minimized() if on_host else single_threaded(minimized)
        last = _arrays.like(result.x, theta)
        theta[...] = monitor.best_theta if monitor.status == DIVERGED else last
        converged = (
            f"L-BFGS-B converged: {result.message}" if result.status == 0 else None
        )
        monitor.finish(theta, converged)
    return monitor


def returned_loss(monitor, objective, theta, s):
    """The training loss of the weights ``theta`` that training returns.

    That is the last epoch's loss, unless training went back to the weights of
    an earlier epoch (early stopping, a divergence) or recorded no epoch at all
    (L-BFGS already converged at the start, a first epoch that overflowed): then
    it is computed once more, at ``theta``, with the weights ``s``. It is
    finite: the hidden units are bounded, so the logits, and the loss, are
    finite wherever the weights are, and the monitor only keeps finite weights.
    """
    if monitor.losses and not monitor.restored:
        return monitor.losses[-1]
    with quiet_floating_point():
        return float(objective(theta, None, s)[0])
