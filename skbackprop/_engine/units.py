"""The units of the network as rows of two tables, as scikit-learn's
``neural_network/_base.py`` keeps them: `ACTIVATIONS`, the hidden units, and
`OUTPUTS`, the output units with their losses.

A hidden unit (an `Activation`, by MLPClassifier's names) is its function ``g``,
applied in place with the bias added in the same pass; its derivative, written
from the unit's output ``h = g(a)`` so that backpropagation needs only the
activations at hand, as values and as the step back that multiplies the hidden
deltas by it in place; and the gain of its initial weights. An output unit (an
`Output`, by the names of ``out_activation_``) goes with the loss of its
canonical link, whose derivative cancels the unit's: its outputs from the logits
(new, in place, and their logarithm), each sample's loss from the logits (finite
wherever they are), the delta ``dL/dZ = o - Y``, the fused loss and delta of the
fast pass and, for a single unit, the form of one item in Python floats for
online learning. Each row also holds its unit written against an array
namespace ``xp`` (`Portable`: new arrays, only functions of the array API
standard), which `Activation.in_namespace` and `Output.in_namespace` put in
place of the NumPy forms for the arrays of another library. The plain maths
(`network`) and every fast pass (`backprop`, `online`, and through them the
cluster's parts) read the rows: a new unit is one more row.

Shapes are those of `network`: ``A`` and ``h`` are ``(n, H)``, ``Z``, ``o``,
``Y`` and the output deltas ``(n, K')``, ``s`` is ``(n,)``. NumPy and SciPy
(and the namespace handed in); nothing here imports scikit-learn or the rest
of the package.
"""

import math
from functools import partial
from typing import NamedTuple

import numpy as np
from scipy.special import expit, log_expit, log_softmax, logsumexp, softmax

SIGMOID = "logistic"  # output unit names, as MLPClassifier's out_activation_
SOFTMAX = "softmax"
IDENTITY = "identity"  # MLPRegressor's

# Arrays up to this size are cheaper to handle in one call than in several
# vectorised passes: a NumPy call costs about a microsecond whatever its size.
SMALL = 256


# --------------------------------------------------------------------------------------
# The sigmoid
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
    return sigmoid_of_negated(np.negative(A, out=out))


def sigmoid_of_negated(N):
    """``g(z)`` in place of ``N = -z``: ``1 / (1 + e^N)``."""
    with np.errstate(over="ignore"):
        np.exp(N, out=N)
    N += 1.0
    return np.divide(1.0, N, out=N)  # faster than np.reciprocal (measured)


# --------------------------------------------------------------------------------------
# Hidden units: h = g(A + b) in place of A; g'(a) from h; D * g'(a) in place of D
# --------------------------------------------------------------------------------------
def logistic(A, bias):
    """``h = g(A + bias)`` in place of ``A``, ``g`` the sigmoid (`sigmoid`)."""
    if A.size <= SMALL:
        A += bias
        return expit(A, out=A)
    np.subtract(np.negative(bias), A, out=A)  # -a = -bias - A in one pass
    return sigmoid_of_negated(A)


def logistic_derivative(h, out=None):
    """``g'(a)`` from ``h = g(a)``, written into ``out`` (a new array if None)."""
    out = np.multiply(h, h, out=out)  # g'(a) = e^-a / (1 + e^-a)^2 = h (1 - h)
    return np.subtract(h, out, out=out)  # = h - h^2: no scalar, cheap on short h


def logistic_backward(h, D):
    """``D * g'(a)`` in place of ``D``, as ``(D h) (1 - h)``; ``h`` is overwritten."""
    D *= h  # g'(a) = h (1 - h)
    np.subtract(1.0, h, out=h)
    D *= h
    return D


def tanh(A, bias):
    """``h = tanh(A + bias)`` in place of ``A``."""
    A += bias
    return np.tanh(A, out=A)


def tanh_derivative(h, out=None):
    """``tanh'(a)`` from ``h = tanh(a)``, written into ``out`` (new if None)."""
    out = np.multiply(h, h, out=out)  # tanh'(a) = 1 / cosh^2 a = 1 - tanh^2 a
    return np.subtract(1.0, out, out=out)  # = 1 - h^2


def relu(A, bias):
    """``h = max(A + bias, 0)`` in place of ``A``."""
    A += bias
    return np.maximum(A, 0.0, out=A)


def relu_derivative(h, out=None):
    """``relu'(a)`` from ``h = max(a, 0)``, written into ``out`` (new if None)."""
    out = np.empty_like(h) if out is None else out
    return np.greater(h, 0.0, out=out)  # relu'(a) = 1{a > 0} = 1{h > 0}, 0 at a = 0


def identity(A, bias):
    """``h = A + bias`` in place of ``A``."""
    A += bias
    return A


def identity_derivative(h, out=None):
    """``identity'(a) = 1``, written into ``out`` (new if None)."""
    out = np.empty_like(h) if out is None else out
    out.fill(1.0)  # d a / d a = 1
    return out


def identity_backward(h, D):
    """``D * 1``: ``D`` as it is."""
    return D


def backward_of(derivative):
    """The `Activation.backward` of a unit: ``D *= derivative(h, out=h)``."""

    def backward(h, D):
        D *= derivative(h, out=h)
        return D

    backward.__doc__ = f"``D`` times `{derivative.__name__}`, in place."
    return backward


# --------------------------------------------------------------------------------------
# The same units written against an array namespace ``xp`` (NumPy, PyTorch, CuPy,
# array-api-strict): new arrays, nothing in place, only functions of the array API
# standard. The plain maths of `network` runs on them for arrays of any library.
# --------------------------------------------------------------------------------------
def xp_sigmoid(Z, xp):
    """``g(z) = 1 / (1 + e^-z)``; ``e^-z`` overflows to ``inf`` for very negative
    ``z``, and ``1 / (1 + inf) = 0`` is the exact limit, as in `sigmoid`. A
    library that has the sigmoid as one function of its own (PyTorch's
    ``sigmoid``, outside the standard) computes it in one pass over ``Z``
    instead of four."""
    fused = getattr(xp, "sigmoid", None)
    if fused is not None:
        return fused(Z)
    return 1.0 / (1.0 + xp.exp(-Z))


def xp_log_sigmoid(Z, xp):
    """``log g(z) = -log(1 + e^-z)``, finite wherever ``z`` is."""
    return -xp.logaddexp(xp.zeros_like(Z), -Z)


def xp_logsumexp(Z, xp):
    """``log sum_k e^{z_k}`` of each row, with the row maximum subtracted so
    that no exponential overflows; shape (n, 1)."""
    top = xp.max(Z, axis=1, keepdims=True)
    return top + xp.log(xp.sum(xp.exp(Z - top), axis=1, keepdims=True))


def xp_softmax(Z, xp):
    """``e^{z_k} / sum_l e^{z_l}`` of each row, the row maximum subtracted."""
    e = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def xp_binary_cross_entropy(Z, Y, xp):
    """`binary_cross_entropy`: ``log(1 + e^z) - y z``, summed over the units."""
    return xp.sum(xp.logaddexp(xp.zeros_like(Z), Z) - Y * Z, axis=1)


def xp_categorical_cross_entropy(Z, Y, xp):
    """`categorical_cross_entropy`: ``logsumexp(z) - z[y]``."""
    return xp_logsumexp(Z, xp)[:, 0] - xp.sum(Y * Z, axis=1)


def xp_squared_error(Z, Y, xp):
    """`squared_error`: ``(1/2) sum_k (z_k - y_k)^2``."""
    D = Z - Y
    return 0.5 * xp.sum(D * D, axis=1)


def xp_sigmoid_derivative(h, xp):
    """``g'(a) = h (1 - h)``, as `logistic_derivative` writes it: ``h - h^2``."""
    return h - h * h


def xp_tanh(A, xp):
    """``tanh(a)``."""
    return xp.tanh(A)


def xp_tanh_derivative(h, xp):
    """``tanh'(a) = 1 - h^2``."""
    return 1.0 - h * h


def xp_relu(A, xp):
    """``max(a, 0)``."""
    return xp.where(A > 0, A, xp.zeros_like(A))


def xp_relu_derivative(h, xp):
    """``relu'(a) = 1{a > 0} = 1{h > 0}``."""
    return xp.astype(h > 0, h.dtype)


def xp_identity(A, xp):
    """``a`` itself (also the identity output unit's ``o = z``)."""
    return A


def xp_identity_derivative(h, xp):
    """``identity'(a) = 1``."""
    return xp.ones_like(h)


def xp_log_softmax(Z, xp):
    """``log o_k = z_k - logsumexp(z)`` of the softmax, finite wherever ``Z``
    is: ``(z_k - max z) - log sum_l e^{z_l - max z}``, exact near 0 for the
    largest logit, as scipy's ``log_softmax``."""
    shifted = Z - xp.max(Z, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


class Portable(NamedTuple):
    """A unit's functions written against ``xp``: what `Activation.portable` and
    `Output.portable` hold.

    For a hidden unit: ``function(A, xp)``, ``g(A)``, and ``derivative(h, xp)``,
    ``g'(a)`` from ``h = g(a)``. For an output unit: ``function(Z, xp)``,
    ``o``; ``log_function(Z, xp)``, ``log o`` (None for units whose outputs are
    not probabilities); ``loss(Z, Y, xp)``, each sample's loss from the logits.
    """

    function: object
    derivative: object = None
    log_function: object = None
    loss: object = None


class Activation(NamedTuple):
    """A hidden unit ``h = g(a)``: one row of `ACTIVATIONS`.

    Attributes
    ----------
    function : callable
        ``function(A, bias)``: ``g(A + bias)`` in place of ``A``, returned;
        ``bias`` has one value per column.
    derivative : callable
        ``derivative(h, out=None)``: ``g'(a)``, written from the unit's output
        ``h = g(a)`` into ``out`` (which may be ``h``), or a new array.
    backward : callable
        ``backward(h, D)``: the chain rule's step back through the unit,
        ``D * g'(a)`` in place of ``D``, returned, with ``g'(a)`` from ``h``;
        ``h`` is overwritten (backpropagation needs it no more). The fast
        pass's form, with no array of its own.
    init_gain : float
        The initial weights of each layer are drawn from ``U(-r, r)`` with
        ``r = sqrt(init_gain / (fan_in + fan_out))``, as MLPClassifier draws
        them for this unit.
    start_mean_square : float
        The square of the unit's mean output at the starting weights, on
        standardized inputs, or a bound on it (`start_curvature`). Glorot's
        draw gives the pre-activations ``a`` a distribution symmetric about 0,
        of variance ``init_gain m / (3 (m + H))``, below ``init_gain / 3``: the
        sigmoid's mean output is then ``g(0) = 1/2``, tanh's and the
        identity's 0 (odd functions), and ReLU's ``sd(a) / sqrt(2 pi)``, whose
        square is below ``init_gain / (6 pi) = 1 / pi``.
    portable : Portable
        ``function`` and ``derivative`` written against an array namespace
        (`in_namespace`).
    """

    function: object
    derivative: object
    backward: object
    init_gain: float
    start_mean_square: float
    portable: Portable

    def in_namespace(self, xp):
        """This unit with ``function(A, bias)`` and ``derivative(h)`` computed
        in the array namespace ``xp``, as new arrays (`Portable`): itself for
        NumPy, whose in-place functions are the fast ones."""
        if xp is np:
            return self
        function, derivative = self.portable.function, self.portable.derivative
        return self._replace(
            function=lambda A, bias: function(A + bias, xp),
            derivative=lambda h, out=None: derivative(h, xp),
            backward=None,
        )


# The hidden units, by MLPClassifier's names. The gains are MLPClassifier's:
# Glorot and Bengio's 6 for units of slope 1 at 0, and 2 for the sigmoid.
ACTIVATIONS = {
    "logistic": Activation(
        logistic,
        logistic_derivative,
        logistic_backward,
        2.0,
        0.25,
        Portable(xp_sigmoid, xp_sigmoid_derivative),
    ),
    "tanh": Activation(
        tanh,
        tanh_derivative,
        backward_of(tanh_derivative),
        6.0,
        0.0,
        Portable(xp_tanh, xp_tanh_derivative),
    ),
    "relu": Activation(
        relu,
        relu_derivative,
        backward_of(relu_derivative),
        6.0,
        1 / math.pi,
        Portable(xp_relu, xp_relu_derivative),
    ),
    "identity": Activation(
        identity,
        identity_derivative,
        identity_backward,
        6.0,
        0.0,
        Portable(xp_identity, xp_identity_derivative),
    ),
}


def start_curvature(activation, n_hidden):
    """The largest curvature of a squared error in the weights into its output
    unit at the start of a fit, on standardized inputs: about
    ``1 + n_hidden * mean(h)^2``.

    That curvature is the largest eigenvalue of ``sum_i s_i a_i a_i^T``, the
    inputs ``a_i = [1, h_i]`` of the output unit weighted as the loss weighs
    them. At the starting weights each hidden unit's output scatters about
    its mean (`Activation.start_mean_square`) from sample to sample, so the
    ``a_i`` share the direction ``[1, mean(h), ..., mean(h)]``, of squared
    length ``1 + n_hidden mean(h)^2``: 9 for 32 sigmoid units, whose mean is
    1/2 (measured: 8.96), and about 11 for 32 ReLU units (measured: 8.8 with
    100 inputs; the bound holds for any number). A gradient step along it is
    stable below 2 over that curvature.
    """
    return 1.0 + n_hidden * ACTIVATIONS[activation].start_mean_square


# --------------------------------------------------------------------------------------
# Output units with their losses
# --------------------------------------------------------------------------------------
def binary_cross_entropy(Z, Y):
    """Per-sample ``-[y log g(z) + (1-y) log(1-g(z))] = log(1 + e^z) - y z``,
    summed over the sigmoid units, from the logits: shape (n,)."""
    return (np.logaddexp(0.0, Z) - Y * Z).sum(axis=1)


def categorical_cross_entropy(Z, Y):
    """Per-sample ``-sum_k y_k log o_k = logsumexp(z) - z[y]`` of the softmax
    ``o = e^z / sum_l e^{z_l}``, from the logits: shape (n,)."""
    return logsumexp(Z, axis=1) - (Y * Z).sum(axis=1)


def canonical_delta(o, Y):
    """``dL/dZ = o - Y``: for an output unit with the loss of its canonical link,
    the derivative of the link cancels that of the log (the notes' o - y)."""
    return o - Y


def _sigmoid_loss_and_delta(Z, Y, s, T, scratch):
    """`Output.loss_and_delta` of sigmoid units and the binary cross-entropy."""
    np.logaddexp(0.0, Z, out=T)  # CE = log(1 + e^z) - y z per unit, then summed
    T -= np.multiply(Y, Z)
    value = np.vdot(s, T) if T.shape[1] == 1 else np.add.reduce(s @ T)
    sigmoid(Z, out=Z)  # o = g(z)
    Z -= Y
    return value


def _softmax_loss_and_delta(Z, Y, s, T, scratch):
    """`Output.loss_and_delta` of the softmax and the categorical cross-entropy."""
    r = len(Z)
    Z -= row_max(Z, scratch.r1[:r])[:, None]  # softmax(z) = softmax(z - max z)
    z_y = np.add.reduce(s @ np.multiply(Y, Z, out=T))  # sum_i s_i z_i[y_i]
    np.exp(Z, out=Z)
    total = np.matmul(Z, scratch.ones[: Z.shape[1]], out=scratch.r2[:r])  # sum e^z
    Z /= total[:, None]  # o = softmax(z)
    value = s @ np.log(total, out=total) - z_y  # CE = log sum_l e^{z_l} - z[y]
    Z -= Y
    return value


def softmax_in_place(Z):
    """``softmax(Z)`` row by row, in place of the logits ``Z``."""
    Z -= row_max(Z, np.empty(len(Z), Z.dtype))[:, None]  # e^z / sum e^z, z - max z
    np.exp(Z, out=Z)
    Z /= np.matmul(Z, np.ones(Z.shape[1], Z.dtype))[:, None]
    return Z


def row_max(Z, out):
    """The maximum of each row of ``Z``: column by column when there are many
    rows and few columns."""
    if Z.shape[1] > 64 or Z.size <= SMALL:
        return np.max(Z, axis=1, out=out)
    np.copyto(out, Z[:, 0])
    for k in range(1, Z.shape[1]):
        np.maximum(out, Z[:, k], out=out)
    return out


def sigmoid_in_place(Z):
    """``g(Z)`` in place of the logits ``Z``."""
    return expit(Z, out=Z)


def squared_error(Z, Y):
    """Per-sample ``(1/2) sum_k (z_k - y_k)^2`` of identity output units
    ``o = z``: shape (n,)."""
    D = Z - Y
    D *= D
    return 0.5 * D.sum(axis=1)


def _identity_loss_and_delta(Z, Y, s, T, scratch):
    """`Output.loss_and_delta` of identity units and the squared error."""
    Z -= Y  # o - y, with o = z: the delta, and the residual the loss squares
    np.multiply(Z, Z, out=T)
    value = np.vdot(s, T) if T.shape[1] == 1 else np.add.reduce(s @ T)
    return 0.5 * value  # SE = (1/2) sum_k (o_k - y_k)^2


def _identity_item(z, y):
    """`Output.item` of one identity unit: ``((1/2) (z - y)^2, z - y)``."""
    d = z - y
    return 0.5 * d * d, d


def identity_output(Z):
    """The identity unit's ``o = z``: a new array."""
    return Z.copy()


def identity_in_place(Z):
    """The identity unit's ``o = z``: ``Z`` itself."""
    return Z


def _one_unit_item(z, y):
    """`Output.item` of one sigmoid unit: Python floats, as the notes write it."""
    e = math.exp(-abs(z))  # in (0, 1]: cannot overflow
    loss = max(z, 0.0) + math.log1p(e) - y * z  # CE = log(1 + e^z) - y z
    o = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)  # o = g(z)
    return loss, o - y


class Output(NamedTuple):
    """Output units and their loss ``L``: one row of `OUTPUTS`.

    Attributes
    ----------
    function : callable
        ``function(Z)``: the outputs ``o`` of the logits, a new array.
    log_function : callable or None
        ``log_function(Z)``: ``log o``, computed from the logits; None for
        units whose outputs are not probabilities.
    in_place : callable
        ``in_place(Z)``: ``o`` in place of the logits, returned.
    loss : callable
        ``loss(Z, Y)``: each sample's loss ``L_i``, shape (n,), computed from
        the logits: finite wherever they are.
    delta : callable
        ``delta(o, Y)``: the output delta ``dL/dZ``, which the loss of the
        unit's canonical link makes ``o - Y``.
    loss_and_delta : callable
        ``loss_and_delta(Z, Y, s, T, scratch)``: the fast pass's fused form,
        sharing the exponentials: returns ``sum_i s_i L_i`` and writes ``o - Y``
        in place of ``Z``. ``T`` is scratch shaped like ``Z``; ``scratch`` has
        vectors ``r1``, ``r2`` of at least n numbers and ``ones`` of at least
        ``max(n, K')`` ones. Sums along the short rows of ``Z`` are products
        with a vector of ones: NumPy's row reductions over a few columns cost
        several times more (docs/performance.rst).
    item : callable or None
        ``item(z, y)``: ``(L, dL/dz)`` of one item on a single unit, in Python
        floats, for online learning; None if the unit does not stand alone.
    portable : Portable
        ``function``, ``log_function`` and ``loss`` written against an array
        namespace (`in_namespace`).
    step_scale : float
        The 'auto' step of plain gradient descent, relative to the sigmoid's:
        the reciprocal of how much more the loss curves in a logit than the
        cross-entropy of a sigmoid unit, whose second derivative ``o (1 - o)``
        is at most 1/4 (`solvers.Solver`).
    """

    function: object
    log_function: object
    in_place: object
    loss: object
    delta: object
    loss_and_delta: object
    item: object
    portable: Portable = None
    step_scale: float = 1.0

    def in_namespace(self, xp):
        """These units with ``function``, ``log_function`` and ``loss``
        computed in the array namespace ``xp`` (`Portable`); ``delta``,
        ``o - Y``, is already: itself for NumPy, whose functions are the fast
        ones."""
        if xp is np:
            return self
        port = self.portable
        return self._replace(
            function=lambda Z: port.function(Z, xp),
            log_function=None
            if port.log_function is None
            else lambda Z: port.log_function(Z, xp),
            in_place=None,
            loss=lambda Z, Y: port.loss(Z, Y, xp),
            loss_and_delta=None,
            item=None,
        )


# Output units with the loss of their canonical link, by the names of
# MLPClassifier's and MLPRegressor's out_activation_. The softmax of the notes has
# the wrong sign in the exponent: it is e^{z_k} / sum_l e^{z_l}, with the row
# maximum subtracted. The identity unit's squared error has second derivative 1
# in its logit, four times the sigmoid's largest: its 'auto' step is a quarter.
OUTPUTS = {
    SIGMOID: Output(
        expit,
        log_expit,
        sigmoid_in_place,
        binary_cross_entropy,
        canonical_delta,
        _sigmoid_loss_and_delta,
        _one_unit_item,
        Portable(xp_sigmoid, None, xp_log_sigmoid, xp_binary_cross_entropy),
    ),
    SOFTMAX: Output(
        partial(softmax, axis=1),
        partial(log_softmax, axis=1),
        softmax_in_place,
        categorical_cross_entropy,
        canonical_delta,
        _softmax_loss_and_delta,
        None,
        Portable(xp_softmax, None, xp_log_softmax, xp_categorical_cross_entropy),
    ),
    IDENTITY: Output(
        identity_output,
        None,
        identity_in_place,
        squared_error,
        canonical_delta,
        _identity_loss_and_delta,
        _identity_item,
        Portable(xp_identity, None, None, xp_squared_error),
        step_scale=0.25,
    ),
}
