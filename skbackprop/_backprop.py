"""The fast full-batch pass: the loss and gradient of many rows, block by block.

It computes what `_network.loss_gradient` computes -- the notes' backpropagation
in matrix form -- and is tested against it; what it adds is speed. The rows are
visited in blocks, on the chunks and threads of a `_workspace.Workspace`; each
block's forward and backward pass is fused into a few in-place NumPy and BLAS
calls on scratch arrays, with no copy of ``X`` and float32 kept as float32.
Shapes are those of `_network`.
"""

import math

import numpy as np
from scipy.special import expit

from ._blas import BLAS, axpy, flat
from ._network import (
    SIGMOID,
    SMALL,
    penalty,
    sigmoid,
    sigmoid_of_negated,
    sparse_product,
)
from ._workspace import Workspace


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
    made for this call when not given (a training loop passes its own). ``out``
    must be a contiguous vector of ``theta``'s dtype.
    """
    if work is None or not work.fits(layout, X.shape[0], theta.dtype):
        with Workspace(layout, X.shape[0], theta.dtype) as work:
            return loss_gradient(
                theta, layout, X, Y, s, l2, activation, out=out, work=work
            )
    p = work.unpack(theta)
    grad = np.empty_like(theta) if out is None else out
    sparse = not isinstance(X, np.ndarray)  # validated X is an array or sparse
    product = sparse_product if sparse else np.matmul
    rows = work.rows

    def chunk(start, stop, grad, block):
        g = work.unpack(grad)
        value = 0.0
        for first in range(start, stop, rows):
            i = slice(first, min(first + rows, stop))
            value += _block_loss_gradient(
                p, X[i], Y[i], s[i], activation, block, g, product, add=first > start
            )
        return value

    value = work.run(chunk, grad, X.shape[0])
    return _with_penalty(value, flat(p), flat(work.unpack(grad)), l2), grad


def _with_penalty(value, p, g, l2):
    """Add the L2 term to the loss ``value`` and its gradient to ``g``; ``p`` and
    ``g`` are `Params` of the weights and of the gradient, made `flat`."""
    if l2:  # d/dW (l2/2)|W|^2 = l2 W
        value += penalty(p, l2)
        axpy(l2, p.W1, g.W1)
        axpy(l2, p.W2, g.W2)
    return float(value)


def _block_loss_gradient(p, X, Y, s, activation, block, g, product, add=False):
    """The share ``sum_i s_i CE_i`` of the loss of the rows of one block.

    Their gradient is written to the views ``g``, or added to them if ``add``;
    ``block`` holds the scratch arrays. ``product`` is `np.matmul`, or
    `sparse_product` for sparse ``X``.
    """
    r = X.shape[0]
    h, D1, Z, T = block.rows(r)

    product(X, p.W1, out=h)  # A1 = X W1 + b1, h = g(A1)
    if h.size <= SMALL:
        np.add(h, p.b1, out=h)
        expit(h, out=h)
    else:
        np.subtract(np.negative(p.b1), h, out=h)  # -A1 = -b1 - X W1 in one pass
        sigmoid_of_negated(h)
    np.matmul(h, p.W2, out=Z)  # Z = h W2 + b2
    np.add(Z, p.b2, out=Z)

    # Loss from the logits, then the output delta in place of the logits. For the
    # canonical pairs -- sigmoid with binary cross-entropy, softmax with categorical
    # cross-entropy -- dCE/dZ = o - y: the derivative of the link cancels the
    # derivative of the log (the notes' (o_i - y_i)).
    value = _weighted_cross_entropy_and_residual(Z, Y, s, activation, T, block)
    D2 = Z
    D2 *= s[:, None]  # weighted mean: item i counts s_i

    # dC/dW2 = sum_i (o_i - y_i) h_i, dC/db2 = sum_i (o_i - y_i), per output unit k
    _product_into(g.W2, np.matmul, h.T, D2, block.W2, add)
    _column_sums_into(g.b2, D2, block.ones[:r], add)

    # Chain rule into the hidden layer: dC/dA1 = (D2 W2^T) * g'(A1), and
    # g'(A1) = g(A1)(1 - g(A1)) = h (1 - h), written from the output h.
    np.matmul(D2, p.W2.T, out=D1)
    D1 *= h
    np.subtract(1.0, h, out=h)  # h is not needed any more: reuse it for 1 - h
    D1 *= h

    # dC/dW1 = sum_i x_i^T D1_i, dC/db1 = sum_i D1_i
    _product_into(g.W1, product, X.T, D1, block.W1, add)
    _column_sums_into(g.b1, D1, block.ones[:r], add)
    return value


def _weighted_cross_entropy_and_residual(Z, Y, s, activation, T, block):
    """Return ``sum_i s_i CE_i`` and replace ``Z`` by the residual ``o - Y``.

    As `cross_entropy` and `output`, sharing the exponentials between them;
    ``T`` is scratch shaped like ``Z``. Sums along the short rows of ``Z`` are
    products with a vector of ones: NumPy's row reductions over a few columns
    cost several times more (docs/performance.rst).
    """
    if activation == SIGMOID:
        # CE = log(1 + e^z) - y z per sigmoid unit, summed over the units
        np.logaddexp(0.0, Z, out=T)
        T -= np.multiply(Y, Z)
        value = np.vdot(s, T) if T.shape[1] == 1 else np.add.reduce(s @ T)
        sigmoid(Z, out=Z)  # o = g(z)
    else:
        r = len(Z)
        Z -= _row_max(Z, block.r1[:r])[:, None]  # softmax(z) = softmax(z - max z)
        z_y = np.add.reduce(s @ np.multiply(Y, Z, out=T))  # sum_i s_i z_i[y_i]
        np.exp(Z, out=Z)
        total = np.matmul(Z, block.ones[: Z.shape[1]], out=block.r2[:r])  # sum e^z
        Z /= total[:, None]  # o = softmax(z)
        value = s @ np.log(total, out=total) - z_y  # CE = log sum_l e^{z_l} - z[y]
    Z -= Y
    return value


def _row_max(Z, out):
    """The maximum of each row of ``Z``: column by column when there are many
    rows and few columns."""
    if Z.shape[1] > 64 or Z.size <= SMALL:
        return np.max(Z, axis=1, out=out)
    np.copyto(out, Z[:, 0])
    for k in range(1, Z.shape[1]):
        np.maximum(out, Z[:, k], out=out)
    return out


class ItemLossGradient:
    """``f(theta, i) -> (loss, grad)``: the loss of item ``i`` alone and its
    gradient, for online learning (one item per step).

    A step of online learning on a small network is a few dozen calls of about a
    microsecond each, so what can be done once is done here once: the gradient
    vector and its views, the scratch vectors, the BLAS routines. One sigmoid
    output on dense ``X`` -- the notes' network -- takes the notes' own per-item
    formulas (`_sigmoid_item`); any other network takes `loss_gradient` on the
    one row.

    Parameters
    ----------
    layout : Layout
        The network's sizes.
    X : {ndarray, sparse matrix} of shape (n, m)
        Inputs; their dtype is the dtype of the gradient, and of the ``theta``
        the object must be called with.
    Y : ndarray of shape (n, K')
        Targets.
    l2 : float
        Strength of the L2 term.
    activation : {"logistic", "softmax"}
        The output units.
    """

    def __init__(self, layout, X, Y, l2, activation):
        self.layout, self.X, self.Y = layout, X, Y
        self.l2, self.activation = l2, activation
        self.grad = np.empty(layout.size, X.dtype)
        self.work = Workspace(layout, 1, X.dtype)
        self.one = np.ones(1, X.dtype)  # the weight of the one row
        self.per_item = (
            isinstance(X, np.ndarray) and Y.shape[1] == 1 and activation == SIGMOID
        )
        self.g = g = layout.unpack(self.grad)
        if self.per_item:
            self.y = Y[:, 0]
            # Contiguous vectors of the gradient's dtype, as BLAS writes them:
            self.gw = g.W2[:, 0]  # the output unit's weights (K' = 1)
            self.flat_g = flat(g)
            self.blas = BLAS[self.grad.dtype]
        self.theta = None

    def __call__(self, theta, i):
        """Return ``(loss, grad)`` of item ``i`` at ``theta``; ``grad`` is
        overwritten by the next call."""
        if not self.per_item:
            rows = slice(i, i + 1)
            return loss_gradient(
                theta,
                self.layout,
                self.X[rows],
                self.Y[rows],
                self.one,
                self.l2,
                self.activation,
                out=self.grad,
                work=self.work,
            )
        if theta is not self.theta:  # views of a new weight vector, made once
            if theta.dtype != self.grad.dtype:
                raise TypeError(
                    f"theta is {theta.dtype}, the data {self.grad.dtype}: one "
                    "step of online learning needs them of one dtype"
                )
            self.theta, self.p = theta, self.layout.unpack(theta)
            self.w = self.p.W2[:, 0]
            self.flat_p = flat(self.p)
        value = self._sigmoid_item(self.X[i], float(self.y[i]))
        return _with_penalty(value, self.flat_p, self.flat_g, self.l2), self.grad

    def _sigmoid_item(self, x, y):
        """The loss and gradient of one item as the notes derive them: ``x`` is
        the item's inputs x_l, ``y`` its 0/1 target, and the output unit has
        weights w_j and bias b. Scalars where the notes have scalars (z, o, the
        output delta); writes the gradient, returns the loss.

        Products of a vector with a number, and the one dot product, are BLAS
        calls: on vectors this short they cost a third to half a NumPy call. The
        loss is a Python float whatever the dtype, as the other passes return.
        """
        p, g, w, blas = self.p, self.g, self.w, self.blas
        h, q = self.work.block.h1, self.work.block.q1
        np.dot(x, p.W1, out=h)  # a_j = sum_l x_l w_lj + b_j
        h += p.b1
        expit(h, out=h)  # h_j = g(a_j)
        z = blas.dot(h, w) + float(p.b2[0])  # z = sum_j w_j h_j + b
        e = math.exp(-abs(z))  # in (0, 1]: cannot overflow
        loss = max(z, 0.0) + math.log1p(e) - y * z  # CE = log(1 + e^z) - y z
        o = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)  # o = g(z)
        delta = o - y

        blas.scal(delta, blas.copy(h, self.gw))  # dC/dw_j = (o - y) h_j
        g.b2[0] = delta  # dC/db = o - y
        d = g.b1  # dC/db_j = (o - y) w_j h_j (1 - h_j), the hidden delta
        np.multiply(h, h, out=q)
        np.subtract(h, q, out=q)  # g'(a_j) = h_j (1 - h_j) = h_j - h_j^2
        np.multiply(w, q, out=d)
        blas.scal(delta, d)
        # dC/dw_lj = x_l (o - y) w_j h_j (1 - h_j): the outer product of x and d
        np.multiply(x[:, None], d, out=g.W1)
        return loss


def _product_into(target, product, A, B, scratch, add):
    """``target = A @ B``, or ``target += A @ B`` by way of ``scratch`` if ``add``."""
    if add:
        target += product(A, B, out=scratch)
    else:
        product(A, B, out=target)


def _column_sums_into(target, A, ones, add):
    """``target = 1^T A`` (column sums, as a product), or ``+=`` if ``add``."""
    if add:
        target += ones @ A
    else:
        np.matmul(ones, A, out=target)
