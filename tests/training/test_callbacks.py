"""scikit-learn's callbacks: one task per epoch, scores per epoch, stop requests.

`sklearn.callback` exists from scikit-learn 1.9 on; before, `set_callbacks`
must say so, and everything else must work as before (CI tests both).
"""

import warnings

import numpy as np
import pytest
import sklearn
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier
from skbackprop._training.callbacks import AVAILABLE
from skbackprop._training.solvers import SOLVERS

needs_callbacks = pytest.mark.skipif(
    not AVAILABLE, reason="sklearn.callback is new in scikit-learn 1.9"
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.skipif(AVAILABLE, reason="scikit-learn >= 1.9 has callbacks")
def test_before_1_9_set_callbacks_says_it_needs_1_9(iris):
    clf = TwoLayerClassifier(n_hidden=4, max_iter=5, random_state=0)
    with pytest.raises(ImportError, match=r"set_callbacks needs scikit-learn >= 1\.9"):
        clf.set_callbacks(object())
    with pytest.raises(ImportError, match=sklearn.__version__):
        clf.set_callbacks()
    # Training is unaffected.
    assert clf.fit(*iris).n_iter_ == 5


class Recorder:
    """A callback that records its calls; asks to stop after ``stop_after`` epochs."""

    max_propagation_depth = None  # propagated to every nested estimator

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.calls = []
        self.epoch_scores = []

    def setup(self, estimator, context):
        self.calls.append(("setup", type(estimator).__name__))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", type(estimator).__name__))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.calls.append(("begin", context.estimator_name, context.task_name))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):  # fmt: skip
        self.calls.append(("end", context.estimator_name, context.task_name))
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        self.epoch_scores.append(fitted_estimator.score(X, y))
        return self.stop_after is not None and len(self.epoch_scores) >= self.stop_after


def _epoch_ends(recorder):
    return [c for c in recorder.calls if c == ("end", "TwoLayerClassifier", "epoch")]


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
def test_each_epoch_is_a_task_with_the_weights_of_that_epoch(iris, solver):
    X, y = iris
    params = dict(n_hidden=4, solver=solver, max_iter=8, tol=0, random_state=0)
    recorder = Recorder()
    clf = TwoLayerClassifier(**params).set_callbacks(recorder).fit(X, y)

    assert clf.n_iter_ == 8
    assert recorder.calls[:3] == [
        ("setup", "TwoLayerClassifier"),
        ("begin", "TwoLayerClassifier", "fit"),
        ("begin", "TwoLayerClassifier", "epoch"),
    ]
    assert recorder.calls[-3:] == [
        ("end", "TwoLayerClassifier", "epoch"),  # the task begun after the last
        ("end", "TwoLayerClassifier", "fit"),
        ("teardown", "TwoLayerClassifier"),
    ]
    begins = [c for c in recorder.calls if c[0] == "begin" and c[2] == "epoch"]
    assert len(begins) == len(_epoch_ends(recorder)) == clf.n_iter_ + 1
    # The estimator passed at the end of epoch k has the weights of k epochs:
    # those of a fit with max_iter=k, which is deterministic here.
    for k in (1, 4, 8):
        after_k = TwoLayerClassifier(**{**params, "max_iter": k}).fit(X, y)
        assert recorder.epoch_scores[k - 1] == after_k.score(X, y)
    assert recorder.epoch_scores[-1] == clf.score(X, y)


class Vandal(Recorder):
    """A callback that writes over the weights and classes it is handed at the
    end of each epoch."""

    def on_fit_task_end(self, estimator, context, *, X=None, y=None,
                        fitted_estimator=None):  # fmt: skip
        stop = super().on_fit_task_end(
            estimator, context, X=X, y=y, fitted_estimator=fitted_estimator
        )
        if context.task_name == "epoch" and fitted_estimator is not None:
            fitted_estimator.coefs_[0][:] = 0.0
            fitted_estimator.classes_[:] = fitted_estimator.classes_[::-1]
        return stop


@needs_callbacks
@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_a_callback_that_changes_its_estimator_does_not_change_the_fit(iris, solver):
    X, y = iris
    params = dict(n_hidden=4, solver=solver, max_iter=8, tol=0, random_state=0)
    expected = TwoLayerClassifier(**params).set_callbacks(Recorder()).fit(X, y)
    got = TwoLayerClassifier(**params).set_callbacks(Vandal()).fit(X, y)
    assert_array_equal(got.coefs_[0], expected.coefs_[0])
    assert_array_equal(got.classes_, expected.classes_)


@needs_callbacks
@pytest.mark.parametrize("solver", ["gd", "adam", "lbfgs"])
def test_a_callback_can_stop_training(iris, solver):
    X, y = iris
    params = dict(n_hidden=4, solver=solver, max_iter=200, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopping on request is not a failure
        clf = TwoLayerClassifier(**params).set_callbacks(Recorder(stop_after=3))
        clf.fit(X, y)

    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    after_3 = TwoLayerClassifier(**{**params, "max_iter": 3}).fit(X, y)
    assert_array_equal(clf.coefs_[0], after_3.coefs_[0])


@needs_callbacks
def test_scoring_monitor_scores_every_epoch(iris):
    from sklearn.callback import ScoringMonitor

    require("pandas")
    X, y = iris
    monitor = ScoringMonitor(scoring=["accuracy", "neg_log_loss"])
    clf = TwoLayerClassifier(n_hidden=4, max_iter=20, tol=0, l2=0.0, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)

    log = monitor.get_logs().data_as_pandas
    epochs = log[log.task_name == "epoch"]
    assert list(epochs.task_id) == list(range(clf.n_iter_))
    final = log[log.task_name == "fit"]
    assert final.accuracy.item() == clf.score(X, y)
    assert epochs.accuracy.iloc[-1] == clf.score(X, y)
    # Epoch k is scored at the weights it ends with, where full-batch descent
    # takes the training loss of epoch k + 1 (the loss itself, with l2=0).
    assert_allclose(-epochs.neg_log_loss.iloc[:-1], clf.loss_curve_[1:], rtol=1e-9)
    assert epochs.neg_log_loss.iloc[-1] > epochs.neg_log_loss.iloc[0]


@needs_callbacks
def test_scoring_monitor_with_early_stopping_and_sample_weight(iris):
    from sklearn.callback import ScoringMonitor

    require("pandas")
    X, y = iris
    weights = np.where(y == 0, 3.0, 1.0)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = TwoLayerClassifier(n_hidden=4, early_stopping=True, random_state=0)
    clf.set_callbacks(monitor).fit(X, y, sample_weight=weights)

    epochs = monitor.get_logs().data_as_pandas.query("task_name == 'epoch'")
    assert len(epochs) == clf.n_iter_ == len(clf.validation_loss_curve_)
    assert ((epochs.accuracy > 0) & (epochs.accuracy <= 1)).all()


@needs_callbacks
def test_propagated_through_grid_search_and_pipeline(iris):
    X, y = iris
    recorder = Recorder()
    pipe = make_pipeline(
        StandardScaler(), TwoLayerClassifier(max_iter=5, tol=0, random_state=0)
    )
    search = GridSearchCV(pipe, {"twolayerclassifier__n_hidden": [2, 4]}, cv=2)
    search.set_callbacks(recorder).fit(X, y)

    # Set up once, on the outermost estimator; 4 fits in the folds, 1 refit.
    assert recorder.calls[0] == ("setup", "GridSearchCV")
    assert recorder.calls[-1] == ("teardown", "GridSearchCV")
    fits = [c for c in recorder.calls if c == ("end", "TwoLayerClassifier", "fit")]
    assert len(fits) == 5
    assert len(_epoch_ends(recorder)) == 5 * (5 + 1)
    assert len(recorder.epoch_scores) == 5 * 5
    # The refit's last epoch is the best model's score on the scaled data.
    best = search.best_estimator_
    assert recorder.epoch_scores[-1] == best[-1].score(best[0].transform(X), y)
    assert not hasattr(best[-1], "_skl_callbacks")  # removed after propagation


@needs_callbacks
def test_scoring_monitor_in_a_parallel_search(iris):
    from sklearn.callback import ScoringMonitor

    require("pandas")
    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    net = TwoLayerClassifier(max_iter=4, tol=0, random_state=0).set_callbacks(monitor)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), net),
        {"twolayerclassifier__n_hidden": [2, 4]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)

    log = monitor.get_logs().data_as_pandas
    assert monitor.get_logs().estimator_name == "GridSearchCV"
    assert (log.task_name == "fit").sum() == 5
    assert (log.task_name == "epoch").sum() == 5 * 4
    refit = log[log.task_id_path.map(lambda path: path[:2] == (0, 1))]
    best = search.best_estimator_
    assert refit[refit.task_name == "epoch"].accuracy.iloc[-1] == best.score(X, y)


@needs_callbacks
def test_progress_bar(iris, capsys):
    from sklearn.callback import ProgressBar

    require("rich")
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(), TwoLayerClassifier(n_hidden=2, max_iter=5, random_state=0)
    )
    search = GridSearchCV(pipe, {"twolayerclassifier__learning_rate": [0.5]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, y)

    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert "Pipeline - fit-final-estimator | TwoLayerClassifier - fit" in out
    assert "100%" in out


@needs_callbacks
def test_failed_fit_tears_callbacks_down_and_changes_nothing(iris):
    X, y = iris
    recorder = Recorder()
    clf = TwoLayerClassifier(n_hidden=2, max_iter=3, random_state=0)
    clf.set_callbacks(recorder).fit(X, y)
    before = clf.coefs_[0].copy()

    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X[:10], np.zeros(10))

    assert recorder.calls[-1] == ("teardown", "TwoLayerClassifier")
    assert not hasattr(clf, "_callback_fit_ctx")
    assert_array_equal(clf.coefs_[0], before)


@needs_callbacks
def test_no_callbacks_no_change(iris, monkeypatch):
    X, y = iris

    def no_tasks(*args, **kwargs):
        raise AssertionError("tasks made for an estimator without callbacks")

    with monkeypatch.context() as patch:
        patch.setattr(TwoLayerClassifier, "_init_callback_context", no_tasks)
        plain = TwoLayerClassifier(n_hidden=4, max_iter=30, random_state=0)
        plain.fit(X, y)
    watched = TwoLayerClassifier(n_hidden=4, max_iter=30, random_state=0)
    watched.set_callbacks(Recorder()).fit(X, y)
    assert_array_equal(plain.coefs_[0], watched.coefs_[0])
    assert plain.loss_curve_ == watched.loss_curve_
