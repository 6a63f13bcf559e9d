"""What a fit tells its user: convergence warnings whose advice fits the data,
attributed to the line that called `fit`.

- `report` warns when training diverged or ran out of epochs, naming the
  setting to change: ``learning_rate`` only for the solvers that use it,
  scaling X only when X looks unscaled (`unscaled_column`), scaling y only
  when a regressor's targets do; and when early
  stopping returns a model that never scored better than its initial weights
  (`report_unlearned`).
- `warn_caller` attributes a warning to the caller of the package rather than
  to a line inside it or inside scikit-learn's wrapper around `fit`.
"""

import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn.base
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.sparsefuncs import mean_variance_axis

from . import arrays as _arrays
from .monitor import DIVERGED, MAX_ITER

# X looks unscaled, and the warnings of fit advise scaling it, when the root mean
# square of one of its columns, sqrt(mean^2 + variance), is above this: a mean or
# a spread several times the unit scale. Standardized columns have 1 (constant
# ones 0), columns scaled into [-1, 1] at most 1. The automatic learning rates
# suit standardized data, and the curvature of the loss along a column's weights
# grows with the square of its size. Columns of small size (rare binary
# features, tf-idf) are not flagged: they slow training down but do not make it
# diverge, and standardizing them is often not wanted.
UNSCALED_RMS = 3.0


def report(
    monitor,
    theta,
    X,
    *,
    solver,
    learning_rate,
    max_iter,
    unscaled=None,
    targets=None,
    auto_step=False,
):
    """Warn if training diverged or reached max_iter, with the advice that fits;
    a divergence that left the initial weights ``theta`` says so.

    ``learning_rate`` (the step used; None for L-BFGS, which chooses its own) is
    advised only when there is one, and for a run that reached ``max_iter``
    only when the user set it: an ``auto_step`` is the estimator's to adapt,
    and a larger one diverges where it would have; scaling only when the training data
    ``X`` looks unscaled (``unscaled(X)``, `unscaled_column` when None, computed
    only for a warning), or the regression targets do (``targets()``, the
    `unscaled_targets` of their matrix ``Y``, computed where the data is and
    only when needed; given when the settings are the ones for standardized
    targets; None for labels). Targets far from unit spread get a warning of
    their own when training went well: the settings do not suit them.
    """
    if monitor.status != DIVERGED and monitor.learned_nothing():
        report_unlearned(monitor, learning_rate)
    if monitor.status == DIVERGED:
        restored = (
            "The weights with the lowest loss were restored"
            if not monitor.untrained(theta)
            else "The model keeps its initial weights: it is untrained"
        )
        message = f"Training diverged: {monitor.message}. {restored}."
        fixes = []
        if learning_rate is not None:
            message += f" learning_rate={learning_rate} is too large for this data."
            fixes.append("lower learning_rate")
    elif monitor.status == MAX_ITER:
        message = (
            f"solver={solver!r} reached max_iter={max_iter} "
            f"{'iterations' if solver == 'lbfgs' else 'epochs'} "
            "before the loss stopped improving by tol."
        )
        fixes = ["increase max_iter"]
        if learning_rate is not None and not auto_step:
            fixes[0] += " or learning_rate"
    else:
        column = None if targets is None else targets()
        if column is not None:
            advice = target_scaling_advice(column)
            warn_caller(
                "The targets are far from unit scale, for which "
                "learning_rate='auto' and l2='auto' are chosen: against a small "
                "spread the L2 penalty outweighs the fit, and a large offset or "
                "spread makes the first steps too large, which can leave the "
                f"hidden units saturated. {advice[0].upper()}{advice[1:]}, or "
                "set learning_rate and l2 for this scale.",
                UserWarning,
            )
        return
    column = (unscaled or unscaled_column)(X)
    if column is not None:
        fixes.append(scaling_advice(X, column))
    column = None if targets is None else targets()
    if column is not None:
        fixes.append(target_scaling_advice(column))
    if fixes:
        advice = ", or ".join(fixes)
        message += f" {advice[0].upper()}{advice[1:]}."
    warn_caller(message, ConvergenceWarning)


def report_unlearned(monitor, learning_rate):
    """Warn that early stopping found no epoch that scored better on the
    validation set than the initial weights: the model returned has not
    learned what the validation set measures."""
    fixes = ["increase n_iter_no_change"]
    if learning_rate is not None:
        # steps that overshoot (the training loss rose above its start) want a
        # smaller step; steps that barely moved it, a larger one
        losses = monitor.losses
        overshot = bool(losses) and max(losses) > losses[0]
        fixes.append(f"{'lower' if overshot else 'raise'} learning_rate")
    fixes.append("set early_stopping=False")
    warn_caller(
        "Early stopping found no epoch whose validation score beat the initial "
        f"weights' by more than tol={monitor.tol} ({monitor.initial_score:.4g}; "
        "the best, at epoch "
        f"{monitor.best_epoch} of {monitor.n_iter}, was "
        f"{monitor.best_score:.4g}): the model returned has not learned. "
        f"{', '.join(fixes[:-1]).capitalize()}, or {fixes[-1]}.",
        ConvergenceWarning,
    )


def unscaled_column(X):
    """``(column, root mean square)`` of the largest column of ``X``, if its root
    mean square is above `UNSCALED_RMS`; None otherwise.

    One pass over ``X``, dense or sparse, without copying it (unless its sparse
    values are a strided view, which `mean_variance_axis` cannot read); in
    float64.
    """
    if sp.issparse(X):
        if not X.data.flags.c_contiguous:
            X = X.copy()
        mean, variance = mean_variance_axis(X, axis=0)
        squares = mean**2 + variance
    else:
        squares = np.einsum("ij,ij->j", X, X, dtype=np.float64) / X.shape[0]
    column = int(np.argmax(squares))
    rms = float(np.sqrt(squares[column]))
    return (column, rms) if rms > UNSCALED_RMS else None


def unscaled_targets(Y):
    """``(column, mean, standard deviation)`` of the first column of the
    targets ``Y`` far from the unit scale: a root mean square above
    `UNSCALED_RMS` (a large offset or spread), or a standard deviation below
    its reciprocal (a spread too small for the L2 penalty); None when every
    column is near it. The steps are as large as the residuals, which start
    as large as the targets, and the data's loss weighs against the penalty
    with the square of their spread."""
    Y = _arrays.to_numpy(Y)  # targets on a device come to the host
    mean = np.mean(Y, axis=0, dtype=np.float64)
    return far_from_unit_scale(mean, np.std(Y, axis=0, dtype=np.float64))


def far_from_unit_scale(mean, spread):
    """`unscaled_targets` from the mean and standard deviation of each
    column of the targets (a cluster adds them up from its parts)."""
    rms = np.sqrt(mean**2 + spread**2)
    far = (rms > UNSCALED_RMS) | ((spread < 1 / UNSCALED_RMS) & (spread > 0))
    if not far.any():
        return None
    column = int(np.argmax(far))
    return column, float(mean[column]), float(spread[column])


def target_scaling_advice(unscaled):
    """Advice to standardize the targets, whose column, mean and standard
    deviation ``unscaled`` are far from the unit scale; a mean within a
    millionth of the spread of 0 is 0 (not the rounding of a sum)."""
    column, mean, spread = unscaled
    if abs(mean) < 1e-6 * spread:
        mean = 0.0
    unscaled = column, mean, spread
    return (
        "scale y (TransformedTargetRegressor(transformer=StandardScaler())): "
        "its column {} has a mean of {:.3g} and a standard deviation of {:.3g}, "
        "against 0 and 1 for standardized targets".format(*unscaled)
    )


def scaling_advice(X, unscaled):
    """Advice to scale ``X``, whose column and root mean square ``unscaled`` are
    far from the unit scale, with a scaler that takes ``X``."""
    scaler = (
        "MaxAbsScaler or StandardScaler(with_mean=False), which keep X sparse"
        if sp.issparse(X)
        else "StandardScaler"
    )
    return (
        "scale X ({}): its column {} has a root mean square of {:.3g}, against 1 "
        "for standardized data".format(scaler, *unscaled)
    )


# The file of the wrapper that scikit-learn's `_fit_context` puts around `fit`
# (sklearn/base.py): its frames stand between the caller of fit and fit itself.
FIT_WRAPPER_FILE = sklearn.base.__file__


def warn_caller(message, category):
    """`warnings.warn` attributed to the code that called into this package.

    The warning names the first frame outward that is neither this package's
    nor scikit-learn's wrapper around `fit`: the user's line calling `fit`, or
    the scikit-learn code (a Pipeline, a cross-validation) that called it. Its
    ``stacklevel`` is counted by walking the frames, since a fixed number would
    depend on how many wrapper frames the installed scikit-learn adds. (Python
    3.12's ``skip_file_prefixes`` does the same, but Python 3.10 is supported.)
    """
    here = sys._getframe()
    package = os.path.dirname(os.path.dirname(here.f_code.co_filename))
    skipped = (package + os.sep, FIT_WRAPPER_FILE)
    frame, stacklevel = here.f_back, 2  # stacklevel 1 is this function
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)
