"""What an estimator of the notes' network says about its targets.

`TargetHooks` lists the hooks that `TwoLayerClassifier` (class labels) and
`TwoLayerRegressor` (numbers) fill in: what ``y`` becomes for the output units,
how its rows are weighted, which fitted attributes describe it, and the steps
of gradient descent that suit its loss. They are all that training, validation
and prediction in `base.BaseTwoLayerNetwork` need of the targets.
"""

import math

from .._training import solvers as _solvers


class TargetHooks:
    """The hooks of an estimator's targets (see the module's docstring); each
    one that raises NotImplementedError is the estimator's to fill in."""

    # `_target_kind`, a `_targets.Kind`, is what the backends do with its y.
    _target_kind = None
    # The `units.Output.step_scale` of its output units, which scales the
    # 'auto' steps of gradient descent.
    _step_scale = 1.0

    def _largest_auto_step(self):
        """The largest 'auto' step of gradient descent for the network's
        sizes; none for the classifier, whose steps are chosen on its own
        benchmarks (docs/performance.rst)."""
        return math.inf

    # The strength of l2='auto' on small data (`_solvers.auto_l2`).
    _small_data_l2 = _solvers.DEFAULT_L2

    def _fit_targets(self, y, warm):
        """What the output units encode for a fit on ``y``: the targets' own
        (``warm`` False) or the fitted model's, which ``y`` must fit."""
        raise NotImplementedError

    def _check_fitted_targets(self, y, warm_start=False):
        """Check that ``y`` are targets of the fitted network (with
        ``warm_start``, targets to continue training it on)."""
        raise NotImplementedError

    def _fitted_targets(self):
        """What the fitted network's outputs encode, for `_problem`."""
        raise NotImplementedError

    def _net(self, y, targets, n_features):
        """The `_targets.Net` whose outputs encode ``targets`` (from
        `_fit_targets`) for targets like ``y`` (`_rules.like_y`), with
        ``n_features`` inputs and ``n_hidden`` hidden units."""
        raise NotImplementedError

    def _check_validation_targets(self, y_val, net):
        """Check that ``y_val`` (`_rules.like_y`) are targets of the network
        ``net`` (a `_targets.Net`) that trains on ``y``."""
        raise NotImplementedError

    def _target_weights(self, summary):
        """The weights that the targets give the rows of the loss, from the
        `_rules.TargetSummary` of ``y`` (a classifier's class weights); None:
        none."""
        raise NotImplementedError

    def _problem(self, X, y, sample_weight, targets, n_hidden=None, weights=None):
        """The training arrays (`_targets.Problem`) of a network of ``n_hidden``
        hidden units (None: the parameter's) whose outputs encode ``targets``,
        the rows weighted by ``sample_weight`` times ``weights`` (from
        `_target_weights`)."""
        raise NotImplementedError

    def _target_attributes(self, data):
        """The fitted attributes that describe the targets of ``data``."""
        raise NotImplementedError

    def _scales_targets(self):
        """Whether a fit warns of targets far from the unit scale
        (`_report.unscaled_targets`): a regressor's, under settings chosen for
        standardized targets; not a classifier's 0/1 targets."""
        return False
