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

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import get_blas_funcs
from scipy.sparse import issparse
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax

from ._workspace import Workspace

SIGMOID = "logistic"  # output activation names, as in MLPClassifier
SOFTMAX = "softmax"

# Arrays up to this size are cheaper to handle in one call than in several
# vectorised passes: a NumPy call costs about a microsecond whatever its size.
SMALL = 256


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
# BLAS level-1 on vectors
# --------------------------------------------------------------------------------------
class Blas(NamedTuple):
    """BLAS level-1 routines of one float type, from `scipy.linalg.blas`.

    On short vectors a call costs a third to a half of a NumPy call (0.1-0.25
    against 0.3-0.55 µs on ten numbers, docs/performance.rst), which counts when
    a step of online learning is a few dozen calls. ``copy(x, y)`` and
    ``axpy(x, y, a=a)`` write into ``y``, ``scal(a, x)`` into ``x``, and return
    it -- or, silently, a copy, if that array is not a contiguous vector of the
    routine's type; every array they are given here is one (`axpy` checks).
    OpenBLAS splits a ``dot`` of more than 10000 numbers between threads, which
    changes its last bits with their number; here it only sees H numbers.
    """

    dot: object
    copy: object
    scal: object
    axpy: object


BLAS = {
    np.dtype(dtype): Blas(*get_blas_funcs(("dot", "copy", "scal", "axpy"), dtype=dtype))
    for dtype in (np.float32, np.float64)
}


def axpy(a, x, y):
    """``y <- y + a x`` in place, for vectors: one BLAS call and no temporary."""
    if not (x.shape == y.shape == (y.size,) and y.flags.writeable):
        raise TypeError("axpy needs two vectors of one length, y writeable")
    if BLAS[y.dtype].axpy(x, y, a=a) is not y:  # scipy copies a y it cannot update
        raise TypeError("axpy needs a contiguous float32 or float64 vector y")


def sum_of_squares(W):
    """``|W|^2`` of a contiguous array, the same to the bit on any number of
    threads: a BLAS dot up to 8192 numbers (OpenBLAS splits one of more than
    10000 between threads, and its last bits then depend on their number),
    NumPy's own loop beyond (three times slower, and never split)."""
    w = W.reshape(-1)
    return float(np.vdot(w, w) if w.size <= 8192 else np.einsum("i,i->", w, w))


# --------------------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------------------
def sigmoid(A, out=None):
    """``g(z) = 1 / (1 + e^-z)`` elementwise, written into ``out`` (which may be ``A``).

    Small arrays go to ``scipy.special.expit`` (one call). Large ones take four
    vectorised NumPy passes, each exact to rounding, so as accurate as expit and
    2.5 times faster (expit is not vectorised); there, for ``z`` below about -709
    (-88 in float32) ``e^-z`` overflows to ``inf``, and ``1 / (1 + inf) = 0`` is the
    exact limit, so that overflow is not an error.
    """
    if A.size <= SMALL:
        return expit(A, out=out)
    return _sigmoid_of_negated(np.negative(A, out=out))


def _sigmoid_of_negated(N):
    """``g(z)`` in place of ``N = -z``: ``1 / (1 + e^N)``."""
    with np.errstate(over="ignore"):
        np.exp(N, out=N)
    N += 1.0
    return np.divide(1.0, N, out=N)  # faster than np.reciprocal (measured)


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


def per_class(output, Z, activation):
    """``output(Z, activation)`` (`output` or `log_output`) with a column per
    class: for two classes, the one sigmoid unit is class 1's probability
    ``g(z)`` and class 0's is ``1 - g(z) = g(-z)``, exact also where ``g(z)``
    rounds to 1."""
    if Z.shape[1] == 1:
        return np.hstack([output(-Z, SIGMOID), output(Z, SIGMOID)])
    return output(Z, activation)


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
    return 0.5 * l2 * (sum_of_squares(p.W1) + sum_of_squares(p.W2))


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
    product = _sparse_product if sparse else np.matmul
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


def flat(p):
    """The `Params` ``p`` with W1 and W2 as flat views, as BLAS takes them."""
    return p._replace(W1=p.W1.reshape(-1), W2=p.W2.reshape(-1))  # all contiguous


def _block_loss_gradient(p, X, Y, s, activation, block, g, product, add=False):
    """The share ``sum_i s_i CE_i`` of the loss of the rows of one block.

    Their gradient is written to the views ``g``, or added to them if ``add``;
    ``block`` holds the scratch arrays. ``product`` is `np.matmul`, or
    `_sparse_product` for sparse ``X``.
    """
    r = X.shape[0]
    h, D1, Z, T = block.rows(r)

    product(X, p.W1, out=h)  # A1 = X W1 + b1, h = g(A1)
    if h.size <= SMALL:
        np.add(h, p.b1, out=h)
        expit(h, out=h)
    else:
        np.subtract(np.negative(p.b1), h, out=h)  # -A1 = -b1 - X W1 in one pass
        _sigmoid_of_negated(h)
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


def _product(A, B, out=None):
    """``A @ B`` for dense or sparse ``A``, into ``out`` when given."""
    return _sparse_product(A, B, out) if issparse(A) else np.matmul(A, B, out=out)


def _sparse_product(A, B, out=None):
    """``A @ B`` for sparse ``A``: a dense array, written into ``out`` if given."""
    if out is None:
        return np.asarray(A @ B)
    out[...] = A @ B
    return out


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
