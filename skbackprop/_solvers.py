"""The solvers: update rules, and one table that says what each solver does.

Every solver descends the same objective (`_training.Objective`); a solver only
decides which samples a gradient is taken on and how a gradient becomes a step.

- `GradientDescent` and `Adam`: update rules, ``rule.step(theta, grad)``. They
  change the flat parameter vector ``theta`` in place and keep their own state
  (velocity, moments, step count), so a warm-started fit continues exactly where
  the last one stopped.
- `SOLVERS`: for each value of the estimator's ``solver``, a `Solver` row: its
  'auto' learning rate, its update rule, its batches, its stopping rule and
  whether it learns incrementally. Adding a solver is adding a row.
"""

import math
from dataclasses import dataclass

import numpy as np

from . import _monitor
from ._blas import axpy


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
# The table of solvers
# --------------------------------------------------------------------------------------
def _gradient_descent(learning_rate, params):
    return GradientDescent(learning_rate, params["momentum"], params["nesterov"])


def _adam(learning_rate, params):
    return Adam(learning_rate, params["beta_1"], params["beta_2"], params["epsilon"])


@dataclass(frozen=True)
class Solver:
    """What one value of ``solver`` does.

    Attributes
    ----------
    auto_learning_rate : float or None
        The step of ``learning_rate='auto'``, one that converges on
        standardized data; None if the solver chooses its own steps.
    rule : callable or None
        ``rule(learning_rate, params) -> update rule``, from the estimator's
        parameters; None for L-BFGS, which steps on its own.
    batches : {"full", "mini", None}
        Whether a step takes all samples or a batch of ``batch_size`` (whose
        rows are sliced from X); None for L-BFGS.
    stopping : str
        What the monitor watches without a validation set
        (`_monitor.SETTLED` or `_monitor.IMPROVEMENT`).
    incremental : bool
        Whether `partial_fit` can take one batch at a time.
    """

    auto_learning_rate: float | None
    rule: object
    batches: str | None
    stopping: str
    incremental: bool

    def learning_rate(self, learning_rate):
        """The step for the estimator's ``learning_rate``."""
        return self.auto_learning_rate if learning_rate == "auto" else learning_rate

    def make_rule(self, params):
        """A new update rule for the estimator's parameters ``params``."""
        if self.rule is None:
            return None
        return self.rule(self.learning_rate(params["learning_rate"]), params)


SOLVERS = {
    "gd": Solver(2.0, _gradient_descent, "full", _monitor.SETTLED, True),
    "sgd": Solver(0.1, _gradient_descent, "mini", _monitor.IMPROVEMENT, True),
    "adam": Solver(0.001, _adam, "mini", _monitor.IMPROVEMENT, True),
    "lbfgs": Solver(None, None, None, _monitor.IMPROVEMENT, False),
}
