"""`TwoLayerRegressor`: the notes' network for numbers.

A regressor is the same network with identity output units ``o = z``, one per
target column, and the squared error as its loss: the loss of the identity's
canonical link, so that the output delta is ``o - y`` as for the classifier's
sigmoid and softmax, and backpropagation is unchanged. What is about values
lives here: their checks (`_training.values`: numbers, finite), the width of
``y`` that a fitted model takes, and `predict`; `score` is R², by
`RegressorMixin`. Everything else, training included, is
`BaseTwoLayerNetwork`'s (``base.py``).
"""

from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._cluster import chunks as _chunks
from .._cluster import predict as _predict
from .._engine.units import IDENTITY, OUTPUTS, start_curvature
from .._training import values as _values
from . import devices as _devices
from .base import BaseTwoLayerNetwork


class TwoLayerRegressor(RegressorMixin, BaseTwoLayerNetwork):
    """The lecture notes' two-layer network for regression, trained by
    backpropagation.

    One hidden layer of ``n_hidden`` sigmoid units (or tanh, ReLU or identity
    units, see ``activation``) and one linear output unit ``o = z`` per target
    column. The weights minimise the weighted mean squared error
    ``(1/2) sum_k (o_k - y_k)^2`` plus an L2 term. Training is the
    classifier's: on up to 10,000 samples, full-batch gradient descent
    ``w <- w - learning_rate * dC/dw`` (with momentum), the gradient computed
    by backpropagation; on more, mini-batches of the same. Standardize the
    inputs (``StandardScaler``), and for targets far from unit scale, the
    targets too (``TransformedTargetRegressor``): the defaults are chosen for
    data of that scale.

    Parameters
    ----------
    n_hidden : int, default=32
        Number of hidden units, the notes' H.

    activation : {'logistic', 'tanh', 'relu', 'identity'}, default='logistic'
        The hidden units ``h = g(a)``, with MLPRegressor's names: the notes'
        sigmoid ``g(a) = 1 / (1 + e^-a)``, ``tanh(a)``, ``max(a, 0)``, or ``a``
        itself (a linear model of the inputs, as ridge regression). The
        initial weights are MLPRegressor's for the unit: ``U(-r, r)`` with
        ``r = sqrt(2 / (fan_in + fan_out))`` for ``'logistic'``, and
        ``sqrt(6 / (fan_in + fan_out))`` for the others. A fitted model
        predicts with the unit it was fitted with; a warm start or
        `partial_fit` trains on with the parameter's.

    learning_rate : float or 'auto', default='auto'
        Step size, the notes' alpha. ``'auto'`` is 0.5 for ``'gd'``, 0.025 for
        ``'sgd'`` and 0.001 for ``'adam'``: a quarter of the classifier's
        gradient steps, as the squared error curves four times as much in its
        output as the cross-entropy of a sigmoid unit at most does (Adam's step
        does not depend on that scale). A gradient step is also at most
        ``2 / (1 + n_hidden * m**2)``, stable from the first epoch on
        standardized inputs, with ``m`` the hidden units' mean output at the
        start (1/2 for sigmoid units, 0 for tanh and identity ones; ReLU's is
        bounded by ``1 / sqrt(pi)``): 0.22 for the default 32 sigmoid units.
        L-BFGS chooses its own steps. An
        ``'auto'`` step is the estimator's to adapt, as the classifier's is: a
        divergence halves it and goes on from the best weights; with ``'gd'``,
        a plain step that raises the loss by more than 10% is halved and grows
        back by 5% at each epoch whose loss does not rise; with ``'sgd'`` and
        no early stopping, a training loss that stops improving divides it by
        5 (twice, before training stops). A step you set is kept. The loss is a
        mean over samples: one step of the notes' summed loss with step ``a``
        on n samples is ``learning_rate = n * a`` here. Unlike MLPRegressor,
        where ``learning_rate`` names a schedule and ``alpha`` the L2 penalty,
        here it is the step itself.

    solver : {'auto', 'gd', 'sgd', 'adam', 'lbfgs'}, default='auto'
        How the gradient becomes steps, as for `TwoLayerClassifier`:
        ``'auto'`` is ``'gd'`` on training sets of fewer than 10,000 samples
        (and on dask collections), ``'sgd'`` on larger ones; ``'gd'`` the
        notes' full-batch descent with ``momentum``; ``'sgd'`` mini-batches
        with ``momentum`` and ``nesterov``; ``'adam'`` mini-batch Adam;
        ``'lbfgs'`` full-batch L-BFGS-B from :func:`scipy.optimize.minimize`.

    l2 : float or 'auto', default='auto'
        Strength of the L2 penalty ``(l2 / 2) (|W1|^2 + |W2|^2)`` added to the
        mean loss; biases are not penalised. ``'auto'`` is 2e-3 on up to 2,000
        training samples and ``4 / n_samples`` beyond (the same penalty on the
        summed loss); 2e-3 in `partial_fit`. It is twice the
        classifier's: on small noisy data sets the squared error of 32 hidden
        units fits the noise at the classifier's 1e-3. MLPRegressor's loss is
        ``(1/2) mean (o - y)^2`` averaged over outputs (its gradient is that of
        their sum, this loss) plus ``(alpha / (2 n)) (|W1|^2 + |W2|^2)`` on a
        batch of n samples: its ``alpha`` is ``l2 = alpha / n`` here.

    batch_size : int, default=None
        Samples per step of ``'sgd'`` and ``'adam'``; None means
        ``min(200, n_samples)``.

    max_iter : int, default=500
        Maximum number of epochs (for ``'gd'``, steps; for ``'lbfgs'``,
        iterations) per call of `fit`.

    tol : float, default=1e-4
        Training stops when the monitored quantity (the training loss, or the
        validation score with early stopping) has not improved by at least
        ``tol`` over ``n_iter_no_change`` consecutive epochs; with ``'gd'``
        and no validation set, when the loss has settled (changes below
        ``tol * max(loss, 1)``). See `TwoLayerClassifier` for the details,
        which are the same. For ``'lbfgs'`` it is also the gradient tolerance.

    n_iter_no_change : int, default=10
        Number of epochs without a ``tol`` improvement before stopping.

    shuffle : bool, default=True
        Whether ``'sgd'`` and ``'adam'`` shuffle the samples at each epoch.

    momentum : float, default=0.95
        Momentum of ``'gd'`` and ``'sgd'``, in [0, 1). 0 gives exactly the
        notes' update.

    nesterov : bool, default=False
        Whether ``'gd'`` and ``'sgd'`` use Nesterov's momentum.

    beta_1 : float, default=0.9
        Decay of Adam's first-moment estimate, in [0, 1).

    beta_2 : float, default=0.999
        Decay of Adam's second-moment estimate, in [0, 1).

    epsilon : float, default=1e-8
        Adam's guard against division by zero.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (a random draw
        from ``random_state``) and stop when the validation score stops
        improving; the weights of the best epoch are restored. If no epoch
        scored better than the initial weights, `fit` warns. A validation set
        passed to `fit` as ``X_val, y_val`` is used instead of a hold-out.

    validation_fraction : float, default=0.1
        Share of the training data held out with ``early_stopping``.

    scoring : str, callable or None, default='loss'
        What early stopping monitors: ``'loss'``, the validation squared error
        (its negative, so that higher is better), or any scikit-learn scorer:
        a name such as ``'r2'`` or ``'neg_mean_absolute_error'``, a
        :func:`~sklearn.metrics.make_scorer` object, a callable
        ``scorer(estimator, X, y)``, or None for the estimator's `score` (R²).
        The validation weights are passed to scorers that take
        ``sample_weight``.

    warm_start : bool, default=False
        When True, `fit` continues from the weights and the optimizer state
        of the previous fit; ``y`` must then have as many columns as the
        fitted model has outputs.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
        The same seed draws the same initial hidden weights as
        `TwoLayerClassifier` for the same data and ``n_hidden``.

    verbose : bool, default=False
        Print one line per epoch and why training stopped.

    Attributes
    ----------
    coefs_ : list of ndarray
        ``[W1, W2]``: ``W1`` of shape (`n_features_in_`, `n_hidden`) and ``W2``
        of shape (`n_hidden`, `n_outputs_`).

    intercepts_ : list of ndarray
        ``[b1, b2]`` of shapes (`n_hidden`,) and (`n_outputs_`,).

    n_outputs_ : int
        Number of output units: the number of target columns (1 for 1-D
        ``y``).

    out_activation_ : str
        ``'identity'``.

    loss_ : float
        Training loss of the fitted weights.

    best_loss_ : float
        Lowest training loss reached.

    loss_curve_ : list of float
        Training loss of each epoch; a warm-started fit appends to it.

    validation_loss_curve_ : list of float or None
        Validation squared error after each epoch, when validating.

    validation_scores_ : list of float or None
        Validation score after each epoch (see ``scoring``), when validating.

    best_validation_score_ : float or None
        Best validation score; its weights are the fitted ones.

    best_iter_ : int
        Epoch of the best validation score, or of the lowest training loss
        without validation.

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
    TwoLayerClassifier : The same network for class labels.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor.

    Notes
    -----
    With the hidden unit ``f`` of ``activation`` (the sigmoid by default), the
    network is

    .. math::

        h = f(X W_1 + b_1), \\qquad o = Z = h W_2 + b_2

    and the minimised loss is
    ``sum_i s_i (1/2) |o_i - y_i|^2 / sum_i s_i + (l2 / 2)(|W1|^2 + |W2|^2)``
    with sample weights ``s_i``. Its gradient in ``Z`` is ``s_i (o_i - y_i)``,
    the classifier's output delta: the rest of backpropagation is the same.

    Training stops and warns if the loss becomes non-finite, restoring the
    weights with the lowest loss; a `fit` that raises, or is interrupted,
    leaves the estimator as it was before the call. Callbacks of scikit-learn
    1.9 (``set_callbacks``) are reported to as the classifier reports to them.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbackprop import TwoLayerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0)),
    ...     transformer=StandardScaler(),
    ... )
    >>> r2 = cross_val_score(reg, X, y).mean()
    >>> bool(r2 > 0.4)
    True
    >>> reg.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    _target_kind = _values.VALUES
    # Twice the classifier's: 32 hidden units fit the noise of small, noisy
    # regression sets (diabetes) at 1e-3. Against MLPRegressor's defaults on
    # eight real sets (`python -m skbackprop bench regdefaults`, with the
    # earlier 'auto' step of 0.5), 1e-3 fell short on diabetes, 3e-3 on cars;
    # 2e-3 was within 0.01 of R² or better on each, and still is.
    _small_data_l2 = 2e-3

    _step_scale = OUTPUTS[IDENTITY].step_scale

    def _largest_auto_step(self):
        """``2 / units.start_curvature``: ``2 / (1 + n_hidden / 4)`` for
        sigmoid units, 0.22 for 32 of them; ``2 / (1 + n_hidden / pi)`` for
        ReLU units. The squared error curves more
        with more hidden units, and a 'gd' step of 0.5 beyond that crosses
        the valley of the outputs' offset to a loss many times the first,
        and momentum swings it back and forth for hundreds of epochs."""
        return 2.0 / start_curvature(self.activation, self.n_hidden)

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    @available_if(BaseTwoLayerNetwork._check_incremental)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train on one batch: one step of the notes for 'gd', one epoch otherwise.

        With ``solver='gd'`` a call is exactly one update
        ``w <- w - learning_rate * dC/dw`` (with ``momentum=0``; otherwise one
        momentum step) on the gradient of this batch. With ``'sgd'`` and
        ``'adam'`` a call is one pass over the batch in steps of
        ``batch_size``. The optimizer state carries over from call to call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values; every call takes as many columns as the first.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight, self._partial_fit_targets)

    # ------------------------------------------------------- the values of y
    def _fit_targets(self, y, warm):
        """Values have nothing to encode; a warm start checks their width."""
        if warm:
            self._check_fitted_targets(y, warm_start=True)

    def _net(self, y, targets, n_features):
        return _values.network(
            _width(y), n_features, self.n_hidden, activation=self.activation
        )

    def _check_validation_targets(self, y_val, net):
        _check_width(y_val, "y_val", net.layout.n_outputs, "y")

    def _target_weights(self, summary):
        return None

    def _target_attributes(self, data):
        return {}

    def _scales_targets(self):
        """Whether the settings are those chosen for standardized targets (an
        'auto' ``learning_rate`` or ``l2``), whose scale a fit then checks."""
        return "auto" in (self.learning_rate, self.l2)

    def _problem(
        self,
        X,
        y,
        sample_weight,
        targets=None,
        n_hidden=None,
        weights=None,
        activation=None,
    ):
        """`_values.problem`, for a network of ``n_hidden`` hidden units of the
        kind ``activation`` (None: the parameters')."""
        n_hidden = self.n_hidden if n_hidden is None else n_hidden
        activation = self.activation if activation is None else activation
        return _values.problem(X, y, sample_weight, n_hidden, activation=activation)

    def _partial_fit_targets(self, y, first):
        if not first:
            self._check_fitted_targets(y)

    def _check_fitted_targets(self, y, warm_start=False):
        """Check that ``y`` has a column per output of the fitted network."""
        hint = (
            " With warm_start=True, y must have the fitted model's outputs; set "
            "warm_start=False to train a new model."
            if warm_start
            else ""
        )
        _check_width(y, "y", self.n_outputs_, "the fitted model", hint)

    def _fitted_targets(self):
        return None

    # -------------------------------------------------------------- prediction
    def predict(self, X):
        """Predict the targets: the identity output units ``o = h W2 + b2``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values: a vector for a model of one output (fitted
            on a 1-D ``y`` or on one column), otherwise a column per target.
        """
        check_is_fitted(self)
        if _chunks.is_dask_collection(X):
            return self._lazily("predict", X)
        Z = self._logits(X)
        return _devices.ravel(Z) if self.n_outputs_ == 1 else Z

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R² of `predict` on ``X``, as
        scikit-learn's regressors compute it (averaged uniformly over the
        targets of a multi-output model).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples. With dask collections (``X``, ``y`` or
            ``sample_weight``), the predictions are computed chunk by chunk,
            and they, the targets and the weights are gathered.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            R² of ``self.predict(X)`` with respect to ``y``.
        """
        if any(map(_chunks.is_dask_collection, (X, y, sample_weight))):
            check_is_fitted(self)
            return _predict.score(self, X, y, sample_weight, metric=r2_score)
        return super().score(X, y, sample_weight=sample_weight)


def _width(y):
    """The target columns of validated ``y`` (or `_rules.like_y`): 1 for 1-D."""
    return 1 if y.ndim == 1 else y.shape[1]


def _check_width(y, name, n_outputs, owner, hint=""):
    """``y`` must have ``n_outputs`` columns (1-D for one)."""
    width = _width(y)
    if width != n_outputs:
        shape = "1-D" if n_outputs == 1 else f"of shape (n_samples, {n_outputs})"
        raise ValueError(
            f"{name} has {width} target column(s), but {owner} has {n_outputs} "
            f"output(s): {name} must be {shape}.{hint}"
        )
