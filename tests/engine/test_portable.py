"""The plain maths of `network` written against an array namespace: on
PyTorch and array-api-strict it computes the loss and gradient of the NumPy
reference, for every hidden and output unit, and each portable unit is the
fast NumPy unit."""

import numpy as np
import pytest
from _optional import require
from numpy.testing import assert_allclose

from skbackprop._engine import network as N
from skbackprop._engine.units import ACTIVATIONS, OUTPUTS
from skbackprop._training import arrays

OUTPUT_CASES = [("logistic", 1), ("logistic", 3), ("softmax", 4), ("identity", 3)]


def namespaces():
    torch, strict = require("torch"), require("array_api_strict")
    return {
        "torch": (arrays.namespace(torch.zeros(1)), torch.device("cpu")),
        "array_api_strict": (strict, strict.Device("device1")),
    }


@pytest.fixture(scope="module", params=["torch", "array_api_strict"])
def xp_device(request):
    return namespaces()[request.param]


def problem(output, K, activation, rng):
    n, m, H = 40, 6, 5
    layout = N.Layout(m, H, K)
    theta = N.init_params(layout, rng, activation=activation)
    theta += 0.3 * rng.normal(size=theta.shape)  # away from the start's symmetry
    X = rng.normal(size=(n, m))
    if output == "softmax":
        Y = N.targets(rng.randint(0, K, n), K, np.float64)
    elif output == "logistic":
        Y = (rng.rand(n, K) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(n, K))
    s = rng.rand(n)
    return layout, theta, X, Y, s / s.sum()


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("output, K", OUTPUT_CASES)
def test_loss_gradient_in_another_library_is_the_numpy_one(
    xp_device, output, K, activation
):
    xp, device = xp_device
    layout, theta, X, Y, s = problem(output, K, activation, np.random.RandomState(0))
    loss, grad = N.loss_gradient(theta, layout, X, Y, s, 0.01, output, activation)

    def moved(a):
        return xp.asarray(a, device=device)

    args = (moved(theta), layout, moved(X), moved(Y), moved(s), 0.01, output)
    loss_xp, grad_xp = N.loss_gradient(*args, activation, xp=xp)
    # the loss stays on the device, as a 0-d array, until it is read
    assert loss_xp.shape == () and arrays.device(loss_xp) == device
    assert arrays.device(grad_xp) == device
    assert float(loss_xp) == pytest.approx(loss, rel=1e-14)
    assert_allclose(arrays.to_numpy(grad_xp), grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("output, K", OUTPUT_CASES)
def test_outputs_and_their_logarithms_in_another_library(xp_device, output, K):
    xp, device = xp_device
    Z = np.random.RandomState(1).normal(scale=30, size=(20, K))  # far into the tails
    Z_xp = xp.asarray(Z, device=device)
    assert_allclose(
        arrays.to_numpy(N.per_class(N.output, Z_xp, output, xp)),
        N.per_class(N.output, Z, output),
        rtol=1e-13,
        atol=1e-300,
    )
    if OUTPUTS[output].log_function is not None:
        assert_allclose(
            arrays.to_numpy(N.per_class(N.log_output, Z_xp, output, xp)),
            N.per_class(N.log_output, Z, output),
            rtol=1e-13,
        )


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_portable_units_are_the_fast_units_on_numpy(name):
    # The portable form, run on NumPy arrays, against the in-place fast form.
    unit = ACTIVATIONS[name]
    A = np.random.RandomState(2).normal(scale=5, size=(30, 7))
    b = np.linspace(-1, 1, 7)
    h = unit.function(A.copy(), b)
    assert_allclose(unit.portable.function(A + b, np), h, rtol=1e-15, atol=0)
    assert_allclose(
        unit.portable.derivative(h, np), unit.derivative(h), rtol=1e-15, atol=0
    )
