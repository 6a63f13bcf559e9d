"""`TwoLayerClassifier`: the notes' network for class labels.

What is about classes lives here: the labels and their encoding (one sigmoid
output unit for two classes, a softmax for more, a sigmoid unit per label of a
multilabel indicator matrix), the class weights, `partial_fit`'s ``classes``,
and the predictions (`predict`, `predict_proba`, `predict_log_proba`,
`decision_function`, the accuracy of `score`). Everything else, training
included, is `BaseTwoLayerNetwork`'s (``base.py``).
"""

from functools import partial

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._cluster import chunks as _chunks
from .._cluster import predict as _predict
from .._engine import backprop as _backprop
from .._engine import network as _network
from .._training import arrays as _arrays
from .._training import rules as _rules
from .._training import targets as _targets
from . import devices as _devices
from .base import BaseTwoLayerNetwork
from .network_methods import _quiet


class TwoLayerClassifier(ClassifierMixin, BaseTwoLayerNetwork):
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
        times); with ``'gd'``, a plain gradient step that raises the loss by
        more than 10% is halved, and grows back by 5% at each epoch whose loss
        does not rise; with ``'sgd'`` and no early stopping, when the training
        loss stops improving, the step is divided by 5 and training goes on
        (twice, before it stops). A step you set is kept, and a divergence stops
        and warns. The loss is a mean over samples, not the notes' sum: one step
        of the notes with step ``a`` on n samples is one step here with
        ``learning_rate = n * a``. Unlike MLPClassifier, where ``learning_rate``
        names a schedule and ``alpha`` the L2 penalty, here it is the step
        itself.

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
        only epochs whose weights have the training loss at a new low count
        towards ``n_iter_no_change`` (with ``'sgd'`` and ``'adam'``, whose
        epoch loss is noisy, within 10% of the lowest): steps that overshoot
        have not ended learning. For
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
        **BaseTwoLayerNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        super().__init__(
            n_hidden,
            activation=activation,
            learning_rate=learning_rate,
            solver=solver,
            l2=l2,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            momentum=momentum,
            nesterov=nesterov,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            scoring=scoring,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    @available_if(BaseTwoLayerNetwork._check_incremental)
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
        first = not hasattr(self, "coefs_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one "
                "batch does not show the class frequencies. Pass a dict of "
                "class weights, or compute_sample_weight on the whole data."
            )
        return self._partial_fit(
            X, y, sample_weight, partial(self._partial_fit_classes, classes)
        )

    # ---------------------------------------------------- the classes of y
    _target_kind = _targets.LABELS

    def _fit_targets(self, y, warm):
        """The classes: the fitted model's (checked against ``y``) on a warm
        start, otherwise those of all of ``y``."""
        if warm:
            return self._check_fitted_targets(y, warm_start=True)
        return _targets.classes_of(y)

    def _net(self, y, classes, n_features):
        return _targets.network(y, classes, n_features, self.n_hidden, self.activation)

    def _check_validation_targets(self, y_val, net):
        multilabel = net.layout.n_outputs > 1 and net.output == _network.SIGMOID
        _targets.check_targets(y_val, "y_val", net.classes, multilabel, owner="y")

    def _target_weights(self, summary):
        return _rules.class_weights(self.class_weight, summary)

    def _target_attributes(self, data):
        # numbers next to the data, as scikit-learn's array API estimators
        # keep them; strings, which other libraries cannot hold, on the host
        return {"classes_": _devices.labels_like(data.classes, data.X)}

    def _host_classes(self):
        """``classes_`` as a NumPy array, wherever the model is."""
        return _arrays.to_numpy(self.classes_)

    def _problem(
        self,
        X,
        y,
        sample_weight,
        classes=None,
        n_hidden=None,
        weights=None,
        activation=None,
    ):
        """`_targets.problem`, for a network of ``n_hidden`` hidden units of the
        kind ``activation`` (None: the parameters')."""
        n_hidden = self.n_hidden if n_hidden is None else n_hidden
        activation = self.activation if activation is None else activation
        return _targets.problem(
            X, y, sample_weight, classes, n_hidden, weights, activation=activation
        )

    def _partial_fit_classes(self, classes, y, first):
        """The classes of the network that `partial_fit` trains, checked.

        On the first call they are ``classes``; later, those of the fitted
        model, which ``classes`` (if given) and ``y`` must agree with.
        """
        if classes is not None:
            classes = _rules.sorted_labels(_arrays.to_numpy(classes), "classes")
            indices = np.arange(y.shape[1]) if y.ndim == 2 else None
            if indices is not None and not np.array_equal(classes, indices):
                raise ValueError(
                    "For a multilabel indicator y, classes must be its label "
                    f"(column) indices {indices}; got classes={classes}."
                )
        if first:
            return classes
        fitted = self._host_classes()
        if classes is not None and not np.array_equal(classes, fitted):
            raise ValueError(
                f"classes={classes!r} is not the same as on the first call to "
                f"partial_fit, {fitted!r}."
            )
        self._check_fitted_targets(y)
        return fitted

    def _check_fitted_targets(self, y, warm_start=False):
        """Check that ``y`` are targets of the fitted network
        (`_targets.check_targets`); return the labels of ``y``."""
        return _targets.check_targets(
            y,
            "y",
            self._host_classes(),
            self._is_multilabel(),
            owner="the fitted model",
            warm_start=warm_start,
        )

    def _fitted_targets(self):
        return self._host_classes()

    def _is_multilabel(self):
        return self.out_activation_ == _network.SIGMOID and self.n_outputs_ > 1

    # -------------------------------------------------------------- prediction
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
        if _chunks.is_dask_collection(X):
            return self._lazily("decision_function", X)
        Z = self._logits(X, "decision_function")
        return _devices.ravel(Z) if self.n_outputs_ == 1 else Z

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
        if _chunks.is_dask_collection(X):
            return self._lazily("predict", X)
        Z = self._logits(X)
        if not _arrays.on_numpy(Z):  # the same, in the library of X
            xp = _arrays.namespace(Z)
            if self._is_multilabel():
                return xp.astype(Z > 0, xp.int64)
            index = xp.astype(Z[:, 0] > 0, xp.int64) if Z.shape[1] == 1 else None
            index = xp.argmax(Z, axis=1) if index is None else index
            return _devices.labels_at(self.classes_, index, xp)
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
        if _chunks.is_dask_collection(X):
            return self._lazily("predict_proba", X)
        X = self._validate_X(X, "predict_proba")
        if not _arrays.on_numpy(X):
            Z = self._logits(X, "predict_proba")
            xp = _arrays.namespace(Z)
            return _network.per_class(_network.output, Z, self.out_activation_, xp)
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
        if _chunks.is_dask_collection(X):
            return self._lazily("predict_log_proba", X)
        Z = self._logits(X, "predict_log_proba")
        xp = _arrays.namespace(Z)
        with _quiet():
            return _network.per_class(_network.log_output, Z, self.out_activation_, xp)

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
        if any(map(_chunks.is_dask_collection, (X, y, sample_weight))):
            check_is_fitted(self)
            return _predict.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)
