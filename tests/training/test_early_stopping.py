"""Early stopping on awkward validation sets: every scorer form, with and without
weights; scores that are undefined (NaN) on the validation set; hold-outs of small
or imbalanced data.

What must hold:

- every form of ``scoring`` that scikit-learn accepts (a name, a `make_scorer`
  object, None, a plain callable ``scorer(estimator, X, y)``, a callable that takes
  ``sample_weight``) works with and without sample or class weights; weights reach
  the scorers that take them;
- a NaN score never counts as the best; when the scorer gives NaN on the
  validation set, a warning names ``scoring`` and the weights are chosen by the
  validation loss, never left at their initial values;
- a class of one sample trains (it cannot also be held out); a scorer that cannot
  be computed on the hold-out fails before training, naming what to change.
"""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, make_scorer, roc_auc_score

from skbackprop import TwoLayerClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def imbalanced():
    """100 samples, 3 of class 1: a 10-sample stratified hold-out has none."""
    X, y = make_classification(
        100, 5, weights=[0.97], flip_y=0, class_sep=2, random_state=0
    )
    return X, y


# ------------------------------------------------------------ forms of scoring
def plain(estimator, X, y):
    return estimator.score(X, y)


def weighted(estimator, X, y, sample_weight=None):
    return accuracy_score(y, estimator.predict(X), sample_weight=sample_weight)


SCORINGS = {
    "name": "accuracy",
    "make_scorer": make_scorer(accuracy_score),
    "None": None,
    "plain callable": plain,
    "callable with sample_weight": weighted,
}
WEIGHTS = {
    "no weights": {},
    "class_weight": {"class_weight": "balanced"},
    "sample_weight": {"sample_weight": True},
    "sample_weight_val": {"sample_weight_val": True},
}


@pytest.mark.parametrize("weights", WEIGHTS.values(), ids=WEIGHTS.keys())
@pytest.mark.parametrize("scoring", SCORINGS.values(), ids=SCORINGS.keys())
def test_every_form_of_scoring_works_with_and_without_weights(iris, scoring, weights):
    X, y = iris
    rng = np.random.RandomState(0)
    params = {"class_weight": weights.get("class_weight")}
    fit_params = {}
    if "sample_weight" in weights:
        fit_params["sample_weight"] = rng.uniform(0.5, 2, len(y))
    if "sample_weight_val" in weights:
        fit_params.update(
            X_val=X[::3], y_val=y[::3], sample_weight_val=rng.uniform(0.5, 2, 50)
        )
    clf = TwoLayerClassifier(
        n_hidden=4, early_stopping=True, scoring=scoring, max_iter=30, random_state=0
    )
    clf.set_params(**params).fit(X, y, **fit_params)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert 0.5 < clf.best_validation_score_ <= 1


def test_scorers_that_take_weights_get_the_validation_weights(iris):
    X, y = iris
    seen = []

    def scorer(estimator, X_val, y_val, sample_weight=None):
        seen.append(sample_weight)
        return estimator.score(X_val, y_val, sample_weight=sample_weight)

    sw_val = np.linspace(1, 2, 50)
    TwoLayerClassifier(n_hidden=4, scoring=scorer, max_iter=5, random_state=0).fit(
        X, y, X_val=X[::3], y_val=y[::3], sample_weight_val=sw_val
    )
    assert len(seen) == 6  # once at the initial weights, then after each epoch
    for weights in seen:
        assert_array_equal(weights, sw_val)


def test_a_plain_callable_is_called_without_weights(iris):
    X, y = iris
    calls = []

    def scorer(estimator, X_val, y_val):
        calls.append(len(y_val))
        return estimator.score(X_val, y_val)

    clf = TwoLayerClassifier(
        n_hidden=4, early_stopping=True, scoring=scorer, class_weight="balanced"
    )
    clf.set_params(max_iter=5, random_state=0).fit(X, y, sample_weight=np.ones(150))
    assert calls == [15] * 6


# ------------------------------------------------------------------ NaN scores
# scikit-learn's own warning that ROC AUC is undefined on one class, which the
# estimator's warning explains.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_an_undefined_score_falls_back_to_the_validation_loss(imbalanced):
    X, y = imbalanced
    clf = TwoLayerClassifier(
        n_hidden=8, early_stopping=True, scoring="roc_auc", random_state=0
    )
    with pytest.warns(UserWarning, match=r"scoring='roc_auc'.*NaN") as record:
        clf.fit(X, y)
    ours = [w for w in record if "scoring=" in str(w.message)]
    assert len(ours) == 1 and ours[0].filename == __file__  # the line calling fit
    message = str(ours[0].message)
    assert "validation loss instead" in message
    assert "no samples of class 1" in message
    assert "validation_fraction" in message
    # The weights are the best epoch's by the validation loss, not the start's.
    losses = np.array(clf.validation_loss_curve_)
    assert_allclose(clf.validation_scores_, -losses)
    assert not np.isnan(clf.validation_scores_).any()
    assert clf.best_iter_ == np.argmin(losses) + 1 >= 1
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.9


def test_a_nan_score_never_counts_as_the_best(iris):
    X, y = iris
    calls = []

    def sometimes_nan(estimator, X_val, y_val):
        calls.append(None)
        # defined at the start and at epochs 1 and 2, then NaN
        return estimator.score(X_val, y_val) if len(calls) <= 3 else np.nan

    clf = TwoLayerClassifier(
        n_hidden=4, early_stopping=True, scoring=sometimes_nan, random_state=0
    )
    with pytest.warns(
        UserWarning, match="sometimes_nan.*never counts as the best"
    ) as w:
        clf.set_params(max_iter=8, n_iter_no_change=20).fit(X, y)
    ours = [x for x in w if "scoring=" in str(x.message)]
    assert len(ours) == 1 and ours[0].filename == __file__
    assert np.isnan(clf.validation_scores_[2:]).all()
    assert clf.best_iter_ in (1, 2)
    assert clf.best_validation_score_ == max(clf.validation_scores_[:2])


# --------------------------------------------------- small and imbalanced data
def test_a_class_of_one_sample_trains_and_keeps_its_class(iris):
    X, y = iris
    X, y = X[:101], y[:101]  # class 2 has a single sample
    clf = TwoLayerClassifier(n_hidden=4, early_stopping=True, random_state=0)
    clf.fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    # 10 of the 100 samples of classes 0 and 1 are held out; class 2 trains.
    assert clf.t_ == clf.n_iter_ * 91
    assert clf.predict_proba(X).shape == (101, 3)


def test_a_class_only_in_the_hold_out_stays_a_class():
    # Too few samples to stratify (a hold-out of 1 sample for 2 classes): the
    # hold-out is random, and may take every sample of a class.
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    for seed in range(10):
        clf = TwoLayerClassifier(n_hidden=2, early_stopping=True, random_state=seed)
        clf.fit(X, y)
        assert_array_equal(clf.classes_, [0, 1])
        assert clf.t_ == clf.n_iter_ * 3


def test_a_hold_out_with_nothing_left_to_train_on_is_refused():
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])  # two classes of one sample
    with pytest.raises(ValueError, match="cannot hold out.*X_val and y_val"):
        TwoLayerClassifier(early_stopping=True).fit(X, y)


def test_a_scorer_that_fails_on_the_hold_out_fails_before_training(iris):
    X, y = iris
    X, y = X[:101], y[:101]
    fitted = TwoLayerClassifier(n_hidden=4, max_iter=5, random_state=0).fit(X, y)
    before = [w.copy() for w in fitted.coefs_]
    fitted.set_params(early_stopping=True, scoring="neg_log_loss", warm_start=True)
    with pytest.raises(ValueError) as error:
        fitted.fit(X, y)
    message = str(error.value)
    assert message.startswith("scoring='neg_log_loss' cannot be computed")
    assert "no samples of class 2" in message
    assert "class 2 has a single sample" in message
    assert "X_val and y_val" in message and "scoring='loss'" in message
    # nothing was trained, and the fitted model is as it was
    for a, b in zip(fitted.coefs_, before, strict=True):
        assert_array_equal(a, b)
    assert fitted.n_iter_ == 5


def test_a_scorer_that_fails_on_x_val_names_y_val(iris):
    X, y = iris
    with pytest.raises(ValueError, match=re.escape("pass X_val and y_val")):
        TwoLayerClassifier(scoring="neg_log_loss").fit(X, y, X_val=X[:50], y_val=y[:50])


def test_a_scorer_unfit_for_the_targets_is_told_so(iris):
    # ROC AUC needs multi_class= for three classes: no hold-out size helps.
    X, y = iris
    with pytest.raises(ValueError) as error:
        TwoLayerClassifier(early_stopping=True, scoring="roc_auc").fit(X, y)
    message = str(error.value)
    assert message.startswith("scoring='roc_auc' cannot be computed")
    assert "Choose a scoring that suits these targets" in message
    assert "validation_fraction" not in message and ".." not in message


# ----------------------------------------------------------------------- ties
def test_of_epochs_with_the_best_score_the_lowest_validation_loss_is_kept(iris):
    # A score that never moves (here a constant; in practice F1 of a class the
    # hold-out lacks, or accuracy on a few samples) ties at every epoch: the
    # weights kept are those of the lowest validation loss, not of epoch 1.
    X, y = iris

    def constant(estimator, X_val, y_val):
        return 1.0

    clf = TwoLayerClassifier(
        n_hidden=4, early_stopping=True, scoring=constant, random_state=0
    )
    clf.set_params(n_iter_no_change=15).fit(X, y)
    losses = np.array(clf.validation_loss_curve_)
    # after epoch 1, 15 epochs without improvement whose weights have the
    # training loss at a new low (an epoch of steps that overshoot does not
    # count): the weights scored at epoch e are those whose full-batch loss is
    # curve[e], taken before the step of epoch e + 1, so the last one counted is
    # known one epoch later
    curve = clf.loss_curve_
    counted = [e for e in range(2, len(curve)) if curve[e] <= min(curve[:e])]
    assert len(counted) == 15 and counted[-1] == clf.n_iter_ - 1
    assert clf.best_iter_ == np.argmin(losses) + 1 > 1
    assert clf.best_validation_score_ == 1.0


def test_a_score_tied_later_keeps_the_epoch_of_lower_validation_loss():
    from skbackprop._training import monitor as _monitor

    # scores 0.5, 0.9, 0.9, 0.9 with validation losses 1.0, 0.8, 0.5, 0.6: the
    # best score first comes at epoch 2, but epoch 3 has the lowest loss.
    scores, losses = [0.5, 0.9, 0.9, 0.9], [1.0, 0.8, 0.5, 0.6]
    calls = iter(zip(losses, scores, strict=True))
    theta = np.zeros(1)
    monitor = _monitor.Monitor(
        theta, tol=0.0, n_iter_no_change=10, validate=lambda theta: next(calls)
    )
    for epoch in range(1, 5):
        theta[...] = epoch
        monitor.after_epoch(1.0, theta, theta)
    monitor.finish(theta)
    assert monitor.best_epoch == 3 and theta[0] == 3


# ------------------------------------------------- what scorers are handed
def _vandal(part):
    """A scorer that scores, then writes over ``part`` of the estimator it got."""

    def scorer(estimator, X, y):
        score = estimator.score(X, y)
        if part == "weights":
            estimator.coefs_[0][:] = 0.0
            estimator.intercepts_[1][:] = 5.0
        else:
            estimator.classes_[:] = estimator.classes_[::-1]
        return score

    return scorer


@pytest.mark.parametrize("solver", ["gd", "adam", "lbfgs"])
@pytest.mark.parametrize("part", ["weights", "classes"])
@pytest.mark.parametrize("validation", ["hold-out", "X_val"])
def test_a_scorer_that_changes_its_estimator_does_not_change_the_fit(
    iris, solver, part, validation
):
    X, y = iris
    fit = {} if validation == "hold-out" else {"X_val": X[::3], "y_val": y[::3]}
    params = dict(solver=solver, early_stopping=True, max_iter=30, random_state=0)
    expected = TwoLayerClassifier(scoring=plain, **params).fit(X, y, **fit)
    got = TwoLayerClassifier(scoring=_vandal(part), **params).fit(X, y, **fit)
    for name in ("coefs_", "intercepts_"):
        for a, b in zip(getattr(got, name), getattr(expected, name), strict=True):
            assert_array_equal(a, b)
    assert_array_equal(got.classes_, expected.classes_)
    assert_array_equal(got.validation_scores_, expected.validation_scores_)
