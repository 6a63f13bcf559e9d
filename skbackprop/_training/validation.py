"""What early stopping monitors: the loss and the score of a validation set.

`validator` makes the ``validate(theta) -> (validation loss, validation score)``
that `monitor.Monitor` calls after each epoch. The loss is the network's
loss (cross-entropy, or squared error) on the validation set, computed where
the data is (in memory, or
on a cluster); the score is ``scoring``, scikit-learn's
scorer of that name or callable, applied to a copy of the estimator with the
epoch's weights. The scorer is tried once before training, so that one that
cannot be computed on the validation set fails at once, and one that is
undefined there (NaN) is replaced by the validation loss.
"""

import inspect
import math

import numpy as np
from sklearn.metrics import check_scoring

from .report import warn_caller


def validator(estimator, data, val, loss, scored, theta, held_out):
    """``validate(theta) -> (validation loss, validation score)``.

    Parameters
    ----------
    estimator : BaseTwoLayerNetwork
        The estimator being fitted: its ``scoring``, and the copies with an
        epoch's weights that scorers are applied to (``_snapshot``).
    data : Problem
        The training problem (a `targets.Problem`, or the
        `_distributed.ClusterProblem` of data on a cluster).
    val : Problem
        The validation set, as ``data`` is.
    loss : callable
        ``loss(theta)``, the loss of ``val`` without the L2 term.
    scored : tuple
        ``(X_val, y_val, sample_weight_val)`` as scorers take them.
    theta : ndarray
        The initial weights, at which the score is tried before training; its
        score is ``validate.initial_score``, for the monitor to tell whether a
        fit learned.
    held_out : ndarray or None
        None for a validation set passed to `fit`, else the labels of the
        classes early stopping's hold-out cannot take, for the messages.
    """
    score = _tried_score(estimator, data, val, scored, theta, held_out)
    if score is None:

        def validate(theta):
            value = loss(theta)
            return value, -value

        validate.initial_score = -loss(theta)
        return validate

    warned = []

    def validate(theta):
        value = score(theta)
        if math.isnan(value) and not warned:
            warned.append(True)
            warn_caller(
                f"scoring={estimator.scoring!r} returned NaN on the validation set; "
                "an epoch scored NaN never counts as the best.",
                UserWarning,
            )
        return loss(theta), value

    validate.initial_score = score.initial
    return validate


def _tried_score(estimator, data, val, scored, theta, held_out):
    """`score_function` on ``scored``, tried at the initial weights ``theta``: an
    error if it cannot be computed on the validation set, None (with a warning)
    if it is undefined there, or for ``scoring='loss'``."""
    score = score_function(estimator, data, *scored)
    if score is None:
        return None
    scoring = estimator.scoring
    try:
        first = score(theta)
    except Exception as error:
        reason = str(error).rstrip(". ")
        if missing_classes(val):
            fix = advice(val, held_out, estimator)
        elif val.classes is None:  # regression targets
            fix = (
                ". Choose a regression scoring, for example 'r2' or "
                "'neg_mean_absolute_error', or use scoring='loss'."
            )
        else:  # not the validation set's fault: the scorer and the targets
            fix = (
                ". Choose a scoring that suits these targets (for more than two "
                "classes, for example 'roc_auc_ovr' or 'f1_macro'), or use "
                "scoring='loss'."
            )
        raise ValueError(
            f"scoring={scoring!r} cannot be computed on the validation set: "
            f"{reason}{fix}"
        ) from error
    if math.isnan(first):
        warn_caller(
            f"scoring={scoring!r} is not defined on the validation "
            "set: the scorer returned NaN at the initial weights, as a "
            "metric such as ROC AUC does on samples of one class. Early "
            "stopping monitors the validation loss instead, as with "
            f"scoring='loss'{advice(val, held_out, estimator)}",
            UserWarning,
        )
        return None
    score.initial = first
    return score


def score_function(estimator, data, X_val, y_val, sw_val):
    """``score(theta)``: ``scoring`` on the validation set at weights ``theta``,
    or None for ``scoring='loss'``.

    The scorer is scikit-learn's (`check_scoring`), so names, `make_scorer`
    objects, None and callables work as everywhere in scikit-learn. The
    validation weights are passed to scorers that take ``sample_weight`` (every
    named scorer and `make_scorer` object does); a plain callable
    ``scorer(estimator, X, y)`` is called without them.
    """
    if estimator.scoring == "loss":
        return None
    scorer = check_scoring(estimator, estimator.scoring)
    weights = {}
    if sw_val is not None and takes_sample_weight(scorer):
        weights["sample_weight"] = sw_val

    def score(theta):
        at_theta = estimator._snapshot(data, theta)
        return float(scorer(at_theta, X_val, y_val, **weights))

    return score


def takes_sample_weight(scorer):
    """Whether ``scorer`` can be called with ``sample_weight=``, read from its
    signature as scikit-learn's `has_fit_parameter` reads ``fit``'s."""
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):  # no signature to read: call it as documented
        return False
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters)


def missing_classes(val):
    """`` (it has no samples of class 2)``: the classes a validation set lacks."""
    if val.classes is None or val.y.ndim != 1:  # values, or an indicator matrix
        return ""
    missing = np.setdiff1d(val.classes, val.y)
    if not missing.size:
        return ""
    return f" (it has no samples of class {', '.join(map(str, missing))})"


def advice(val, held_out, estimator):
    """What to change when ``scoring`` fails on a validation set.

    ``held_out`` is None for a validation set passed to `fit`, else the labels
    of the classes of a single sample, which the hold-out never takes.
    """
    if held_out is not None:
        larger = "" if len(held_out) else "raise validation_fraction, "
        single = (
            f"; class {', '.join(map(str, held_out))} has a single sample, kept "
            "for training"
            if len(held_out)
            else ""
        )
        return (
            f". The hold-out of early_stopping is validation_fraction="
            f"{estimator.validation_fraction} of the data, {val.X.shape[0]} samples"
            f"{missing_classes(val)}{single}: {larger}pass X_val and y_val with "
            "samples of every class, or use scoring='loss'."
        )
    return (
        f". The validation set has {val.X.shape[0]} samples"
        f"{missing_classes(val)}: pass X_val and y_val with samples of every "
        "class, or use scoring='loss'."
    )
