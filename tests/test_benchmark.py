"""`python -m skbackprop bench`: a smoke test of --quick, and the honesty of the
comparison (every competitor computes the same thing). No timing assertions."""

from dataclasses import replace

import numpy as np
import pytest

from skbackprop import _benchmark
from skbackprop.__main__ import main


def test_quick_benchmark_prints_every_case(capsys):
    assert (
        main(["bench", "--quick", "--no-torch", "--rounds", "1", "--seeds", "1"]) == 0
    )
    out = capsys.readouterr().out
    for case in _benchmark.QUICK_CASES:
        assert f"\n{case.name}: n={case.n} m={case.m}" in out
    assert "Summary (median ms/epoch" in out
    for data_set in ("digits", "breast cancer", "iris", "wine", "moons"):
        assert f"  {data_set} " in out


def test_unknown_case_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "nosuchcase"])
    assert "unknown case" in capsys.readouterr().err


# The quick cases, smaller still: this checks what is computed, not how fast.
# Sparse rows keep enough features to have a few nonzeros each.
TINY_CASES = [
    replace(
        c,
        n=max(c.n // 8, 400),
        m=min(c.m, 50 if c.density is None else 2000),
        epochs=2,
    )
    for c in _benchmark.QUICK_CASES
]


@pytest.mark.parametrize("case", TINY_CASES, ids=lambda case: case.name)
def test_competitors_train_the_same_network_the_same_way(case):
    # Same data, same start, same update rule: the final training losses agree
    # to rounding. A competitor with another network, step, Adam or batch order
    # would end elsewhere. Prediction with the start weights gives their loss.
    use_torch = _benchmark.torch_available() and _benchmark.Torch.takes_part(case)
    result, x_bytes = _benchmark.run_case(case, 1, use_torch, gemm_size=64)
    names = ["skbackprop", "MLPClassifier"] + (["torch"] if use_torch else [])
    assert list(result.ms) == names
    assert all(np.isfinite(t) and t > 0 for t in result.ms.values())
    X, y = _benchmark.make_data(case)
    layout, theta0 = _benchmark.initial_theta(case)
    start = _benchmark.training_loss(case, X, y, *layout.unpack(theta0))
    tolerance = 1e-8 if case.dtype == np.float64 else 1e-4
    for name in names:
        if case.predict:
            assert result.loss[name] == pytest.approx(start, rel=tolerance), name
        else:
            assert result.loss[name] < start, name  # it trained
        assert result.loss[name] == pytest.approx(
            result.loss["skbackprop"], rel=tolerance
        ), name


@pytest.mark.parametrize(
    "case",
    [
        case
        for case in _benchmark.QUICK_CASES
        if case.batch is None and case.density is None and not case.predict
    ],
    ids=lambda case: case.name,
)
def test_full_batch_fit_adds_less_than_its_memory_budget(case):
    # At most 3 n (H + K') itemsize beyond X and the parameters. (That X itself is
    # not copied is tested in test_solvers.)
    X, y = _benchmark.make_data(case)
    layout, theta0 = _benchmark.initial_theta(case)
    ours = _benchmark.Skbackprop(case, X, y, theta0)
    added = _benchmark.added_peak_memory(ours, 2)
    itemsize = np.dtype(case.dtype).itemsize
    assert added < 3 * case.n * (case.H + case.n_outputs) * itemsize


@pytest.mark.parametrize(
    "case",
    [case for case in _benchmark.QUICK_CASES if case.density is not None],
    ids=lambda case: case.name,
)
def test_sparse_fit_adds_no_more_memory_than_mlpclassifier(case):
    # On wide sparse X the arrays of the weights' size dominate: the gradient,
    # the monitor's copies, a pass's scratch. A fit must not add more of them
    # than MLPClassifier's does.
    X, y = _benchmark.make_data(case)
    layout, theta0 = _benchmark.initial_theta(case)
    ours = _benchmark.Skbackprop(case, X, y, theta0)
    mlp = _benchmark.MLP(case, X, y, theta0)
    ours_peak = _benchmark.added_peak_memory(ours, 2)
    assert ours_peak <= _benchmark.added_peak_memory(mlp, 2)
