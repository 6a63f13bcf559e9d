"""Update rules and the training loop.

Every solver descends the same objective, ``loss_gradient`` from `_backprop`; an
update rule only decides how a gradient becomes a step. Update rules change the
flat parameter vector ``theta`` in place and keep their own state (velocity,
moments, step count), so a warm-started fit continues where the last one stopped.
"""

import math
from dataclasses import dataclass, field

import numpy as np

CONVERGED, MAX_ITER, DIVERGED = "converged", "max_iter", "diverged"

# A loss this many times above the first loss of a run (or above 1, if that is
# larger) means the steps overshoot: the model has become far worse than its start.
EXPLOSION_FACTOR = 100.0


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
        if not self.momentum:
            theta -= self.learning_rate * grad
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        v = self.velocity
        v *= self.momentum
        v -= self.learning_rate * grad
        if self.nesterov:
            theta += self.momentum * v - self.learning_rate * grad
        else:
            theta += v


@dataclass
class Run:
    """What one call of `descend` did."""

    losses: list = field(default_factory=list)
    best_loss: float = math.inf
    status: str = MAX_ITER
    message: str = ""

    @property
    def n_iter(self):
        return len(self.losses)


def _diverged(loss, first_loss):
    return not math.isfinite(loss) or loss > EXPLOSION_FACTOR * max(first_loss, 1.0)


def descend(theta, loss_gradient, rule, *, max_iter, tol, n_iter_no_change, log=None):
    """Full-batch descent of ``loss_gradient`` from ``theta``, in place.

    Each iteration evaluates the loss and gradient at ``theta``, records the loss
    and takes one step of ``rule``. Training stops after ``n_iter_no_change``
    iterations in a row whose loss is not ``tol`` below the best so far
    (``CONVERGED``), at ``max_iter`` (``MAX_ITER``), or as soon as the loss is
    non-finite or explodes (``DIVERGED``); in that case ``theta`` is reset to the
    weights with the lowest loss seen.

    ``log(iteration, loss)`` is called after each iteration when given.
    """
    run = Run()
    best_theta = theta.copy()
    no_improvement = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for iteration in range(1, max_iter + 1):
            loss, grad = loss_gradient(theta)
            first = run.losses[0] if run.losses else loss
            if _diverged(loss, first) or not np.isfinite(grad).all():
                theta[...] = best_theta
                run.status = DIVERGED
                run.message = (
                    f"the loss rose from {first:.4g} to {loss:.4g} at iteration "
                    f"{iteration}"
                )
                break
            run.losses.append(loss)
            if log is not None:
                log(iteration, loss)
            no_improvement = 0 if loss < run.best_loss - tol else no_improvement + 1
            if loss < run.best_loss:
                run.best_loss = loss
                best_theta[...] = theta
            rule.step(theta, grad)
            if no_improvement >= n_iter_no_change:
                run.status = CONVERGED
                run.message = (
                    f"the loss did not improve by more than tol={tol} for "
                    f"{n_iter_no_change} consecutive iterations"
                )
                break
    return run
