"""The defaults at every size: the solver and L2 strength chosen by the data's
size, the momentum restart and the step halved after a divergence, the
relative settled-loss rule, early stopping that does not stop on an overshoot
and says when nothing was learned, and the defaults benchmark."""

import warnings

import numpy as np
import pytest
from _helpers import flat_weights, quiet_fit, without_module
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier
from skbackprop._bench import defaults as _bench_defaults
from skbackprop._training import monitor as _monitor
from skbackprop._training import solvers as _solvers


def _data(n, m=8, k=3, seed=0):
    X, y = make_classification(n, m, n_informative=5, n_classes=k, random_state=seed)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------------------- solver='auto'
def test_auto_solver_follows_the_size_of_the_training_set():
    small = _solvers.MINIBATCH_SAMPLES - 1
    assert _solvers.auto_solver(small) == "gd"
    assert _solvers.auto_solver(_solvers.MINIBATCH_SAMPLES) == "sgd"
    assert _solvers.auto_solver(10**7, full_batch_only=True) == "gd"


def test_auto_l2_is_a_fixed_penalty_on_the_summed_loss_beyond_its_size():
    assert _solvers.auto_l2(100) == _solvers.auto_l2(2000) == 1e-3
    assert_allclose(_solvers.auto_l2(20_000), 1e-4)
    assert_allclose(_solvers.auto_l2(1_000_000) * 1_000_000, 2.0)


def test_auto_takes_minibatches_on_large_data_deterministically():
    X, y = _data(_solvers.MINIBATCH_SAMPLES, m=8)
    params = dict(max_iter=2, random_state=0)
    a = quiet_fit(TwoLayerClassifier(**params), X, y)
    b = quiet_fit(TwoLayerClassifier(**params), X, y)
    assert a._solver_name() == "sgd"
    assert_array_equal(flat_weights(a), flat_weights(b))
    # the same model as solver="sgd" with the L2 strength of that size
    sgd = TwoLayerClassifier(solver="sgd", l2=_solvers.auto_l2(len(y)), **params)
    assert_array_equal(flat_weights(a), flat_weights(quiet_fit(sgd, X, y)))


def test_auto_on_small_data_is_the_notes_full_batch_descent(iris):
    X, y = iris
    auto = quiet_fit(TwoLayerClassifier(max_iter=30, random_state=0), X, y)
    gd = TwoLayerClassifier(solver="gd", l2=1e-3, max_iter=30, random_state=0)
    assert_array_equal(flat_weights(auto), flat_weights(quiet_fit(gd, X, y)))
    # a sample weight of 2 is a repeated row, as for "gd"
    w = np.ones(len(y))
    w[:10] = 2
    weighted = quiet_fit(
        TwoLayerClassifier(max_iter=30, random_state=0), X, y, sample_weight=w
    )
    Xr, yr = np.vstack([X, X[:10]]), np.concatenate([y, y[:10]])
    repeated = quiet_fit(TwoLayerClassifier(max_iter=30, random_state=0), Xr, yr)
    assert_allclose(
        flat_weights(weighted), flat_weights(repeated), rtol=1e-10, atol=1e-12
    )


# ---------------------------------------------------------- momentum restart
def test_momentum_restarts_when_the_loss_overshoots_its_start():
    rule = _solvers.GradientDescent(1.0, momentum=0.9)
    theta, grad = np.zeros(2), np.ones(2)
    rule.observe(1.0)
    rule.step(theta, grad)  # the first step is plain
    rule.observe(1.5)  # a plain step that rose: left to the monitor
    assert rule.learning_rate == 1.0 and not rule.restarted
    rule.step(theta, grad)  # now with a velocity
    rule.observe(1.05)  # a ripple below 10% above the start: left alone
    assert np.all(rule.velocity != 0)
    rule.step(theta, grad)
    rule.observe(1.2)  # a rise above the start after a momentum step
    assert rule.restarted and np.all(rule.velocity == 0)


def test_the_auto_step_halves_after_a_plain_step_that_overshoots():
    rule = _solvers.GradientDescent(2.0, momentum=0.9, adaptive=True)
    theta, grad = np.zeros(2), np.ones(2)
    rule.observe(1.0)
    rule.step(theta, grad)  # the first step is plain
    rule.observe(1.5)  # 50% above the last loss: the step was too large
    assert rule.learning_rate == 1.0
    assert rule.restarted and np.all(rule.velocity == 0)
    rule.step(theta, grad)  # a plain step again, of the new size
    rule.observe(1.5 * (1 + _solvers.OVERSTEP / 2))  # a smaller rise: left alone
    assert rule.learning_rate == 1.0
    # a step the user set is kept
    kept = _solvers.GradientDescent(2.0, momentum=0.9)
    kept.observe(1.0)
    kept.step(theta, grad)
    kept.observe(1.5)
    assert kept.learning_rate == 2.0 and not kept.restarted


def test_the_auto_step_grows_back_up_to_where_it_started():
    rule = _solvers.GradientDescent(2.0, momentum=0.0, adaptive=True)
    theta, grad = np.zeros(2), np.ones(2)
    losses = iter([1.0, 2.0] + list(1.9 - 0.01 * np.arange(50)))
    rule.observe(next(losses))
    rule.step(theta, grad)
    rule.observe(next(losses))  # momentum=0: every step is plain; this one rose
    assert rule.learning_rate == 1.0
    rule.step(theta, grad)
    rule.observe(next(losses))  # a fall lets the step grow
    assert rule.learning_rate == _solvers.GROW
    for loss in losses:
        rule.step(theta, grad)
        rule.observe(loss)
    assert rule.learning_rate == 2.0  # and no further
    # after a divergence, the halved step is the most it grows back to
    rule.halve()
    for loss in 1.0 - 0.01 * np.arange(50):
        rule.step(theta, grad)
        rule.observe(loss)
    assert rule.learning_rate == 1.0


def test_a_run_whose_loss_never_rises_keeps_the_auto_step_exactly(iris):
    # the 'auto' step adapts only where a step overshoots: a fit whose loss
    # falls at every epoch takes the same steps as the same step set by hand
    X, y = iris
    common = dict(n_hidden=4, solver="gd", momentum=0.0, max_iter=30, random_state=0)
    auto = quiet_fit(TwoLayerClassifier(learning_rate="auto", **common), X, y)
    assert np.all(np.diff(auto.loss_curve_) < 0)
    assert auto._optimizer.learning_rate == 2.0
    set_step = quiet_fit(TwoLayerClassifier(learning_rate=2.0, **common), X, y)
    assert_array_equal(flat_weights(auto), flat_weights(set_step))


def test_plain_gradient_descent_is_exactly_the_notes_update(iris):
    # momentum=0, l2=0, solver="gd": w <- w - alpha dC/dw at every step, also
    # where the loss rises (a step of 4 on standardized iris overshoots).
    from skbackprop._engine import backprop as _backprop
    from skbackprop._engine import network as _network

    X, y = iris
    for lr in (0.5, 4.0):
        clf = TwoLayerClassifier(
            n_hidden=5,
            solver="gd",
            momentum=0.0,
            l2=0.0,
            learning_rate=lr,
            max_iter=15,
            tol=0.0,
            random_state=0,
        )
        quiet_fit(clf, X, y)
        layout = _network.Layout(4, 5, 3)
        Y = _network.targets(y, 3, float)
        s = np.full(len(y), 1 / len(y))
        theta = _network.init_params(layout, np.random.RandomState(0))
        for _ in range(15):
            g = _backprop.loss_gradient(theta, layout, X, Y, s, 0.0, "softmax")[1]
            theta = theta - lr * g
        assert_allclose(flat_weights(clf), theta, rtol=0, atol=1e-12)


def test_warm_start_n_plus_n_is_2n_bit_for_bit_with_restarts():
    # The default rule on data where the momentum restarts and the step is
    # halved and grows back: the rule's step, its ceiling, velocity and losses
    # carry over, so two fits of N are one of 2N.
    X, y = _data(600, m=20, k=4, seed=1)
    X = 2 * X  # steeper: the default step overshoots at first
    common = dict(random_state=0, tol=0.0, n_iter_no_change=1000)
    restarts, steps = [], []
    original = _solvers.GradientDescent.observe

    def observe(rule, loss):
        original(rule, loss)
        restarts.append(rule.restarted)
        steps.append(rule.learning_rate)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_solvers.GradientDescent, "observe", observe)
        twice = TwoLayerClassifier(max_iter=40, warm_start=True, **common)
        quiet_fit(twice, X, y)
        quiet_fit(twice, X, y)
    once = quiet_fit(TwoLayerClassifier(max_iter=80, **common), X, y)
    assert any(restarts) and min(steps) < 2.0
    assert_array_equal(twice.loss_curve_, once.loss_curve_)
    assert_array_equal(flat_weights(twice), flat_weights(once))


# ---------------------------------------------------------------- divergence
def test_a_divergence_under_the_auto_step_is_recovered_from():
    # 10000 hidden units on 10 rows: the default step makes the loss explode at
    # the second epoch. With learning_rate="auto" the step is halved and
    # training goes on from the best weights; with the same step set by the
    # user, the fit stops there and warns that the model is untrained.
    rng = np.random.RandomState(0)
    X, y = rng.randn(10, 3), np.arange(10) % 2
    auto = quiet_fit(TwoLayerClassifier(n_hidden=10000, random_state=0), X, y)
    assert auto._optimizer.learning_rate < 2.0
    assert auto.n_iter_ > 100
    assert auto.loss_ < auto.loss_curve_[0]
    assert auto.score(X, y) >= 0.8
    set_step = TwoLayerClassifier(n_hidden=10000, learning_rate=2.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged.*untrained"):
        set_step.fit(X, y)
    assert set_step.score(X, y) == 0.5


def test_a_divergence_that_never_recovers_warns():
    theta = np.zeros(3)
    halved = []
    monitor = _monitor.Monitor(
        theta, tol=0.0, n_iter_no_change=10, recover=lambda: halved.append(1)
    )
    assert not monitor.after_epoch(1.0, theta, theta)
    for _ in range(_monitor.MAX_RECOVERIES):
        assert not monitor.after_epoch(np.inf, theta, theta)
    assert monitor.after_epoch(np.inf, theta, theta)
    assert monitor.status == _monitor.DIVERGED
    assert len(halved) == _monitor.MAX_RECOVERIES


# ------------------------------------------------------------- settled loss
def _settled_monitor(losses, tol=1e-4, n=10):
    theta = np.zeros(1)
    monitor = _monitor.Monitor(
        theta, tol=tol, n_iter_no_change=n, stopping=_monitor.SETTLED
    )
    for epoch, loss in enumerate(losses, 1):
        if monitor.after_epoch(loss, theta, theta):
            return epoch
    return None


def test_a_steady_fall_below_tol_does_not_stop_training():
    # 5e-5 per epoch, below tol=1e-4 times the loss, but steady: not settled.
    steady = 0.5 - 5e-5 * np.arange(400)
    assert _settled_monitor(steady) is None


def test_a_fall_that_dies_out_stops_training():
    # geometric, rate 0.5: what is left to fall is far below tol times the loss
    settling = 0.3 + 0.1 * 0.5 ** np.arange(100)
    stopped = _settled_monitor(settling)
    assert stopped is not None and stopped < 40


def test_the_settled_rule_is_relative_above_a_loss_of_one():
    # The same relative changes, at two scales of a loss above 1, stop at one
    # epoch; below 1 the tolerance is absolute, so the smaller loss settles
    # first.
    base = 1 + 1e-3 * 0.7 ** np.arange(200)
    assert _settled_monitor(base) == _settled_monitor(1e3 * base)
    assert _settled_monitor(1e-3 * base) < _settled_monitor(base)


@pytest.mark.parametrize("load", [load_digits, load_breast_cancer, load_wine])
def test_the_defaults_settle_on_the_classic_data_sets_without_a_warning(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = TwoLayerClassifier(random_state=0).fit(X, y)
    assert clf.n_iter_ < clf.max_iter


def test_a_slow_step_on_gd_no_longer_stops_early_unwarned():
    # learning_rate=0.1 descends steadily: training goes on to max_iter, and
    # says so, rather than stopping after a hundred epochs.
    X, y = _data(2000, m=10, k=2)
    clf = TwoLayerClassifier(solver="gd", learning_rate=0.1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.n_iter_ == clf.max_iter


# ------------------------------------------------------------ early stopping
def test_an_early_overshoot_is_not_the_end_of_learning():
    theta = np.zeros(1)
    scores = iter([0.5, 0.4, 0.3, 0.35, 0.6, 0.7, 0.8])
    monitor = _monitor.Monitor(
        theta,
        tol=0.0,
        n_iter_no_change=2,
        validate=lambda theta: (1.0, next(scores)),
    )
    # the training loss overshoots its start for three epochs: not counted
    losses = [1.0, 2.5, 2.0, 1.5, 0.8, 0.6, 0.5]
    stops = [monitor.after_epoch(loss, theta, theta) for loss in losses]
    assert not any(stops)
    assert monitor.best_score == 0.8


def _stop_epoch(monitor, losses):
    theta = np.zeros(1)
    for epoch, loss in enumerate(losses, 1):
        if monitor.after_epoch(loss, theta, theta):
            return epoch
    return None


def test_early_stopping_counts_an_epoch_by_the_loss_of_the_weights_it_scored():
    # A full-batch descent that oscillates: each epoch's loss is taken before
    # its step, so the weights scored at epoch e have the loss of epoch e + 1.
    # Epochs 1, 3, 5... step from a low into an overshoot (loss 2.0, a poor
    # score); epochs 2, 4, 6... step down to new lows. Only the latter count.
    losses = [1.0, 2.0, 0.9, 2.0, 0.8, 2.0, 0.7, 2.0, 0.6]
    scores = [0.1, 0.8, 0.1, 0.7, 0.1, 0.75, 0.1, 0.7, 0.1]

    def monitor(lagging):
        calls = iter(scores)
        monitor = _monitor.Monitor(
            np.zeros(1),
            tol=0.0,
            n_iter_no_change=2,
            validate=lambda theta: (1.0, next(calls)),
        )
        monitor.lagging = lagging
        return monitor

    # counted: epoch 4 (its weights have the loss 0.8 of epoch 5) and epoch 6
    # (0.7, known at epoch 7)
    assert _stop_epoch(monitor(lagging=True), losses) == 7
    # taken as the loss of the weights scored, the lows before epochs 3 and 5
    # would have counted those epochs' overshoots
    assert _stop_epoch(monitor(lagging=False), losses) == 5


def test_a_fit_tells_the_monitor_what_its_losses_are(iris):
    X, y = iris
    seen = []
    original = _monitor.Monitor.finish

    def finish(monitor, theta, converged=None):
        seen.append((monitor.lagging, monitor.noisy))
        return original(monitor, theta, converged)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_monitor.Monitor, "finish", finish)
        for solver in ("gd", "sgd", "lbfgs"):
            params = dict(solver=solver, early_stopping=True, max_iter=5)
            quiet_fit(TwoLayerClassifier(random_state=0, **params), X, y)
    assert seen == [(True, False), (False, True), (False, False)]


def test_early_stopping_on_mini_batches_counts_epochs_near_the_lowest_loss():
    # The loss of an epoch of mini-batches levels off with noise: an epoch a
    # little above the lowest counts, one far above (an overshoot) does not.
    band = 1 + _monitor.NOISE
    losses = [1.0, 0.5, 0.5 * band, 0.49, 0.5 * band**2, 0.495, 0.497]

    def monitor(noisy):
        monitor = _monitor.Monitor(
            np.zeros(1),
            tol=0.0,
            n_iter_no_change=3,
            validate=lambda theta: (1.0, 0.5),  # no improvement after epoch 1
        )
        monitor.noisy = noisy
        return monitor

    # noisy: epochs 2, 3, 4 count (3 at the edge of the band); 5 would not
    assert _stop_epoch(monitor(noisy=True), losses) == 4
    # exact losses: only the new lows of epochs 2 and 4 count, then none
    assert _stop_epoch(monitor(noisy=False), losses) is None


def test_early_stopping_that_learned_nothing_warns(iris):
    X, y = iris
    clf = TwoLayerClassifier(
        early_stopping=True, learning_rate=1e-9, n_iter_no_change=3, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="has not learned") as record:
        clf.fit(X, y)
    message = str(
        next(w.message for w in record if "has not learned" in str(w.message))
    )
    assert "n_iter_no_change" in message and "learning_rate" in message


def test_early_stopping_that_learned_does_not_warn(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        TwoLayerClassifier(early_stopping=True, random_state=0).fit(X, y)


@pytest.mark.parametrize("n_iter_no_change", [10, 5])
def test_early_stopping_with_the_defaults_learns_on_an_overshooting_start(
    n_iter_no_change,
):
    # Five classes on 1500 rows: the default step overshoots in its first
    # epochs; early stopping must not take that for the end of learning.
    X, y = _data(1500, m=20, k=5, seed=2)
    clf = TwoLayerClassifier(
        early_stopping=True, n_iter_no_change=n_iter_no_change, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.score(X, y) > 0.6  # chance is 0.2


# -------------------------------------------------- mini-batch step annealing
def _flat_monitor(anneal, stopping=_monitor.IMPROVEMENT, n=3):
    monitor = _monitor.Monitor(
        np.zeros(1), tol=1e-4, n_iter_no_change=n, stopping=stopping, anneal=anneal
    )
    return _stop_epoch(monitor, [1.0] * 100)


def test_a_loss_that_stops_improving_lowers_the_auto_step_before_stopping():
    factors = []
    # epoch 1 improves; then each n epochs without improvement lower the step,
    # MAX_ANNEALS times, and the next n stop
    stopped = _flat_monitor(factors.append)
    assert stopped == 1 + 3 * (_monitor.MAX_ANNEALS + 1)
    assert factors == [1 / _monitor.ANNEAL_DIVISOR] * _monitor.MAX_ANNEALS
    assert _flat_monitor(None) == 1 + 3
    # a full-batch loss that settled is not annealed
    assert _flat_monitor(factors.append, _monitor.SETTLED) == 1 + 3
    assert len(factors) == _monitor.MAX_ANNEALS


def test_sgd_lowers_its_auto_step_on_a_plateau_and_keeps_a_set_one():
    X, y = _data(2000, m=10, k=3)
    auto = quiet_fit(TwoLayerClassifier(solver="sgd", random_state=0), X, y)
    assert auto.n_iter_ < auto.max_iter
    lowered = 0.1 / _monitor.ANNEAL_DIVISOR**_monitor.MAX_ANNEALS
    assert auto._optimizer.learning_rate == pytest.approx(lowered)
    set_step = TwoLayerClassifier(solver="sgd", learning_rate=0.1, random_state=0)
    quiet_fit(set_step, X, y)
    assert set_step._optimizer.learning_rate == 0.1
    assert set_step.n_iter_ < auto.n_iter_
    assert auto.loss_ < set_step.loss_


# ----------------------------------------------------------------- benchmark
def test_bench_defaults_quick_prints_the_table(capsys):
    assert _bench_defaults.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for name in ("iris", "moons", "early_stopping", "+n_iter_no_change=5"):
        assert name in out
    assert "total fit time, default" in out
    rows = [line for line in out.splitlines() if line.startswith(("iris", "moons"))]
    assert len(rows) == 2 and all(
        row.count("yes") + row.count("NO") == 3 for row in rows
    )


def test_bench_defaults_names_a_missing_package(monkeypatch):
    without_module(monkeypatch, "ISLP")
    oj = next(d for d in _bench_defaults.DATA_SETS if d.name == "OJ")
    with pytest.raises(ImportError, match=r"skbackprop\[bench\]"):
        oj.load()
