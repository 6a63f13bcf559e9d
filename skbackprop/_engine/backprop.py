"""The fast full-batch pass: the loss and gradient of many rows, block by block.

It computes what `_network.loss_gradient` computes -- the notes' backpropagation
in matrix form -- and is tested against it; what it adds is speed. The rows are
visited in blocks, on the chunks and threads of a `_workspace.Workspace`; each
block's forward and backward pass is fused into a few in-place NumPy and BLAS
calls on scratch arrays, with no copy of ``X`` and float32 kept as float32.
The units are the rows of `units` named by ``activation`` (the hidden layer)
and ``output`` (the output layer and its loss), as in `_network`. Shapes are
those of `_network`.

Sparse ``X`` (wide, with few nonzeros per row) takes the same blocks for
everything but ``dC/dW1 = X^T D1``: the blocks keep their hidden deltas ``D1``
and, once all rows are done, one sparse product over the whole of ``X`` writes
``dC/dW1`` (`_sparse_loss_gradient`). Its work is ``nnz H``, not ``m H`` per
block, and no chunk or thread needs an array of the size of ``W1``.
"""

import numpy as np
from scipy.sparse import csr_matrix

from .blas import axpy, flat, outer_into
from .network import (
    Layout,
    forward,
    penalty,
    per_class,
    product,
    sparse_product,
)
from .network import output as plain_output  # the parameter is `output`
from .units import ACTIVATIONS, OUTPUTS
from .workspace import Workspace, block_rows, row_nonzeros, run_forward


# --------------------------------------------------------------------------------------
# Backpropagation
# --------------------------------------------------------------------------------------
def loss_gradient(
    theta, layout, X, Y, s, l2, output, *, activation="logistic", out=None, work=None
):
    """Loss and its gradient with respect to ``theta``, by backpropagation.

    Returns ``(loss, grad)`` with ``grad`` laid out like ``theta``: ``out`` when
    given (it is overwritten), else a new vector. ``s`` must sum to one, so the
    loss is the weighted mean over items; with ``s_i = 1/n`` the gradient is the
    notes' sum divided by n. ``output`` names the output units and their loss
    (a row of `units.OUTPUTS`), ``activation`` the hidden units (a row of
    `units.ACTIVATIONS`).

    The loss and the gradient are sums over rows, computed block of rows by block
    of rows on the chunks and threads of ``work``, a `_workspace.Workspace` made
    for this call when not given (a training loop passes its own); the pass
    keeps its `Scratch` there. ``out`` must be a contiguous vector of
    ``theta``'s dtype.
    """
    if work is None or not work.fits(layout, X.shape[0], theta.dtype):
        with Workspace(
            layout, X.shape[0], theta.dtype, row_nonzeros=row_nonzeros(X)
        ) as work:
            return loss_gradient(
                theta, layout, X, Y, s, l2, output,
                activation=activation, out=out, work=work,
            )  # fmt: skip
    grad = np.empty_like(theta) if out is None else out
    units = ACTIVATIONS[activation], OUTPUTS[output]
    if isinstance(X, np.ndarray):  # validated X is an array or sparse
        scratch = work.scratch(Scratch)
        value = _dense_loss_gradient(theta, X, Y, s, units, work, scratch, grad)
    else:
        scratch = work.scratch(SparseScratch)
        value = _sparse_loss_gradient(theta, X, Y, s, units, work, scratch, grad)
    if l2:
        p, dp = scratch.unpack(theta), scratch.unpack(grad)
        value = with_penalty(value, flat(p), flat(dp), l2)
    return float(value), grad


def _dense_loss_gradient(theta, X, Y, s, units, work, scratch, grad):
    """``sum_i s_i CE_i``, and its gradient written to ``grad``, for dense ``X``:
    each chunk sums the whole gradient of its rows. ``units`` is the pair of
    rows ``(hidden, output)`` of `units.ACTIVATIONS` and `units.OUTPUTS`."""
    p, rows = scratch.unpack(theta), work.rows

    def chunk(start, stop, grad, slot):
        dp = scratch.unpack(grad)
        block = scratch.blocks[slot]
        value = 0.0
        for first in range(start, stop, rows):
            i = slice(first, min(first + rows, stop))
            value += _block_loss_gradient(
                p, X[i], Y[i], s[i], units, block, dp, np.matmul, first > start
            )
        return value

    return work.run(chunk, grad, X.shape[0])


def _sparse_loss_gradient(theta, X, Y, s, units, work, scratch, grad):
    """``sum_i s_i CE_i``, and its gradient written to ``grad``, for sparse ``X``.

    The chunks sum the gradient of ``b1``, ``W2`` and ``b2`` -- the tail of
    ``grad``, which does not grow with the number of features -- and leave
    their rows' hidden deltas in ``scratch.D1``; then ``dC/dW1 = X^T D1`` is
    one sparse product over all rows, written in place.
    """
    p, rows, D1 = scratch.unpack(theta), work.rows, scratch.D1
    tail = grad[scratch.W1_size :]  # (b1, W2, b2), contiguous after W1

    def chunk(start, stop, tail, slot):
        dq = scratch.unpack_tail(tail)
        block = scratch.blocks[slot]
        value = 0.0
        for first in range(start, stop, rows):
            i = slice(first, min(first + rows, stop))
            X_i = rows_of(X, i.start, i.stop)
            value += _block_loss_gradient(
                p, X_i, Y[i], s[i], units, block, dq, sparse_product,
                first > start, D1=D1[i],
            )  # fmt: skip
        return value

    value = work.run(chunk, tail, X.shape[0])
    # dC/dW1 = sum_i x_i^T D1_i = X^T D1
    scratch.transposed(X).product(D1[: X.shape[0]], scratch.unpack(grad).W1, work)
    return value


def rows_of(X, start, stop):
    """Rows ``start:stop`` of ``X``: for CSR, a matrix that shares ``X``'s
    arrays (slicing would copy the nonzeros, a fifth of a product's time
    here); otherwise ``X[start:stop]``."""
    if getattr(X, "format", None) != "csr":
        return X[start:stop]
    first, last = X.indptr[start], X.indptr[stop]
    return csr_matrix(
        (X.data[first:last], X.indices[first:last], X.indptr[start : stop + 1] - first),
        shape=(stop - start, X.shape[1]),
    )


def with_penalty(value, p, dp, l2):
    """Add the L2 term to the loss ``value`` and its gradient to ``dp``; ``p`` and
    ``dp`` are `Params` of the weights and of the gradient, made `flat`."""
    if l2:  # d/dW (l2/2)|W|^2 = l2 W
        value += penalty(p, l2)
        axpy(l2, p.W1, dp.W1)
        axpy(l2, p.W2, dp.W2)
    return float(value)


def _block_loss_gradient(p, X, Y, s, units, block, dp, product, add=False, D1=None):
    """The share ``sum_i s_i CE_i`` of the loss of the rows of one block.

    Their gradient is written to the views ``dp``, or added to them if ``add``;
    ``block`` holds the scratch arrays; ``units`` is the pair of rows
    ``(hidden, output)`` of the tables of `units`. ``product`` is `np.matmul`,
    or `sparse_product` for sparse ``X``. If ``D1`` is given, the hidden deltas
    are written there and ``dp.W1`` is left to the caller (None).
    """
    r = X.shape[0]
    h, D1_block, Z, T = block.rows(r)
    D1 = D1_block if D1 is None else D1
    hidden, output = units

    product(X, p.W1, out=h)  # A1 = X W1 + b1, h = g(A1), the bias added in place
    hidden.function(h, p.b1)
    np.matmul(h, p.W2, out=Z)  # Z = h W2 + b2
    np.add(Z, p.b2, out=Z)

    # Loss from the logits, then the output delta in place of the logits. For the
    # canonical pairs -- sigmoid with binary cross-entropy, softmax with categorical
    # cross-entropy -- dCE/dZ = o - y: the derivative of the link cancels the
    # derivative of the log (the notes' (o_i - y_i)).
    value = output.loss_and_delta(Z, Y, s, T, block)
    D2 = Z
    D2 *= s[:, None]  # weighted mean: item i counts s_i

    # dC/dW2 = sum_i s_i (o_i - y_i) h_i = h^T D2, dC/db2 = sum_i s_i (o_i - y_i),
    # per output unit k
    _product_into(dp.W2, np.matmul, h.T, D2, block.W2, add)
    _column_sums_into(dp.b2, D2, block.ones[:r], add)

    # Chain rule into the hidden layer: dC/dA1 = (D2 W2^T) * g'(A1), with g'(A1)
    # written from the output h (for the sigmoid, h (1 - h)); h, not needed any
    # more, is the unit's scratch.
    if D2.shape[1] == 1:  # one output unit: an outer product, faster by BLAS
        outer_into(D2[:, 0], p.W2[:, 0], D1)
    else:
        np.matmul(D2, p.W2.T, out=D1)
    hidden.backward(h, D1)

    # dC/dW1 = sum_i x_i^T D1_i, dC/db1 = sum_i D1_i
    if dp.W1 is not None:
        _product_into(dp.W1, product, X.T, D1, block.W1, add)
    _column_sums_into(dp.b1, D1, block.ones[:r], add)
    return value


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


# --------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------
def probabilities(X, p, output, activation="logistic"):
    """``predict_proba``: `_network.per_class` of the output units, from
    `logits`. For several output units on data of more than one block, each
    block's logits turn into outputs in place (`units.Output.in_place`), while
    in the cache."""
    if p.W2.shape[1] > 1 and X.shape[0] > _forward_rows(X, p):
        return logits(X, p, activation, OUTPUTS[output].in_place)
    return per_class(plain_output, logits(X, p, activation), output)


def _forward_rows(X, p):
    """Rows of a block of the forward pass (`_workspace.block_rows`)."""
    dtype = np.result_type(X.dtype, p.W1.dtype)
    return block_rows(Layout(*p.W1.shape, p.W2.shape[1]), dtype)


def logits(X, p, activation="logistic", finish=None):
    """The logits ``Z = h W2 + b2`` of all rows, as `_network.forward` computes
    them, a block of rows at a time; ``finish(Z_block)``, if given, is then
    applied to each block of logits in place.

    Each block's hidden layer ``h = g(X W1 + b1)`` (``g`` the row
    ``activation`` of `units.ACTIVATIONS`) stays in the CPU cache between its
    product and its activation, instead of a whole ``(n, H)`` array going
    through memory five times; only ``Z`` is allocated. The blocks run on the
    chunks and threads of a `_workspace.Workspace`, as a training pass does;
    the rows do not depend on each other, so neither does the result on the
    threads. Data of one block or less take `_network.forward` itself, on the
    calling thread (`_workspace.run_forward`), so small predictions are those
    of the plain network to the bit.
    """
    n, (m, H), K = X.shape[0], p.W1.shape, p.W2.shape[1]
    dtype = np.result_type(X.dtype, p.W1.dtype)
    layout = Layout(m, H, K)
    if n <= _forward_rows(X, p):
        Z = run_forward(n, layout, forward, X, p, activation)[1]
        if finish is not None:
            finish(Z)
        return Z
    Z = np.empty((n, K), np.result_type(dtype, p.W2.dtype))
    hidden = ACTIVATIONS[activation].function

    def chunk(start, stop, _, slot):
        h = blocks[slot]
        for first in range(start, stop, work.rows):
            last = min(first + work.rows, stop)
            block = h[: last - first]
            product(rows_of(X, first, last), p.W1, out=block)  # h = g(X W1 + b1)
            hidden(block, p.b1)
            Z_block = Z[first:last]
            np.matmul(block, p.W2, out=Z_block)  # Z = h W2 + b2
            Z_block += p.b2
            if finish is not None:
                finish(Z_block)
        return 0.0

    with Workspace(layout, n, dtype, row_nonzeros=row_nonzeros(X)) as work:
        blocks = [np.empty((work.rows, H), dtype) for _ in range(work.threads)]
        work.run(chunk, _NOTHING[dtype], n)  # no gradient: nothing to add up
    return Z


# --------------------------------------------------------------------------------------
# Scratch arrays
# --------------------------------------------------------------------------------------
class Block:
    """Scratch arrays for one block of rows: one per thread of a pass.

    Without ``W1`` (a sparse pass), it has no share of ``dC/dW1`` and no hidden
    deltas of its own: the pass keeps those of all rows.
    """

    def __init__(self, layout, rows, dtype, W1=True):
        m, H, K = layout
        self.h = np.empty((rows, H), dtype)  # hidden activations, then g' scratch
        self.D1 = np.empty((rows if W1 else 0, H), dtype)  # hidden deltas
        self.Z = np.empty((rows, K), dtype)  # logits, then output deltas D2
        self.T = np.empty((rows, K), dtype)  # per-unit cross-entropy and such
        self.r1, self.r2 = np.empty(rows, dtype), np.empty(rows, dtype)  # per row
        self.ones = np.ones(max(rows, K), dtype)  # sums as products
        self.W1 = np.empty((m, H), dtype) if W1 else None  # a block's dC/dW1
        self.W2 = np.empty((H, K), dtype)  # one block's share of dC/dW2

    def rows(self, r):
        """``(h, D1, Z, T)`` for a block of ``r`` rows."""
        if r == len(self.h):
            return self.h, self.D1, self.Z, self.T
        return self.h[:r], self.D1[:r], self.Z[:r], self.T[:r]


class Scratch:
    """The pass's own arrays in one `Workspace`: a `Block` per thread slot, and
    the views of the vectors it was handed last."""

    def __init__(self, work):
        self.layout = work.layout
        self.blocks = [
            Block(work.layout, work.rows, work.dtype) for _ in range(work.threads)
        ]
        self._views = {}

    def unpack(self, vector):
        """``layout.unpack(vector)``, remembered for the vectors seen last."""
        return self._unpack(self.layout, vector)

    def _unpack(self, layout, vector):
        views = self._views.get(id(vector))
        if views is None or views[0] is not vector:
            if len(self._views) > 8:
                self._views.clear()
            views = self._views[id(vector)] = (vector, layout.unpack(vector))
        return views[1]


class SparseScratch(Scratch):
    """The sparse pass's arrays: `Block` s without a share of ``dC/dW1``, the
    hidden deltas ``D1`` of all rows, and ``X^T`` of the last ``X`` seen."""

    def __init__(self, work):
        m, H, K = self.layout = work.layout
        self.blocks = [
            Block(work.layout, work.rows, work.dtype, W1=False)
            for _ in range(work.threads)
        ]
        self.D1 = np.empty((work.n_samples, H), work.dtype)
        self.W1_size = m * H
        self._tail_layout = Layout(0, H, K)  # (b1, W2, b2) after W1
        self._views = {}
        self._transposed = None

    def unpack_tail(self, vector):
        """`Params` of the tail ``(b1, W2, b2)`` of a vector, with W1 None."""
        return self._unpack(self._tail_layout, vector)._replace(W1=None)

    def transposed(self, X):
        """`Transposed` ``X``, made once for the ``X`` of a training loop."""
        if self._transposed is None or self._transposed.X is not X:
            self._transposed = Transposed(X)
        return self._transposed


class Transposed:
    """``X^T`` of a sparse ``X`` as CSR: its rows are ``X``'s columns, so
    ``X^T D`` is computed feature by feature, each row of the result from the
    nonzeros of one column, written in place a band of features at a time."""

    BAND_BYTES = 2**22  # of the result, a band of features at a time

    def __init__(self, X):
        self.X = X
        self.T = csr_matrix(X.T)  # CSR of X^T: X's columns, indices sorted

    def product(self, D, out, work):
        """``out = X^T D``, for ``D`` of shape ``(n, H)``, on the chunks and
        threads of ``work``: chunk ``i`` of the rows takes the same share of
        the features. Each row of ``out`` is one column's sum, so the result
        does not depend on the threads."""
        (m, H), n = out.shape, D.shape[0]
        band = max(1, self.BAND_BYTES // (H * out.itemsize))

        def features(start, stop, _, slot):
            first, last = start * m // n, stop * m // n
            for a in range(first, last, band):
                b = min(a + band, last)
                out[a:b] = rows_of(self.T, a, b) @ D
            return 0.0

        work.run(features, _NOTHING[out.dtype], n)  # nothing to add up


# An empty gradient, for passes whose chunks write their results in place.
_NOTHING = {np.dtype(t): np.empty(0, t) for t in (np.float32, np.float64)}
