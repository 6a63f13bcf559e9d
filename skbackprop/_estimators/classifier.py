"""The scikit-learn estimator: parameters, training built from shared steps,
prediction, and the guard that leaves a model unchanged when a call fails.

`fit` and `partial_fit` go through the same steps (`_start`, `_train`,
`_set_fitted`): validate the data, turn labels and weights into targets
(`_targets`), start from new or fitted weights and an update rule
(`_solvers`), train under a monitor (`_training`, with `_validation` for early
stopping) and report (`_report`). The calculus is in `_network` and
`_backprop`.
"""

import copy
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .._cluster import distributed as _distributed
from .._engine import backprop as _backprop
from .._engine import network as _network
from .._engine import workspace as _workspace
from .._engine.units import ACTIVATIONS
from .._training import callbacks as _callbacks
from .._training import loops as _training
from .._training import monitor as _monitor
from .._training import report as _report
from .._training import solvers as _solvers
from .._training import targets as _targets
from .._training import validation as _validation
from .._training.solvers import SOLVERS

_FLOATS = [np.float64, np.float32]


class TwoLayerClassifier(
    _callbacks.CallbackSupportMixin, ClassifierMixin, BaseEstimator
):
    """The lecture notes' two-layer sigmoid network, trained by backpropagation.

    One hidden layer of ``n_hidden`` sigmoid units (or tanh, ReLU or identity
    units, see ``activation``); one sigmoid output unit for two classes, a
    softmax over K units for K > 2 classes, and one sigmoid unit per label for
    multilabel targets. The weights minimise the weighted mean
    cross-entropy plus an L2 term. On up to 10,000 samples the default solver is
    the notes' method: full-batch gradient descent
    ``w <- w - learning_rate * dC/dw`` (here with momentum), with the gradient
    computed by backpropagation; on more, mini-batches of the same.

    Parameters
    ----------
    n_hidden : int, default=32
        Number of hidden units, the notes' H.

    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        The hidden units ``h = g(a)``, with MLPClassifier's names: the notes'
        sigmoid ``g(a) = 1 / (1 + e^-a)``, ``tanh(a)``, ``max(a, 0)``, or ``a``
        itself (a linear network: a linear model of the inputs, as logistic or
        softmax regression). The output units do not change. The initial
        weights are MLPClassifier's for the unit: ``U(-r, r)`` with
        ``r = sqrt(2 / (fan_in + fan_out))`` for ``'logistic'``, and Glorot and
        Bengio's ``sqrt(6 / (fan_in + fan_out))`` for the others, which keeps
        the scale of the sums and of the backpropagated deltas about the same
        from layer to layer for units of slope 1 at 0; the same random numbers,
        scaled. Training is the same whatever the unit: every solver, dask
        collections, sparse and float32 data; ONNX export writes the unit as
        ONNX's ``Sigmoid``, ``Tanh``, ``Relu`` or ``Identity``. A fitted model
        predicts with the unit it was fitted with, whatever the parameter has
        been set to since (MLPClassifier reads the parameter); a warm start or
        `partial_fit` trains on with the parameter's.

    learning_rate : float or 'auto', default='auto'
        Step size, the notes' alpha. ``'auto'`` is 2.0 for ``'gd'``, 0.1 for
        ``'sgd'`` and 0.001 for ``'adam'``; L-BFGS chooses its own steps. An
        ``'auto'`` step is the estimator's to adapt: if the loss explodes, the
        step is halved and training goes on from the best weights (up to ten
        times); a step you set is kept, and a divergence stops and warns. The loss
        is a mean over samples, not the notes' sum: one step of the notes with
        step ``a`` on n samples is one step here with ``learning_rate = n * a``.
        Unlike MLPClassifier, where ``learning_rate`` names a schedule and
        ``alpha`` the L2 penalty, here it is the step itself.

    solver : {'auto', 'gd', 'sgd', 'adam', 'lbfgs'}, default='auto'
        How the gradient becomes steps. All use the same backpropagated gradient.

        - ``'auto'``: ``'gd'`` on training sets of fewer than 10,000 samples
          (and on dask collections), ``'sgd'`` on larger ones, where a fit of
          full-batch steps learns less in its time than mini-batches do.
          Deterministic under ``random_state``; `partial_fit` takes ``'gd'``.

        - ``'gd'``: the notes' full-batch gradient descent (with ``momentum``).
          Deterministic, and a sample weight of 2 is the same as a repeated row.
        - ``'sgd'``: mini-batch gradient descent, with ``momentum`` and
          ``nesterov``.
        - ``'adam'``: mini-batch Adam, with ``beta_1``, ``beta_2``, ``epsilon``.
        - ``'lbfgs'``: full-batch L-BFGS-B from :func:`scipy.optimize.minimize`.

    l2 : float or 'auto', default='auto'
        Strength of the L2 penalty ``(l2 / 2) (|W1|^2 + |W2|^2)`` added to the mean
        loss; biases are not penalised. MLPClassifier calls this ``alpha`` and
        divides it by the number of samples in each batch. 0 gives the notes'
        loss. ``'auto'`` is 1e-3 on up to 2,000 training samples and
        ``2 / n_samples`` beyond (the same penalty on the summed loss), so that
        more data can fit finer boundaries; 1e-3 in `partial_fit`.

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
        than ``tol * max(loss, 1)`` (SciPy's ``ftol``), unless it is still
        falling steadily (with momentum the full-batch loss rises and falls on
        its way down, and a rise is not convergence). With a validation set,
        only epochs whose training loss is at a new low count towards
        ``n_iter_no_change``: steps that overshoot have not ended learning. For
        ``'lbfgs'`` it is also the gradient tolerance ``gtol``.

    n_iter_no_change : int, default=10
        Number of epochs without a ``tol`` improvement (for ``'gd'``, with a
        change below ``tol * max(loss, 1)``) before stopping.

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
        improving; the weights of the best epoch are restored. If no epoch
        scored better than the initial weights (by ``tol``), `fit` warns: the
        model has not learned. A validation set
        passed to `fit` as ``X_val, y_val`` is used instead of a hold-out.
        On dask input the hold-out is drawn on the cluster: as many samples
        of each class, other ones (see "Beyond one machine").

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
    With the sigmoid ``g(z) = 1 / (1 + e^-z)`` and the hidden unit ``f`` of
    ``activation`` (``g`` itself by default), the network is

    .. math::

        h = f(X W_1 + b_1), \\qquad Z = h W_2 + b_2, \\qquad
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
        "activation": [StrOptions(set(ACTIVATIONS))],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "solver": [StrOptions(set(SOLVERS) | {"auto"})],
        "l2": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
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
        activation="logistic",
        learning_rate="auto",
        solver="auto",
        l2="auto",
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
        self.activation = activation
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

    def __setstate__(self, state):
        # Models saved before the parameter existed have the notes' sigmoid units.
        state.setdefault("activation", "logistic")
        if "coefs_" in state:
            state.setdefault("_fitted_activation", "logistic")
        super().__setstate__(state)

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
            Training data. float32 data trains in float32. A dask array or
            DataFrame chunked by rows trains ``'gd'`` or ``'lbfgs'`` on the
            current dask.distributed client, each chunk on its worker: the
            model of the fit in memory, up to the order of summation (see
            "Beyond one machine" in the documentation).

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
        if _distributed.is_dask_collection(X):
            validation = (X_val, y_val, sample_weight_val)
            return self._fit_on_cluster(X, y, sample_weight, validation, tasks)
        with _unchanged_on_error(self):
            warm = self.warm_start and hasattr(self, "coefs_")
            X, y = self._validate_Xy(X, y, reset=not warm)
            # A warm start continues the fitted network: y must fit its outputs.
            # Otherwise the classes are those of all of y, before a hold-out.
            if warm:
                classes = self._check_fitted_targets(y, warm_start=True)
            else:
                classes = _targets.classes_of(y)
            given_val = _given_validation_set(X_val, y_val, sample_weight_val)
            rng = check_random_state(self.random_state)
            sample_weight = _targets.class_weighted(self.class_weight, y, sample_weight)
            validation, held_out = None, None  # held_out: classes it cannot take
            if self.early_stopping and not given_val:
                X, y, sample_weight, validation, held_out = _targets.hold_out(
                    X, y, sample_weight, self.validation_fraction, rng
                )
            data = self._problem(X, y, sample_weight, classes)
            self._auto_solver = _solvers.auto_solver(data.X.shape[0])
            if given_val:
                validation = self._validation_set(X_val, y_val, sample_weight_val, data)
            theta, rule = self._start(
                data, rng, warm, "set warm_start=False to train a new model"
            )
            tasks.start(
                data.X, data.y, sample_weight, partial(_weight_attributes, data), theta
            )
            validate = None
            if validation is not None:
                validate = _validation.validator(
                    self, data, validation, theta, held_out
                )
            self._train_and_set(data, theta, rule, rng, validate, tasks, warm)
        return self

    def _train_and_set(
        self, data, theta, rule, rng, validate, tasks, warm, unscaled=None
    ):
        """Train from ``theta``, warn as `_report.report` finds, and set the
        fitted attributes; the last steps of `fit`, in memory or on a cluster.

        Called inside `_unchanged_on_error`: an exception (Ctrl-C) while the
        attributes are written restores the old ones instead of leaving a
        mixture. ``unscaled`` finds a column that needs scaling, for the
        warnings (`_report.unscaled_column` by default).
        """
        monitor = self._monitor(theta, validate, tasks.on_epoch, rule)
        loss = self._train(theta, data, rule, rng, monitor)
        _report.report(
            monitor,
            theta,
            data.X,
            solver=self._solver_name(),
            learning_rate=self._learning_rate(),
            max_iter=self.max_iter,
            unscaled=unscaled,
        )
        curve, t = (self.loss_curve_, self.t_) if warm else ([], 0)
        t += monitor.n_iter * data.X.shape[0]
        self._set_fitted(data, theta, curve + monitor.losses, monitor.n_iter, t, loss)
        self._optimizer, self._rng = rule, rng  # partial_fit continues from both
        self._set_validation(monitor)
        tasks.finish()

    def _check_incremental(self):
        solver = SOLVERS.get(self.solver)  # an unknown one fails its validation
        if solver is not None and not solver.incremental:
            raise AttributeError(
                f"partial_fit is not available for solver={self.solver!r}, which "
                "needs the whole data at once; use solver='gd', 'sgd' or 'adam'."
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
            sample_weight = _targets.class_weighted(self.class_weight, y, sample_weight)
            data = self._problem(X, y, sample_weight, all_classes)
            self._auto_solver = "gd"  # one step of the notes per call
            # A later call continues the generator, advanced only if it succeeds.
            if first:
                rng = check_random_state(self.random_state)
            else:
                rng = copy.deepcopy(self._rng)
            theta, rule = self._start(data, rng, not first)
            with _training.Objective(
                data.X,
                data.Y,
                data.layout,
                data.output,
                self._l2(None),
                data.activation,
            ) as objective:
                epoch = self._epoch(objective, data, rule, rng)
                with _training.quiet_floating_point():
                    loss = epoch(theta)
            if not (np.isfinite(loss) and np.isfinite(theta).all()):
                # No earlier weights of this call to go back to: the call fails
                # and the model stays as it was (fit instead restores its best
                # epoch and warns).
                raise ValueError(self._not_finite_message(data.X))
            # Still inside the block: an exception (Ctrl-C) while the attributes
            # are written restores the old ones instead of leaving a mixture.
            curve = [loss] if first else self.loss_curve_ + [loss]
            n_iter = 1 if first else self.n_iter_ + 1
            t = X.shape[0] if first else self.t_ + X.shape[0]
            self._set_fitted(data, theta, curve, n_iter, t)
            self._optimizer, self._rng = rule, rng
            self.validation_loss_curve_ = self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_iter_ = int(np.argmin(curve)) + 1
        return self

    # ------------------------------------------------------ training on dask
    def _fit_on_cluster(self, X, y, sample_weight, validation, tasks):
        """`fit` on dask collections: the same steps, with the chunks of rows
        validated, weighted and trained on on the workers (`_distributed`)."""
        X_val, y_val, sample_weight_val = validation
        with _unchanged_on_error(self):
            self._auto_solver = _solvers.auto_solver(0, full_batch_only=True)
            _distributed.check_full_batch(self.solver, self._solver().batches)
            client = _distributed.current_client()
            warm = self.warm_start and hasattr(self, "coefs_")
            self._check_dask_X(X, reset=not warm)
            given_val = _given_validation_set(X_val, y_val, sample_weight_val)
            hold_out = self.early_stopping and not given_val
            blocks, summaries = _distributed.build(
                client, X, y, sample_weight, sparse_rows=hold_out
            )
            y_like = _distributed.labels_like_y(summaries)
            if warm:
                classes = self._check_fitted_targets(y_like, warm_start=True)
            else:
                classes = _targets.classes_of(y_like)
            net = _distributed.network(
                summaries,
                classes,
                _distributed.n_features(X),
                self.n_hidden,
                self.activation,
            )
            weighting = _distributed.class_weights(self.class_weight, summaries)
            rng = check_random_state(self.random_state)
            # The network is known before any hold-out: its weights are drawn
            # first, so a hold-out changes the training rows, not the start.
            theta, rule = self._start(
                _distributed.ClusterProblem.of(net, summaries),
                rng,
                warm,
                "set warm_start=False to train a new model",
            )
            held_out, scored = None, None
            if hold_out:
                blocks, val_blocks, held_out = _distributed.hold_out(
                    client, blocks, summaries, self.validation_fraction, rng
                )
                summaries = _distributed.summarise(client, blocks)
                val = _distributed.problem(
                    client,
                    val_blocks,
                    _distributed.summarise(client, val_blocks),
                    net,
                    weighting,
                )
                scored = _distributed.scored_collections(val)
            elif given_val:
                val = self._cluster_validation_set(client, validation, net)
                scored = validation
            data = _distributed.problem(client, blocks, summaries, net, weighting)
            tasks.start(X, y, sample_weight, partial(_weight_attributes, data), theta)
            validate = None
            if scored is not None:
                validate = _validation.validator_of(
                    self,
                    data,
                    val,
                    _distributed.Objective(val, 0.0).loss,
                    scored,
                    theta,
                    held_out,
                )
            self._train_and_set(
                data,
                theta,
                rule,
                rng,
                validate,
                tasks,
                warm,
                unscaled=lambda _: _distributed.unscaled_column(data),
            )
        return self

    def _check_dask_X(self, X, reset):
        """Check the feature names and count of a dask ``X`` (sets them if
        ``reset``), from its metadata: the values are checked on the workers."""
        meta = X._meta if hasattr(X, "columns") else None
        if meta is None and X.ndim == 2:
            meta = np.empty((0, X.shape[1]))
        if meta is not None:
            validate_data(self, meta, reset=reset, skip_check_array=True)

    def _cluster_validation_set(self, client, validation, net):
        """The validation set passed to a fit on a cluster, validated there."""
        X_val, y_val, sample_weight_val = validation
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be passed together.")
        if not _distributed.is_dask_collection(X_val):
            raise ValueError(
                "X_val must be a dask collection, as X is: dask.array.from_array "
                "makes one of a NumPy array, dask.dataframe.from_pandas of a "
                "pandas DataFrame."
            )
        self._check_dask_X(X_val, reset=False)
        if self.scoring != "loss" and not all(
            _distributed.known_rows(v) for v in validation if v is not None
        ):
            raise ValueError(
                f"scoring={self.scoring!r} needs the rows of each chunk of X_val "
                "and y_val, and a dask DataFrame or Series does not know them: "
                "pass X_val.to_dask_array(lengths=True) and "
                "y_val.to_dask_array(lengths=True), or scoring='loss'."
            )
        blocks, summaries = _distributed.build(client, X_val, y_val, sample_weight_val)
        classes, layout, output, _ = net
        _targets.check_targets(
            _distributed.labels_like_y(summaries),
            "y_val",
            classes,
            layout.n_outputs > 1 and output == _network.SIGMOID,
            owner="y",
        )
        return _distributed.problem(client, blocks, summaries, net, (None, None))

    # ----------------------------------------------------------- shared steps
    def _solver_name(self):
        """``solver``, or the one ``solver='auto'`` chose for the current fit
        (`_solvers.auto_solver`; "gd" before any fit)."""
        if self.solver != "auto":
            return self.solver
        return getattr(self, "_auto_solver", "gd")

    def _solver(self):
        """The row of `_solvers.SOLVERS` for ``solver``."""
        return SOLVERS[self._solver_name()]

    def _l2(self, n_samples):
        """The L2 strength: ``l2``, or for ``l2='auto'`` the one of
        `_solvers.auto_l2` for ``n_samples`` training samples (None, for
        `partial_fit`, whose batches do not tell the size of the data: the
        small-data one)."""
        if self.l2 != "auto":
            return self.l2
        return _solvers.auto_l2(0 if n_samples is None else n_samples)

    def _learning_rate(self):
        """The step: ``learning_rate``, or the solver's 'auto' one."""
        return self._solver().learning_rate(self.learning_rate)

    def _start(self, data, rng, continuing, restart="fit a new model"):
        """The weights and the update rule training starts from: the fitted ones
        continued, or new ones (weights drawn from ``rng``). ``restart`` says, if
        the fitted weights do not fit ``data``, how to train a new model."""
        if continuing:
            theta = self._theta(data.X.dtype, data.layout, restart)
        else:
            theta = _network.init_params(
                data.layout, rng, data.X.dtype, data.activation
            )
        rule = self._solver().make_rule(self.get_params(deep=False))
        if continuing and rule is not None:
            rule.inherit(self._optimizer)
        return theta, rule

    def _monitor(self, theta, validate, on_epoch, rule=None):
        """The monitor of a fit. With ``learning_rate='auto'`` the step is the
        estimator's to choose: a divergence halves the step of ``rule`` and goes
        on from the best weights. A step the user set is kept, and a
        divergence with it stops and warns."""
        recover = getattr(rule, "halve", None) if self.learning_rate == "auto" else None
        return _monitor.Monitor(
            theta,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            stopping=self._solver().stopping,
            validate=validate,
            log=print if self.verbose else None,
            on_epoch=on_epoch,
            recover=recover,
        )

    def _train(self, theta, data, rule, rng, monitor):
        """Train ``theta`` in place under ``monitor``; return the training loss of
        the weights it ends with (`_training.returned_loss`)."""
        with self._objective(data) as objective:
            if self._solver().batches is None:  # L-BFGS takes its own steps
                _training.lbfgs(
                    theta, objective, data.s, monitor, self.max_iter, self.tol
                )
            else:
                epoch = self._epoch(objective, data, rule, rng)
                observe = getattr(rule, "observe", None)
                _training.descend(theta, epoch, monitor, self.max_iter, observe)
            return _training.returned_loss(monitor, objective, theta, data.s)

    def _objective(self, data):
        """The objective of the training data: in memory, or on a cluster."""
        if isinstance(data, _distributed.ClusterProblem):
            return _distributed.Objective(data, self._l2(data.X.shape[0]))
        return _training.Objective(
            data.X,
            data.Y,
            data.layout,
            data.output,
            self._l2(data.X.shape[0]),
            data.activation,
        )

    def _epoch(self, objective, data, rule, rng):
        n = data.X.shape[0]
        batch_size = min(200, n) if self.batch_size is None else min(self.batch_size, n)
        return _training.make_epoch(
            self._solver().batches,
            objective,
            data.s,
            rule,
            batch_size,
            rng if self.shuffle else None,
        )

    def _not_finite_message(self, X):
        """Why a step of `partial_fit` gave a loss that is not finite."""
        scale = _report.unscaled_column(X)
        advice = "" if scale is None else ", or " + _report.scaling_advice(X, scale)
        return (
            "The loss is not finite after this step: learning_rate="
            f"{self._learning_rate()} is too large for this data. Lower "
            f"learning_rate{advice}."
        )

    # ------------------------------------------------------- targets and data
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
            _targets.check_indicator(y, y_name)
        mini = self.solver == "auto" or self._solver().batches == "mini"
        if sp.issparse(X) and (mini or self.early_stopping):
            X = X.tocsr()  # rows are sliced
        return X, y

    def _problem(
        self, X, y, sample_weight, classes=None, n_hidden=None, activation=None
    ):
        """`_targets.problem`, for a network of ``n_hidden`` hidden units of the
        kind ``activation`` (None: the parameters')."""
        n_hidden = self.n_hidden if n_hidden is None else n_hidden
        activation = self.activation if activation is None else activation
        return _targets.problem(X, y, sample_weight, classes, n_hidden, activation)

    def _partial_fit_classes(self, classes, y, first):
        """The classes of the network that `partial_fit` trains, checked.

        On the first call they are ``classes``; later, those of the fitted
        model, which ``classes`` (if given) and ``y`` must agree with.
        """
        if classes is not None:
            classes = _targets.sorted_labels(np.asarray(classes), "classes")
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
        """Check that ``y`` are targets of the fitted network
        (`_targets.check_targets`)."""
        return _targets.check_targets(
            y,
            "y",
            self.classes_,
            self._is_multilabel(),
            owner="the fitted model",
            warm_start=warm_start,
        )

    def _validation_set(self, X_val, y_val, sample_weight_val, data):
        """The validation set, validated; ``y_val`` must be targets of the network
        that ``data`` trains."""
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be passed together.")
        X_val, y_val = self._validate_Xy(X_val, y_val, reset=False, y_name="y_val")
        _targets.check_targets(
            y_val, "y_val", data.classes, data.y.ndim == 2, owner="y"
        )
        if sample_weight_val is not None:
            try:
                _targets.normalised_weights(sample_weight_val, X_val)
            except ValueError as error:
                raise ValueError(
                    f"Invalid sample_weight_val (X_val has {X_val.shape[0]} "
                    f"samples): {error}"
                ) from error
        return X_val, y_val, sample_weight_val

    # ------------------------------------------------------ fitted attributes
    def _snapshot(self, data, theta):
        """A fitted copy of this estimator with a copy of the weights ``theta``
        and of the classes, for scorers: what a scorer does to it cannot reach
        the training, which goes on changing ``theta`` in place."""
        estimator = type(self)(**self.get_params(deep=False))
        estimator._set_fitted(data, theta.copy(), [], 0, 0)
        estimator.classes_ = copy.copy(data.classes)
        estimator.n_features_in_ = data.layout.n_features
        return estimator

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

    def _validate_X(self, X):
        return validate_data(
            self, X, dtype=_FLOATS, accept_sparse=["csr", "csc"], reset=False
        )

    def _logits(self, X):
        X = self._validate_X(X)
        with _quiet():
            return _backprop.logits(X, self._params(), self._fitted_activation)

    def _forward(self, function, X):
        """``function(X, params, activation)``, such as `_network.hidden`, with
        the fitted hidden units, on the BLAS threads `_workspace.run_forward`
        decides."""
        (m, H), K = self.coefs_[0].shape, self.coefs_[1].shape[1]
        layout, p = _network.Layout(m, H, K), self._params()
        with _quiet():
            return _workspace.run_forward(
                X.shape[0], layout, function, X, p, self._fitted_activation
            )

    def _lazily(self, method, X):
        """``method`` of a dask ``X``: a dask array, computed chunk by chunk by
        the in-memory method (`_distributed.predict_lazily`); the feature count
        and names are checked now."""
        _distributed.check_2d(X)
        self._check_dask_X(X, reset=False)
        return _distributed.predict_lazily(self, method, X)

    def _is_multilabel(self):
        return self.out_activation_ == _network.SIGMOID and self.n_outputs_ > 1

    def decision_function(self, X):
        """Output logits ``Z = h W2 + b2``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        Z : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            For two classes, the logit of ``classes_[1]``; otherwise one logit per
            class (or label), in the order of ``classes_``.
        """
        check_is_fitted(self)
        if _distributed.is_dask_collection(X):
            return self._lazily("decision_function", X)
        Z = self._logits(X)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable class of each sample; for multilabel targets, the
            0/1 indicator of each label (logit above 0).
        """
        check_is_fitted(self)
        if _distributed.is_dask_collection(X):
            return self._lazily("predict", X)
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
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``; for
            multilabel targets, the probability of each label.
        """
        check_is_fitted(self)
        if _distributed.is_dask_collection(X):
            return self._lazily("predict_proba", X)
        X = self._validate_X(X)
        with _quiet():
            return _backprop.probabilities(
                X, self._params(), self.out_activation_, self._fitted_activation
            )

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed from the logits.

        Exact log-sigmoid or log-softmax: finite wherever the logits are, even
        where a probability rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        if _distributed.is_dask_collection(X):
            return self._lazily("predict_log_proba", X)
        Z = self._logits(X)
        with _quiet():
            return _network.per_class(_network.log_output, Z, self.out_activation_)

    def score(self, X, y, sample_weight=None):
        """Accuracy of `predict` on ``X`` against ``y``, as scikit-learn's
        classifiers compute it (subset accuracy for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples. With dask collections (``X``, ``y`` or
            ``sample_weight``), the predictions are computed chunk by chunk,
            and they, the labels and the weights are gathered: dask
            DataFrames and Series, whose chunks' row counts are unknown,
            work as dask arrays do.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` with respect to ``y``.
        """
        if any(map(_distributed.is_dask_collection, (X, y, sample_weight))):
            check_is_fitted(self)
            return _distributed.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def hidden_activations(self, X):
        """The hidden layer's features ``h = f(X W1 + b1)``, ``f`` the unit of
        ``activation`` (the notes' sigmoid by default).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        h : ndarray of shape (n_samples, n_hidden)
            Activation of each hidden unit: in (0, 1) for ``'logistic'``,
            (-1, 1) for ``'tanh'``, [0, inf) for ``'relu'``, any number for
            ``'identity'``.

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
        if _distributed.is_dask_collection(X):
            return self._lazily("hidden_activations", X)
        return self._forward(_network.hidden, self._validate_X(X))

    def loss_gradient(self, X, y, sample_weight=None):
        """Loss and its gradient at the current weights, by backpropagation.

        Lets a student check the notes' formulas, or a user run
        :func:`scipy.optimize.check_grad`. It runs the fast pass that training
        uses (``skbackprop/_backprop.py``), which the tests hold to the notes'
        plain matrix form, ``loss_gradient`` in ``skbackprop/_network.py``.

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
        # At the fitted weights and units, even if n_hidden or activation was set
        # to another value since.
        n_hidden = self.coefs_[0].shape[1]
        data = self._problem(
            X, y, sample_weight, self.classes_, n_hidden, self._fitted_activation
        )
        theta = self._theta(X.dtype, data.layout)
        with (
            _quiet(),
            _training.Objective(
                data.X,
                data.Y,
                data.layout,
                data.output,
                self._l2(X.shape[0]),
                data.activation,
            ) as objective,
        ):
            loss, grad = objective(theta, None, data.s)
        dp = data.layout.unpack(grad)
        return loss, ([dp.W1, dp.W2], [dp.b1, dp.b2])


def _quiet():
    """NumPy's floating-point errors off while the network computes: an
    exponential that underflows to 0 or overflows to infinity is the exact limit
    of the sigmoid and the softmax, not an error, whatever `numpy.seterr` the
    caller has set."""
    return _training.quiet_floating_point()


def _given_validation_set(X_val, y_val, sample_weight_val):
    """Whether a validation set is passed; ``sample_weight_val`` only with one."""
    given = X_val is not None or y_val is not None
    if sample_weight_val is not None and not given:
        raise ValueError(
            "sample_weight_val is the weights of a validation set: pass X_val "
            "and y_val with it."
        )
    return given


def _weight_attributes(data, theta):
    """The fitted attributes that make the network with weights ``theta`` predict."""
    p = data.layout.unpack(theta)
    return {
        "classes_": data.classes,
        "n_outputs_": data.layout.n_outputs,
        "out_activation_": data.output,
        "_fitted_activation": data.activation,  # the hidden units predicted with
        "coefs_": [p.W1, p.W2],
        "intercepts_": [p.b1, p.b2],
    }


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
