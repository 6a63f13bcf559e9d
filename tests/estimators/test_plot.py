"""LossCurveDisplay: the Display idiom, the curves it draws, a missing matplotlib."""

import sys

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import LossCurveDisplay, TwoLayerClassifier, TwoLayerRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
matplotlib = require("matplotlib")
matplotlib.use("Agg")
plt = require("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted(iris):
    return TwoLayerClassifier(n_hidden=8, max_iter=60, random_state=0).fit(*iris)


def test_from_estimator_draws_the_training_loss(fitted):
    display = LossCurveDisplay.from_estimator(fitted)

    x, y = display.line_.get_data()
    assert_array_equal(x, np.arange(1, len(fitted.loss_curve_) + 1))
    assert_array_equal(y, fitted.loss_curve_)
    assert display.ax_ is display.line_.axes
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_ylabel() == "loss (cross-entropy)"
    assert display.estimator_name == "TwoLayerClassifier"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["TwoLayerClassifier: training loss"]


def test_no_validation_curves_without_early_stopping(fitted):
    display = LossCurveDisplay.from_estimator(fitted)
    assert display.validation_loss_line_ is None
    assert display.validation_score_line_ is None
    assert display.score_ax_ is None
    assert len(display.ax_.lines) == 1


def test_from_estimator_unwraps_pipeline_and_search(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), TwoLayerClassifier(max_iter=30))
    search = GridSearchCV(pipe, {"twolayerclassifier__n_hidden": [2, 4]}, cv=2)
    search.fit(X, y)

    display = LossCurveDisplay.from_estimator(search)

    network = search.best_estimator_[-1]
    assert_array_equal(display.line_.get_ydata(), network.loss_curve_)


def test_from_estimator_unwraps_a_transformed_target_regressor():
    # The regressor's targets are scaled by wrapping it, as its docstring
    # advises: the display finds the network inside, through a search too.
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), TwoLayerRegressor(max_iter=20))
    model = TransformedTargetRegressor(pipe, transformer=StandardScaler())
    search = GridSearchCV(model, {"regressor__twolayerregressor__n_hidden": [2]}, cv=2)
    for fitted_model in (model.fit(X, y), search.fit(X, y)):
        display = LossCurveDisplay.from_estimator(fitted_model)
        network = _network_of(fitted_model)
        assert display.estimator_name == "TwoLayerRegressor"
        assert_array_equal(display.line_.get_ydata(), network.loss_curve_)


def _network_of(model):
    """The fitted TwoLayerRegressor of a TransformedTargetRegressor or a search
    over one."""
    model = getattr(model, "best_estimator_", model)
    return model.regressor_[-1]


def test_plot_on_given_axes_with_validation_curves():
    loss = [1.0, 0.6, 0.4, 0.3]
    validation_loss = [1.1, 0.7, 0.55, 0.6]
    scores = [0.5, 0.7, 0.8, 0.78]
    _, ax = plt.subplots()
    display = LossCurveDisplay(
        loss_curve=loss,
        validation_loss_curve=validation_loss,
        validation_scores=scores,
        estimator_name="net",
    ).plot(ax=ax, loss_kw={"color": "black"})

    assert display.ax_ is ax
    assert display.line_.get_color() == "black"
    assert_array_equal(display.validation_loss_line_.get_ydata(), validation_loss)
    assert display.validation_loss_line_.axes is ax
    # The score is not on a loss's scale: it has its own right-hand axis.
    assert_array_equal(display.validation_score_line_.get_ydata(), scores)
    assert display.score_ax_ is display.validation_score_line_.axes
    assert display.score_ax_ is not ax
    assert display.score_ax_.get_ylabel() == "validation score"
    assert ax.get_ylabel() == "loss"  # no loss named
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "net: training loss",
        "net: validation loss",
        "net: validation score",
    ]


def test_early_stopping_draws_validation_loss_and_score(iris):
    X, y = iris
    clf = TwoLayerClassifier(
        n_hidden=8, early_stopping=True, scoring="accuracy", random_state=0
    ).fit(X, y)

    display = LossCurveDisplay.from_estimator(clf)

    assert_array_equal(display.line_.get_ydata(), clf.loss_curve_)
    assert_array_equal(
        display.validation_loss_line_.get_ydata(), clf.validation_loss_curve_
    )
    assert_array_equal(
        display.validation_score_line_.get_ydata(), clf.validation_scores_
    )
    assert display.score_ax_.get_ylabel() == "validation accuracy"
    assert display.validation_score_line_.get_label().endswith("validation accuracy")


def test_early_stopping_on_the_loss_draws_no_redundant_score(iris):
    # With scoring="loss" the validation scores are the negated validation loss.
    clf = TwoLayerClassifier(n_hidden=8, early_stopping=True, random_state=0)
    clf.fit(*iris)
    assert_array_equal(clf.validation_scores_, -np.asarray(clf.validation_loss_curve_))

    display = LossCurveDisplay.from_estimator(clf)

    assert_array_equal(
        display.validation_loss_line_.get_ydata(), clf.validation_loss_curve_
    )
    assert display.validation_score_line_ is None
    assert display.score_ax_ is None


def test_warm_started_validation_curves_are_drawn_at_the_last_epochs(iris):
    clf = TwoLayerClassifier(
        n_hidden=8, early_stopping=True, warm_start=True, max_iter=10, tol=0,
        random_state=0,
    )  # fmt: skip
    clf.fit(*iris).fit(*iris)
    assert (len(clf.loss_curve_), len(clf.validation_loss_curve_)) == (20, 10)

    display = LossCurveDisplay.from_estimator(clf)

    assert_array_equal(display.line_.get_xdata(), np.arange(1, 21))
    assert_array_equal(display.validation_loss_line_.get_xdata(), np.arange(11, 21))


def test_empty_loss_curve_makes_no_figure():
    with pytest.raises(ValueError, match="loss_curve is empty"):
        LossCurveDisplay(loss_curve=[]).plot()
    assert plt.get_fignums() == []


def test_validation_attributes_set_to_none_are_not_drawn():
    # MLPClassifier sets validation_scores_ = None without early stopping; an
    # estimator may do the same, or record an empty validation_loss_curve_.
    recorded = TwoLayerClassifier()
    vars(recorded).update(
        loss_curve_=[0.9, 0.5], validation_scores_=None, validation_loss_curve_=[]
    )
    display = LossCurveDisplay.from_estimator(recorded)
    assert display.validation_score_line_ is None
    assert display.validation_loss_line_ is None


def test_mlpclassifier_validation_scores_are_drawn(iris):
    X, y = iris
    mlp = MLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        max_iter=40,
        n_iter_no_change=100,
        random_state=0,
    )
    with pytest.warns(Warning):  # ConvergenceWarning at max_iter
        mlp.fit(X, y)

    display = LossCurveDisplay.from_estimator(mlp, name="MLP")

    assert_array_equal(display.line_.get_ydata(), mlp.loss_curve_)
    assert_array_equal(
        display.validation_score_line_.get_ydata(), mlp.validation_scores_
    )


def test_unfitted_estimator_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(TwoLayerClassifier())


def test_estimator_without_loss_curve_is_refused(iris):
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier().fit(*iris)
    with pytest.raises(ValueError, match="KNeighborsClassifier has no loss_curve_"):
        LossCurveDisplay.from_estimator(model)


def test_png_is_written(fitted, tmp_path):
    display = LossCurveDisplay.from_estimator(fitted)
    path = tmp_path / "loss.png"
    display.figure_.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_matplotlib_names_the_extra(fitted, monkeypatch):
    # A None entry in sys.modules makes `import matplotlib...` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skbackprop\[plot\]"):
        LossCurveDisplay.from_estimator(fitted)
    with pytest.raises(ImportError, match=r"LossCurveDisplay.plot requires matplotlib"):
        LossCurveDisplay(loss_curve=[1.0]).plot()


def test_the_score_of_a_classifier_is_named_accuracy(iris):
    clf = TwoLayerClassifier(n_hidden=8, early_stopping=True, scoring=None)
    display = LossCurveDisplay.from_estimator(clf.fit(*iris))
    assert display.score_ax_.get_ylabel() == "validation accuracy"


# ------------------------------------------------------------- the regressor
@pytest.fixture(scope="module")
def diabetes():
    """The diabetes set, its inputs and its progression standardized."""
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def half_squared_error(model, X, Y):
    """What the regressor's loss axis says: the mean over samples of
    ``(1/2) sum_k (o_k - y_k)^2``."""
    residuals = (model.predict(X) - Y).reshape(len(Y), -1)
    return 0.5 * np.mean(np.sum(residuals**2, axis=1))


def test_a_regressor_draws_its_squared_error(diabetes):
    X, y = diabetes
    reg = TwoLayerRegressor(n_hidden=8, max_iter=60, random_state=0).fit(X, y)

    display = LossCurveDisplay.from_estimator(reg)

    assert_array_equal(display.line_.get_xdata(), np.arange(1, 61))
    assert_array_equal(display.line_.get_ydata(), reg.loss_curve_)
    assert display.ax_.get_ylabel() == "loss (half squared error)"
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["TwoLayerRegressor: training loss"]
    assert display.validation_loss_line_ is None and display.score_ax_ is None
    # the curve falls from the variance's half, that of predicting the mean
    assert display.line_.get_ydata()[-1] < 0.5 * 0.6 < display.line_.get_ydata()[0]


@pytest.mark.parametrize("targets", ["1-D", "two columns"])
def test_a_regressor_validated_on_X_val_draws_its_validation_curves(diabetes, targets):
    """The validation loss drawn is the half squared error on X_val (no L2
    term), and the score, scoring=None, is the regressor's R²."""
    X, y = diabetes
    Y = y if targets == "1-D" else np.c_[y, X[:, 2] + X[:, 8]]
    reg = TwoLayerRegressor(n_hidden=8, max_iter=60, scoring=None, random_state=0)
    reg.fit(X[:300], Y[:300], X_val=X[300:], y_val=Y[300:])

    display = LossCurveDisplay.from_estimator(reg)

    validation_loss = display.validation_loss_line_.get_ydata()
    assert_array_equal(validation_loss, reg.validation_loss_curve_)
    best = reg.best_iter_ - 1  # the fitted weights are those of the best epoch
    expected = half_squared_error(reg, X[300:], Y[300:])
    assert_allclose(validation_loss[best], expected, rtol=1e-12)
    scores = display.validation_score_line_.get_ydata()
    assert_array_equal(scores, reg.validation_scores_)
    assert scores[best] == pytest.approx(reg.score(X[300:], Y[300:]), rel=1e-12)
    assert display.score_ax_.get_ylabel() == "validation R²"
    assert display.ax_.get_ylabel() == "loss (half squared error)"


def test_a_regressor_holding_out_draws_its_validation_curves(diabetes):
    X, y = diabetes
    reg = TwoLayerRegressor(
        n_hidden=8, early_stopping=True, scoring="neg_mean_absolute_error",
        random_state=0,
    ).fit(X, y)  # fmt: skip

    display = LossCurveDisplay.from_estimator(reg)

    assert_array_equal(display.line_.get_ydata(), reg.loss_curve_)
    assert_array_equal(
        display.validation_loss_line_.get_ydata(), reg.validation_loss_curve_
    )
    assert_array_equal(
        display.validation_score_line_.get_ydata(), reg.validation_scores_
    )
    assert display.score_ax_.get_ylabel() == "validation neg_mean_absolute_error"
    assert reg.n_iter_ < reg.max_iter  # stopped by the validation score


def test_a_regressor_stopping_on_its_loss_draws_no_redundant_score(diabetes):
    X, y = diabetes
    reg = TwoLayerRegressor(n_hidden=8, early_stopping=True, random_state=0)
    reg.fit(X, y)
    assert_array_equal(reg.validation_scores_, -np.asarray(reg.validation_loss_curve_))

    display = LossCurveDisplay.from_estimator(reg)

    assert display.validation_loss_line_ is not None
    assert display.validation_score_line_ is None and display.score_ax_ is None


def test_mlpregressor_names_its_loss_and_score(diabetes):
    X, y = diabetes
    mlp = MLPRegressor(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=30,
        n_iter_no_change=100, random_state=0,
    )  # fmt: skip
    with pytest.warns(Warning):  # ConvergenceWarning at max_iter
        mlp.fit(X, y)

    display = LossCurveDisplay.from_estimator(mlp, name="MLP")

    assert display.ax_.get_ylabel() == "loss (half squared error)"
    assert_array_equal(
        display.validation_score_line_.get_ydata(), mlp.validation_scores_
    )
    assert display.score_ax_.get_ylabel() == "validation R²"
