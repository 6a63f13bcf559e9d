"""The data of a fit in another array library: PyTorch tensors, CuPy arrays,
array-api-strict arrays, on any device, under scikit-learn's
``array_api_dispatch``.

`OnDevice` is the backend (`in_memory` lists what a backend does) of a fit on
such arrays. ``X``, the targets ``Y`` and the weights ``theta`` live in the
library of ``X`` and on its device, where every pass of training runs: the
plain maths of `_engine.network`, written against the array namespace ``xp``.
What is decided from the labels stays on the host, as in memory and with the
same code: the classes, the class and sample weights of the loss, the
hold-out, the initial weights and the shuffles, all drawn from the same
generator, so that a fit on a device starts from the weights of the fit on
NumPy and takes the same batches. Only the results move: the targets and the
weights go to the device once, and each step takes its normalised sample
weights there.
"""

import numpy as np

from .._engine import network as _network
from . import arrays as _arrays
from . import targets as _targets
from .in_memory import Arrays, InMemory
from .loops import Closing
from .report import UNSCALED_RMS


class DeviceArrays(Arrays):
    """`in_memory.Arrays` whose ``X`` is on a device: its ``dtype`` is
    NumPy's name for the dtype of ``X``, that of the weights drawn on the
    host."""

    __slots__ = ()

    @property
    def dtype(self):
        return _arrays.numpy_dtype(self.X)


class OnDevice(InMemory):
    """The backend of a fit on the arrays of another library (see the
    module's docstring).

    Parameters
    ----------
    estimator : BaseTwoLayerNetwork
        The estimator being fitted.
    xp : array namespace
        The library of ``X`` (``array_api_compat``'s namespace).
    device : object
        The device of ``X``.
    """

    def __init__(self, estimator, xp, device):
        super().__init__(estimator)
        self.xp, self.device = xp, device

    def data(self, X, y, sample_weight, reset, holding_out):
        X, y = self.estimator._validate_Xy(X, y, reset=reset)
        sample_weight = None if sample_weight is None else host(sample_weight)
        return DeviceArrays(X, y, sample_weight, self.kind.summarise(y))

    def checked_weights(self, data):
        sample_weight = _targets.checked_weights(data.sample_weight, stand_in(data.X))
        return data._replace(sample_weight=sample_weight)

    def validation_set(self, X_val, y_val, sample_weight_val):
        X_val, y_val = self.estimator._validate_Xy(
            X_val, y_val, reset=False, y_name="y_val"
        )
        summary = self.kind.summarise(y_val, "y_val")
        if sample_weight_val is not None:
            sample_weight_val = _targets.checked_weights(
                host(sample_weight_val), stand_in(X_val), validation=True
            )
        return DeviceArrays(X_val, y_val, sample_weight_val, summary)

    def hold_out(self, data, sizes, rng):
        train, val = _targets.hold_out_rows(data.y, sizes, rng)
        sw = data.sample_weight

        def part(rows):
            X = self.xp.take(data.X, self.on_device(rows), axis=0)
            return DeviceArrays(X, data.y[rows], None if sw is None else sw[rows], None)

        return part(train), part(val), sizes.alone

    def problem(self, data, net, weights, validation=False):
        p = self.kind.problem(
            stand_in(data.X), data.y, data.sample_weight, net, weights, validation
        )
        return self.moved(p, data.X)

    def moved(self, problem, X):
        """The `targets.Problem` ``problem`` of the host, made with
        `stand_in` for ``X``, with ``X`` and its targets on the device. The
        weights ``s`` stay on the host, where the loops take batches of them."""
        return problem._replace(X=X, Y=self.on_device(problem.Y))

    def weights(self, theta):
        return self.on_device(theta)

    def objective(self, problem, l2):
        p = problem
        return Objective(p.X, p.Y, p.layout, p.output, l2, p.activation, self.xp)

    def validation_loss(self, val):
        s = self.on_device(val.s)

        def loss(theta):
            return _network.loss(
                theta, val.layout, val.X, val.Y, s, 0.0, val.output, val.activation,
                xp=self.xp,
            )  # fmt: skip

        return loss

    def unscaled(self, problem):
        return lambda X: unscaled_column(X, self.xp)

    def on_device(self, array):
        """The host array ``array`` on the device of ``X``."""
        return self.xp.asarray(array, device=self.device)


class Objective(Closing):
    """`loops.Objective` on a device: the loss and gradient of
    `_engine.network.loss_gradient` in the namespace ``xp``, on the rows
    ``rows`` (None: all) with the host weights ``s_rows``. The loss is a 0-d
    array on the device: the loops read it once per epoch, not at each step."""

    def __init__(self, X, Y, layout, output, l2, activation, xp):
        self.X, self.Y, self.layout = X, Y, layout
        self.output, self.l2, self.activation, self.xp = output, l2, activation, xp
        self._s = (None, None)  # the last weights moved, on the host and device

    def __call__(self, theta, rows=None, s_rows=None):
        xp, X, Y = self.xp, self.X, self.Y
        if rows is not None:
            if isinstance(rows, slice):
                X, Y = X[rows, ...], Y[rows, ...]
            else:
                index = xp.asarray(rows, device=_arrays.device(X))
                X, Y = xp.take(X, index, axis=0), xp.take(Y, index, axis=0)
        return _network.loss_gradient(
            theta, self.layout, X, Y, self.weights(s_rows), self.l2, self.output,
            self.activation, xp=xp,
        )  # fmt: skip

    def weights(self, s):
        """``s`` on the device of ``X``, in its dtype; the full weights of a
        full-batch fit move once."""
        if self._s[0] is not s:
            device = _arrays.device(self.X)
            self._s = (s, self.xp.asarray(s, dtype=self.X.dtype, device=device))
        return self._s[1]


def host(array):
    """An array-like of any library as a NumPy array on the host: labels and
    sample weights are read there."""
    return _arrays.to_numpy(array) if hasattr(array, "__dlpack__") else array


def stand_in(X):
    """A NumPy array of the shape of ``X`` and NumPy's name of its dtype, that
    takes no memory: what the host's rules read of ``X``."""
    return np.broadcast_to(np.zeros((1, 1), _arrays.numpy_dtype(X)), X.shape)


def unscaled_column(X, xp):
    """`report.unscaled_column` of ``X``, computed on its device."""
    squares = _arrays.to_numpy(xp.mean(X * X, axis=0)).astype(np.float64)
    column = int(np.argmax(squares))
    rms = float(np.sqrt(squares[column]))
    return (column, rms) if rms > UNSCALED_RMS else None
