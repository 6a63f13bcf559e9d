"""The one-item kernel of online learning against the plain network of `_network`."""

import numpy as np
import pytest
from _notes import make_problem
from numpy.testing import assert_allclose

from skbackprop._engine import network as _network
from skbackprop._engine import online as _online


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l2", [0.0, 0.01])
def test_one_item_kernel_gives_the_weights_of_the_plain_formulas(
    l2, dtype, monkeypatch
):
    # Online learning of the notes' network, one item per step, takes the kernel
    # written with the notes' per-item scalars and BLAS calls; it must agree with
    # the plain formulas step by step.
    calls = []
    kernel = _online.ItemLossGradient._one_unit_item

    def counted(self, *args):
        calls.append(1)
        return kernel(self, *args)

    monkeypatch.setattr(_online.ItemLossGradient, "_one_unit_item", counted)
    rng = np.random.default_rng(4)
    layout, X, Y, _, _, activation = make_problem(1, rng, n=40, m=5, H=7)
    theta_fast = _network.init_params(layout, np.random.RandomState(0), dtype)
    theta_plain = theta_fast.astype(float)
    item = _online.ItemLossGradient(
        layout, X.astype(dtype), Y.astype(dtype), l2, activation
    )
    one = np.ones(1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for _ in range(3):
        for i in range(len(X)):
            rows = slice(i, i + 1)
            fast = item(theta_fast, i)
            plain = _network.loss_gradient(
                theta_plain, layout, X[rows], Y[rows], one, l2, activation
            )
            assert fast[1].dtype == dtype
            assert fast[0] == pytest.approx(plain[0], rel=tol, abs=tol * 1e-3)
            theta_fast -= dtype(0.5) * fast[1]
            theta_plain -= 0.5 * plain[1]
    assert_allclose(
        theta_fast, theta_plain, rtol=0, atol=1e-10 if dtype == np.float64 else 1e-4
    )
    assert len(calls) == 3 * len(X)


@pytest.mark.parametrize(
    "n_outputs, activation, sparse",
    [(3, "softmax", False), (2, "logistic", False), (1, "logistic", True)],
    ids=["softmax", "multilabel", "sparse"],
)
def test_one_item_gradient_of_other_networks_is_the_one_row_gradient(
    n_outputs, activation, sparse
):
    import scipy.sparse as sp

    rng = np.random.default_rng(5)
    layout, X, Y, _, theta, activation = make_problem(
        n_outputs, rng, n=6, activation=activation
    )
    item = _online.ItemLossGradient(
        layout, sp.csr_matrix(X) if sparse else X, Y, 0.1, activation
    )
    assert not item.per_item
    for i in range(len(X)):
        value, grad = item(theta, i)
        expected = _network.loss_gradient(
            theta, layout, X[i : i + 1], Y[i : i + 1], np.ones(1), 0.1, activation
        )
        assert value == pytest.approx(expected[0], rel=1e-12)
        assert_allclose(grad, expected[1], rtol=0, atol=1e-12)
