"""The rules a fit checks its data by, written once for data in memory and data
spread over a cluster.

A rule reads a *summary* of the data: for the targets, the number of rows and
the count of each label (`TargetSummary`); for the weights, the counts of
negative and of non-finite weights and the largest weight (`WeightSummary`).
In memory a summary is computed from the whole arrays; on a cluster the same
function computes one per chunk of rows, on its worker, and `merge_targets` or
`merge_weights` adds them up on the client. Either way one function then checks
the summary and raises: `check_weights` (the weights of the loss),
`class_weights` (``class_weight`` for the targets), `hold_out_sizes` (early
stopping's hold-out) and `given_validation_set` (the arguments of a validation
set). `loss_weights`, `share` and `normalised` turn the weights into the
normalised weights ``s`` of the loss, in memory and chunk by chunk alike.

Each message is written here and nowhere else, so a fit in memory and a fit on
a cluster fail alike on the same data.
"""

import math
from numbers import Real
from typing import NamedTuple

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------
class TargetSummary(NamedTuple):
    """What the rules need to know of ``y``: its rows and the count of each label."""

    rows: int
    width: int | None  # columns of a multilabel indicator matrix, None for 1-D labels
    labels: np.ndarray  # the distinct labels of 1-D y, sorted (empty for a matrix)
    counts: np.ndarray  # the rows of each label


def summarise_targets(y, name="y"):
    """The `TargetSummary` of validated targets ``y`` (1-D labels, or an
    indicator matrix), checked to be classification labels that sort."""
    if y.ndim == 2:
        return TargetSummary(len(y), y.shape[1], y[:0, 0], np.zeros(0, np.int64))
    if not len(y):  # a chunk of no rows
        return TargetSummary(0, None, y, np.zeros(0, np.int64))
    labels, counts = sorted_labels(y, name, return_counts=True)
    return TargetSummary(len(y), None, labels, counts)


def merge_targets(summaries):
    """The `TargetSummary` of the rows of all ``summaries`` (of one kind of y)."""
    rows = sum(s.rows for s in summaries)
    first = summaries[0]
    if first.width is not None:
        return first._replace(rows=rows)
    labels = np.concatenate([s.labels for s in summaries])
    counts = np.concatenate([s.counts for s in summaries])
    distinct = sorted_labels(labels, "y") if len(labels) else labels
    totals = np.zeros(len(distinct), np.int64)
    np.add.at(totals, np.searchsorted(distinct, labels), counts)
    return TargetSummary(rows, None, distinct, totals)


def like_y(summary):
    """A small array that the checks of targets read as they read ``y``: its
    distinct labels, or for a multilabel ``y`` an empty matrix as wide."""
    if summary.width is not None:
        return np.zeros((0, summary.width), int)
    return summary.labels


def sorted_labels(labels, name, return_counts=False):
    """The distinct classification labels, sorted (and their counts); a clear
    error if they are not classes, or cannot be sorted (strings and numbers
    mixed)."""
    try:
        check_classification_targets(labels)
        return np.unique(labels, return_counts=return_counts)
    except TypeError as error:  # raised by sorting, in scikit-learn or numpy
        raise ValueError(
            f"{name} mixes labels that cannot be sorted together, such as strings "
            f"and numbers ({error}). Use labels of one type."
        ) from error


# --------------------------------------------------------------------------------------
# Class weights
# --------------------------------------------------------------------------------------
class ClassWeights(NamedTuple):
    """The weight of each label of ``y``, by which its rows' weights are multiplied."""

    labels: np.ndarray
    weights: np.ndarray


def class_weights(class_weight, summary):
    """The `ClassWeights` of ``class_weight`` for targets of ``summary``, as
    scikit-learn's `compute_sample_weight` gives them: a dict's weights, or for
    ``'balanced'`` ``n / (n_classes * count)``; None without ``class_weight``."""
    if class_weight is None:
        return None
    if summary.width is not None:
        raise ValueError("class_weight is not supported for multilabel y.")
    labels, counts = summary.labels, summary.counts
    if isinstance(class_weight, dict):
        check_class_weight(class_weight)
        return ClassWeights(
            labels, compute_class_weight(class_weight, classes=labels, y=labels)
        )
    # 'balanced', as compute_class_weight computes it from the counts
    return ClassWeights(
        labels, counts.sum() / (len(labels) * counts.astype(np.float64))
    )


def check_class_weight(class_weight):
    """Class weights must be finite non-negative numbers, like sample weights."""
    for label, weight in class_weight.items():
        if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight must map classes to finite non-negative numbers; "
                f"got {weight!r} for class {label!r}."
            )


# --------------------------------------------------------------------------------------
# Sample weights
# --------------------------------------------------------------------------------------
class WeightSummary(NamedTuple):
    """What the rules need to know of the weights of the loss."""

    rows: int
    negative: int  # sample weights below zero
    not_finite: int  # weights of the loss (sample times class weight) not finite
    top: float  # the largest weight of the loss
    weighted: bool  # whether there are weights, rather than ones


def loss_weights(sample_weight, y, weights):
    """Each row's weight in the loss: its sample weight times the weight of its
    class (`ClassWeights`, or None); None when both are None (all ones)."""
    if weights is None:
        return sample_weight
    per_row = weights.weights[np.searchsorted(weights.labels, y)]
    if sample_weight is None:
        return per_row
    with np.errstate(over="ignore"):  # an infinite product is `check_weights`'s
        return per_row * sample_weight


def summarise_weights(sample_weight, weights, rows):
    """The `WeightSummary` of ``rows`` rows: their validated ``sample_weight``
    (float64, or None) and weights in the loss ``weights`` (`loss_weights`)."""
    if weights is None:
        return WeightSummary(rows, 0, 0, 1.0, False)
    negative = 0 if sample_weight is None else int(np.count_nonzero(sample_weight < 0))
    not_finite = rows - int(np.count_nonzero(np.isfinite(weights)))
    top = float(weights.max()) if rows else 0.0
    return WeightSummary(rows, negative, not_finite, top, True)


def merge_weights(summaries):
    """The `WeightSummary` of the rows of all ``summaries``."""
    return WeightSummary(
        sum(s.rows for s in summaries),
        sum(s.negative for s in summaries),
        sum(s.not_finite for s in summaries),
        max(s.top for s in summaries),
        any(s.weighted for s in summaries),
    )


def check_weights(summary, validation=False):
    """Raise if the weights of ``summary`` cannot weigh a loss: a weight that is
    not finite or negative, or no positive one. ``validation``: they are
    ``sample_weight_val``, and the message says so."""
    if summary.not_finite:
        problem = "sample_weight contains NaN or infinity."
    elif summary.negative:
        problem = "sample_weight contains negative values."
    elif not summary.top > 0:
        problem = "sample_weight sums to zero: at least one weight must be positive."
    else:
        return
    error = ValueError(problem)
    if validation:
        raise invalid_validation_weights(error, summary.rows) from error
    raise error


def invalid_validation_weights(error, rows):
    """The error ``error`` of the weights of a validation set of ``rows`` rows."""
    return ValueError(f"Invalid sample_weight_val (X_val has {rows} samples): {error}")


def share(weights, rows, top):
    """The sum of ``weights / top`` (``rows`` when ``weights`` is None): this
    part's share of the total by which `normalised` divides."""
    return float(rows) if weights is None else float((weights / top).sum())


def normalised(weights, rows, top, total, dtype):
    """The weights ``s`` of the loss: ``weights`` divided by the largest weight
    ``top`` of all rows, then by the total of those quotients, in float64, and
    only then cast to ``dtype``: positive weights below float32's range (or
    sums above float64's) stay valid."""
    s = np.full(rows, 1.0 / total) if weights is None else (weights / top) / total
    return s.astype(dtype, copy=False)


# --------------------------------------------------------------------------------------
# Validation sets
# --------------------------------------------------------------------------------------
class HoldOut(NamedTuple):
    """The sizes of early stopping's hold-out."""

    n_val: int  # rows held out
    strata: np.ndarray | None  # the labels to stratify by; None: a plain random draw
    alone: np.ndarray  # labels of a single sample, which stay in training


def hold_out_sizes(summary, fraction):
    """The `HoldOut` of ``fraction`` (``validation_fraction``) of targets of
    ``summary``.

    ``ceil(fraction * n)`` of the ``n`` rows that can be held out: a class with
    a single sample cannot be on both sides, so it stays in training. The split
    is stratified by class, so the hold-out has the classes in the proportions
    of ``y`` as far as its size allows; when the hold-out (or the training part)
    would be smaller than the number of classes, stratifying is impossible and
    the split is plain random, as MLPClassifier's for more than two classes.
    Multilabel targets are not stratified.
    """
    if summary.width is None:
        alone = summary.labels[summary.counts == 1]
        strata = summary.labels[summary.counts > 1]
        eligible = int(summary.counts[summary.counts > 1].sum())
    else:
        alone, strata, eligible = summary.labels, None, summary.rows
    n_val = math.ceil(fraction * eligible)
    if eligible - n_val < 1:
        raise ValueError(
            f"early_stopping=True cannot hold out validation_fraction={fraction} of "
            f"{summary.rows} samples and keep samples to train on. Pass X_val and "
            "y_val, lower validation_fraction, or set early_stopping=False."
        )
    if strata is not None and min(n_val, eligible - n_val) < len(strata):
        strata = None
    return HoldOut(n_val, strata, alone)


def given_validation_set(X_val, y_val, sample_weight_val):
    """Whether a validation set is passed: ``X_val`` and ``y_val`` together, and
    ``sample_weight_val`` only with them."""
    given = X_val is not None or y_val is not None
    if sample_weight_val is not None and not given:
        raise ValueError(
            "sample_weight_val is the weights of a validation set: pass X_val "
            "and y_val with it."
        )
    if given and (X_val is None or y_val is None):
        raise ValueError("X_val and y_val must be passed together.")
    return given
