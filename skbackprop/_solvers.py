"""Update rules and the training loops.

Every solver descends the same objective, the loss and gradient of `_backprop`;
a solver only decides which samples a gradient is taken on and how a gradient
becomes a step. Update rules change the flat parameter vector ``theta`` in place
and keep their own state (velocity, moments, step count), so a warm-started fit
continues exactly where the last one stopped.

The pieces:

- `GradientDescent` and `Adam`: update rules, ``rule.step(theta, grad)``.
- `full_batch_epoch`, `minibatch_epoch`, `online_epoch`: one epoch of steps;
  they return the epoch's training loss.
- `Monitor`: records the losses, keeps the best weights, guards against
  divergence and decides when to stop.
- `descend` runs epochs under a monitor; `lbfgs` runs scipy's L-BFGS-B under the
  same monitor.
"""

import math
import time

import numpy as np
from scipy.optimize import minimize

from ._blas import axpy

CONVERGED, MAX_ITER, DIVERGED, INTERRUPTED = "converged", "max_iter", "diverged", "stop"

# A loss this many times above the first loss of a run (or above 1, if that is
# larger) means the steps overshoot: the model has become far worse than its start.
EXPLOSION_FACTOR = 100.0


# --------------------------------------------------------------------------------------
# Update rules
# --------------------------------------------------------------------------------------
class GradientDescent:
    """The notes' update ``w <- w - alpha dC/dw``, optionally with momentum.

    With momentum ``mu`` the step is a velocity ``v <- mu v - alpha dC/dw``,
    ``w <- w + v``; Nesterov's variant steps ``w <- w + mu v - alpha dC/dw``.
    ``mu = 0`` is exactly the notes' update.
    """

    def __init__(self, learning_rate, momentum=0.0, nesterov=False):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = None

    def step(self, theta, grad):
        alpha, mu = self.learning_rate, self.momentum
        if not mu:
            axpy(-alpha, grad, theta)  # w <- w - alpha dC/dw
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        v = self.velocity
        v *= mu
        axpy(-alpha, grad, v)  # v <- mu v - alpha dC/dw
        if self.nesterov:
            axpy(mu, v, theta)  # w <- w + mu v - alpha dC/dw
            axpy(-alpha, grad, theta)
        else:
            axpy(1.0, v, theta)  # w <- w + v

    def inherit(self, previous):
        """Continue from a copy of the state of ``previous``, a rule of an earlier
        fit; ``previous`` is left as it is, for a fit that fails."""
        if isinstance(previous, GradientDescent) and previous.velocity is not None:
            self.velocity = previous.velocity.copy()


class Adam:
    """Adam (Kingma and Ba, 2014): steps scaled by running moments of the gradient.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2`` and
    ``w <- w - alpha_t m / (sqrt(v) + eps)`` with the bias correction
    ``alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t)``.
    """

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = self.v = None

    def step(self, theta, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        self.t += 1
        b1, b2, m, v = self.beta_1, self.beta_2, self.m, self.v
        u = np.empty_like(theta)  # scratch
        m *= b1
        axpy(1 - b1, grad, m)  # m <- b1 m + (1 - b1) g
        v *= b2
        axpy(1 - b2, np.multiply(grad, grad, out=u), v)  # v <- b2 v + (1 - b2) g^2
        alpha_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=u)
        u += self.epsilon
        axpy(-alpha_t, np.divide(m, u, out=u), theta)  # w <- w - alpha_t m / u

    def inherit(self, previous):
        """Continue from a copy of the state of ``previous``, a rule of an earlier
        fit; ``previous`` is left as it is, for a fit that fails."""
        if isinstance(previous, Adam) and previous.m is not None:
            self.t, self.m, self.v = previous.t, previous.m.copy(), previous.v.copy()


# --------------------------------------------------------------------------------------
# Epochs
# --------------------------------------------------------------------------------------
def full_batch_epoch(loss_gradient, s, rule):
    """One step on all samples; the loss returned is the loss before the step.

    ``loss_gradient(theta, rows, s_rows)`` is the weighted-mean loss and gradient
    on the rows ``rows`` (None for all) with weights ``s_rows`` summing to one.
    """

    def epoch(theta):
        loss, grad = loss_gradient(theta, None, s)
        rule.step(theta, grad)
        return loss

    return epoch


def minibatch_epoch(loss_gradient, s, rule, batch_size, rng=None):
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
            loss, grad = loss_gradient(
                theta, rows if order is None else order[rows], s_batches[rows]
            )
            rule.step(theta, grad)
            total += mass * loss
        return total

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
# Monitoring: curves, best weights, divergence, stopping
# --------------------------------------------------------------------------------------
def _overshot(loss, best_loss):
    """Whether a run stopped far above its best loss: the steps overshoot.

    More than twice the best and 0.1 above it (per sample, in nats): a momentum
    ripple near a minimum stays well inside that, an oversized step does not.
    """
    return loss > 2.0 * best_loss and loss - best_loss > 0.1


class Monitor:
    """Record each epoch, keep the best weights and decide when to stop.

    Without a validation set, the monitored quantity is the training loss, and
    training stops after ``n_iter_no_change`` epochs in a row whose loss is not
    ``tol`` below the loss at the last such improvement (MLPClassifier compares
    with the best loss instead, which stops a slow but steady descent). With
    ``validate(theta) -> (loss, score)`` the monitored quantity is the validation
    score (higher is better), the same rule applies to it, and the weights of the
    best epoch are restored at the end.

    With ``settle=True`` (full-batch descent) the training loss is watched for
    having settled instead: training stops after ``n_iter_no_change`` epochs in a
    row whose loss differs from the previous epoch's by less than ``tol``. A
    full-batch loss is exact, so a flat loss is convergence; with momentum it
    rises and falls on its way down, and "no new best for a while" is then
    often a rise, not convergence.

    A non-finite or exploding training loss stops at once and restores the
    weights with the lowest loss seen; so does a run that stops far above its
    best loss (`_overshot`). Both end with status ``DIVERGED``.

    ``on_epoch(epoch, theta)`` is called after every epoch; returning True stops
    training (status ``INTERRUPTED``).
    """

    def __init__(
        self,
        theta,
        *,
        tol,
        n_iter_no_change,
        validate=None,
        log=None,
        on_epoch=None,
        settle=False,
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.settle = settle and validate is None
        self.validate = validate
        self.log = log
        self.on_epoch = on_epoch
        self.losses, self.validation_losses, self.validation_scores = [], [], []
        self.best_theta = theta.copy()
        self.initial_theta = theta.copy()
        self.best_loss = math.inf
        self.best_score = -math.inf
        self.reference = -math.inf  # the score at the last improvement by tol
        self.best_epoch = 0
        self.no_improvement = 0
        self.status, self.message = MAX_ITER, ""
        self.restored = False  # whether theta went back to the best weights
        self.started = time.perf_counter()

    @property
    def n_iter(self):
        return len(self.losses)

    def after_epoch(self, loss, theta_of_loss, theta):
        """Record an epoch that ended at ``theta``; return True to stop.

        ``loss`` is the epoch's training loss, taken at ``theta_of_loss``: the
        weights before the step for full-batch descent, the new weights for
        L-BFGS. Mini-batch losses are taken as the weights move; the weights
        before the epoch stand for them.
        """
        first = self.losses[0] if self.losses else loss
        if not math.isfinite(loss) or loss > EXPLOSION_FACTOR * max(first, 1.0):
            return self._diverged(loss, first, theta)
        self.losses.append(loss)
        epoch = self.n_iter
        if self.validate is None:
            improved = self._track(-loss, epoch, theta_of_loss)
            if self.settle:  # still moving, up or down
                improved = epoch == 1 or abs(loss - self.losses[-2]) >= self.tol
        else:
            validation_loss, score = self.validate(theta)
            self.validation_losses.append(validation_loss)
            self.validation_scores.append(score)
            improved = self._track(score, epoch, theta)
        self.best_loss = min(self.best_loss, loss)
        self.no_improvement = 0 if improved else self.no_improvement + 1
        if self.log is not None:
            self.log(self._line(epoch))
        if self.on_epoch is not None and self.on_epoch(epoch, theta):
            return self._stop(INTERRUPTED, "a callback asked to stop")
        if self.no_improvement >= self.n_iter_no_change:
            if self._overshot(theta):
                return True
            if self.settle:
                change = "changed by less than"
            else:
                change = "did not improve by more than"
            what = "training loss" if self.validate is None else "validation score"
            return self._stop(
                CONVERGED,
                f"the {what} {change} tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs",
            )
        return False

    def _track(self, score, epoch, theta):
        """Keep the weights of the best score; True if it improved by tol."""
        improved = score > self.reference + self.tol
        if improved:
            self.reference = score
        if score > self.best_score:
            self.best_score, self.best_epoch = score, epoch
            self.best_theta[...] = theta
        return improved

    def _diverged(self, loss, first, theta):
        self._restore(theta)
        epoch = self.n_iter + 1
        if math.isfinite(loss):
            cause = f"the training loss rose from {first:.4g} to {loss:.4g}"
        elif self.losses:
            cause = (
                f"the training loss overflowed (it was {self.losses[-1]:.4g} at "
                f"epoch {self.n_iter})"
            )
        else:
            cause = "the training loss overflowed"
        return self._stop(DIVERGED, f"{cause} at epoch {epoch}")

    def untrained(self, theta):
        """Whether ``theta`` are still the weights training started from."""
        return np.array_equal(theta, self.initial_theta)

    def _restore(self, theta):
        """Go back to the best weights seen; `restored` tells the caller that the
        weights are no longer the last epoch's."""
        theta[...] = self.best_theta
        self.restored = True

    def _stop(self, status, message):
        self.status, self.message = status, message
        return True

    def _overshot(self, theta):
        """Stop as diverged, with the best weights, if training ends far above its
        best loss (`_overshot`); True if so."""
        if self.validate is not None or not self.losses:
            return False
        loss = self.losses[-1]
        if not _overshot(loss, self.best_loss):
            return False
        self._restore(theta)
        return self._stop(
            DIVERGED,
            f"the training loss ended at {loss:.4g}, far above its best "
            f"{self.best_loss:.4g} (epoch {self.best_epoch})",
        )

    def finish(self, theta):
        """End of training: restore the best weights when validating, or when
        the budget ran out far above the best loss."""
        if self.status == MAX_ITER:
            self._overshot(theta)
        if self.validate is not None and self.status != DIVERGED and self.best_epoch:
            self._restore(theta)
        if self.log is not None:
            restored = (
                f"; kept the weights of epoch {self.best_epoch}"
                if self.validate is not None or self.status == DIVERGED
                else ""
            )
            reason = self.message or "max_iter reached"
            self.log(f"Stopped after epoch {self.n_iter}: {reason}{restored}.")

    def _line(self, epoch):
        parts = [f"Epoch {epoch:4d}", f"loss {self.losses[-1]:.6f}"]
        if self.validate is not None:
            parts.append(f"validation loss {self.validation_losses[-1]:.6f}")
            parts.append(f"validation score {self.validation_scores[-1]:.6f}")
        parts.append(f"{time.perf_counter() - self.started:.2f} s")
        return ", ".join(parts)


# --------------------------------------------------------------------------------------
# Training loops
# --------------------------------------------------------------------------------------
def descend(theta, epoch, monitor, max_iter):
    """Run ``epoch(theta)`` up to ``max_iter`` times under ``monitor``, in place."""
    before = np.empty_like(theta)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for _ in range(max_iter):
            before[...] = theta
            loss = epoch(theta)
            if monitor.after_epoch(loss, before, theta):
                break
        monitor.finish(theta)
    return monitor


def lbfgs(theta, loss_gradient, s, monitor, max_iter, tol):
    """Minimise with scipy's L-BFGS-B from ``theta``, in place.

    Each L-BFGS iteration counts as one epoch for the monitor, so ``loss_curve_``,
    ``verbose`` and early stopping behave as for the other solvers.
    """
    dtype = theta.dtype

    def fun(x):
        loss, grad = loss_gradient(x.astype(dtype, copy=False), None, s)
        return loss, grad.astype(np.float64)  # a copy: scipy keeps it

    def callback(intermediate_result):
        x = intermediate_result.x.astype(dtype)  # the loss was taken at x itself
        if monitor.after_epoch(float(intermediate_result.fun), x, x):
            raise StopIteration

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        result = minimize(
            fun,
            theta.astype(np.float64),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol, "maxfun": 15 * max_iter},
        )
        theta[...] = monitor.best_theta if monitor.status == DIVERGED else result.x
        if monitor.status == MAX_ITER and result.status == 0:
            monitor.status = CONVERGED
            monitor.message = f"L-BFGS-B converged: {result.message}"
        monitor.finish(theta)
    return monitor
