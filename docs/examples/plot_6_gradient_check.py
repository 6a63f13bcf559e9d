"""
=====================================================
Checking backpropagation against finite differences
=====================================================

Backpropagation is the chain rule applied with care, and it is easy to get one
index or one sign wrong (the notes themselves have a few slips, see
:ref:`corrections`). The standard test is to compare each partial derivative it
returns with a difference quotient of the loss:

.. math::

    \\frac{\\partial C}{\\partial w} \\approx
    \\frac{C(w + \\varepsilon) - C(w - \\varepsilon)}{2 \\varepsilon}.

This *central* difference has an error of order :math:`\\varepsilon^2`, against
:math:`\\varepsilon` for the one-sided quotient. This example does the check by
hand, on every weight of a small network, using only the public method
:meth:`~skbackprop.TwoLayerClassifier.loss_gradient`, which returns the loss and
its gradient at the current weights.
"""

# %%
# A small network on iris
# -----------------------
# Three classes, so the output is a softmax. A few iterations of training put the
# weights somewhere ordinary; we add an L2 penalty and uneven sample weights, so
# that every term of the loss is checked.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
clf = TwoLayerClassifier(n_hidden=4, l2=0.01, max_iter=5, random_state=0)
with warnings.catch_warnings():  # 5 iterations are deliberately too few to converge
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y, sample_weight=sample_weight)

loss, (coef_grads, intercept_grads) = clf.loss_gradient(X, y, sample_weight)
print(f"loss at the current weights: {loss:.6f}")
for name, grad in zip(
    ["dC/dW1", "dC/dW2", "dC/db1", "dC/db2"], coef_grads + intercept_grads, strict=True
):
    print(f"{name} has shape {grad.shape}")

# %%
# The difference quotients
# ------------------------
# ``coefs_`` and ``intercepts_`` hold ``[W1, W2]`` and ``[b1, b2]``. We nudge one
# entry at a time by :math:`\pm\varepsilon`, read the loss, and put the entry back.
epsilon = 1e-6


def central_difference(array, index):
    """(C(w + eps) - C(w - eps)) / (2 eps) for the entry ``array[index]``."""
    saved = array[index]
    array[index] = saved + epsilon
    loss_plus = clf.loss_gradient(X, y, sample_weight)[0]
    array[index] = saved - epsilon
    loss_minus = clf.loss_gradient(X, y, sample_weight)[0]
    array[index] = saved
    return (loss_plus - loss_minus) / (2 * epsilon)


analytic, numeric, names = [], [], []
for name, params, grads in [
    ("W1", clf.coefs_[0], coef_grads[0]),
    ("b1", clf.intercepts_[0], intercept_grads[0]),
    ("W2", clf.coefs_[1], coef_grads[1]),
    ("b2", clf.intercepts_[1], intercept_grads[1]),
]:
    for index in np.ndindex(params.shape):
        analytic.append(grads[index])
        numeric.append(central_difference(params, index))
        names.append(name)
analytic, numeric, names = np.array(analytic), np.array(numeric), np.array(names)

relative_error = np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric)
print(f"{analytic.size} partial derivatives checked")
print(f"relative error |analytic - numeric| / |numeric| = {relative_error:.2e}")
print(f"largest absolute difference: {np.abs(analytic - numeric).max():.2e}")

# %%
# The two agree to about :math:`10^{-9}` or better, which is as close as a
# difference quotient with :math:`\varepsilon = 10^{-6}` can get in double
# precision (its rounding error is about :math:`10^{-16} / \varepsilon`). A wrong
# formula would be off by a relative error of order one. The package's tests run
# the same check, with a tolerance of :math:`10^{-6}`, for two classes, several
# classes, an L2 penalty and sample weights.
#
# Each dot below is one weight or bias; on the diagonal the two methods agree.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
for name, marker in zip(["W1", "b1", "W2", "b2"], "os^D", strict=True):
    chosen = names == name
    left.scatter(numeric[chosen], analytic[chosen], marker=marker, label=name)
limits = [min(numeric.min(), analytic.min()), max(numeric.max(), analytic.max())]
left.plot(limits, limits, color="gray", lw=1, zorder=0)
left.set_xlabel("finite difference")
left.set_ylabel("backpropagation")
left.set_title("each partial derivative, both ways")
left.legend()

difference = np.abs(analytic - numeric)
right.semilogy(difference, ".", color="tab:red")
right.set_xlabel("parameter index (W1, b1, W2, b2)")
right.set_ylabel("|backpropagation - finite difference|")
right.set_title("their difference")
plt.show()

# %%
# The same check with SciPy
# -------------------------
# :func:`scipy.optimize.check_grad` does the one-sided version of this in one call,
# given the loss and the gradient as functions of one flat parameter vector.
from scipy.optimize import check_grad

shapes = [a.shape for a in clf.coefs_ + clf.intercepts_]
sizes = np.cumsum([np.prod(s) for s in shapes])[:-1]


def set_weights(theta):
    W1, W2, b1, b2 = (
        p.reshape(s) for p, s in zip(np.split(theta, sizes), shapes, strict=True)
    )
    clf.coefs_, clf.intercepts_ = [W1, W2], [b1, b2]


def loss_at(theta):
    set_weights(theta)
    return clf.loss_gradient(X, y, sample_weight)[0]


def gradient_at(theta):
    set_weights(theta)
    coef_grads, intercept_grads = clf.loss_gradient(X, y, sample_weight)[1]
    return np.concatenate([g.ravel() for g in coef_grads + intercept_grads])


theta = np.concatenate([a.ravel() for a in clf.coefs_ + clf.intercepts_])
error = check_grad(loss_at, gradient_at, theta)
print(f"check_grad: |gradient - forward differences| = {error:.2e}")
print(f"against |gradient| = {np.linalg.norm(gradient_at(theta)):.2e}")
