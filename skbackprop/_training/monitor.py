"""The monitor of a training run: curves, best weights, divergence, stopping.

`Monitor` is told the training loss of each epoch (`Monitor.after_epoch`). It
records the loss curves, keeps the best weights, stops a run whose loss
explodes or overshoots and goes back to its best weights, asks the validation
set and the callbacks, logs a line per epoch, and decides when training has
converged (`IMPROVEMENT`, `SETTLED` or `VALIDATION`). `Monitor.finish` ends the
run: it restores the best weights where the rule says so.
"""

import hashlib
import math
import time
from collections.abc import Callable

import numpy as np

from . import arrays as _arrays

CONVERGED, MAX_ITER, DIVERGED, INTERRUPTED = "converged", "max_iter", "diverged", "stop"

# What the monitor watches to decide that training has converged (`Monitor`).
IMPROVEMENT = "improvement"  # the training loss stopped improving by tol
SETTLED = "settled"  # the training loss stopped changing by tol
VALIDATION = "validation"  # the validation score stopped improving by tol

# A loss this many times above the first loss of a run (or above 1, if that is
# larger) means the steps overshoot: the model has become far worse than its start.
EXPLOSION_FACTOR = 100.0

# How many times a run that diverges goes back to its best weights with half the
# step (`Monitor`) before it gives up: a step 1024 times smaller.
MAX_RECOVERIES = 10

# How many times a run of mini-batches whose training loss stopped improving
# divides its step by ANNEAL_DIVISOR and goes on (`Monitor`) before it stops: a
# step 25 times smaller at the end.
MAX_ANNEALS = 2
ANNEAL_DIVISOR = 5.0

# Early stopping counts an epoch of mini-batches whose training loss is at most
# this much above the lowest, relatively, as one at a new low (`Monitor`): the
# loss of such an epoch is taken while the weights move, and on a plateau its
# noise makes new lows rare; an overshoot rises further.
NOISE = 0.1

Validate = Callable[[np.ndarray], tuple[float, float]]
OnEpoch = Callable[[int, np.ndarray], bool]


# --------------------------------------------------------------------------------------
# Monitoring: curves, best weights, divergence, stopping
# --------------------------------------------------------------------------------------
def _overshot(loss, best_loss):
    """Whether a run stopped far above its best loss: the steps overshoot.

    More than twice the best and 0.1 above it (per sample, in nats): a momentum
    ripple near a minimum stays well inside that, an oversized step does not.
    """
    return loss > 2.0 * best_loss and loss - best_loss > 0.1


def _fingerprint(theta):
    """A digest of the bits of the weights ``theta`` (SHA-1: of the hashes in
    Python's library, among the fastest on long inputs)."""
    bits = np.ascontiguousarray(_arrays.to_numpy(theta))
    return hashlib.sha1(bits, usedforsecurity=False).digest()


class Monitor:
    """Record each epoch, keep the best weights and decide when to stop.

    What it watches is ``stopping``:

    - `IMPROVEMENT`: the training loss. Training stops after
      ``n_iter_no_change`` epochs in a row whose loss is not ``tol`` below the
      loss at the last such improvement (MLPClassifier compares with the best
      loss instead, which stops a slow but steady descent).
    - `SETTLED` (full-batch descent): the training loss has settled. Training
      stops after ``n_iter_no_change`` epochs in a row whose loss differs from
      the previous epoch's by less than ``tol`` times ``max(loss, 1)`` (SciPy's
      ``ftol`` of L-BFGS: relative for a loss above 1, absolute below, where a
      loss near 0 would make a relative tolerance vanish), unless the loss is
      still falling steadily (`_still_falling`). A full-batch loss is exact, so a
      flat loss is convergence; with momentum it rises and falls on its way
      down, and "no new best for a while" is then often a rise, not
      convergence.
    - `VALIDATION`, whenever ``validate(theta) -> (loss, score)`` is given: the
      validation score (higher is better), by the rule of `IMPROVEMENT`; the
      weights of the best epoch are restored at the end; of epochs with the
      same best score, the one with the lowest validation loss. An epoch that
      scores NaN never counts as the best. Epochs whose training loss is not
      below every earlier one (an overshoot of the steps, early on or a ripple
      of momentum) do not count towards ``n_iter_no_change``: the end of
      learning is a validation score that stops improving while the training
      loss still does, not one that falls while the steps overshoot. The
      training loss that decides is that of the weights the epoch scored:
      where an epoch's loss is taken before its step (full-batch descent,
      `lagging`), the next epoch's, so whether an epoch counts is known one
      epoch later. (Else an epoch that starts at a new low and steps into an
      overshoot would count, and a descent that oscillates would stop on the
      scores of its overshoots.) The loss of an epoch of mini-batches
      (`noisy`) is taken as the weights move, and its noise makes new lows
      rare once it levels off: one at most `NOISE` above the lowest,
      relatively, counts as a new low. The score of the initial weights
      (``validate.initial_score``, where given) tells a run that never beat
      it (`learned_nothing`).

    A non-finite or exploding training loss restores the weights with the
    lowest loss seen (with a validation set, the best scored ones) and, if
    ``recover()`` is given, calls it (it halves the step) and goes on, up to
    `MAX_RECOVERIES` times; then, or without ``recover``, it stops. So does a
    run that stops far above its best loss (`_overshot`). Both end with status
    ``DIVERGED``.

    With `IMPROVEMENT`, ``anneal(factor)``, where given, lowers the step
    (the update rule's `anneal`): when the training loss stops improving, the
    step is divided by `ANNEAL_DIVISOR` and training goes on, up to
    `MAX_ANNEALS` times, before it stops. The loss of mini-batch steps levels
    off where the noise of the batches balances the descent, a level that
    falls with the step; MLPClassifier's ``learning_rate="adaptive"`` divides
    its step by 5 likewise.

    ``on_epoch(epoch, theta)`` is called after every epoch; returning True stops
    training (status ``INTERRUPTED``). ``log(line)`` prints a line per epoch.
    """

    def __init__(
        self,
        theta,
        *,
        tol,
        n_iter_no_change,
        stopping=IMPROVEMENT,
        validate: Validate | None = None,
        log: Callable[[str], None] | None = None,
        on_epoch: OnEpoch | None = None,
        recover: Callable[[], None] | None = None,
        anneal: Callable[[float], None] | None = None,
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.stopping = VALIDATION if validate is not None else stopping
        self.validate = validate
        self.log = log
        self.on_epoch = on_epoch
        self.recover = recover
        self.recoveries = 0  # how many times the step was halved after a divergence
        self.anneal = anneal
        # Whether each epoch's training loss is of the weights before its step
        # (full-batch descent; `_training.descend` sets it), not of the ones
        # it ended at and that `validate` scores
        self.lagging = False
        # Whether each epoch's training loss is the mean of its mini-batches'
        # losses, taken as the weights move (`_training.descend` sets it)
        self.noisy = False
        self.pending = False  # the last epoch's score did not improve
        self.anneals = 0  # how many times the step was lowered on a plateau
        # the validation score of the initial weights, where `validate` has it
        self.initial_score = getattr(validate, "initial_score", None)
        self.losses, self.validation_losses, self.validation_scores = [], [], []
        self.best_theta = _arrays.copy(theta)
        self._initial = _fingerprint(theta)  # not a copy: weights can be large
        self.best_loss = math.inf
        self.best_score = -math.inf
        self.best_tie = -math.inf  # of the best score's epoch (`_track`)
        self.reference = -math.inf  # the score at the last improvement by tol
        self.best_epoch = 0
        self.no_improvement = 0
        self.status, self.message = MAX_ITER, ""
        self.restored = False  # whether theta went back to the best weights
        self.started = time.perf_counter()

    @property
    def n_iter(self):
        return len(self.losses)

    def keeps(self, loss):
        """Whether `after_epoch` will keep the weights of an epoch with training
        loss ``loss`` as the best: it is below every loss so far, and the
        training loss is what is watched.

        A loop that takes the loss before its step can copy the weights into
        `best_theta` itself, then, and pass `best_theta` as the weights of the
        loss, which are read only if kept: one copy of the weights, not two.
        """
        return self.stopping != VALIDATION and -loss > self.best_score

    def after_epoch(self, loss, theta_of_loss, theta):
        """Record an epoch that ended at ``theta``; return True to stop.

        ``loss`` is the epoch's training loss, taken at ``theta_of_loss``: the
        weights before the step for full-batch descent, the new weights for
        L-BFGS. Mini-batch losses are taken as the weights move; the weights
        before the epoch stand for them.
        """
        if self._diverging(loss):
            return self._diverged(loss, theta)
        # With a validation set, an epoch counts towards n_iter_no_change only
        # if training made progress, a training loss at a new low (or level with
        # it; for mini-batches, within NOISE of it): an epoch of steps that
        # overshoot is not the end of learning.
        new_low = loss <= self.best_loss * (1 + NOISE if self.noisy else 1)
        self.losses.append(loss)
        self.best_loss = min(self.best_loss, loss)
        improved = self._measure(loss, theta_of_loss, theta)
        if self.stopping == VALIDATION and self.lagging:
            # ``loss`` is of the weights the last epoch scored: whether that
            # epoch counts is known now, and whether this one does at the next
            counts, self.pending = self.pending and new_low, not improved
        else:
            counts = self.stopping != VALIDATION or new_low
        if improved:
            self.no_improvement = 0
        elif counts:
            self.no_improvement += 1
        if self.log is not None:
            self.log(self._line())
        if self.on_epoch is not None and self.on_epoch(self.n_iter, theta):
            return self._stop(INTERRUPTED, "a callback asked to stop")
        if self.no_improvement >= self.n_iter_no_change:
            if self._annealed():
                return False
            return self._overshot(theta) or self._converged()
        return False

    def _annealed(self):
        """Lower the step where ``anneal`` is given, instead of stopping, when
        the training loss stopped improving (`IMPROVEMENT`), up to
        `MAX_ANNEALS` times; True if so."""
        if self.anneal is None or self.stopping != IMPROVEMENT:
            return False
        if self.anneals >= MAX_ANNEALS:
            return False
        self.anneal(1 / ANNEAL_DIVISOR)
        self.anneals += 1
        self.no_improvement = 0
        return True

    def _diverging(self, loss):
        """A loss that is not finite, or far above the run's first one."""
        first = self.losses[0] if self.losses else loss
        return not math.isfinite(loss) or loss > EXPLOSION_FACTOR * max(first, 1.0)

    def _measure(self, loss, theta_of_loss, theta):
        """Track the watched quantity of this epoch; True if it moved by tol."""
        epoch = self.n_iter
        if self.stopping == VALIDATION:
            validation_loss, score = self.validate(theta)
            self.validation_losses.append(validation_loss)
            self.validation_scores.append(score)
            return self._track(score, epoch, theta, tie=-validation_loss)
        improved = self._track(-loss, epoch, theta_of_loss)
        if self.stopping == SETTLED:  # still moving, up or down
            if epoch == 1 or abs(loss - self.losses[-2]) >= self._settled_tol(loss):
                return True
            return self._still_falling()
        return improved

    def _still_falling(self):
        """Whether the loss is still falling steadily, although by less than
        the settled tolerance per epoch: it fell at every one of the last
        ``n_iter_no_change`` epochs, and by as much at the last as, on a
        geometric extrapolation, would still add up to that tolerance over
        ``n_iter_no_change`` more. A slow descent (a small
        ``learning_rate``) is not convergence.
        """
        window = self.losses[-self.n_iter_no_change - 1 :]
        falls = -np.diff(window)
        if len(falls) < 2 or not (falls > 0).all():
            return False
        rate = (falls[-1] / falls[0]) ** (1 / (len(falls) - 1))  # fall per epoch
        remaining = math.inf if rate >= 1 else falls[-1] * rate / (1 - rate)
        return remaining >= self._settled_tol(window[-1]) * self.n_iter_no_change

    def _settled_tol(self, loss):
        """The change of the loss per epoch below which it has settled: ``tol``
        times ``max(loss, 1)``, as SciPy's L-BFGS scales its ``ftol``."""
        return self.tol * max(loss, 1.0)

    def _track(self, score, epoch, theta, tie=-math.inf):
        """Keep the weights of the best score; True if it improved by tol.

        Of epochs with the same best score, the one with the higher ``tie`` (the
        negated validation loss) is kept: a score that moves in coarse steps
        (accuracy on a small set) or not at all (F1 of a class the validation
        set lacks) often ties, and the first epoch of a tie is seldom the best.
        """
        improved = score > self.reference + self.tol
        if improved:
            self.reference = score
        if score > self.best_score or (
            score == self.best_score and tie > self.best_tie
        ):
            self.best_score, self.best_tie, self.best_epoch = score, tie, epoch
            self.best_theta[...] = theta
        return improved

    def _converged(self):
        what = "training loss" if self.stopping != VALIDATION else "validation score"
        change = (
            "changed by less than"
            if self.stopping == SETTLED
            else "did not improve by more than"
        )
        return self._stop(
            CONVERGED,
            f"the {what} {change} tol={self.tol} for "
            f"{self.n_iter_no_change} consecutive epochs",
        )

    def _diverged(self, loss, theta):
        self._restore(theta)
        if self.recover is not None and self.recoveries < MAX_RECOVERIES:
            self.recover()  # half the step, from the best weights
            self.recoveries += 1
            self.restored = False  # the epochs to come end at their own weights
            return False
        epoch = self.n_iter + 1
        if math.isfinite(loss):
            first = self.losses[0] if self.losses else loss
            cause = f"the training loss rose from {first:.4g} to {loss:.4g}"
        elif self.losses:
            cause = (
                f"the training loss overflowed (it was {self.losses[-1]:.4g} at "
                f"epoch {self.n_iter})"
            )
        else:
            cause = "the training loss overflowed"
        return self._stop(DIVERGED, f"{cause} at epoch {epoch}")

    def _overshot(self, theta):
        """Stop as diverged, with the best weights, if training ends far above its
        best loss (`_overshot`); True if so."""
        if self.stopping == VALIDATION or not self.losses:
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

    def _restore(self, theta):
        """Go back to the best weights seen; `restored` tells the caller that the
        weights are no longer the last epoch's."""
        theta[...] = self.best_theta
        self.restored = True

    def _stop(self, status, message):
        self.status, self.message = status, message
        return True

    def learned_nothing(self):
        """Whether, with a validation set, no epoch scored above the initial
        weights (`initial_score`) by more than ``tol``: the returned model has
        not learned."""
        initial = self.initial_score
        if self.stopping != VALIDATION or initial is None or math.isnan(initial):
            return False
        return not self.best_score > initial + self.tol

    def untrained(self, theta):
        """Whether ``theta`` are still the weights training started from (the
        same bits)."""
        return _fingerprint(theta) == self._initial

    def finish(self, theta, converged=None):
        """End of training: restore the best weights when validating, or when
        the budget ran out far above the best loss.

        ``converged`` is a message from an optimizer that decided on its own
        that it converged (L-BFGS-B), when no other rule stopped training.
        """
        if self.status == MAX_ITER and converged is not None:
            self._stop(CONVERGED, converged)
        if self.status == MAX_ITER:
            self._overshot(theta)
        validating = self.stopping == VALIDATION
        if validating and self.status != DIVERGED and self.best_epoch:
            self._restore(theta)
        if self.log is not None:
            restored = ""
            if self.untrained(theta):
                restored = "; kept the initial weights"
            elif validating or self.status == DIVERGED:
                restored = f"; kept the weights of epoch {self.best_epoch}"
            reason = self.message or "max_iter reached"
            self.log(f"Stopped after epoch {self.n_iter}: {reason}{restored}.")

    def _line(self):
        parts = [f"Epoch {self.n_iter:4d}", f"loss {self.losses[-1]:.6f}"]
        if self.stopping == VALIDATION:
            parts.append(f"validation loss {self.validation_losses[-1]:.6f}")
            parts.append(f"validation score {self.validation_scores[-1]:.6f}")
        parts.append(f"{time.perf_counter() - self.started:.2f} s")
        return ", ".join(parts)
