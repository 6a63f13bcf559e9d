"""`python -m skbackprop bench`: a smoke test of --quick, and the honesty of the
comparison (every competitor computes the same thing, the GEMM reference runs as
skbackprop's passes do, the settings of the run are printed). No timing
assertions."""

import threading
from dataclasses import replace

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skbackprop.__main__ import main
from skbackprop._bench import cases, competitors, threads, timing
from skbackprop._bench import main as bench_main
from skbackprop._bench.main import NAMES
from skbackprop._engine import workspace as _workspace
from skbackprop._training.solvers import MINIBATCH_SAMPLES


def test_unknown_case_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "nosuchcase"])
    assert "unknown case" in capsys.readouterr().err


def _whole_batches(n, batch):
    """``n`` rounded up to a multiple of ``batch`` (1 for full batches)."""
    return -(-n // batch) * batch


# The quick cases, smaller still: this checks what is computed, not how fast.
# Sparse rows keep enough features to have a few nonzeros each. The samples
# are whole batches, on which MLPRegressor's penalty is the one here
# (`competitors.l2_of_alpha`).
SMALL_QUICK_CASES = [
    replace(
        c,
        n=_whole_batches(max(c.n // 8, 400), c.batch or 1),
        m=min(c.m, 50 if c.density is None else 2000),
        epochs=2,
    )
    for c in cases.QUICK_CASES
]
# And a full-batch case as large as the data on which solver="auto" takes
# mini-batches: it is full-batch gradient descent all the same.
TINY_CASES = [
    *SMALL_QUICK_CASES,
    replace(cases.CASES[0], name="full64 large", n=MINIBATCH_SAMPLES, m=10, H=8),
]


def test_quick_benchmark_prints_every_case(capsys, monkeypatch):
    # All but the threads case, which runs searches in fresh processes (below);
    # the cases on less data than --quick's, which prints and runs them the same.
    monkeypatch.setattr(bench_main, "QUICK_CASES", SMALL_QUICK_CASES)
    wanted = [name for name in NAMES if name != "threads"]
    argv = ["bench", "--quick", "--no-torch", "--rounds", "1", "--seeds", "1"]
    assert main([*argv, *wanted]) == 0
    out = capsys.readouterr().out
    for case in SMALL_QUICK_CASES:
        assert f"\n{case.name}: n={case.n} m={case.m}" in out
    assert "Summary (median ms/epoch" in out
    # the defaults case's quick version: two small data sets, every variant
    for data_set in ("iris", "moons"):
        assert f"\n{data_set} " in out
    assert "total fit time, +n_iter_no_change=5" in out
    # and the regressor's: diabetes and the penguins
    for data_set in ("diabetes", "penguins"):
        assert f"\n{data_set} " in out
    assert "total fit time (sum of the medians): skb" in out


@pytest.mark.parametrize("case", TINY_CASES, ids=lambda case: case.name)
def test_competitors_train_the_same_network_the_same_way(case):
    # Same data, same start, same update rule: the final training losses agree
    # to rounding. A competitor with another network, step, Adam or batch order
    # would end elsewhere. Prediction with the start weights gives their loss.
    use_torch = competitors.torch_available() and competitors.Torch.takes_part(case)
    result, x_bytes = timing.run_case(case, 1, use_torch, gemm_size=64)
    mlp = "MLPRegressor" if case.regression else "MLPClassifier"
    names = ["skbackprop", mlp] + (["torch"] if use_torch else [])
    assert list(result.ms) == names
    assert all(np.isfinite(t) and t > 0 for t in result.ms.values())
    X, y = cases.make_data(case)
    layout, theta0 = cases.initial_theta(case)
    start = cases.training_loss(case, X, y, *layout.unpack(theta0))
    tolerance = 1e-8 if case.dtype == np.float64 else 1e-4
    for name in names:
        if case.predict:
            assert result.loss[name] == pytest.approx(start, rel=tolerance), name
        else:
            assert result.loss[name] < start, name  # it trained
        assert result.loss[name] == pytest.approx(
            result.loss["skbackprop"], rel=tolerance
        ), name


@pytest.mark.parametrize("case_list", [cases.CASES, cases.QUICK_CASES])
def test_regression_cases_have_the_shapes_of_the_classification_cases(case_list):
    # Their ratios compare with the classifier's: the same data sizes, network,
    # batch, dtype, epochs and rule, with one identity output unit.
    by_name = {case.name: case for case in case_list}
    regression = [case for case in case_list if case.regression]
    assert sorted(case.name for case in regression) == sorted(
        f"reg{name}" for name in ("full64", "full32", "mini200", "adam200", "online")
    )
    rules = set()
    for case in regression:
        base = by_name[case.name.removeprefix("reg")]
        assert not base.regression
        assert replace(case, name=base.name, K=base.K, regression=False) == base
        assert (case.n_outputs, case.output) == (1, "identity")
        rules.add((case.batch, case.solver))
        X, y = cases.make_data(case)
        assert X.shape == (case.n, case.m) and X.dtype == case.dtype
        assert y.shape == (case.n,) and y.dtype == case.dtype
        tolerance = 1e-12 if case.dtype == np.float64 else 1e-5
        assert abs(y.mean()) < tolerance
        assert y.std() == pytest.approx(1.0, rel=tolerance)
    assert rules == {(None, "sgd"), (200, "sgd"), (200, "adam"), (1, "sgd")}


@pytest.mark.parametrize(
    "case",
    [case for case in SMALL_QUICK_CASES if case.regression],
    ids=lambda case: case.name,
)
def test_regression_competitors_take_the_same_penalty(case, monkeypatch):
    # With a penalty that moves the weights, MLPRegressor's alpha and the l2
    # it converts to give the same weights; without the penalty they end
    # elsewhere, so the penalty was applied.
    X, y = cases.make_data(case)
    _, theta0 = cases.initial_theta(case)

    def trained(kind):
        player = kind(case, X, y, theta0)
        player.reset()
        player.fit(case.epochs)
        return np.concatenate([np.ravel(a) for a in player.weights()])

    monkeypatch.setattr(competitors, "ALPHA", 0.05 * case.batch_size)  # l2 = 0.05
    ours = trained(competitors.Skbackprop)
    theirs = trained(competitors.MLP)
    tolerance = 1e-8 if case.dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)
    monkeypatch.setattr(competitors, "ALPHA", 0.0)
    unpenalised = trained(competitors.Skbackprop)
    assert np.linalg.norm(unpenalised - ours) > 100 * tolerance * np.linalg.norm(ours)


@pytest.mark.parametrize(
    "case",
    [
        case
        for case in cases.QUICK_CASES
        if case.batch is None and case.density is None and not case.predict
    ],
    ids=lambda case: case.name,
)
def test_full_batch_fit_adds_less_than_its_memory_budget(case):
    # At most 3 n (H + K') itemsize beyond X and the parameters. (That X itself is
    # not copied is tested in test_solvers.)
    X, y = cases.make_data(case)
    layout, theta0 = cases.initial_theta(case)
    ours = competitors.Skbackprop(case, X, y, theta0)
    added = timing.added_peak_memory(ours, 2)
    itemsize = np.dtype(case.dtype).itemsize
    assert added < 3 * case.n * (case.H + case.n_outputs) * itemsize


@pytest.mark.parametrize(
    "case",
    [case for case in cases.QUICK_CASES if case.density is not None],
    ids=lambda case: case.name,
)
def test_sparse_fit_adds_no_more_memory_than_mlpclassifier(case):
    # On wide sparse X the arrays of the weights' size dominate: the gradient,
    # the monitor's copies, a pass's scratch. A fit must not add more of them
    # than MLPClassifier's does.
    X, y = cases.make_data(case)
    layout, theta0 = cases.initial_theta(case)
    ours = competitors.Skbackprop(case, X, y, theta0)
    mlp = competitors.MLP(case, X, y, theta0)
    ours_peak = timing.added_peak_memory(ours, 2)
    assert ours_peak <= timing.added_peak_memory(mlp, 2)


def test_the_settings_of_the_run_are_printed(capsys):
    assert main(["bench", "--quick", "--no-torch", "--rounds", "1", "online"]) == 0
    out = capsys.readouterr().out
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas
    for lib in blas:
        assert f"{lib['internal_api']} {lib['version']} (" in out
        assert f"at {lib['num_threads']} threads" in out
    assert "thread variables:" in out
    assert "with BLAS at one thread inside" in out
    assert "skbackprop's passes on 1 thread(s); GEMM on as many" in out


@pytest.mark.parametrize("n_threads", [1, 2])
def test_gemm_reference_runs_as_the_passes_do(monkeypatch, n_threads):
    # ``n_threads`` products at once, each on its own thread, BLAS at one thread
    # inside each; BLAS as it was afterwards.
    libs = _workspace.blas_controller().lib_controllers
    before = [lib.num_threads for lib in libs]
    seen = []
    matmul = np.matmul

    def recording_matmul(*args, **kwargs):
        seen.append((threading.get_ident(), tuple(lib.num_threads for lib in libs)))
        return matmul(*args, **kwargs)

    monkeypatch.setattr(timing.np, "matmul", recording_matmul)
    rate = timing.gemm_rate(np.float64, 32, n_threads)
    monkeypatch.undo()
    assert rate > 0
    assert len(seen) == 5 * n_threads  # best of five
    assert {counts for _, counts in seen} == {(1,) * len(libs)}
    assert len({thread for thread, _ in seen}) == n_threads
    assert [lib.num_threads for lib in libs] == before


def test_cases_say_the_threads_of_their_passes():
    case = cases.CASES[0]
    assert case.batch is None and case.n * case.m * case.H > 10**8  # a large pass
    with threadpool_limits(limits=1, user_api="blas"):
        assert timing.pass_threads(case) == 1
    with threadpool_limits(limits=2, user_api="blas"):
        assert timing.pass_threads(case) == 2
    mini = next(c for c in cases.QUICK_CASES if c.batch and c.batch > 1)
    assert timing.pass_threads(mini) == 1


def test_threads_case_runs_each_search_in_fresh_processes(capsys, monkeypatch):
    # A tiny search keeps this quick; what is checked is that each setting ran
    # with the BLAS threads it claims, on both machine states, and that the
    # process that kept a core busy is gone afterwards.
    monkeypatch.setattr(
        threads,
        "SEARCHES",
        {"iris": ("load_iris", {"learning_rate": [1.0], "n_hidden": [4]}, 2)},
    )
    busy = []
    enter = threads.busy_core.__enter__

    def recording_enter(self):
        busy.append(enter(self).process)
        return self

    monkeypatch.setattr(threads.busy_core, "__enter__", recording_enter)
    times, loads, blas = threads.run_threads(rounds=1)
    assert set(times) == {
        (state, "iris", setting)
        for state in threads.MACHINE_STATES
        for setting in threads.SETTINGS
    }
    assert all(len(t) == 1 and min(t) > 0 for t in times.values())
    assert blas["1 thread"] == {1}
    assert blas["default"] and min(blas["default"]) >= 1
    assert len(busy) == 1 and busy[0].poll() is not None  # killed
    threads.print_threads(times, loads, blas, 1)
    out = capsys.readouterr().out
    assert "iris (1 candidates x 2 folds)" in out
    for state in threads.MACHINE_STATES:
        assert f"  {state:<15}iris" in out
