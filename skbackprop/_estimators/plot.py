"""Plots of a fitted network, in scikit-learn's Display idiom.

`LossCurveDisplay` draws the training loss per epoch of a fitted network (a
classifier's cross-entropy, a regressor's squared error), and the validation
curves recorded with early stopping. matplotlib is optional (the ``plot``
extra): it is imported only when a plot is drawn, and its absence gives an
ImportError that names the extra.
"""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

# The loss of each output unit (``out_activation_``, as MLPClassifier and
# MLPRegressor name them too), for the label of the loss axis: the sigmoid and
# the softmax with the cross-entropy, the identity with half the squared error
# (``(1/2) |o - y|^2``, summed over the outputs; MLPRegressor averages it over
# them), each a mean over samples.
LOSS_NAMES = {
    "logistic": "cross-entropy",
    "softmax": "cross-entropy",
    "identity": "half squared error",
}


def _require_matplotlib(caller):
    """Import matplotlib.pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install it with "
            "`pip install 'skbackprop[plot]'` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _curve(values):
    """A recorded per-epoch curve as a 1-D float array, or None when absent."""
    if values is None:
        return None
    values = np.asarray(values, dtype=float).ravel()
    return values if values.size else None


def _network(estimator):
    """The estimator holding ``loss_curve_``: unwrap searches, pipelines and a
    TransformedTargetRegressor's fitted regressor."""
    while True:
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "regressor_"):
            estimator = estimator.regressor_
        else:
            return estimator


def _score_name(network):
    """The name of a network's validation score: its ``scoring`` when that is
    a name; the `score` of a classifier (accuracy) or a regressor (R²) when it
    is None, or absent as in MLPClassifier and MLPRegressor; else None."""
    scoring = getattr(network, "scoring", None)
    if isinstance(scoring, str):
        return scoring
    if scoring is None:
        if is_classifier(network):
            return "accuracy"
        if is_regressor(network):
            return "R²"
    return None


class LossCurveDisplay:
    """Loss per epoch of a trained network, with its validation curves.

    Draws the training loss, and the validation loss and the validation score
    when they were recorded (early stopping). The validation score is drawn on a
    second y-axis on the right, since it is not on the scale of a loss.

    Build one with :meth:`from_estimator`, or from recorded curves with the
    constructor and :meth:`plot`. All attributes are set by :meth:`plot`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at each epoch, as in ``loss_curve_``.

    validation_loss_curve : array-like of shape (n_validated,), default=None
        Validation loss at each epoch, as in ``validation_loss_curve_``; None
        when none was recorded. A curve shorter than `loss_curve` is drawn at
        its last epochs, where a warm-started fit recorded it.

    validation_scores : array-like of shape (n_validated,), default=None
        Validation score at each epoch, as in ``validation_scores_``; None when
        none was recorded. Drawn like `validation_loss_curve`.

    score_name : str, default=None
        Name of the validation score, e.g. ``'accuracy'``; None says "score".

    estimator_name : str, default=None
        Name of the estimator, used in the legend.

    loss_name : str, default=None
        Name of the loss, e.g. ``'cross-entropy'``, shown on the loss axis as
        "loss (cross-entropy)"; None says "loss".

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training loss.

    validation_loss_line_ : matplotlib Line2D or None
        The validation loss, or None when there is none.

    validation_score_line_ : matplotlib Line2D or None
        The validation score, or None when there is none.

    ax_ : matplotlib Axes
        Axes of the losses.

    score_ax_ : matplotlib Axes or None
        Right-hand axes of the validation score, sharing ``ax_``'s x-axis; None
        when there is no validation score.

    figure_ : matplotlib Figure
        Figure containing the curves.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against training size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbackprop import LossCurveDisplay, TwoLayerClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    >>> model = model.fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(model)
    >>> loss = display.line_.get_ydata()
    >>> bool(loss[-1] < loss[0])
    True
    >>> display.ax_.get_ylabel()
    'loss (cross-entropy)'
    >>> display.figure_.savefig("loss_curve.png")  # doctest: +SKIP

    A regressor's loss is half its squared error, a mean over the samples:

    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from skbackprop import TwoLayerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0)),
    ...     transformer=StandardScaler(),
    ... )
    >>> display = LossCurveDisplay.from_estimator(model.fit(X, y))
    >>> display.ax_.get_ylabel()
    'loss (half squared error)'
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        score_name=None,
        estimator_name=None,
        loss_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.estimator_name = estimator_name
        self.loss_name = loss_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        loss_kw=None,
        validation_loss_kw=None,
        validation_score_kw=None,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes when None.

        name : str, default=None
            Name used in the legend; defaults to `estimator_name`.

        loss_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the training
            loss.

        validation_loss_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the validation
            loss.

        validation_score_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the validation
            score.

        Returns
        -------
        display : LossCurveDisplay
            This object, with the artists stored as attributes.
        """
        plt = _require_matplotlib(f"{type(self).__name__}.plot")
        loss = _curve(self.loss_curve)
        if loss is None:
            raise ValueError("loss_curve is empty: there is no training loss to plot.")
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        n_epochs = len(loss)

        (self.line_,) = ax.plot(
            _epochs(loss, n_epochs),
            loss,
            **{"label": f"{prefix}training loss", **(loss_kw or {})},
        )
        handles = [self.line_]
        self.validation_loss_line_ = self._plot_validation_loss(
            ax, prefix, n_epochs, validation_loss_kw
        )
        if self.validation_loss_line_ is not None:
            handles.append(self.validation_loss_line_)
        self.score_ax_, self.validation_score_line_ = self._plot_validation_score(
            ax, prefix, n_epochs, f"C{len(handles)}", validation_score_kw
        )
        if self.validation_score_line_ is not None:
            handles.append(self.validation_score_line_)

        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if self.loss_name is None else f"loss ({self.loss_name})")
        ax.legend(handles=handles, labels=[h.get_label() for h in handles])
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _plot_validation_loss(self, ax, prefix, n_epochs, kw):
        """The validation loss on ``ax``, dashed; None when none was recorded."""
        validation_loss = _curve(self.validation_loss_curve)
        if validation_loss is None:
            return None
        (line,) = ax.plot(
            _epochs(validation_loss, n_epochs),
            validation_loss,
            **{"label": f"{prefix}validation loss", "linestyle": "--", **(kw or {})},
        )
        return line

    def _plot_validation_score(self, ax, prefix, n_epochs, color, kw):
        """``(axes, line)`` of the validation score, dotted, on a second y-axis
        that shares ``ax``'s x-axis; ``(None, None)`` when none was recorded.
        ``color`` continues the colour cycle of ``ax``, so that the lines can be
        told apart."""
        scores = _curve(self.validation_scores)
        if scores is None:
            return None, None
        score_ax = ax.twinx()
        label = f"validation {self.score_name or 'score'}"
        (line,) = score_ax.plot(
            _epochs(scores, n_epochs),
            scores,
            **{
                "label": f"{prefix}{label}",
                "color": color,
                "linestyle": ":",
                **(kw or {}),
            },
        )
        score_ax.set_ylabel(label)
        return score_ax, line

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **plot_kw):
        """Plot the curves recorded by a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with a ``loss_curve_`` attribute, such as
            `TwoLayerClassifier`, `TwoLayerRegressor`,
            `~sklearn.neural_network.MLPClassifier` or
            `~sklearn.neural_network.MLPRegressor`; or a fitted
            `~sklearn.pipeline.Pipeline` ending in one, a fitted
            `~sklearn.compose.TransformedTargetRegressor` whose regressor is
            one (its loss is that of the transformed targets), or a fitted
            search (`~sklearn.model_selection.GridSearchCV`) whose best
            estimator is one. ``validation_loss_curve_`` and
            ``validation_scores_`` are drawn when present and not None; the
            scores are left out when they are the negated validation loss
            (``scoring='loss'``). The loss axis names the loss of the output
            units (``out_activation_``): the cross-entropy of a classifier,
            half the squared error of a regressor.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure and axes when None.

        name : str, default=None
            Name used in the legend; defaults to the class name of the network.

        **plot_kw : dict
            Further keyword arguments of :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        _require_matplotlib(f"{cls.__name__}.from_estimator")
        network = _network(estimator)
        check_is_fitted(network)
        if getattr(network, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(network).__name__} has no loss_curve_ to plot: "
                "LossCurveDisplay needs an estimator that records its loss per epoch."
            )
        scores = getattr(network, "validation_scores_", None)
        if getattr(network, "scoring", None) == "loss":
            scores = None  # the negated validation loss
        display = cls(
            loss_curve=network.loss_curve_,
            validation_loss_curve=getattr(network, "validation_loss_curve_", None),
            validation_scores=scores,
            score_name=_score_name(network),
            estimator_name=type(network).__name__ if name is None else name,
            loss_name=LOSS_NAMES.get(getattr(network, "out_activation_", None)),
        )
        return display.plot(ax=ax, **plot_kw)


def _epochs(curve, n_epochs):
    """Epoch numbers of a per-epoch curve that ends at epoch ``n_epochs``.

    A warm-started fit appends to the training loss but records validation
    curves for its own epochs only: those are the last epochs.
    """
    first = max(n_epochs - len(curve), 0) + 1
    return np.arange(first, first + len(curve))
