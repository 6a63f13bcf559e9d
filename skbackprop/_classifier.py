"""The scikit-learn estimator: validation, label encoding and fitted attributes.

The calculus lives in `_network`, `_backprop` and `_online`, the update rules and
the loops in `_solvers`; this module only turns scikit-learn inputs into arrays
for them and their results into fitted attributes.
"""

import contextlib
import copy
import inspect
import math
import os
import sys
import warnings
from functools import partial
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _backprop, _callbacks, _network, _online, _solvers
from ._workspace import Workspace

_FLOATS = [np.float64, np.float32]

# learning_rate="auto": a step that converges on standardized data for each solver.
AUTO_LEARNING_RATE = {"gd": 2.0, "sgd": 0.1, "adam": 0.001, "lbfgs": None}


class TwoLayerClassifier(
    _callbacks.CallbackSupportMixin, ClassifierMixin, BaseEstimator
):
    """The lecture notes' two-layer sigmoid network, trained by backpropagation.

    One hidden layer of ``n_hidden`` sigmoid units; one sigmoid output unit for two
    classes, a softmax over K units for K > 2 classes, and one sigmoid unit per
    label for multilabel targets. The weights minimise the weighted mean
    cross-entropy plus an L2 term. The default solver is the notes' method:
    full-batch gradient descent ``w <- w - learning_rate * dC/dw`` (here with
    momentum), with the gradient computed by backpropagation.

    Parameters
    ----------
    n_hidden : int, default=32
        Number of hidden sigmoid units, the notes' H.

    learning_rate : float or 'auto', default='auto'
        Step size, the notes' alpha. ``'auto'`` is 2.0 for ``'gd'``, 0.1 for
        ``'sgd'`` and 0.001 for ``'adam'``; L-BFGS chooses its own steps. The loss
        is a mean over samples, not the notes' sum: one step of the notes with
        step ``a`` on n samples is one step here with ``learning_rate = n * a``.
        Unlike MLPClassifier, where ``learning_rate`` names a schedule and
        ``alpha`` the L2 penalty, here it is the step itself.

    solver : {'gd', 'sgd', 'adam', 'lbfgs'}, default='gd'
        How the gradient becomes steps. All use the same backpropagated gradient.

        - ``'gd'``: the notes' full-batch gradient descent (with ``momentum``).
          Deterministic, and a sample weight of 2 is the same as a repeated row.
        - ``'sgd'``: mini-batch gradient descent, with ``momentum`` and
          ``nesterov``.
        - ``'adam'``: mini-batch Adam, with ``beta_1``, ``beta_2``, ``epsilon``.
        - ``'lbfgs'``: full-batch L-BFGS-B from :func:`scipy.optimize.minimize`.

    l2 : float, default=1e-3
        Strength of the L2 penalty ``(l2 / 2) (|W1|^2 + |W2|^2)`` added to the mean
        loss; biases are not penalised. MLPClassifier calls this ``alpha`` and
        divides it by the number of samples in each batch. 0 gives the notes'
        loss.

    batch_size : int, default=None
        Samples per step of ``'sgd'`` and ``'adam'``; None means
        ``min(200, n_samples)``. ``'gd'`` and ``'lbfgs'`` always use every
        sample.

    max_iter : int, default=500
        Maximum number of epochs (passes over the data; for ``'gd'``, steps; for
        ``'lbfgs'``, iterations) per call of `fit`.

    tol : float, default=1e-4
        Training stops when the monitored quantity (the training loss, or the
        validation score with early stopping) has not improved by at least
        ``tol`` over ``n_iter_no_change`` consecutive epochs: each epoch is
        compared with the value at the last improvement by ``tol``, so slow but
        steady progress keeps training going. With ``'gd'`` and no validation
        set, training stops when the training loss has settled instead:
        ``n_iter_no_change`` consecutive epochs that each change it by less
        than ``tol`` (with momentum the full-batch loss rises and falls on its
        way down, and a rise is not convergence). For ``'lbfgs'`` it is also
        the gradient tolerance ``gtol``.

    n_iter_no_change : int, default=10
        Number of epochs without a ``tol`` improvement (for ``'gd'``, with a
        change below ``tol``) before stopping.

    shuffle : bool, default=True
        Whether ``'sgd'`` and ``'adam'`` shuffle the samples at each epoch.

    momentum : float, default=0.95
        Momentum of ``'gd'`` and ``'sgd'``, in [0, 1). 0 gives exactly the notes'
        update.

    nesterov : bool, default=False
        Whether ``'gd'`` and ``'sgd'`` use Nesterov's momentum.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's guard against division by zero.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified, drawn
        from ``random_state``) and stop when the validation score stops
        improving; the weights of the best epoch are restored. A validation set
        passed to `fit` as ``X_val, y_val`` is used instead of a hold-out.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    scoring : str, callable or None, default='loss'
        What early stopping monitors: ``'loss'``, the validation cross-entropy
        (its negative, so that higher is better), or any scikit-learn scorer: a
        name, a :func:`~sklearn.metrics.make_scorer` object, a callable
        ``scorer(estimator, X, y)``, or None for the estimator's `score`
        (accuracy). The validation weights are passed to scorers that take
        ``sample_weight``; a callable that does not is called without them.
        The scorer is tried on the validation set before training: one that
        fails there raises, and one that is undefined there (NaN, as ROC AUC
        on samples of one class) is replaced by ``'loss'`` with a warning.
        An epoch that scores NaN never counts as the best.

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``. ``'balanced'``
        weighs each class inversely to its frequency in ``y``.

    warm_start : bool, default=False
        When True, `fit` continues from the weights and the optimizer state
        (velocity, Adam's moments and step count) of the previous fit. ``y``
        must then have the same classes as the fitted model (for multilabel
        ``y``, the same number of labels); `partial_fit` takes batches with
        only some of the classes. See :term:`the Glossary <warm_start>`.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split. Pass
        an int for reproducible results across multiple function calls. See
        :term:`Glossary <random_state>`.

    verbose : bool, default=False
        Print one line per epoch (epoch, training loss, validation loss and
        score when validating, elapsed seconds) and why training stopped.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).

    coefs_ : list of ndarray
        ``[W1, W2]``: ``W1`` of shape (`n_features_in_`, `n_hidden`) and ``W2`` of
        shape (`n_hidden`, `n_outputs_`).

    intercepts_ : list of ndarray
        ``[b1, b2]`` of shapes (`n_hidden`,) and (`n_outputs_`,).

    n_outputs_ : int
        Number of output units: 1 for two classes, otherwise the number of
        classes or labels.

    out_activation_ : str
        ``'logistic'`` (sigmoid units) or ``'softmax'``.

    loss_ : float
        Training loss of the fitted weights: the last epoch's loss, or, when
        training went back to the weights of an earlier epoch (early stopping,
        a divergence) or ran no epoch, the loss computed at the fitted weights.

    best_loss_ : float
        Lowest training loss reached.

    loss_curve_ : list of float
        Training loss of each epoch; a warm-started fit appends to it.

    validation_loss_curve_ : list of float or None
        Validation cross-entropy after each epoch, when validating.

    validation_scores_ : list of float or None
        Validation score after each epoch (see ``scoring``), when validating.

    best_validation_score_ : float or None
        Best validation score; its weights are the fitted ones.

    best_iter_ : int
        Epoch (counted from 1 in the last call of `fit`) of the best validation
        score, or of the lowest training loss without validation.

    n_iter_ : int
        Number of epochs run by the last call of `fit` (or calls of
        `partial_fit` since the last `fit`).

    t_ : int
        Number of samples seen by the solver.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : Multi-layer perceptron classifier.

    Notes
    -----
    With ``g(z) = 1 / (1 + e^-z)``, the network is

    .. math::

        h = g(X W_1 + b_1), \\qquad Z = h W_2 + b_2, \\qquad
        o = g(Z) \\text{ or } \\operatorname{softmax}(Z)

    and the minimised loss is
    ``sum_i s_i CE(o_i, y_i) / sum_i s_i + (l2 / 2)(|W1|^2 + |W2|^2)`` with
    sample weights ``s_i``. The cross-entropy is computed from the logits ``Z``.

    If the training loss becomes non-finite or explodes, training stops at once,
    the weights with the lowest loss are restored and a warning says which
    ``learning_rate`` to lower. A `fit` that raises, or is interrupted, leaves
    the estimator as it was before the call.

    With scikit-learn 1.9 or later, `fit` reports to the callbacks of
    ``set_callbacks`` (:mod:`sklearn.callback`), alone or inside a `Pipeline` or
    `GridSearchCV`: each epoch is one task, ``ScoringMonitor`` scores the
    weights of each epoch on the training data, ``ProgressBar`` (the
    ``progress`` extra, rich) shows the epochs, and a callback that asks to stop
    ends training after the current epoch. `partial_fit` reports nothing.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbackprop import TwoLayerClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y)
    0.9...
    >>> clf.predict_proba(X[:1]).round(2)
    array([[1., 0., 0.]])
    """

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "solver": [StrOptions({"gd", "sgd", "adam", "lbfgs"})],
        "l2": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions(set(get_scorer_names()) | {"loss"}), callable, None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_hidden=32,
        *,
        learning_rate="auto",
        solver="gd",
        l2=1e-3,
        batch_size=None,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        momentum=0.95,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        scoring="loss",
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.solver = solver
        self.l2 = l2
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    # ---------------------------------------------------------------- training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels of any type, or a 0/1 indicator matrix of labels. With
            ``warm_start=True`` and a fitted model, the same kind of target with
            the same classes (or number of labels) as the fitted model.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally. A weight
            of 2 counts a sample as two copies of it (``'gd'`` and ``'lbfgs'``):
            the same loss, and the same model up to rounding, which L-BFGS
            can amplify.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Validation data for early stopping, used instead of a hold-out of
            ``X``. Early stopping is on whenever it is given.

        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            Labels of ``X_val``, of the same kind as ``y``: 1-D labels among the
            classes of ``y`` (not necessarily all of them), or an indicator
            matrix with as many labels as ``y``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of ``X_val``; only with ``X_val`` and
            ``y_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # Before the snapshot below, so that a failed fit still tears callbacks down.
        tasks = _callbacks.FitTasks(self, self.max_iter)
        with _unchanged_on_error(self):
            warm = self.warm_start and hasattr(self, "coefs_")
            X, y = self._validate_Xy(X, y, reset=not warm)
            # A warm start continues the fitted network: y must fit its outputs.
            classes = self._check_fitted_targets(y, warm_start=True) if warm else None
            given_val = X_val is not None or y_val is not None
            if sample_weight_val is not None and not given_val:
                raise ValueError(
                    "sample_weight_val is the weights of a validation set: pass "
                    "X_val and y_val with it."
                )
            rng = check_random_state(self.random_state)
            sample_weight = self._class_weighted(y, sample_weight)
            if not warm:  # the classes of all of y, before a hold-out takes some
                classes = _classes_of(y)
            validation, held_out = None, None  # held_out: classes it cannot take
            if self.early_stopping and not given_val:
                X, y, sample_weight, validation, held_out = self._hold_out(
                    X, y, sample_weight, rng
                )
            data = self._problem(X, y, sample_weight, classes)
            if given_val:
                validation = self._validation_set(X_val, y_val, sample_weight_val, data)
            theta = (
                self._theta(
                    X.dtype, data.layout, "set warm_start=False to train a new model"
                )
                if warm
                else _network.init_params(data.layout, rng, X.dtype)
            )
            rule = self._rule()
            if warm:
                rule.inherit(self._optimizer)
            tasks.start(
                data.X, data.y, sample_weight, partial(_weight_attributes, data), theta
            )
            validate = None
            if validation is not None:
                validate = self._validator(data, validation, theta, held_out)
            monitor = _solvers.Monitor(
                theta,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                validate=validate,
                log=print if self.verbose else None,
                on_epoch=tasks.on_epoch,
                settle=self.solver == "gd",
            )
            with _objective(data, self.l2) as objective:
                if self.solver == "lbfgs":
                    _solvers.lbfgs(
                        theta, objective, data.s, monitor, self.max_iter, self.tol
                    )
                else:
                    epoch = self._epoch(objective, data, rule, rng)
                    _solvers.descend(theta, epoch, monitor, self.max_iter)
                loss = _returned_loss(monitor, objective, theta, data)
            # Still inside the block: an exception (Ctrl-C) while the attributes
            # are written restores the old ones instead of leaving a mixture.
            self._report(monitor, theta, data.X)
            curve, t = (self.loss_curve_, self.t_) if warm else ([], 0)
            t += monitor.n_iter * X.shape[0]
            self._set_fitted(
                data, theta, curve + monitor.losses, monitor.n_iter, t, loss
            )
            self._optimizer, self._rng = rule, rng  # partial_fit continues from both
            self._set_validation(monitor)
            tasks.finish()
        return self

    def _check_incremental(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is not available for solver='lbfgs', which needs the "
                "whole data at once; use solver='gd', 'sgd' or 'adam'."
            )
        return True

    @available_if(_check_incremental)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train on one batch: one step of the notes for 'gd', one epoch otherwise.

        With ``solver='gd'`` a call is exactly one update
        ``w <- w - learning_rate * dC/dw`` (with ``momentum=0``; otherwise one
        momentum step) on the gradient of this batch. With ``'sgd'`` and
        ``'adam'`` a call is one pass over the batch in steps of ``batch_size``.
        The optimizer state carries over from call to call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Target labels, all of them in `classes`, or a 0/1 indicator matrix
            of labels. Every call takes the same kind of target as the first:
            a model fitted on 1-D labels does not take an indicator matrix, nor
            the other way round.

        classes : array-like of shape (n_classes,), default=None
            Every label that can occur; for an indicator matrix ``y``, its
            column indices ``0, ..., n_labels - 1``. Required on the first call,
            which initialises the weights from `random_state`; later calls may
            omit it. Labels missing from a later batch are fine.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally.

        Returns
        -------
        self : object
            The updated estimator.
        """
        with _unchanged_on_error(self):
            first = not hasattr(self, "coefs_")
            if not first:
                # _fit_context validates the parameters only until the model is
                # fitted; a later set_params must not go unchecked.
                self._validate_params()
            if first and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: one "
                    "batch does not show the class frequencies. Pass a dict of "
                    "class weights, or compute_sample_weight on the whole data."
                )
            X, y = self._validate_Xy(X, y, reset=first)
            all_classes = self._partial_fit_classes(classes, y, first)
            sample_weight = self._class_weighted(y, sample_weight)
            data = self._problem(X, y, sample_weight, all_classes)
            if first:
                rng = check_random_state(self.random_state)
                theta = _network.init_params(data.layout, rng, X.dtype)
            else:
                rng = copy.deepcopy(self._rng)  # advanced only if the call succeeds
                theta = self._theta(X.dtype, data.layout)
            rule = self._rule()
            if not first:
                rule.inherit(self._optimizer)
            with _objective(data, self.l2) as objective:
                epoch = self._epoch(objective, data, rule, rng)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss = epoch(theta)
            if not (np.isfinite(loss) and np.isfinite(theta).all()):
                raise ValueError(
                    f"The loss is not finite at the current weights ({loss}): "
                    f"learning_rate={self.learning_rate} is too large for this "
                    "data, or X needs scaling (StandardScaler)."
                )
            # Still inside the block: an exception (Ctrl-C) while the attributes
            # are written restores the old ones instead of leaving a mixture.
            if first:
                curve, n_iter, t = [loss], 1, X.shape[0]
            else:
                curve = self.loss_curve_ + [loss]
                n_iter, t = self.n_iter_ + 1, self.t_ + X.shape[0]
            self._set_fitted(data, theta, curve, n_iter, t)
            self._optimizer, self._rng = rule, rng
            self.validation_loss_curve_ = self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_iter_ = int(np.argmin(curve)) + 1
        return self

    # ------------------------------------------------------- training helpers
    def _validate_Xy(self, X, y, reset, y_name="y"):
        """``X`` as floats, ``y`` as 1-D labels or a multilabel indicator matrix."""
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=_FLOATS,
            accept_sparse=["csr", "csc"],
            multi_output=True,
        )
        if sp.issparse(y):
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            kind, got = type_of_target(y), None
            if kind != "multilabel-indicator":
                got = f"{kind!r} targets"
            elif not np.isin(y, (0, 1)).all():  # to scikit-learn, any two integers
                got = f"the values {np.unique(y)}"
            if got is not None:
                raise ValueError(
                    f"A 2-D {y_name} must be a multilabel indicator matrix of 0s "
                    f"and 1s; got {got}."
                )
        if sp.issparse(X) and (self.solver in ("sgd", "adam") or self.early_stopping):
            X = X.tocsr()  # rows are sliced
        return X, y

    def _class_weighted(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        if y.ndim == 2:
            raise ValueError("class_weight is not supported for multilabel y.")
        if isinstance(self.class_weight, dict):
            _check_class_weight(self.class_weight)
        weights = compute_sample_weight(self.class_weight, y)
        if sample_weight is None:
            return weights
        return weights * np.asarray(sample_weight, dtype=np.float64)

    def _problem(self, X, y, sample_weight, classes=None, n_hidden=None):
        """Validated labels and weights as the arrays the numerics take.

        The network has ``n_hidden`` hidden units; None means the parameter's.
        """
        classes, Y, activation = _encode_targets(y, classes, X.dtype)
        # int(): the parameter check lets True through as an int, numpy does not.
        n_hidden = int(self.n_hidden if n_hidden is None else n_hidden)
        layout = _network.Layout(X.shape[1], n_hidden, Y.shape[1])
        s = _normalised_weights(sample_weight, X)
        return _Problem(X, Y, s, classes, layout, activation, y)

    def _partial_fit_classes(self, classes, y, first):
        """The classes of the network that `partial_fit` trains, checked.

        On the first call they are ``classes``; later, those of the fitted
        model, which ``classes`` (if given) and ``y`` must agree with.
        """
        if classes is not None:
            classes = _sorted_labels(np.asarray(classes), "classes")
            indices = np.arange(y.shape[1]) if y.ndim == 2 else None
            if indices is not None and not np.array_equal(classes, indices):
                raise ValueError(
                    "For a multilabel indicator y, classes must be its label "
                    f"(column) indices {indices}; got classes={classes}."
                )
        if first:
            return classes
        if classes is not None and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes!r} is not the same as on the first call to "
                f"partial_fit, {self.classes_!r}."
            )
        self._check_fitted_targets(y)
        return self.classes_

    def _check_fitted_targets(self, y, warm_start=False):
        """Check that ``y`` are targets of the fitted network; see `_check_targets`."""
        return _check_targets(
            y,
            "y",
            self.classes_,
            self._is_multilabel(),
            owner="the fitted model",
            warm_start=warm_start,
        )

    def _hold_out(self, X, y, sample_weight, rng):
        """Split off ``validation_fraction`` of the data for early stopping.

        The split is stratified by class, so the hold-out has the classes in the
        proportions of ``y`` as far as its size allows. A class with a single
        sample cannot be on both sides: it stays in the training part. When the
        hold-out (or the training part) would be smaller than the number of
        classes, stratifying is impossible and the split is plain random, as
        MLPClassifier's for more than two classes. Multilabel targets are not
        stratified.
        """
        n = X.shape[0]
        rows, alone, stratify = np.arange(n), np.zeros(n, dtype=bool), None
        if y.ndim == 1:
            _, index, counts = np.unique(y, return_inverse=True, return_counts=True)
            alone = counts[index] == 1
            stratify = y[~alone]
        split = rows[~alone]
        n_val = math.ceil(self.validation_fraction * len(split))
        if len(split) - n_val < 1:
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction="
                f"{self.validation_fraction} of {n} samples and keep samples to "
                "train on. Pass X_val and y_val, lower validation_fraction, or set "
                "early_stopping=False."
            )
        n_classes = 0 if stratify is None else len(np.unique(stratify))
        if min(n_val, len(split) - n_val) < n_classes:
            stratify = None
        train, val = train_test_split(
            split,
            test_size=self.validation_fraction,
            stratify=stratify,
            random_state=rng,
        )
        train = np.concatenate([train, rows[alone]]) if alone.any() else train
        single = np.unique(y[alone]) if alone.any() else np.array([])
        sw = None if sample_weight is None else np.asarray(sample_weight)
        validation = (X[val], y[val], None if sw is None else sw[val])
        sw_train = None if sw is None else sw[train]
        return X[train], y[train], sw_train, validation, single

    def _validation_set(self, X_val, y_val, sample_weight_val, data):
        """The validation set, validated; ``y_val`` must be targets of the network
        that ``data`` trains."""
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be passed together.")
        X_val, y_val = self._validate_Xy(X_val, y_val, reset=False, y_name="y_val")
        _check_targets(y_val, "y_val", data.classes, data.y.ndim == 2, owner="y")
        if sample_weight_val is not None:
            try:
                _normalised_weights(sample_weight_val, X_val)
            except ValueError as error:
                raise ValueError(
                    f"Invalid sample_weight_val (X_val has {X_val.shape[0]} "
                    f"samples): {error}"
                ) from error
        return X_val, y_val, sample_weight_val

    def _validator(self, data, validation, theta, held_out):
        """``validate(theta) -> (validation loss, validation score)``.

        The score is tried once at the initial weights ``theta``, before any
        training: a scorer that cannot be computed on this validation set raises
        here, and one that is undefined on it (NaN, such as ROC AUC on a set of
        one class) is replaced by the validation loss, with a warning.
        ``held_out`` is None for ``X_val, y_val``, else the labels early
        stopping's hold-out cannot take (`_validation_advice`), for the messages.
        """
        X_val, y_val, sw_val = validation
        val = self._problem(X_val, y_val, sw_val, data.classes)

        def loss(theta):
            return _network.loss(
                theta, val.layout, val.X, val.Y, val.s, 0.0, val.activation
            )

        score = self._validation_score(data, X_val, y_val, sw_val)
        if score is not None:
            try:
                first = score(theta)
            except Exception as error:
                raise ValueError(
                    f"scoring={self.scoring!r} cannot be computed on the validation "
                    f"set: {error}{_validation_advice(val, held_out, self)}"
                ) from error
            if math.isnan(first):
                _warn_caller(
                    f"scoring={self.scoring!r} is not defined on the validation "
                    "set: the scorer returned NaN at the initial weights, as a "
                    "metric such as ROC AUC does on samples of one class. Early "
                    "stopping monitors the validation loss instead, as with "
                    "scoring='loss'"
                    f"{_validation_advice(val, held_out, self)}",
                    UserWarning,
                )
                score = None
        if score is None:

            def validate(theta):
                value = loss(theta)
                return value, -value

            return validate

        warned = []

        def validate(theta):
            value = score(theta)
            if math.isnan(value) and not warned:
                warned.append(True)
                _warn_caller(
                    f"scoring={self.scoring!r} returned NaN on the validation set; "
                    "an epoch scored NaN never counts as the best.",
                    UserWarning,
                )
            return loss(theta), value

        return validate

    def _validation_score(self, data, X_val, y_val, sw_val):
        """``score(theta)``: ``scoring`` on the validation set at weights
        ``theta``, or None for ``scoring='loss'``.

        The scorer is scikit-learn's (`check_scoring`), so names, `make_scorer`
        objects, None and callables work as everywhere in scikit-learn. The
        validation weights are passed to scorers that take ``sample_weight``
        (every named scorer and `make_scorer` object does); a plain callable
        ``scorer(estimator, X, y)`` is called without them.
        """
        if self.scoring == "loss":
            return None
        scorer = check_scoring(self, self.scoring)
        weights = {}
        if sw_val is not None and _takes_sample_weight(scorer):
            weights["sample_weight"] = sw_val

        def score(theta):
            return float(scorer(self._snapshot(data, theta), X_val, y_val, **weights))

        return score

    def _snapshot(self, data, theta):
        """A fitted copy of this estimator with weights ``theta``, for scorers."""
        estimator = type(self)(**self.get_params(deep=False))
        estimator._set_fitted(data, theta, [], 0, 0)
        estimator.n_features_in_ = data.layout.n_features
        return estimator

    def _learning_rate(self):
        if self.learning_rate == "auto":
            return AUTO_LEARNING_RATE[self.solver]
        return self.learning_rate

    def _rule(self):
        if self.solver == "adam":
            return _solvers.Adam(
                self._learning_rate(), self.beta_1, self.beta_2, self.epsilon
            )
        return _solvers.GradientDescent(
            self._learning_rate(), self.momentum, self.nesterov
        )

    def _epoch(self, objective, data, rule, rng):
        if self.solver == "gd":
            return _solvers.full_batch_epoch(objective, data.s, rule)
        n = data.X.shape[0]
        batch_size = min(200, n) if self.batch_size is None else min(self.batch_size, n)
        rng = rng if self.shuffle else None
        if batch_size == 1:
            item = _online.ItemLossGradient(
                data.layout, data.X, data.Y, self.l2, data.activation
            )
            return _solvers.online_epoch(item, data.s, rule, rng)
        return _solvers.minibatch_epoch(objective, data.s, rule, batch_size, rng)

    def _report(self, monitor, theta, X):
        """Warn if training diverged or reached max_iter, with the advice that fits;
        a divergence that left the initial weights ``theta`` says so.

        ``learning_rate`` is advised only for the solvers that use it, and
        scaling only when the training data ``X`` looks unscaled
        (`_unscaled_column`, computed only for a warning).
        """
        if monitor.status == _solvers.DIVERGED:
            restored = (
                "The weights with the lowest loss were restored"
                if not monitor.untrained(theta)
                else "The model keeps its initial weights: it is untrained"
            )
            message = f"Training diverged: {monitor.message}. {restored}."
            fixes = []
            if self.solver != "lbfgs":  # L-BFGS chooses its own steps
                message += (
                    f" learning_rate={self._learning_rate()} is too large for this "
                    "data."
                )
                fixes.append("lower learning_rate")
        elif monitor.status == _solvers.MAX_ITER:
            message = (
                f"solver={self.solver!r} reached max_iter={self.max_iter} epochs "
                "before the loss stopped improving by tol."
            )
            fixes = ["increase max_iter"]
            if self.solver != "lbfgs":
                fixes[0] += " or learning_rate"
        else:
            return
        unscaled = _unscaled_column(X)
        if unscaled is not None:
            fixes.append(
                "scale X (StandardScaler): its column {} has a root mean square "
                "of {:.3g}, against 1 for standardized data".format(*unscaled)
            )
        if fixes:
            advice = ", or ".join(fixes)
            message += f" {advice[0].upper()}{advice[1:]}."
        _warn_caller(message, ConvergenceWarning)

    def _set_fitted(self, data, theta, loss_curve, n_iter, t, loss=None):
        """Write the fitted attributes; ``loss`` is the training loss of
        ``theta``, when it is not the last one of ``loss_curve``."""
        for name, value in _weight_attributes(data, theta).items():
            setattr(self, name, value)
        if loss is None:
            loss = loss_curve[-1] if loss_curve else np.nan
        self.loss_curve_ = loss_curve
        self.loss_ = loss
        self.best_loss_ = min([*loss_curve, loss])
        self.n_iter_ = n_iter
        self.t_ = t

    def _set_validation(self, monitor):
        validating = monitor.validate is not None
        self.validation_loss_curve_ = monitor.validation_losses if validating else None
        self.validation_scores_ = monitor.validation_scores if validating else None
        self.best_validation_score_ = monitor.best_score if validating else None
        self.best_iter_ = monitor.best_epoch

    def _theta(self, dtype, layout, restart="fit a new model"):
        """A new flat parameter vector holding the fitted weights.

        The numbers of inputs and outputs of ``layout`` are checked against the
        model before; its ``n_hidden`` comes from the parameter, which may have
        been set to another value since. ``restart`` says how to train a new
        model instead.
        """
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        if (W1.shape, W2.shape[1]) != (tuple(layout[:2]), layout.n_outputs):
            raise ValueError(
                f"Cannot continue training from weights of shape {W1.shape} and "
                f"{W2.shape} with n_hidden={self.n_hidden}: the fitted model has "
                f"{W1.shape[1]} hidden units. Set n_hidden={W1.shape[1]} to "
                f"continue, or {restart}."
            )
        return np.concatenate([W1.ravel(), b1, W2.ravel(), b2]).astype(dtype)

    def _params(self):
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        return _network.Params(W1, b1, W2, b2)

    # -------------------------------------------------------------- prediction
    def _validate_X(self, X):
        return validate_data(
            self, X, dtype=_FLOATS, accept_sparse=["csr", "csc"], reset=False
        )

    def _logits(self, X):
        return _network.forward(self._validate_X(X), self._params())[1]

    def _is_multilabel(self):
        return self.out_activation_ == _network.SIGMOID and self.n_outputs_ > 1

    def decision_function(self, X):
        """Output logits ``Z = h W2 + b2``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        Z : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            For two classes, the logit of ``classes_[1]``; otherwise one logit per
            class (or label), in the order of ``classes_``.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable class of each sample; for multilabel targets, the
            0/1 indicator of each label (logit above 0).
        """
        check_is_fitted(self)
        Z = self._logits(X)
        if self._is_multilabel():
            return (Z > 0).astype(int)
        index = (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Class probabilities: the sigmoid or softmax output units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``; for
            multilabel targets, the probability of each label.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        return _network.per_class(_network.output, Z, self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed from the logits.

        Exact log-sigmoid or log-softmax: finite wherever the logits are, even
        where a probability rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        return _network.per_class(_network.log_output, Z, self.out_activation_)

    def hidden_activations(self, X):
        """The hidden layer's sigmoid features ``h = g(X W1 + b1)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        h : ndarray of shape (n_samples, n_hidden)
            Activation of each hidden unit, in (0, 1).

        Notes
        -----
        The hidden layer is a feature map learned for the classes: the output
        layer only separates the classes linearly in it. With ``n_hidden=2`` it
        is a 2-D projection of the data that can be drawn.

        Examples
        --------
        The 64 pixels of the digits, projected through two hidden units:

        >>> from sklearn.datasets import load_digits
        >>> from sklearn.model_selection import cross_val_score
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skbackprop import TwoLayerClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = TwoLayerClassifier(n_hidden=2, learning_rate=1.0, random_state=0)
        >>> h = clf.fit(X, y).hidden_activations(X)
        >>> h.shape
        (1797, 2)

        Neighbours in this plane mostly show the same digit (chance is 0.1):

        >>> knn_accuracy = cross_val_score(KNeighborsClassifier(), h, y).mean()
        >>> bool(knn_accuracy > 0.6)
        True

        To draw it, with matplotlib:

        >>> import matplotlib.pyplot as plt  # doctest: +SKIP
        >>> plt.scatter(h[:, 0], h[:, 1], c=y, cmap="tab10", s=5)  # doctest: +SKIP
        >>> plt.colorbar(label="digit")  # doctest: +SKIP
        """
        check_is_fitted(self)
        return _network.hidden(self._validate_X(X), self._params())

    def loss_gradient(self, X, y, sample_weight=None):
        """Loss and its gradient at the current weights, by backpropagation.

        Lets a student check the notes' formulas, or a user run
        :func:`scipy.optimize.check_grad`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Targets of the kind the model was fitted on: labels, all of them in
            ``classes_``, or for a multilabel model a 0/1 indicator matrix with
            `n_outputs_` columns.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally.

        Returns
        -------
        loss : float
            Weighted mean cross-entropy plus the L2 term.

        gradients : tuple of (list of ndarray, list of ndarray)
            ``(coef_grads, intercept_grads)``, shaped like ``coefs_`` and
            ``intercepts_``.
        """
        check_is_fitted(self)
        X, y = self._validate_Xy(X, y, reset=False)
        self._check_fitted_targets(y)
        # At the fitted weights, even if n_hidden was set to another value since.
        n_hidden = self.coefs_[0].shape[1]
        data = self._problem(X, y, sample_weight, self.classes_, n_hidden)
        with _objective(data, self.l2) as objective:
            loss, grad = objective(self._theta(X.dtype, data.layout), None, data.s)
        g = data.layout.unpack(grad)
        return loss, ([g.W1, g.W2], [g.b1, g.b2])


# X looks unscaled, and the warnings of fit advise scaling it, when the root mean
# square of one of its columns, sqrt(mean^2 + variance), is above this: a mean or
# a spread several times the unit scale. Standardized columns have 1 (constant
# ones 0), columns scaled into [-1, 1] at most 1. The automatic learning rates
# suit standardized data, and the curvature of the loss along a column's weights
# grows with the square of its size. Columns of small size (rare binary
# features, tf-idf) are not flagged: they slow training down but do not make it
# diverge, and standardizing them is often not wanted.
UNSCALED_RMS = 3.0


def _unscaled_column(X):
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


# The file of the wrapper that scikit-learn's `_fit_context` puts around `fit`
# (sklearn/base.py): its frames stand between the caller of fit and fit itself.
_FIT_WRAPPER_FILE = TwoLayerClassifier.fit.__code__.co_filename


def _warn_caller(message, category):
    """`warnings.warn` attributed to the code that called into this package.

    The warning names the first frame outward that is neither this package's
    nor scikit-learn's wrapper around `fit`: the user's line calling `fit`, or
    the scikit-learn code (a Pipeline, a cross-validation) that called it. Its
    ``stacklevel`` is counted by walking the frames, since a fixed number would
    depend on how many wrapper frames the installed scikit-learn adds. (Python
    3.12's ``skip_file_prefixes`` does the same, but Python 3.10 is supported.)
    """
    here = sys._getframe()
    skipped = (os.path.dirname(here.f_code.co_filename) + os.sep, _FIT_WRAPPER_FILE)
    frame, stacklevel = here.f_back, 2  # stacklevel 1 is this function
    while frame is not None and frame.f_code.co_filename.startswith(skipped):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


class _Problem(NamedTuple):
    """The training arrays: inputs, targets, normalised weights and sizes."""

    X: object
    Y: np.ndarray
    s: np.ndarray
    classes: np.ndarray
    layout: _network.Layout
    activation: str
    y: np.ndarray


def _returned_loss(monitor, objective, theta, data):
    """The training loss of the weights ``theta`` that training returns.

    That is the last epoch's loss, unless training went back to the weights of
    an earlier epoch (early stopping, a divergence) or recorded no epoch at all
    (L-BFGS already converged at the start, a first epoch that overflowed): then
    it is computed once more, at ``theta``. It is finite: the hidden units are
    bounded, so the logits, and the loss, are finite wherever the weights are,
    and the monitor only keeps finite weights.
    """
    if monitor.losses and not monitor.restored:
        return monitor.losses[-1]
    return objective(theta, None, data.s)[0]


def _weight_attributes(data, theta):
    """The fitted attributes that make the network with weights ``theta`` predict."""
    p = data.layout.unpack(theta)
    return {
        "classes_": data.classes,
        "n_outputs_": data.layout.n_outputs,
        "out_activation_": data.activation,
        "coefs_": [p.W1, p.W2],
        "intercepts_": [p.b1, p.b2],
    }


@contextlib.contextmanager
def _objective(data, l2):
    """Yield ``loss_gradient(theta, rows, s_rows)`` on the rows ``rows`` (None: all).

    It keeps a workspace (buffers, threads) per batch size and one gradient vector
    for the whole ``with`` block, so no step allocates them again: the gradient it
    returns is overwritten by the next call. Leaving the block closes the
    workspaces, which stops their threads.
    """
    workspaces = {}
    grad = np.empty(data.layout.size, data.X.dtype)

    def loss_gradient(theta, rows, s_rows):
        X, Y = (data.X, data.Y) if rows is None else (data.X[rows], data.Y[rows])
        n = X.shape[0]
        if n not in workspaces:
            workspaces[n] = Workspace(data.layout, n, theta.dtype)
        return _backprop.loss_gradient(
            theta,
            data.layout,
            X,
            Y,
            s_rows,
            l2,
            data.activation,
            out=grad if grad.dtype == theta.dtype else None,
            work=workspaces[n],
        )

    try:
        yield loss_gradient
    finally:
        for work in workspaces.values():
            work.close()


def _encode_targets(y, classes, dtype):
    """Return ``(classes, Y, activation)``: labels, 0/1 targets, output units.

    ``y`` is validated: 1-D labels or a multilabel indicator matrix. ``classes``
    are the labels of ``y`` unless given; then ``y`` must use only them. Two
    classes get one sigmoid unit, more a softmax. Multilabel ``y`` is its own
    target matrix, with a sigmoid unit per label; its classes are the label
    indices.
    """
    if y.ndim == 2:
        return np.arange(y.shape[1]), y.astype(dtype), _network.SIGMOID
    labels = _sorted_labels(y, "y")
    if classes is None:
        classes = labels
    else:
        unknown = np.setdiff1d(labels, classes)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown} that are not in classes {classes}."
            )
    _at_least_two(classes)
    Y = _network.targets(np.searchsorted(classes, y), len(classes), dtype)
    return classes, Y, _network.SIGMOID if len(classes) == 2 else _network.SOFTMAX


def _classes_of(y):
    """The sorted labels of a 1-D ``y``, at least two; None for a multilabel
    indicator matrix, whose classes are its columns."""
    return _at_least_two(_sorted_labels(y, "y")) if y.ndim == 1 else None


def _at_least_two(classes):
    """``classes``, if there are two or more: one class is nothing to learn."""
    if len(classes) < 2:
        raise ValueError(
            "TwoLayerClassifier needs samples of at least 2 classes; "
            f"got 1 class: {classes[0]}."
        )
    return classes


def _check_targets(y, name, classes, multilabel, owner, *, warm_start=False):
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
    labels = _sorted_labels(y, name)
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


def _check_class_weight(class_weight):
    """Class weights must be finite non-negative numbers, like sample weights."""
    for label, weight in class_weight.items():
        if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight must map classes to finite non-negative numbers; "
                f"got {weight!r} for class {label!r}."
            )


def _sorted_labels(labels, name):
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


def _normalised_weights(sample_weight, X):
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


def _takes_sample_weight(scorer):
    """Whether ``scorer`` can be called with ``sample_weight=``, read from its
    signature as scikit-learn's `has_fit_parameter` reads ``fit``'s."""
    try:
        parameters = inspect.signature(scorer).parameters.values()
    except (TypeError, ValueError):  # no signature to read: call it as documented
        return False
    return any(p.name == "sample_weight" or p.kind is p.VAR_KEYWORD for p in parameters)


def _missing_classes(val):
    """`` (it has no samples of class 2)``: the classes a validation set lacks."""
    if val.y.ndim != 1:
        return ""
    missing = np.setdiff1d(val.classes, val.y)
    if not missing.size:
        return ""
    return f" (it has no samples of class {', '.join(map(str, missing))})"


def _validation_advice(val, held_out, estimator):
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
            f"{_missing_classes(val)}{single}: {larger}pass X_val and y_val with "
            "samples of every class, or use scoring='loss'."
        )
    return (
        f". The validation set has {val.X.shape[0]} samples"
        f"{_missing_classes(val)}: pass X_val and y_val with samples of every "
        "class, or use scoring='loss'."
    )


class _unchanged_on_error:
    """Restore the estimator's attributes if the block raises: a failed fit changes
    nothing."""

    def __init__(self, estimator):
        self.estimator = estimator

    def __enter__(self):
        self.saved = dict(vars(self.estimator))

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            state = vars(self.estimator)
            state.clear()
            state.update(self.saved)
        return False
