"""The numerics of the lecture notes' network: forward pass, loss, backpropagation.

Pure NumPy and SciPy; nothing here imports scikit-learn, keeps global state or
draws random numbers except from the generator it is handed.

Shapes, stated once (row-major, as scikit-learn):

    X   (n, m)      inputs, dense or scipy.sparse; float32 or float64
    W1  (m, H)      input -> hidden weights          b1 (H,)
    W2  (H, K')     hidden -> output weights         b2 (K',)
    h   (n, H)      hidden activations  h = g(X W1 + b1)
    Z   (n, K')     output logits       Z = h W2 + b2
    Y   (n, K')     targets: 0/1 columns for sigmoid outputs, one-hot for softmax
    s   (n,)        sample weights, normalised so that sum(s) = 1

``K' = 1`` for two classes (one sigmoid unit), ``K' = K`` for K > 2 classes (a
softmax over K units) and ``K' = L`` for L labels of a multilabel problem (one
sigmoid unit per label).

The four parameter arrays live as views in one flat vector ``theta``: an update of
all of them is one vector operation, and L-BFGS works on ``theta`` directly.
"""

from typing import NamedTuple

import numpy as np
from scipy.sparse import issparse
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax

from ._workspace import Workspace

SIGMOID = "logistic"  # output activation names, as in MLPClassifier
SOFTMAX = "softmax"


# --------------------------------------------------------------------------------------
# Parameters: one flat vector, four views
# --------------------------------------------------------------------------------------
class Params(NamedTuple):
    """Views ``(W1, b1, W2, b2)`` into a flat parameter (or gradient) vector."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


class Layout(NamedTuple):
    """Sizes of the network: m inputs, H hidden units, K' outputs."""

    n_features: int
    n_hidden: int
    n_outputs: int

    @property
    def size(self):
        m, H, K = self
        return m * H + H + H * K + K

    def unpack(self, theta):
        """Return `Params` whose arrays are views of the flat vector ``theta``."""
        m, H, K = self
        i1, i2, i3 = m * H, m * H + H, m * H + H + H * K
        return Params(
            theta[:i1].reshape(m, H),
            theta[i1:i2],
            theta[i2:i3].reshape(H, K),
            theta[i3:],
        )


def init_params(layout, rng, dtype=np.float64):
    """Draw initial weights: Glorot-uniform with the sigmoid's factor 2.

    ``W ~ U(-r, r)`` with ``r = sqrt(2 / (fan_in + fan_out))`` for each layer, as
    MLPClassifier does for logistic units; biases start at zero. ``rng`` is a
    ``numpy.random.RandomState`` or ``Generator``.
    """
    m, H, K = layout
    theta = np.zeros(layout.size, dtype=dtype)
    W1, _, W2, _ = layout.unpack(theta)
    W1[...] = rng.uniform(-1.0, 1.0, size=(m, H)) * np.sqrt(2.0 / (m + H))
    W2[...] = rng.uniform(-1.0, 1.0, size=(H, K)) * np.sqrt(2.0 / (H + K))
    return theta


# --------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------
def sigmoid(A, out=None):
    """``g(z) = 1 / (1 + e^-z)`` elementwise, written into ``out`` (which may be ``A``).

    Four vectorised NumPy passes, each exact to rounding, so as accurate as
    ``scipy.special.expit`` and 2.5 times faster (expit is not vectorised). For
    ``z`` below about -709 (-88 in float32) ``e^-z`` overflows to ``inf`` and
    ``1 / (1 + inf) = 0`` is the exact limit, so that overflow is not an error.
    """
    out = np.negative(A, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def hidden(X, p):
    """Hidden activations ``h = g(X W1 + b1)``, a new dense array."""
    A1 = _product(X, p.W1)
    A1 += p.b1
    return sigmoid(A1, out=A1)


def logits(h, p):
    """Output logits ``Z = h W2 + b2``."""
    Z = h @ p.W2
    Z += p.b2
    return Z


def forward(X, p):
    """Return ``(h, Z)``: hidden activations and output logits."""
    h = hidden(X, p)
    return h, logits(h, p)


def output(Z, activation):
    """The output units ``o``: ``g(Z)`` per column, or the row-wise softmax.

    The softmax is ``e^{z_k} / sum_l e^{z_l}`` (the notes' ``e^{-z}`` has the wrong
    sign), computed with the row maximum subtracted so it cannot overflow.
    """
    return expit(Z) if activation == SIGMOID else softmax(Z, axis=1)


def log_output(Z, activation):
    """``log o`` computed from the logits, finite wherever ``Z`` is."""
    return log_expit(Z) if activation == SIGMOID else log_softmax(Z, axis=1)


# --------------------------------------------------------------------------------------
# Loss
# --------------------------------------------------------------------------------------
def cross_entropy(Z, Y, activation):
    """Per-sample cross-entropy ``CE_i``, computed from the logits, shape (n,).

    Sigmoid: ``-[y log g(z) + (1-y) log(1-g(z))] = log(1 + e^z) - y z``, summed over
    the sigmoid outputs. Softmax: ``-sum_k y_k log o_k = logsumexp(z) - z[y]``.
    The notes' C is the log-likelihood; the loss is its negative.
    """
    if activation == SIGMOID:
        return (np.logaddexp(0.0, Z) - Y * Z).sum(axis=1)
    return logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)


def penalty(p, l2):
    """The L2 term ``(l2 / 2) (|W1|^2 + |W2|^2)``; biases are not penalised."""
    if not l2:
        return 0.0
    return 0.5 * l2 * (np.vdot(p.W1, p.W1) + np.vdot(p.W2, p.W2))


def loss(theta, layout, X, Y, s, l2, activation):
    """Weighted mean cross-entropy plus the L2 term, at ``theta``."""
    p = layout.unpack(theta)
    _, Z = forward(X, p)
    return float(s @ cross_entropy(Z, Y, activation) + penalty(p, l2))


# --------------------------------------------------------------------------------------
# Backpropagation
# --------------------------------------------------------------------------------------
def loss_gradient(theta, layout, X, Y, s, l2, activation, *, out=None, work=None):
    """Loss and its gradient with respect to ``theta``, by backpropagation.

    Returns ``(loss, grad)`` with ``grad`` laid out like ``theta``: ``out`` when
    given (it is overwritten), else a new vector. ``s`` must sum to one, so the
    loss is the weighted mean over items; with ``s_i = 1/n`` the gradient is the
    notes' sum divided by n.

    The loss and the gradient are sums over rows, computed block of rows by block
    of rows with the buffers and threads of ``work``, a `_workspace.Workspace`
    made for this call when not given (a training loop passes its own).
    """
    if work is None or not work.fits(layout, X.shape[0], theta.dtype):
        with Workspace(layout, X.shape[0], theta.dtype) as work:
            return loss_gradient(
                theta, layout, X, Y, s, l2, activation, out=out, work=work
            )
    p = layout.unpack(theta)
    grad = np.empty_like(theta) if out is None else out
    rows = work.rows

    def chunk(start, stop, grad, block):
        g = layout.unpack(grad)
        value = 0.0
        for first in range(start, stop, rows):
            i = slice(first, min(first + rows, stop))
            value += _block_loss_gradient(
                p, X[i], Y[i], s[i], activation, block, g, add=first > start
            )
        return value

    value = work.run(chunk, grad)
    if l2:  # d/dW (l2/2)|W|^2 = l2 W
        value += penalty(p, l2)
        g = layout.unpack(grad)
        g.W1[...] += l2 * p.W1
        g.W2[...] += l2 * p.W2
    return float(value), grad


def _block_loss_gradient(p, X, Y, s, activation, block, g, add):
    """The share ``sum_i s_i CE_i`` of the loss of the rows of one block.

    Their gradient is written to the views ``g``, or added to them if ``add``;
    ``block`` holds the scratch arrays.
    """
    r = X.shape[0]
    h, D1, Z, ce = block.h[:r], block.D1[:r], block.Z[:r], block.ce[:r]

    _product(X, p.W1, out=h)  # A1 = X W1 + b1, h = g(A1)
    h += p.b1
    sigmoid(h, out=h)
    np.matmul(h, p.W2, out=Z)  # Z = h W2 + b2
    Z += p.b2

    # Loss from the logits, then the output delta in place of the logits. For the
    # canonical pairs -- sigmoid with binary cross-entropy, softmax with categorical
    # cross-entropy -- dCE/dZ = o - y: the derivative of the link cancels the
    # derivative of the log (the notes' (o_i - y_i)).
    _cross_entropy_and_residual(Z, Y, activation, ce)
    D2 = Z
    D2 *= s[:, None]  # weighted mean: item i counts s_i

    # dC/dW2 = sum_i (o_i - y_i) h_i, dC/db2 = sum_i (o_i - y_i), per output unit k
    _product_into(g.W2, h.T, D2, block.W2, add)
    _set_or_add(g.b2, D2.sum(axis=0), add)

    # Chain rule into the hidden layer: dC/dA1 = (D2 W2^T) * g'(A1), and
    # g'(A1) = g(A1)(1 - g(A1)) = h (1 - h), written from the output h.
    np.matmul(D2, p.W2.T, out=D1)
    D1 *= h
    np.subtract(1.0, h, out=h)  # h is not needed any more: reuse it for 1 - h
    D1 *= h

    # dC/dW1 = sum_i x_i^T D1_i, dC/db1 = sum_i D1_i
    _product_into(g.W1, X.T, D1, block.W1, add)
    _set_or_add(g.b1, D1.sum(axis=0), add)
    return s @ ce


def _cross_entropy_and_residual(Z, Y, activation, ce):
    """Write each row's cross-entropy into ``ce`` and replace ``Z`` by ``o - Y``.

    As `cross_entropy` and `output`, sharing the exponentials between them.
    """
    if activation == SIGMOID:
        # CE = log(1 + e^z) - y z per sigmoid unit, summed over the units
        np.sum(np.logaddexp(0.0, Z) - Y * Z, axis=1, out=ce)
        sigmoid(Z, out=Z)  # o = g(z)
    else:
        Z -= Z.max(axis=1, keepdims=True)  # softmax(z) = softmax(z - max z)
        np.sum(Y * Z, axis=1, out=ce)  # z[y], as each row of Y is one-hot
        np.exp(Z, out=Z)
        total = Z.sum(axis=1)  # sum_l e^{z_l}
        np.subtract(np.log(total), ce, out=ce)  # CE = logsumexp(z) - z[y]
        Z /= total[:, None]  # o = softmax(z)
    Z -= Y


def _product_into(target, A, B, scratch, add):
    """``target = A @ B``, or ``target += A @ B`` by way of ``scratch`` if ``add``."""
    if add:
        target += _product(A, B, out=scratch)
    else:
        _product(A, B, out=target)


def _set_or_add(target, value, add):
    if add:
        target += value
    else:
        target[...] = value


def _product(A, B, out=None):
    """``A @ B`` for dense or sparse ``A``, into ``out`` when given."""
    if issparse(A):
        if out is None:
            return np.asarray(A @ B)
        out[...] = A @ B
        return out
    return np.matmul(A, B, out=out)


def targets(y_index, n_classes, dtype):
    """Target matrix ``Y`` from class indices 0..K-1.

    Two classes: one column, ``y = 1`` for the second class (the sigmoid unit).
    More: one-hot rows ``y_ik = 1{y_i = k}`` (the softmax units).
    """
    if n_classes == 2:
        return y_index.astype(dtype).reshape(-1, 1)
    Y = np.zeros((len(y_index), n_classes), dtype=dtype)
    Y[np.arange(len(y_index)), y_index] = 1
    return Y
