"""Where the update rules that a fitted estimator keeps lived before the package's
layer folders, kept because pickles and ``.skops`` files written then name this
module: it re-exports `Adam`, `GradientDescent` from `skbackprop._training.solvers`."""

from ._training.solvers import Adam, GradientDescent

__all__ = ["Adam", "GradientDescent"]
