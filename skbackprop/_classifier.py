"""The scikit-learn estimator: validation, label encoding and fitted attributes.

The calculus lives in `_backprop`, the update rules and the loop in `_solvers`;
this module only turns scikit-learn inputs into arrays for them and their results
into fitted attributes.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _backprop, _solvers

_FLOATS = [np.float64, np.float32]


class TwoLayerClassifier(ClassifierMixin, BaseEstimator):
    """The lecture notes' two-layer sigmoid network, trained by backpropagation.

    One hidden layer of ``n_hidden`` sigmoid units; one sigmoid output unit for two
    classes, a softmax over K units for K > 2 classes. The weights minimise the
    weighted mean cross-entropy plus an L2 term by full-batch gradient descent,
    ``w <- w - learning_rate * dC/dw``, with the gradient computed by
    backpropagation exactly as the notes derive it.

    Parameters
    ----------
    n_hidden : int, default=64
        Number of hidden sigmoid units, the notes' H.

    learning_rate : float, default=2.0
        Step size of gradient descent, the notes' alpha. Because the loss is a
        mean over samples, not the notes' sum, one step of the notes with
        step ``a`` on n samples equals one step here with ``learning_rate = n * a``.
        Unlike MLPClassifier, where ``learning_rate`` names a schedule and
        ``alpha`` the L2 penalty, here it is the step itself.

    solver : {'gd'}, default='gd'
        The update rule. ``'gd'`` is the notes' full-batch gradient descent:
        deterministic, and a sample weight of 2 is the same as a repeated row.

    l2 : float, default=0.0
        Strength of the L2 penalty ``(l2 / 2) (|W1|^2 + |W2|^2)`` added to the mean
        loss; biases are not penalised. MLPClassifier calls this ``alpha`` and
        divides it by the number of samples.

    max_iter : int, default=500
        Maximum number of gradient-descent iterations (epochs) per call of `fit`.

    tol : float, default=1e-4
        Training stops when the loss has not decreased by at least ``tol`` below
        its best value for ``n_iter_no_change`` consecutive iterations.

    n_iter_no_change : int, default=10
        Number of iterations without a ``tol`` improvement before stopping.

    warm_start : bool, default=False
        When True, `fit` starts from the weights of the previous fit instead of a
        fresh initialisation. See :term:`the Glossary <warm_start>`.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights. Pass an int for reproducible results across
        multiple function calls. See :term:`Glossary <random_state>`.

    verbose : bool, default=False
        Print the loss after each iteration and the reason training stopped.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coefs_ : list of ndarray
        ``[W1, W2]``: ``W1`` of shape (n_features_in_, n_hidden) and ``W2`` of
        shape (n_hidden, n_outputs_).

    intercepts_ : list of ndarray
        ``[b1, b2]`` of shapes (n_hidden,) and (n_outputs_,).

    n_outputs_ : int
        Number of output units: 1 for two classes, otherwise the number of classes.

    out_activation_ : str
        ``'logistic'`` for two classes, ``'softmax'`` otherwise.

    loss_ : float
        Loss at the start of the last iteration.

    best_loss_ : float
        Lowest loss reached.

    loss_curve_ : list of float
        Loss at each iteration; a warm-started fit appends to it.

    n_iter_ : int
        Number of iterations run by the last call of `fit` (or calls of
        `partial_fit` since the last `fit`).

    t_ : int
        Number of samples seen by the solver: iterations times samples.

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

    If the loss becomes non-finite or explodes, training stops at once, the
    weights with the lowest loss are restored and a warning says which
    ``learning_rate`` to lower.

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
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "solver": [StrOptions({"gd"})],
        "l2": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_hidden=64,
        *,
        learning_rate=0.5,
        solver="gd",
        l2=0.0,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        warm_start=False,
        random_state=None,
        verbose=False,
        momentum=0.9,
    ):
        self.momentum = momentum
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.solver = solver
        self.l2 = l2
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # ---------------------------------------------------------------- training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network by gradient descent on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Target labels, of any type.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally. A weight of
            2 counts a sample exactly as two copies of it.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with _unchanged_on_error(self):
            warm = self.warm_start and hasattr(self, "coefs_")
            X, y = validate_data(self, X, y, dtype=_FLOATS, reset=not warm)
            classes, Y, s = self._encode(
                X, y, sample_weight, self.classes_ if warm else None
            )
            layout = _backprop.Layout(X.shape[1], self.n_hidden, Y.shape[1])
            if warm:
                theta = self._theta(X.dtype, layout)
            else:
                rng = check_random_state(self.random_state)
                theta = _backprop.init_params(layout, rng, X.dtype)
            activation = _out_activation(len(classes))
            start = time.perf_counter()

            def objective(theta):
                return _backprop.loss_gradient(
                    theta, layout, X, Y, s, self.l2, activation
                )

            def log(iteration, loss):
                print(
                    f"Iteration {iteration}, loss = {loss:.8f}, "
                    f"{time.perf_counter() - start:.3f}s"
                )

            run = _solvers.descend(
                theta,
                objective,
                _solvers.GradientDescent(self.learning_rate, self.momentum),
                max_iter=self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                log=log if self.verbose else None,
            )
        self._report(run)
        curve, t = (self.loss_curve_, self.t_) if warm else ([], 0)
        t += run.n_iter * X.shape[0]
        self._set_fitted(classes, layout, theta, curve + run.losses, run.n_iter, t)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Take exactly one gradient-descent step of the notes on ``(X, y)``.

        ``w <- w - learning_rate * dC/dw`` with the gradient of the loss on this
        batch at the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Target labels, all of them in `classes`.

        classes : array-like of shape (n_classes,), default=None
            Every label that can occur. Required on the first call, which
            initialises the weights from `random_state`; later calls may omit it.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally.

        Returns
        -------
        self : object
            The updated estimator.
        """
        with _unchanged_on_error(self):
            first = not hasattr(self, "coefs_")
            if first and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            X, y = validate_data(self, X, y, dtype=_FLOATS, reset=first)
            if first:
                all_classes = _unique_labels(classes)
            else:
                all_classes = self.classes_
                if classes is not None and not np.array_equal(
                    _unique_labels(classes), all_classes
                ):
                    raise ValueError(
                        f"classes={np.asarray(classes)!r} is not the same as on the "
                        f"first call to partial_fit, {all_classes!r}."
                    )
            classes, Y, s = self._encode(X, y, sample_weight, all_classes)
            layout = _backprop.Layout(X.shape[1], self.n_hidden, Y.shape[1])
            if first:
                rng = check_random_state(self.random_state)
                theta = _backprop.init_params(layout, rng, X.dtype)
            else:
                theta = self._theta(X.dtype, layout)
            activation = _out_activation(len(classes))
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grad = _backprop.loss_gradient(
                    theta, layout, X, Y, s, self.l2, activation
                )
            if not (np.isfinite(loss) and np.isfinite(grad).all()):
                raise ValueError(
                    f"The loss is not finite at the current weights ({loss}): "
                    f"learning_rate={self.learning_rate} is too large for this data, "
                    "or X needs scaling (StandardScaler)."
                )
            _solvers.GradientDescent(self.learning_rate).step(theta, grad)
        if first:
            curve, n_iter, t = [loss], 1, X.shape[0]
        else:
            curve = self.loss_curve_ + [loss]
            n_iter, t = self.n_iter_ + 1, self.t_ + X.shape[0]
        self._set_fitted(classes, layout, theta, curve, n_iter, t)
        return self

    def _encode(self, X, y, sample_weight, classes=None):
        """Return ``(classes, Y, s)``: labels, target matrix, normalised weights.

        ``classes`` are the labels of ``y`` unless given; then ``y`` must use
        only them.
        """
        check_classification_targets(y)
        if classes is None:
            classes = np.unique(y)
        else:
            unknown = np.setdiff1d(y, classes)
            if unknown.size:
                raise ValueError(
                    f"y contains labels {unknown!r} that are not in classes "
                    f"{classes!r}."
                )
        if len(classes) < 2:
            raise ValueError(
                "TwoLayerClassifier needs samples of at least 2 classes; "
                f"got 1 class: {classes[0]}."
            )
        Y = _backprop.targets(np.searchsorted(classes, y), len(classes), X.dtype)
        return classes, Y, _normalised_weights(sample_weight, X)

    def _report(self, run):
        if self.verbose:
            print(f"Stopped after {run.n_iter} iterations: {run.status}. {run.message}")
        if run.status == _solvers.DIVERGED:
            warnings.warn(
                f"Training diverged: {run.message}. The weights with the lowest loss "
                f"(iteration {int(np.argmin(run.losses)) + 1 if run.losses else 0}) "
                f"were restored. learning_rate={self.learning_rate} is too large for "
                "this data: lower learning_rate, or scale X (StandardScaler).",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif run.status == _solvers.MAX_ITER:
            warnings.warn(
                f"Gradient descent reached max_iter={self.max_iter} iterations "
                "before the loss stopped improving by tol. Increase max_iter or "
                "learning_rate, or scale X.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _set_fitted(self, classes, layout, theta, loss_curve, n_iter, t):
        p = layout.unpack(theta)
        self.classes_ = classes
        self.n_outputs_ = layout.n_outputs
        self.out_activation_ = _out_activation(len(classes))
        self.coefs_ = [p.W1, p.W2]
        self.intercepts_ = [p.b1, p.b2]
        self.loss_curve_ = loss_curve
        self.loss_ = loss_curve[-1] if loss_curve else np.nan
        self.best_loss_ = min(loss_curve) if loss_curve else np.nan
        self.n_iter_ = n_iter
        self.t_ = t

    def _theta(self, dtype, layout=None):
        """A new flat parameter vector holding the fitted weights."""
        W1, W2 = self.coefs_
        if layout is not None and (W1.shape, W2.shape[1]) != (
            layout[:2],
            layout.n_outputs,
        ):
            raise ValueError(
                f"Cannot continue training from weights of shape {W1.shape} and "
                f"{W2.shape}: n_hidden={self.n_hidden} or the data changed. Set "
                "warm_start=False to train from scratch."
            )
        b1, b2 = self.intercepts_
        return np.concatenate([W1.ravel(), b1, W2.ravel(), b2]).astype(
            dtype, copy=False
        )

    def _params(self):
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        return _backprop.Params(W1, b1, W2, b2)

    # -------------------------------------------------------------- prediction
    def _logits(self, X):
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return _backprop.forward(X, self._params())[1]

    def decision_function(self, X):
        """Output logits ``Z = h W2 + b2``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        Z : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]``; otherwise one logit per
            class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        return Z.ravel() if self.n_outputs_ == 1 else Z

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The most probable class of each sample.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        index = (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)
        return self.classes_[index]

    def predict_proba(self, X):
        """Class probabilities: the sigmoid or softmax output units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        if Z.shape[1] == 1:  # 1 - g(z) = g(-z), exact also where g(z) rounds to 1
            return np.hstack(
                [_backprop.output(-Z, "logistic"), _backprop.output(Z, "logistic")]
            )
        return _backprop.output(Z, self.out_activation_)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed from the logits.

        Exact log-sigmoid or log-softmax: finite wherever the logits are, even
        where a probability rounds to 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        Z = self._logits(X)
        if Z.shape[1] == 1:
            return np.hstack(
                [
                    _backprop.log_output(-Z, "logistic"),
                    _backprop.log_output(Z, "logistic"),
                ]
            )
        return _backprop.log_output(Z, self.out_activation_)

    def hidden_activations(self, X):
        """The hidden layer's sigmoid features ``h = g(X W1 + b1)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        h : ndarray of shape (n_samples, n_hidden)
            Activation of each hidden unit, in (0, 1).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_FLOATS, reset=False)
        return _backprop.hidden(X, self._params())

    def loss_gradient(self, X, y, sample_weight=None):
        """Loss and its gradient at the current weights, by backpropagation.

        Lets a student check the notes' formulas, or a user run
        `scipy.optimize.check_grad`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        y : array-like of shape (n_samples,)
            Labels, all of them in ``classes_``.

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
        X, y = validate_data(self, X, y, dtype=_FLOATS, reset=False)
        classes, Y, s = self._encode(X, y, sample_weight, self.classes_)
        layout = _backprop.Layout(X.shape[1], self.n_hidden, self.n_outputs_)
        loss, grad = _backprop.loss_gradient(
            self._theta(X.dtype), layout, X, Y, s, self.l2, self.out_activation_
        )
        g = layout.unpack(grad)
        return loss, ([g.W1, g.W2], [g.b1, g.b2])


def _out_activation(n_classes):
    return _backprop.SIGMOID if n_classes == 2 else _backprop.SOFTMAX


def _unique_labels(classes):
    check_classification_targets(np.asarray(classes))
    return np.unique(classes)


def _normalised_weights(sample_weight, X):
    """Sample weights as a probability vector ``s``, validated."""
    sw = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (sw < 0).any():
        raise ValueError("sample_weight contains negative values.")
    total = sw.sum()
    if total <= 0:
        raise ValueError(
            "sample_weight sums to zero: at least one weight must be positive."
        )
    return sw / total


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
