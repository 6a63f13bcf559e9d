"""`python -m skbackprop bench --device`: the estimators on PyTorch tensors
against their NumPy path and a plain PyTorch loop. The three fit the same
network, and the run says what it timed. No timing assertions."""

import os

import numpy as np
import pytest
from _optional import require

from skbackprop.__main__ import main
from skbackprop._bench import device

pytestmark = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before SciPy is imported",
)


@pytest.mark.parametrize("case", device.CPU_CASES + device.CUDA_CASES)
def test_the_estimators_have_the_network_of_the_case(case):
    for solver in ("gd", "lbfgs"):
        model = device.estimator(case, solver)
        assert (model.n_hidden, model.max_iter, model.solver) == (
            case.H,
            case.epochs,
            solver,
        )


def test_the_numpy_path_the_estimator_on_torch_and_the_loop_fit_one_network():
    torch = require("torch")
    case = device.QUICK_CASES[0]
    X, y = device.data(case)
    model = device.estimator(case, "gd").fit(X, y)
    assert model.coefs_[0].shape == (case.m, case.H)
    assert model.coefs_[1].shape == (case.H, case.K)
    assert device.torch_loop(torch, X, y, case, "cpu", 1) > 0


def test_quick_run_on_the_cpu(capsys):
    require("torch")
    assert main(["bench", "--device", "cpu", "--quick", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    case = device.QUICK_CASES[0]
    assert f"cpu: {case.label}, {case.epochs} epochs per fit" in out
    for row in (
        "gd     numpy (CPU)",
        "gd     skbackprop on torch:cpu",
        "gd     torch loop:cpu",
        "lbfgs  numpy (CPU)",
        "lbfgs  skbackprop on torch:cpu",
    ):
        assert row in out
    assert "lbfgs  torch loop" not in out  # the loop takes plain steps only
    assert np.dtype(case.dtype).name in out


def test_a_device_pytorch_does_not_see_is_said(capsys):
    torch = require("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SystemExit, match="sees no such device.*--device cpu"):
        main(["bench", "--device", "cuda", "--quick"])
