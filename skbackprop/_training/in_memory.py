"""The data of a fit in memory: NumPy arrays and SciPy sparse matrices.

`BaseTwoLayerNetwork.fit` takes the same steps whatever holds the data:
validate it, decide the targets and the network from the summary of ``y``,
weigh it, hold out a validation set, draw the start, build the problem, train.
A *backend* supplies what those steps do to the data where it is. `InMemory`,
here, is the backend of arrays; `_cluster.distributed.OnCluster` that of dask
collections, each chunk of rows on its worker. Both have:

- ``draws_start_first``: whether the start weights are drawn from the random
  generator before early stopping's hold-out (True) or after it (False).
- ``auto_solver(n_rows)``: the solver of ``solver='auto'`` for ``n_rows``
  training rows.
- ``data(X, y, sample_weight, reset, holding_out)`` and ``validation_set(X_val,
  y_val, sample_weight_val)``: the data validated, each value as `fit` checks
  it, with the `rules.TargetSummary` of its labels as ``summary``, and its
  ``n_features`` and ``dtype``; ``checked_weights(data)``: the data with its
  sample weights validated too, which `fit` asks for once the targets are.
- ``hold_out(data, sizes, rng)``: ``(training data, validation data, labels
  kept for training)``, the hold-out of `rules.hold_out_sizes` ``sizes``.
- ``problem(data, net, weights, validation=False)``: the data as the network
  `targets.Net` ``net`` trains on it, its rows weighted by their sample weights
  times the class weights ``weights``, checked by `rules.check_weights`.
- ``scored(data, weights, problem)``: ``(X, y, sample_weight)`` of the data,
  as scorers and callbacks take them.
- ``weights(theta)``: the weights ``theta``, drawn on the host, where the
  data is.
- ``objective(problem, l2)``, ``validation_loss(problem)``,
  ``unscaled(problem)`` and ``unscaled_targets(problem)``: the training
  objective (`loops.Objective`), the loss of a validation set, the search for
  a column that needs scaling (None: `report.unscaled_column` of the arrays),
  and that for a column of the targets ``Y`` (`report.unscaled_targets`, a
  function of no argument, run only when a warning needs it).
"""

from typing import NamedTuple

import numpy as np

from .._engine import network as _network
from .._engine.workspace import run_forward
from . import report as _report
from . import rules as _rules
from . import solvers as _solvers
from . import targets as _targets
from .loops import Objective


class Arrays(NamedTuple):
    """Validated data in memory: ``X``, its labels ``y``, its sample weights
    (float64, or None; as given until `InMemory.checked_weights`) and the
    `rules.TargetSummary` of ``y``."""

    X: object
    y: np.ndarray
    sample_weight: np.ndarray | None
    summary: _rules.TargetSummary | None

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype


class InMemory:
    """The backend of a fit on arrays in memory (see the module's docstring).

    Parameters
    ----------
    estimator : BaseTwoLayerNetwork
        The estimator being fitted, which validates ``X`` and ``y``
        (``_validate_Xy``: the feature names and count, the kind of target).
    """

    draws_start_first = False  # the split of the data is drawn first

    def __init__(self, estimator):
        self.estimator = estimator
        self.kind = estimator._target_kind  # a `targets.Kind`: labels or values

    def auto_solver(self, n_rows):
        return _solvers.auto_solver(n_rows)

    def data(self, X, y, sample_weight, reset, holding_out):
        # `_validate_Xy` makes sparse X CSR whenever rows are taken
        X, y = self.estimator._validate_Xy(X, y, reset=reset)
        return Arrays(X, y, sample_weight, self.kind.summarise(y))

    def checked_weights(self, data):
        sample_weight = _targets.checked_weights(data.sample_weight, data.X)
        return data._replace(sample_weight=sample_weight)

    def validation_set(self, X_val, y_val, sample_weight_val):
        X_val, y_val = self.estimator._validate_Xy(
            X_val, y_val, reset=False, y_name="y_val"
        )
        summary = self.kind.summarise(y_val, "y_val")
        sample_weight_val = _targets.checked_weights(
            sample_weight_val, X_val, validation=True
        )
        return Arrays(X_val, y_val, sample_weight_val, summary)

    def hold_out(self, data, sizes, rng):
        train, val = _targets.hold_out(data.X, data.y, data.sample_weight, sizes, rng)
        return Arrays(*train, None), Arrays(*val, None), sizes.alone

    def problem(self, data, net, weights, validation=False):
        return self.kind.problem(
            data.X, data.y, data.sample_weight, net, weights, validation
        )

    def scored(self, data, weights, problem):
        weighted = _rules.loss_weights(data.sample_weight, data.y, weights)
        return data.X, data.y, weighted

    def weights(self, theta):
        return theta

    def objective(self, problem, l2):
        p = problem
        return Objective(p.X, p.Y, p.layout, p.output, l2, p.activation)

    def validation_loss(self, val):
        def loss(theta):
            args = (
                theta,
                val.layout,
                val.X,
                val.Y,
                val.s,
                0.0,
                val.output,
                val.activation,
            )
            return run_forward(val.X.shape[0], val.layout, _network.loss, *args)

        return loss

    def unscaled(self, problem):
        return None

    def unscaled_targets(self, problem):
        return lambda: _report.unscaled_targets(problem.Y)
