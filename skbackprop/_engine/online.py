"""The one-item kernel of online learning: the loss and gradient of one item.

Online learning (``batch_size=1``) takes a step per item, and on a small network
a step is a few dozen calls of about a microsecond each; what can be done once per
fit is done once, in `ItemLossGradient`. For one output unit that has a form in
scalars (`units.Output.item`: the notes' sigmoid) on dense ``X``, it computes
the notes' own per-item formulas, with scalars where the notes have scalars and
the hidden unit's row of `units.ACTIVATIONS`; any other network takes the fast
pass of `_backprop` on the one row. It is tested against
`_network.loss_gradient` on the one row. Shapes are those of `_network`.
"""

import numpy as np

from . import backprop as _backprop
from .blas import BLAS, flat
from .units import ACTIVATIONS, OUTPUTS
from .workspace import Workspace


class ItemLossGradient:
    """``f(theta, i) -> (loss, grad)``: the loss of item ``i`` alone and its
    gradient, for online learning (one item per step).

    A step of online learning on a small network is a few dozen calls of about a
    microsecond each, so what can be done once is done here once: the gradient
    vector and its views, two scratch vectors, the units' functions, the BLAS
    routines. One output unit with a form in scalars on dense ``X`` -- the
    notes' network -- takes the notes' own per-item formulas (`_one_unit_item`);
    any other network takes `_backprop.loss_gradient` on the one row, with a
    workspace of one row.

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
    output : {"logistic", "softmax"}
        The output units and their loss, a row of `units.OUTPUTS`.
    activation : {"logistic", "tanh", "relu", "identity"}, default="logistic"
        The hidden units, a row of `units.ACTIVATIONS`.
    """

    def __init__(self, layout, X, Y, l2, output, activation="logistic"):
        self.layout, self.X, self.Y = layout, X, Y
        self.l2, self.output, self.activation = l2, output, activation
        self.grad = np.empty(layout.size, X.dtype)
        self.item = OUTPUTS[output].item  # (loss, dL/dz) of one unit, in scalars
        self.per_item = (
            isinstance(X, np.ndarray) and Y.shape[1] == 1 and self.item is not None
        )
        self.dp = dp = layout.unpack(self.grad)  # views of the gradient
        if self.per_item:
            self.y = Y[:, 0]
            # Contiguous vectors of the gradient's dtype, as BLAS writes them:
            self.dw = dp.W2[:, 0]  # dC/dw_j of the output unit's weights (K' = 1)
            self.flat_dp = flat(dp)
            self.blas = BLAS[self.grad.dtype]
            self.g, self.g_prime = ACTIVATIONS[activation][:2]
            H = layout.n_hidden
            self.h, self.q = np.empty(H, X.dtype), np.empty(H, X.dtype)  # scratch
        else:
            self.work = Workspace(layout, 1, X.dtype)
            self.one = np.ones(1, X.dtype)  # the weight of the one row
        self.theta = None

    def __call__(self, theta, i):
        """Return ``(loss, grad)`` of item ``i`` at ``theta``; ``grad`` is
        overwritten by the next call."""
        if not self.per_item:
            rows = slice(i, i + 1)
            return _backprop.loss_gradient(
                theta,
                self.layout,
                self.X[rows],
                self.Y[rows],
                self.one,
                self.l2,
                self.output,
                activation=self.activation,
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
        value = self._one_unit_item(self.X[i], self.y.item(i))  # y_i a Python float
        if self.l2:  # the kernel's loss is a Python float already
            value = _backprop.with_penalty(value, self.flat_p, self.flat_dp, self.l2)
        return value, self.grad

    def _one_unit_item(self, x, y):
        """The loss and gradient of one item as the notes derive them: ``x`` is
        the item's inputs x_l, ``y`` its target, and the output unit (the
        notes' sigmoid) has weights w_j and bias b. Scalars where the notes have
        scalars (z, the output delta); writes the gradient, returns the loss.

        Products of a vector with a number, and the one dot product, are BLAS
        calls: on vectors this short they cost a third to half a NumPy call. The
        loss is a Python float whatever the dtype, as the other passes return.
        """
        p, dp, w, h, q = self.p, self.dp, self.w, self.h, self.q
        dot, copy, scal, _ = self.blas
        np.dot(x, p.W1, out=h)  # a_j = sum_l x_l w_lj + b_j, h_j = g(a_j)
        self.g(h, p.b1)
        z = dot(h, w) + p.b2.item()  # z = sum_j w_j h_j + b
        loss, delta = self.item(z, y)  # e.g. CE = log(1 + e^z) - y z; dL/dz = o - y

        scal(delta, copy(h, self.dw))  # dC/dw_j = (o - y) h_j
        dp.b2[0] = delta  # dC/db = o - y
        d = dp.b1  # dC/db_j = (o - y) w_j g'(a_j), the hidden delta
        self.g_prime(h, q)  # g'(a_j) from h_j: h_j - h_j^2 for the sigmoid
        np.multiply(w, q, out=d)
        scal(delta, d)
        # dC/dw_lj = x_l (o - y) w_j g'(a_j): the outer product of x and d
        np.multiply(x[:, None], d, out=dp.W1)
        return loss
