"""Labels, targets and sample weights in memory: what ``y`` and the weights
become for the network.

- `Problem` holds the training arrays: inputs, 0/1 targets, normalised weights,
  classes, the network's sizes and its units; `problem` makes one.
- `network` decides the network's output units for targets (one sigmoid unit
  for two classes, a softmax for more, a sigmoid unit per label of a multilabel
  indicator matrix), from the labels alone; `encode` turns labels into the
  targets of those units, and `encode_targets` does both for ``y``.
  `check_targets` checks ``y`` against a network that already has output units.
- `normalised_weights` turns ``sample_weight`` (times the class weights) into the
  weights ``s`` of the loss, by the rules of `rules`.
- `hold_out` draws early stopping's validation set, of the sizes of
  `rules.hold_out_sizes`.
- `Kind` says what the steps of a fit do with one kind of target, wherever the
  data is; `LABELS` is that of labels, `values.VALUES` that of regression
  targets.
"""

from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

from .._engine import network as _network
from . import rules as _rules
from .rules import sorted_labels


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


class Kind(NamedTuple):
    """What the steps of a fit do with one kind of target: a classifier's
    labels (`LABELS`) or a regressor's values (`values.VALUES`). The backends
    call these on the whole ``y`` in memory, and on each chunk of a cluster.

    Attributes
    ----------
    check_given : callable
        ``check_given(y, name)``: raise on ``y`` as passed (an array-like or
        pandas object), before it is validated into an array.
    check : callable
        ``check(y, name) -> y``: the validated ``y`` (1-D, or 2-D with several
        columns), checked, and converted if it needs to be.
    summarise : callable
        ``summarise(y, name)``: the `rules.TargetSummary` of ``y``.
    encode : callable
        ``encode(y, classes, dtype)``: the targets ``Y`` of the output units.
    problem : callable
        ``problem(X, y, sample_weight, net, weights, validation)``: the
        `Problem` of the `Net` ``net``, the rows weighted by ``sample_weight``
        times ``weights`` (`rules.ClassWeights`, or None).
    non_finite : callable or None
        ``non_finite(y)``: where a chunk of ``y`` as passed holds values
        that ``check_given`` refuses (None: none), summarised so that the
        chunks' summaries add up (`values.merge_non_finite`); None for a kind
        whose validation refuses them (labels: scikit-learn's check of ``y``).
    refuse_non_finite : callable or None
        ``refuse_non_finite(found, name, y)``: raise ``check_given``'s error
        from the summary of all chunks, as it raises it in memory.
    """

    check_given: object
    check: object
    summarise: object
    encode: object
    problem: object
    non_finite: object = None
    refuse_non_finite: object = None


class Net(NamedTuple):
    """The network for some targets: their classes, its sizes, its output units
    and its hidden units."""

    classes: np.ndarray
    layout: _network.Layout
    output: str
    activation: str


def problem(
    X,
    y,
    sample_weight,
    classes,
    n_hidden,
    weights=None,
    validation=False,
    activation="logistic",
):
    """Validated labels and weights as the arrays the numerics take.

    ``classes`` are the labels of ``y`` when None (see `encode_targets`); the
    network has ``n_hidden`` hidden units of the kind ``activation``.
    ``weights`` are the class weights (`rules.ClassWeights`, or None);
    ``validation``: the weights are those of a validation set (see
    `normalised_weights`).
    """
    classes, Y, output = encode_targets(y, classes, X.dtype)
    # int(): the parameter check lets True through as an int, numpy does not.
    layout = _network.Layout(X.shape[1], int(n_hidden), Y.shape[1])
    s = normalised_weights(sample_weight, X, y, weights, validation)
    return Problem(X, Y, s, classes, layout, output, activation, y)


def network(y, classes, n_features, n_hidden, activation="logistic"):
    """The `Net` of ``n_hidden`` hidden units of the kind ``activation`` for
    targets like ``y`` (its labels are enough, `rules.like_y`), as
    `encode_targets` decides it."""
    classes, Y, output = encode_targets(y, classes, np.float64)
    layout = _network.Layout(n_features, int(n_hidden), Y.shape[1])
    return Net(classes, layout, output, activation)


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


def encode_targets(y, classes, dtype):
    """Return ``(classes, Y, output)``: labels, 0/1 targets, output units.

    ``y`` is validated: 1-D labels or a multilabel indicator matrix. ``classes``
    are the labels of ``y`` unless given; then ``y`` must use only them. Two
    classes get one sigmoid unit, more a softmax. Multilabel ``y`` is its own
    target matrix, with a sigmoid unit per label; its classes are the label
    indices.
    """
    if y.ndim == 2:
        return np.arange(y.shape[1]), encode(y, None, dtype), _network.SIGMOID
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
    Y = encode(y, classes, dtype)
    return classes, Y, _network.SIGMOID if len(classes) == 2 else _network.SOFTMAX


def encode(y, classes, dtype):
    """The 0/1 targets of the output units for labels ``y`` among ``classes``
    (a multilabel indicator matrix is its own)."""
    if y.ndim == 2:
        return y.astype(dtype)
    return _network.targets(np.searchsorted(classes, y), len(classes), dtype)


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


def normalised_weights(sample_weight, X, y=None, weights=None, validation=False):
    """The weights ``s`` of the loss, a probability vector: ``sample_weight``
    validated, times the class weights ``weights`` of the labels ``y`` (a
    `rules.ClassWeights`, or None), checked by `rules.check_weights` and
    normalised by `rules.normalised`. ``validation``: the weights of a
    validation set, whose errors say so."""
    rows = X.shape[0]
    sample_weight = checked_weights(sample_weight, X, validation)
    w = _rules.loss_weights(sample_weight, y, weights)
    summary = _rules.summarise_weights(sample_weight, w, rows)
    _rules.check_weights(summary, validation)
    total = _rules.share(w, rows, summary.top)
    return _rules.normalised(w, rows, summary.top, total, X.dtype)


def hold_out(X, y, sample_weight, sizes, rng):
    """Split early stopping's hold-out of `rules.hold_out_sizes` ``sizes`` off the
    data, drawn with ``rng``: ``sizes.n_val`` rows, stratified by the classes
    ``sizes.strata`` (None: a plain random draw), none of the classes of a single
    sample ``sizes.alone``.

    Returns ``(X, y, sample_weight)`` of the training part and of the validation
    set.
    """
    train, val = hold_out_rows(y, sizes, rng)
    sw = sample_weight
    return (
        (X[train], y[train], None if sw is None else sw[train]),
        (X[val], y[val], None if sw is None else sw[val]),
    )


def hold_out_rows(y, sizes, rng):
    """The rows ``(train, val)`` of `hold_out`, drawn from ``rng``: index
    arrays into the labels ``y``."""
    rows = np.arange(y.shape[0])
    alone = np.zeros(len(rows), dtype=bool)
    if len(sizes.alone):
        alone = np.isin(y, sizes.alone)
    split = rows[~alone]
    stratify = None if sizes.strata is None else y[~alone]
    train, val = train_test_split(
        split, test_size=sizes.n_val, stratify=stratify, random_state=rng
    )
    if alone.any():
        train = np.concatenate([train, rows[alone]])
    return train, val


def checked_weights(sample_weight, X, validation=False):
    """``sample_weight`` validated as scikit-learn validates the sample weights
    of ``X`` (float64), or None. ``validation``: the weights of a validation
    set, whose errors say so."""
    if sample_weight is None:
        return None
    try:
        return _check_sample_weight(sample_weight, X, dtype=np.float64)
    except ValueError as error:
        if not validation:
            raise
        raise _rules.invalid_validation_weights(error, X.shape[0]) from error


def check_labels(y, name="y"):
    """`Kind.check` of labels: a 2-D ``y`` must be an indicator matrix."""
    if y.ndim == 2 and len(y):
        check_indicator(y, name)
    return y


def _labels_problem(X, y, sample_weight, net, weights, validation):
    """`problem` for the network ``net``, as `Kind.problem` is called."""
    return problem(
        X,
        y,
        sample_weight,
        net.classes,
        net.layout.n_hidden,
        weights,
        validation,
        net.activation,
    )


def _nothing(y, name="y"):
    """Labels as given need no check before their validation."""


LABELS = Kind(_nothing, check_labels, _rules.summarise_targets, encode, _labels_problem)
