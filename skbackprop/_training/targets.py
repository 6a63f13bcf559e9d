"""Labels, targets and sample weights: what ``y`` and the weights become for the
network.

- `Problem` holds the training arrays: inputs, 0/1 targets, normalised weights,
  classes, the network's sizes and its units; `problem` makes one.
- `encode_targets` turns labels into the targets of the output units (one
  sigmoid unit for two classes, a softmax for more, a sigmoid unit per label of
  a multilabel indicator matrix); `check_targets` checks ``y`` against a network
  that already has output units.
- `class_weighted` and `normalised_weights` turn ``class_weight`` and
  ``sample_weight`` into the weights ``s`` of the loss.
- `hold_out` splits off early stopping's validation set.
"""

import math
from numbers import Real
from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight

from .._engine import network as _network


class Problem(NamedTuple):
    """The training arrays: inputs, targets, normalised weights, sizes and units
    (the names of the rows of `units.OUTPUTS` and `units.ACTIVATIONS`)."""

    X: object
    Y: np.ndarray
    s: np.ndarray
    classes: np.ndarray
    layout: _network.Layout
    output: str
    activation: str
    y: np.ndarray


def problem(X, y, sample_weight, classes, n_hidden, activation="logistic"):
    """Validated labels and weights as the arrays the numerics take.

    ``classes`` are the labels of ``y`` when None (see `encode_targets`); the
    network has ``n_hidden`` hidden units of the kind ``activation``.
    """
    classes, Y, output = encode_targets(y, classes, X.dtype)
    # int(): the parameter check lets True through as an int, numpy does not.
    layout = _network.Layout(X.shape[1], int(n_hidden), Y.shape[1])
    s = normalised_weights(sample_weight, X)
    return Problem(X, Y, s, classes, layout, output, activation, y)


def check_indicator(y, name):
    """A 2-D ``y`` must be a multilabel indicator matrix of 0s and 1s."""
    kind, got = type_of_target(y), None
    if kind != "multilabel-indicator":
        got = f"{kind!r} targets"
    elif not np.isin(y, (0, 1)).all():  # to scikit-learn, any two integers
        got = f"the values {np.unique(y)}"
    if got is not None:
        raise ValueError(
            f"A 2-D {name} must be a multilabel indicator matrix of 0s "
            f"and 1s; got {got}."
        )


def class_weighted(class_weight, y, sample_weight):
    """``sample_weight`` times the weight of each sample's class."""
    if class_weight is None:
        return sample_weight
    if y.ndim == 2:
        raise ValueError("class_weight is not supported for multilabel y.")
    if isinstance(class_weight, dict):
        check_class_weight(class_weight)
    weights = compute_sample_weight(class_weight, y)
    if sample_weight is None:
        return weights
    return weights * np.asarray(sample_weight, dtype=np.float64)


def encode_targets(y, classes, dtype):
    """Return ``(classes, Y, output)``: labels, 0/1 targets, output units.

    ``y`` is validated: 1-D labels or a multilabel indicator matrix. ``classes``
    are the labels of ``y`` unless given; then ``y`` must use only them. Two
    classes get one sigmoid unit, more a softmax. Multilabel ``y`` is its own
    target matrix, with a sigmoid unit per label; its classes are the label
    indices.
    """
    if y.ndim == 2:
        return np.arange(y.shape[1]), y.astype(dtype), _network.SIGMOID
    labels = sorted_labels(y, "y")
    if classes is None:
        classes = labels
    else:
        unknown = np.setdiff1d(labels, classes)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown} that are not in classes {classes}."
            )
    at_least_two(classes)
    Y = _network.targets(np.searchsorted(classes, y), len(classes), dtype)
    return classes, Y, _network.SIGMOID if len(classes) == 2 else _network.SOFTMAX


def classes_of(y):
    """The sorted labels of a 1-D ``y``, at least two; None for a multilabel
    indicator matrix, whose classes are its columns."""
    return at_least_two(sorted_labels(y, "y")) if y.ndim == 1 else None


def at_least_two(classes):
    """``classes``, if there are two or more: one class is nothing to learn."""
    if len(classes) < 2:
        raise ValueError(
            "TwoLayerClassifier needs samples of at least 2 classes; "
            f"got 1 class: {classes[0]}."
        )
    return classes


def check_targets(y, name, classes, multilabel, owner, *, warm_start=False):
    """Check that ``y`` are targets of a network with output units for ``classes``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Validated targets: 1-D labels or a multilabel indicator matrix.

    name : str
        The argument that ``y`` was passed as, for the messages.

    classes : ndarray of shape (n_classes,)
        The network's classes; for a multilabel network, its label indices.

    multilabel : bool
        Whether the network has a sigmoid unit per label of an indicator matrix.

    owner : str
        Whose classes they are, for the messages: ``'the fitted model'`` or
        ``'y'``.

    warm_start : bool, default=False
        Whether a warm-started `fit` continues training the network on ``y``;
        then ``y`` must have all of ``classes``, not only some of them.

    Returns
    -------
    labels : ndarray
        The classes of ``y``, sorted: equal to ``classes`` with ``warm_start``,
        but of the type of ``y``'s labels.

    Raises
    ------
    ValueError
        If ``y`` is multilabel and the network is not, or the other way round; if
        it has another number of labels; if it has labels not in ``classes``.
    """
    n = len(classes)
    hint = (
        " With warm_start=True, y must have the same classes as the fitted model; "
        "set warm_start=False to train a new model."
        if warm_start
        else ""
    )
    if y.ndim == 2:
        if not multilabel:
            raise ValueError(
                f"{name} is a multilabel indicator matrix, but {owner} is not "
                f"multilabel: {name} must be 1-D, with labels in {classes}." + hint
            )
        if y.shape[1] != n:
            raise ValueError(
                f"{name} has {y.shape[1]} labels (columns), but {owner} has {n}: "
                f"{name} must be a 0/1 indicator matrix of shape (n_samples, {n})."
                + hint
            )
        return np.arange(n)
    if multilabel:
        raise ValueError(
            f"{name} is 1-D, but {owner} is multilabel, with {n} labels: {name} must "
            f"be a 0/1 indicator matrix of shape (n_samples, {n})." + hint
        )
    labels = sorted_labels(y, name)
    if warm_start and not np.array_equal(labels, classes):
        raise ValueError(
            f"{name} has classes {labels}, but {owner} has classes {classes}." + hint
        )
    unknown = np.setdiff1d(labels, classes)
    if unknown.size:
        raise ValueError(
            f"{name} has labels {unknown} that are not in classes {classes} of {owner}."
        )
    return labels


def check_class_weight(class_weight):
    """Class weights must be finite non-negative numbers, like sample weights."""
    for label, weight in class_weight.items():
        if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight must map classes to finite non-negative numbers; "
                f"got {weight!r} for class {label!r}."
            )


def sorted_labels(labels, name):
    """The distinct classification labels, sorted; a clear error if they are not
    classes, or cannot be sorted (strings and numbers mixed)."""
    try:
        check_classification_targets(labels)
        return np.unique(labels)
    except TypeError as error:  # raised by sorting, in scikit-learn or numpy
        raise ValueError(
            f"{name} mixes labels that cannot be sorted together, such as strings "
            f"and numbers ({error}). Use labels of one type."
        ) from error


def normalised_weights(sample_weight, X):
    """Sample weights as a probability vector ``s``, validated.

    Normalised in float64 and only then cast to the dtype of X: positive
    weights below float32's range (or sums above float64's) stay valid.
    """
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64)
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (sw < 0).any():
        raise ValueError("sample_weight contains negative values.")
    if not sw.any():
        raise ValueError(
            "sample_weight sums to zero: at least one weight must be positive."
        )
    sw = sw / sw.max()  # in (0, 1]: the sum cannot overflow
    return (sw / sw.sum()).astype(X.dtype, copy=False)


def hold_out(X, y, sample_weight, fraction, rng):
    """Split off ``fraction`` (``validation_fraction``) of the data for early
    stopping.

    The split is stratified by class, so the hold-out has the classes in the
    proportions of ``y`` as far as its size allows. A class with a single
    sample cannot be on both sides: it stays in the training part. When the
    hold-out (or the training part) would be smaller than the number of
    classes, stratifying is impossible and the split is plain random, as
    MLPClassifier's for more than two classes. Multilabel targets are not
    stratified.

    Returns ``(X, y, sample_weight)`` of the training part, the validation set
    ``(X_val, y_val, sample_weight_val)``, and the labels of the classes of a
    single sample, which the hold-out cannot take.
    """
    n = X.shape[0]
    rows, alone, stratify = np.arange(n), np.zeros(n, dtype=bool), None
    if y.ndim == 1:
        _, index, counts = np.unique(y, return_inverse=True, return_counts=True)
        alone = counts[index] == 1
        stratify = y[~alone]
    split = rows[~alone]
    n_val = math.ceil(fraction * len(split))
    if len(split) - n_val < 1:
        raise ValueError(
            f"early_stopping=True cannot hold out validation_fraction="
            f"{fraction} of {n} samples and keep samples to "
            "train on. Pass X_val and y_val, lower validation_fraction, or set "
            "early_stopping=False."
        )
    n_classes = 0 if stratify is None else len(np.unique(stratify))
    if min(n_val, len(split) - n_val) < n_classes:
        stratify = None
    train, val = train_test_split(
        split,
        test_size=fraction,
        stratify=stratify,
        random_state=rng,
    )
    train = np.concatenate([train, rows[alone]]) if alone.any() else train
    single = np.unique(y[alone]) if alone.any() else np.array([])
    sw = None if sample_weight is None else np.asarray(sample_weight)
    validation = (X[val], y[val], None if sw is None else sw[val])
    sw_train = None if sw is None else sw[train]
    return X[train], y[train], sw_train, validation, single
