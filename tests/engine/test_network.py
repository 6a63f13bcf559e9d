"""The plain network against finite differences and against the notes' formulas
(the checks of `_notes`, which the tests of the fast passes apply too)."""

import warnings

import numpy as np
import pytest
from _notes import (
    FINITE_DIFFERENCE_CASES,
    assert_is_the_notes_update,
    assert_matches_finite_differences,
)
from numpy.testing import assert_allclose
from scipy.special import expit

from skbackprop._engine import network as _network


@FINITE_DIFFERENCE_CASES
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(n_outputs, activation, l2):
    assert_matches_finite_differences(_network.loss_gradient, n_outputs, activation, l2)


def test_loss_from_logits_is_finite_where_probabilities_round():
    # Logits of +-800 make the sigmoid round to exactly 0 or 1; a loss written as
    # log(o) would be inf there, the loss from the logits is exact.
    Z = np.array([[800.0], [-800.0]])
    Y = np.array([[0.0], [1.0]])
    assert_allclose(_network.sample_loss(Z, Y, "logistic"), [800.0, 800.0])
    Z = np.array([[1000.0, 0.0, -1000.0]])
    Y = np.array([[0.0, 0.0, 1.0]])
    assert_allclose(_network.sample_loss(Z, Y, "softmax"), [2000.0])


def test_gradient_is_the_notes_sum_over_items_divided_by_n():
    assert_is_the_notes_update(_network.loss_gradient)


def test_layout_views_share_memory():
    layout = _network.Layout(3, 4, 2)
    theta = np.zeros(layout.size)
    p = layout.unpack(theta)
    assert [a.shape for a in p] == [(3, 4), (4,), (4, 2), (2,)]
    for a in p:
        assert np.shares_memory(a, theta)


def test_init_params_draws_from_the_given_rng():
    layout = _network.Layout(5, 7, 3)
    a = _network.init_params(layout, np.random.RandomState(1))
    b = _network.init_params(layout, np.random.RandomState(1))
    assert_allclose(a, b, rtol=0, atol=0)
    p = layout.unpack(a)
    assert np.abs(p.W1).max() <= np.sqrt(2 / 12)
    assert not p.b1.any() and not p.b2.any()
    for dtype in (np.float32, np.float64):
        assert (
            _network.init_params(layout, np.random.RandomState(1), dtype).dtype == dtype
        )


def test_sigmoid_matches_expit_and_does_not_warn_on_overflow():
    z = np.concatenate([np.linspace(-800, 800, 3201), [-np.inf, np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            zd = z.astype(dtype)
            got = _network.sigmoid(zd)
            assert got.dtype == dtype
            assert_allclose(got, expit(zd), rtol=4 * np.finfo(dtype).eps, atol=0)


def test_penalty_is_the_same_to_the_bit_on_any_number_of_threads():
    # OpenBLAS splits a dot product of more than 10000 numbers between threads,
    # which changes its last bits; the L2 term must not depend on that.
    from threadpoolctl import threadpool_limits

    layout = _network.Layout(300, 64, 10)  # 19200 input weights
    theta = np.random.default_rng(0).normal(size=layout.size)
    p = layout.unpack(theta)
    values = []
    for threads in (1, 2, 3):
        with threadpool_limits(threads):
            values.append(_network.penalty(p, 0.5))
    assert values[0] == values[1] == values[2]
    assert values[0] == pytest.approx(0.25 * (p.W1**2).sum() + 0.25 * (p.W2**2).sum())
