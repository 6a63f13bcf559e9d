"""The solvers: update rules, and one table that says what each solver does.

Every solver descends the same objective (`loops.Objective`); a solver only
decides which samples a gradient is taken on and how a gradient becomes a step.

- `GradientDescent` and `Adam`: update rules, ``rule.step(theta, grad)``. They
  change the flat parameter vector ``theta`` in place and keep their own state
  (velocity, moments, step count), so a warm-started fit continues exactly where
  the last one stopped.
- `SOLVERS`: for each value of the estimator's ``solver``, a `Solver` row: its
  'auto' learning rate, its update rule, its batches, its stopping rule and
  whether it learns incrementally. The estimator's ``solver`` takes its values
  from this table, and the tests go through it.
- `auto_solver` and `auto_l2`: what ``solver="auto"`` and ``l2="auto"`` mean for
  a training set of n samples.

Adding a solver is adding a row, and, for a new update rule: its class here
(``step``; ``inherit``, which a continued fit calls; and, where the rule
has a use for them, ``halve``, which recovers from a divergence under
``learning_rate='auto'``, and ``observe``, which a full-batch epoch tells its
loss); its parameters on the estimator, in its docstring and in its
``_parameter_constraints`` (the row's ``rule`` reads them from
``get_params``); and the class's "module.name" in `TRUSTED_TYPES`
(``_deploy/model_file.py``, listed in docs/api.rst), without which the
``.skops`` file of a model that keeps the rule is refused.
"""

import math
from dataclasses import dataclass

import numpy as np

from . import arrays as _arrays
from . import monitor as _monitor
from .arrays import axpy

# A full-batch loss this much above the first loss of a fit, relatively, is an
# overshoot of the momentum (`GradientDescent.observe`): the model became worse
# than its start, as when a loss of 1.1 goes to 2.9 early on; the ripples of
# momentum on the way down stay below it.
OVERSHOOT = 0.1
# A full-batch loss this much above the last one, relatively, is a rise; below
# it, the difference may be rounding.
RISE = 1e-12
# Under learning_rate="auto" (`GradientDescent`, ``adaptive``): a full-batch
# loss more than OVERSTEP above the last one, relatively, after a plain gradient
# step (no velocity in it), means that the step is too large for the data: it
# is halved. Smaller rises are left alone, as the ripples of momentum are: on
# curved boundaries (two moons) the larger steps find the better minimum. Each
# epoch whose loss does not rise lets the step grow back by GROW (the "bold
# driver" of Vogl et al., 1988), up to the step it started from.
OVERSTEP = 0.1
GROW = 1.05

# With solver="auto", training sets of this many samples or more take mini-batch
# "sgd", smaller ones full-batch "gd" (`auto_solver`).
MINIBATCH_SAMPLES = 10_000

# l2="auto" is DEFAULT_L2 up to L2_SAMPLES samples, and a fixed penalty on the
# summed loss beyond: DEFAULT_L2 * L2_SAMPLES / n on the mean loss (`auto_l2`).
DEFAULT_L2 = 1e-3
L2_SAMPLES = 2_000


# --------------------------------------------------------------------------------------
# Update rules
# --------------------------------------------------------------------------------------
class GradientDescent:
    """The notes' update ``w <- w - alpha dC/dw``, optionally with momentum.

    With momentum ``mu`` the step is a velocity ``v <- mu v - alpha dC/dw``,
    ``w <- w + v``; Nesterov's variant steps ``w <- w + mu v - alpha dC/dw``.
    ``mu = 0`` is exactly the notes' update.

    A full-batch fit also tells the rule each epoch's loss (`observe`), which
    adapts the steps only when the loss rises: far above its start after a
    step with a velocity, the momentum restarts; and an ``adaptive`` rule (the
    'auto' step) halves a step that overshoots and lets it grow back (a "bold
    driver"). After a divergence the monitor halves the step (`halve`). A run
    whose loss falls at every epoch takes exactly the steps above.
    """

    adaptive = False  # rules saved by earlier versions never adapted their step

    def __init__(self, learning_rate, momentum=0.0, nesterov=False, adaptive=False):
        self.learning_rate = self.initial_learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.adaptive = adaptive  # the step is the estimator's to adapt
        self.ceiling = learning_rate  # the largest step `observe` grows back to
        self.velocity = None
        self.last_loss = self.first_loss = None  # the losses `observe` saw
        self.restarted = False  # the velocity was zeroed since the last step
        self.plain_step = True  # the last step had no velocity in it

    def observe(self, loss):
        """Adapt to the full-batch loss ``loss`` of the weights about to step.

        A rise of the loss that takes it more than `OVERSHOOT` above the first
        loss of the fit, relatively, after a step with a velocity, means that
        the momentum overshoots (the model became worse than its start): the
        velocity is zeroed (an adaptive restart, O'Donoghue and Candes, 2015),
        and the descent goes on from where it stands. Smaller ripples are left
        alone.

        An ``adaptive`` rule also adapts its step. A plain gradient step
        (``momentum=0``, the notes' update; the first step, and the first
        after a restart) that raised the loss by more than `OVERSTEP`,
        relatively, was too large for the data, since a small enough gradient
        step lowers the loss: the step is halved, and the momentum restarts,
        so that the next step is a plain one of the new size. Each epoch whose
        loss did not rise lets the step grow back by `GROW`, up to the step
        the fit started from (or the one a divergence left, `halve`): a step
        halved early on does not slow the rest of the fit. A step the user set
        is kept; one too large for the data makes the loss oscillate, or
        explode, and the monitor stops it.
        """
        last, first = self.last_loss, self.first_loss
        self.last_loss = loss
        if first is None:
            self.first_loss = first = loss
        if last is None:
            return
        if not loss > last * (1 + RISE):
            if self.adaptive:
                self.learning_rate = min(self.learning_rate * GROW, self.ceiling)
            return
        if self.velocity is None or self.plain_step:
            if self.adaptive and loss > last * (1 + OVERSTEP):
                self.learning_rate *= 0.5
                self._restart()
            return
        if loss > first * (1 + OVERSHOOT):
            self._restart()

    def _restart(self):
        """Zero the velocity: the next step is a plain gradient step."""
        if self.velocity is not None:
            self.velocity[...] = 0
            self.restarted = True

    def anneal(self, factor):
        """Lower the step by ``factor``, when the loss stopped improving."""
        self.learning_rate *= factor
        self.ceiling = min(self.ceiling, self.learning_rate)

    def halve(self):
        """Halve the step and stop the velocity, after a divergence."""
        self.learning_rate *= 0.5
        self.ceiling = min(self.ceiling, self.learning_rate)
        if self.velocity is not None:
            self.velocity[...] = 0
        self.last_loss = self.first_loss = None

    def step(self, theta, grad):
        alpha, mu = self.learning_rate, self.momentum
        if not mu:
            axpy(-alpha, grad, theta)  # w <- w - alpha dC/dw
            return
        if self.velocity is None:
            self.velocity = _arrays.zeros_like(theta)
            self.restarted = True
        self.plain_step, self.restarted = self.restarted, False
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
        if not isinstance(previous, GradientDescent):
            return
        if previous.velocity is not None:
            self.velocity = _arrays.copy(previous.velocity)
        # The step as adapted and what `observe` knows, so that N + N epochs are
        # 2N (rules saved by earlier versions lack them: they never adapted).
        initial = getattr(previous, "initial_learning_rate", previous.learning_rate)
        self.learning_rate *= previous.learning_rate / initial
        self.ceiling *= getattr(previous, "ceiling", initial) / initial
        for name in ("last_loss", "first_loss", "restarted", "plain_step"):
            if hasattr(previous, name):
                setattr(self, name, getattr(previous, name))


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
            self.m, self.v = _arrays.zeros_like(theta), _arrays.zeros_like(theta)
        self.t += 1
        b1, b2, m, v = self.beta_1, self.beta_2, self.m, self.v
        alpha_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        m *= b1
        axpy(1 - b1, grad, m)  # m <- b1 m + (1 - b1) g
        v *= b2
        if not _arrays.on_numpy(theta):  # the same steps in the arrays' library
            axpy(1 - b2, grad * grad, v)
            u = _arrays.namespace(theta).sqrt(v) + self.epsilon
            axpy(-alpha_t, m / u, theta)
            return
        u = np.empty_like(theta)  # scratch
        axpy(1 - b2, np.multiply(grad, grad, out=u), v)  # v <- b2 v + (1 - b2) g^2
        np.sqrt(v, out=u)
        u += self.epsilon
        axpy(-alpha_t, np.divide(m, u, out=u), theta)  # w <- w - alpha_t m / u

    def halve(self):
        """Halve the step and forget the moments, after a divergence."""
        self.learning_rate *= 0.5
        self.t, self.m, self.v = 0, None, None

    def inherit(self, previous):
        """Continue from a copy of the state of ``previous``, a rule of an earlier
        fit; ``previous`` is left as it is, for a fit that fails."""
        if isinstance(previous, Adam) and previous.m is not None:
            m, v = _arrays.copy(previous.m), _arrays.copy(previous.v)
            self.t, self.m, self.v = previous.t, m, v


# --------------------------------------------------------------------------------------
# The table of solvers
# --------------------------------------------------------------------------------------
def _gradient_descent(learning_rate, params):
    # the 'auto' step is the estimator's to adapt; a step the user set is kept
    adaptive = params["learning_rate"] == "auto"
    return GradientDescent(
        learning_rate, params["momentum"], params["nesterov"], adaptive
    )


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
    scaled : bool
        Whether the 'auto' step is scaled by the output units'
        `units.Output.step_scale`: a gradient step's size depends on how much
        the loss curves, Adam's does not (it divides by the gradient's scale).
    """

    auto_learning_rate: float | None
    rule: object
    batches: str | None
    stopping: str
    incremental: bool
    scaled: bool = True

    def learning_rate(self, learning_rate, step_scale=1.0, largest=math.inf):
        """The step for the estimator's ``learning_rate``; an 'auto' one for
        output units of `units.Output.step_scale` ``step_scale``, and at most
        ``largest``, the largest stable one for the network."""
        if learning_rate != "auto":
            return learning_rate
        if self.auto_learning_rate is None or not self.scaled:
            return self.auto_learning_rate
        return min(self.auto_learning_rate * step_scale, largest)

    def make_rule(self, params, step_scale=1.0, largest=math.inf):
        """A new update rule for the estimator's parameters ``params``, with
        the 'auto' step of `learning_rate`."""
        if self.rule is None:
            return None
        step = self.learning_rate(params["learning_rate"], step_scale, largest)
        return self.rule(step, params)


SOLVERS = {
    "gd": Solver(2.0, _gradient_descent, "full", _monitor.SETTLED, True),
    "sgd": Solver(0.1, _gradient_descent, "mini", _monitor.IMPROVEMENT, True),
    "adam": Solver(0.001, _adam, "mini", _monitor.IMPROVEMENT, True, scaled=False),
    "lbfgs": Solver(None, None, None, _monitor.IMPROVEMENT, False),
}


def auto_solver(n_samples, full_batch_only=False):
    """The solver of ``solver="auto"`` for a training set of ``n_samples``.

    Full-batch ``"gd"`` below `MINIBATCH_SAMPLES` samples: deterministic, a
    sample weight of 2 equals a repeated row, and on small data a full-batch
    step is cheap. From there on, mini-batch ``"sgd"``: an epoch of mini-batches
    takes ``n / batch_size`` steps for the work of one full-batch step, and on
    large data the number of steps, not their precision, limits what a fit
    learns in its time. ``full_batch_only`` (a fit on a cluster) keeps ``"gd"``.
    """
    if full_batch_only or n_samples < MINIBATCH_SAMPLES:
        return "gd"
    return "sgd"


def auto_l2(n_samples, small_data_l2=DEFAULT_L2):
    """The L2 strength of ``l2="auto"`` for a training set of ``n_samples``.

    ``small_data_l2`` (`DEFAULT_L2`, a classifier's) up to `L2_SAMPLES`
    samples; beyond, the same penalty on the summed loss,
    ``small_data_l2 * L2_SAMPLES / n`` on the mean loss: a prior that does not
    grow with the data, so that more data can fit finer boundaries.
    """
    return small_data_l2 * min(1.0, L2_SAMPLES / max(n_samples, 1))
