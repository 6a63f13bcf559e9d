"""The notes' network, plain: weights, forward pass, loss and gradient.

This module is the mathematics of the user guide, one function per formula:
`forward` computes ``h`` and ``Z``, `output` the output units ``o``,
`sample_loss` and `penalty` the loss, and `loss_gradient` the notes'
backpropagation as four lines of matrix algebra. The units are rows of the
tables of `units`: the hidden activation ``g`` (the notes' sigmoid by
default) and the output unit with its loss. A prediction of one block of
rows or less runs on `forward`, ``hidden_activations`` on `hidden` and early
stopping's validation loss on `loss`; larger predictions run on the blocks of
`_backprop.logits`, and training on the fast passes (`_backprop` for batches,
`_online` for single items), which compute what these functions compute and
are tested against them.

The same functions run on the arrays of any library of the array API
standard (PyTorch, CuPy, array-api-strict), on their device: given that
library's namespace as ``xp``, they compute every array in it, with the units'
portable forms (`units.Activation.in_namespace`); with ``xp=numpy``, the
default, they take the units' fast NumPy forms. Training on a device runs on
them (`_training.on_device`). The weights are drawn on the host.

Pure NumPy and SciPy; nothing here imports scikit-learn or the rest of the
package, keeps global state or draws random numbers except from the generator it
is handed.

Shapes, stated once (row-major, as scikit-learn):

    X   (n, m)      inputs, dense or scipy.sparse; float32 or float64
    W1  (m, H)      input -> hidden weights          b1 (H,)
    W2  (H, K')     hidden -> output weights         b2 (K',)
    h   (n, H)      hidden activations  h = g(A1),  A1 = X W1 + b1
    Z   (n, K')     output logits       Z = h W2 + b2
    o   (n, K')     output units        o = g(Z), or the row-wise softmax of Z
    Y   (n, K')     targets: 0/1 columns for sigmoid outputs, one-hot for softmax,
                    the target values for identity outputs
    s   (n,)        sample weights, normalised so that sum(s) = 1

``g`` is a row of `units.ACTIVATIONS`, named by ``activation``: the notes'
sigmoid ``g(z) = 1 / (1 + e^-z)`` (``"logistic"``, the default), ``"tanh"``,
``"relu"`` or ``"identity"``. The output units are a row of `units.OUTPUTS`,
named by ``output``: ``K' = 1`` for two classes (one sigmoid unit,
``"logistic"``), ``K' = K`` for K > 2 classes (a softmax over K units,
``"softmax"``), ``K' = L`` for L labels of a multilabel problem (one sigmoid
unit per label) and ``K' = k`` for k regression targets (linear units
``o = z``, ``"identity"``, with the squared error).

The four parameter arrays live as views in one flat vector ``theta``: an update of
all of them is one vector operation, and L-BFGS works on ``theta`` directly.
"""

from typing import NamedTuple

import numpy as np
from scipy.sparse import issparse

# The units' tables, and the notes' sigmoid and output names under this module's
# names, where the plain maths has always had them.
from .units import (  # noqa: F401
    ACTIVATIONS,
    IDENTITY,
    OUTPUTS,
    SIGMOID,
    SOFTMAX,
    sigmoid,
)


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

    def unpack(self, theta, xp=np):
        """Return `Params` whose arrays are views of the flat vector ``theta``
        (of the array namespace ``xp``; its library may copy instead)."""
        m, H, K = self
        i1, i2, i3 = m * H, m * H + H, m * H + H + H * K
        return Params(
            xp.reshape(theta[:i1], (m, H)),
            theta[i1:i2],
            xp.reshape(theta[i2:i3], (H, K)),
            theta[i3:],
        )


def init_params(layout, rng, dtype=np.float64, activation="logistic"):
    """Draw initial weights: Glorot-uniform with the hidden unit's gain.

    ``W ~ U(-r, r)`` with ``r = sqrt(gain / (fan_in + fan_out))`` for each layer,
    as MLPClassifier does: the gain (`units.Activation.init_gain`) is 2 for the
    sigmoid units of ``activation="logistic"`` and Glorot and Bengio's 6 for
    the others; biases start at zero. The same numbers are drawn whatever the
    unit, only scaled. ``rng`` is a ``numpy.random.RandomState`` or
    ``Generator``.
    """
    m, H, K = layout
    gain = ACTIVATIONS[activation].init_gain
    theta = np.zeros(layout.size, dtype=dtype)
    W1, _, W2, _ = layout.unpack(theta)
    W1[...] = rng.uniform(-1.0, 1.0, size=(m, H)) * np.sqrt(gain / (m + H))
    W2[...] = rng.uniform(-1.0, 1.0, size=(H, K)) * np.sqrt(gain / (H + K))
    return theta


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


# --------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------
def hidden(X, p, activation="logistic", xp=np):
    """Hidden activations ``h = g(X W1 + b1)``, a new dense array; ``g`` is the
    row ``activation`` of `units.ACTIVATIONS`."""
    g = ACTIVATIONS[activation].in_namespace(xp)
    return g.function(product(X, p.W1), p.b1)


def logits(h, p):
    """Output logits ``Z = h W2 + b2``."""
    return h @ p.W2 + p.b2


def forward(X, p, activation="logistic", xp=np):
    """Return ``(h, Z)``: hidden activations and output logits."""
    h = hidden(X, p, activation, xp)
    return h, logits(h, p)


def product(A, B, out=None):
    """``A @ B`` for dense or sparse ``A``, into ``out`` when given (NumPy)."""
    if issparse(A):
        return sparse_product(A, B, out)
    return A @ B if out is None else np.matmul(A, B, out=out)


def sparse_product(A, B, out=None):
    """``A @ B`` for sparse ``A``: a dense array, written into ``out`` if given."""
    if out is None:
        return np.asarray(A @ B)
    out[...] = A @ B
    return out


def concat(arrays, axis, xp=np):
    """The arrays joined along ``axis``: ``xp.concat``, which NumPy before 2.0
    names ``concatenate``."""
    join = np.concatenate if xp is np else xp.concat
    return join(arrays, axis=axis)


def output(Z, name, xp=np):
    """The output units ``o`` of the row ``name`` of `units.OUTPUTS`: ``g(Z)``
    per column (``"logistic"``), the row-wise softmax (``"softmax"``), or ``Z``
    itself (``"identity"``).

    The softmax is ``e^{z_k} / sum_l e^{z_l}`` (the notes' ``e^{-z}`` has the wrong
    sign), computed with the row maximum subtracted so it cannot overflow.
    """
    return OUTPUTS[name].in_namespace(xp).function(Z)


def log_output(Z, name, xp=np):
    """``log o`` computed from the logits, finite wherever ``Z`` is."""
    return OUTPUTS[name].in_namespace(xp).log_function(Z)


def per_class(function, Z, output, xp=np):
    """``function(Z, output)`` (`output` or `log_output`) with a column per
    class: for two classes, the one sigmoid unit is class 1's probability
    ``g(z)`` and class 0's is ``1 - g(z) = g(-z)``, exact also where ``g(z)``
    rounds to 1."""
    if Z.shape[1] == 1:
        return concat([function(-Z, SIGMOID, xp), function(Z, SIGMOID, xp)], 1, xp)
    return function(Z, output, xp)


# --------------------------------------------------------------------------------------
# Loss
# --------------------------------------------------------------------------------------
def sample_loss(Z, Y, output, xp=np):
    """Per-sample loss ``L_i`` of the output units ``output``, computed from the
    logits, shape (n,): `units.Output.loss`.

    Sigmoid: ``-[y log g(z) + (1-y) log(1-g(z))] = log(1 + e^z) - y z``, summed over
    the sigmoid outputs. Softmax: ``-sum_k y_k log o_k = logsumexp(z) - z[y]``.
    The notes' C is the log-likelihood; the loss is its negative. Identity:
    ``(1/2) sum_k (z_k - y_k)^2``.
    """
    return OUTPUTS[output].in_namespace(xp).loss(Z, Y)


def sum_of_squares(W, xp=np):
    """``|W|^2`` of a contiguous array, the same to the bit on any number of
    threads: a BLAS dot up to 8192 numbers (OpenBLAS splits one of more than
    10000 between threads, and its last bits then depend on their number),
    NumPy's own loop beyond (three times slower, and never split). Other
    array libraries sum in their own way, to a 0-d array on the device."""
    if xp is not np:
        return xp.sum(W * W)
    w = W.reshape(-1)
    return float(np.vdot(w, w) if w.size <= 8192 else np.einsum("i,i->", w, w))


def penalty(p, l2, xp=np):
    """The L2 term ``(l2 / 2) (|W1|^2 + |W2|^2)``; biases are not penalised."""
    if not l2:
        return 0.0
    return 0.5 * l2 * (sum_of_squares(p.W1, xp) + sum_of_squares(p.W2, xp))


def loss(theta, layout, X, Y, s, l2, output, activation="logistic", xp=np):
    """Weighted mean loss (cross-entropy, or squared error) plus the L2 term, at
    ``theta``."""
    p = layout.unpack(theta, xp)
    _, Z = forward(X, p, activation, xp)
    return float(s @ sample_loss(Z, Y, output, xp) + penalty(p, l2, xp))


# --------------------------------------------------------------------------------------
# Backpropagation
# --------------------------------------------------------------------------------------
def loss_gradient(theta, layout, X, Y, s, l2, output, activation="logistic", xp=np):
    """Loss and its gradient with respect to ``theta``: the notes' backpropagation.

    The plain matrix form, whole arrays and one line per formula (user guide,
    "All of it as four matrix products"). `_backprop.loss_gradient` computes the
    same sums block by block, in place and on several threads, and is tested
    against this function.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
        The weights, laid out as `Layout.unpack` reads them.
    layout : Layout
        The network's sizes.
    X : {ndarray, sparse matrix} of shape (n, m)
        Inputs.
    Y : ndarray of shape (n, K')
        Targets.
    s : ndarray of shape (n,)
        Sample weights summing to one: the loss is the weighted mean over items,
        and with ``s_i = 1/n`` the gradient is the notes' sum divided by n.
    l2 : float
        Strength of the L2 term.
    output : {"logistic", "softmax", "identity"}
        The output units and their loss, a row of `units.OUTPUTS`.
    activation : {"logistic", "tanh", "relu", "identity"}, default="logistic"
        The hidden units, a row of `units.ACTIVATIONS`.
    xp : array namespace, default=numpy
        The library of the arrays (PyTorch, CuPy, array-api-strict, through
        ``array_api_compat``): every array is computed in it, on the device of
        ``X``.

    Returns
    -------
    loss : float
        ``C = sum_i s_i L_i + (l2 / 2) (|W1|^2 + |W2|^2)``: the weighted mean
        loss (the user guide's L), not the notes' sum over the items. For
        another library, a 0-d array of it on the device, which ``float()``
        reads: a loop of steps need not wait for the device at each one.
    grad : ndarray of shape (layout.size,)
        ``dC/dtheta``, a new vector laid out like ``theta``.
    """
    W1, b1, W2, b2 = p = layout.unpack(theta, xp)
    g, f = ACTIVATIONS[activation].in_namespace(xp), OUTPUTS[output].in_namespace(xp)

    # Forward: A1 = X W1 + b1, h = g(A1); Z = h W2 + b2; o = g(Z), softmax(Z) or Z.
    h, Z = forward(X, p, activation, xp)
    o = f.function(Z)

    # The loss, from the logits: CE_i = log(1 + e^z) - y z, or logsumexp(z) - z[y],
    # or SE_i = (1/2) sum_k (z_k - y_k)^2.
    C = s @ f.loss(Z, Y) + penalty(p, l2, xp)
    C = float(C) if xp is np else C  # on a device: read when needed (below)

    # Output deltas D2 = dC/dZ = S (o - Y), S = diag(s). For sigmoid with binary
    # cross-entropy and softmax with categorical cross-entropy alike, the
    # derivative of the link cancels that of the log (the notes' o_i - y_i); for
    # identity units with the squared error, d(1/2 (z - y)^2)/dz = z - y = o - y.
    D2 = s[:, None] * f.delta(o, Y)  # D2_ik = s_i (o_ik - y_ik)
    dW2 = h.T @ D2 + l2 * W2  # dC/dw_jk = sum_i h_ij D2_ik + l2 w_jk
    db2 = xp.sum(D2, axis=0)  # dC/db_k = sum_i D2_ik, per output unit k

    # Hidden deltas D1 = dC/dA1: the chain rule back through Z = h W2 + b2 and
    # h = g(A1), with g'(A1) written from h (for the sigmoid, h (1 - h)).
    D1 = (D2 @ W2.T) * g.derivative(h)  # D1_ij = sum_k D2_ik w_jk g'(a_ij)
    dW1 = X.T @ D1 + l2 * W1  # dC/dw_lj = sum_i x_il D1_ij + l2 w_lj
    db1 = xp.sum(D1, axis=0)  # dC/db_j = sum_i D1_ij

    flat = (xp.reshape(dW1, (-1,)), db1, xp.reshape(dW2, (-1,)), db2)
    return C, concat(flat, 0, xp)
