"""What a fitted network computes, besides training: the passes behind the
prediction methods, the hidden layer's features and the loss and gradient at
the fitted weights.

`NetworkMethods` is part of `base.BaseTwoLayerNetwork`. Its methods take
``X`` where it is: in memory (the fast blocked passes of `_engine.backprop`),
on a dask cluster (chunk by chunk, `_cluster.predict`), or on the device of
another array library (the plain maths of `_engine.network`, `devices`).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from .._cluster import chunks as _chunks
from .._cluster import predict as _predict
from .._engine import backprop as _backprop
from .._engine import network as _network
from .._engine import workspace as _workspace
from .._training import arrays as _arrays
from .._training import loops as _training
from . import devices as _devices

_FLOATS = [np.float64, np.float32]


class NetworkMethods:
    """The network's methods of a fitted estimator (see the module's docstring)."""

    def _params(self):
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        return _network.Params(W1, b1, W2, b2)

    def _validate_X(self, X, method="predict"):
        """``X`` validated for the prediction method ``method``, in the library
        and on the device of the fitted weights (`devices.check_same_place`)."""
        place = _devices.check_same_place(self, X, method)
        dtype = _FLOATS if place is None else _devices.float_dtypes(place[0])
        return validate_data(
            self, X, dtype=dtype, accept_sparse=["csr", "csc"], reset=False
        )

    def _logits(self, X, method="predict"):
        X = self._validate_X(X, method)
        if not _arrays.on_numpy(X):
            return self._forward(_network.forward, X)[1]
        with _quiet():
            return _backprop.logits(X, self._params(), self._fitted_activation)

    def _forward(self, function, X):
        """``function(X, params, activation)``, such as `_network.hidden`, with
        the fitted hidden units, on the BLAS threads `_workspace.run_forward`
        decides; in the library of ``X`` if it is not NumPy."""
        if not _arrays.on_numpy(X):
            # in the dtype of both, as NumPy computes a float32 model on float64 X
            xp = _arrays.namespace(X)
            dtype = xp.result_type(X.dtype, self.coefs_[0].dtype)
            p = self._params()
            p = _network.Params(*(xp.astype(a, dtype, copy=False) for a in p))
            X = xp.astype(X, dtype, copy=False)
            return function(X, p, self._fitted_activation, xp)
        (m, H), K = self.coefs_[0].shape, self.coefs_[1].shape[1]
        layout, p = _network.Layout(m, H, K), self._params()
        with _quiet():
            return _workspace.run_forward(
                X.shape[0], layout, function, X, p, self._fitted_activation
            )

    def _lazily(self, method, X):
        """``method`` of a dask ``X``: a dask array, computed chunk by chunk by
        the in-memory method (`_predict.predict_lazily`); the feature count
        and names are checked now."""
        _predict.check_2d(X)
        self._check_dask_X(X, reset=False)
        return _predict.predict_lazily(self, method, X)

    # ----------------------------------------------------- the network itself
    def hidden_activations(self, X):
        """The hidden layer's features ``h = f(X W1 + b1)``, ``f`` the unit of
        ``activation`` (the notes' sigmoid by default).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data. For a dask array or DataFrame, the result is a dask
            array, computed chunk by chunk when asked for.

        Returns
        -------
        h : ndarray of shape (n_samples, n_hidden)
            Activation of each hidden unit: in (0, 1) for ``'logistic'``,
            (-1, 1) for ``'tanh'``, [0, inf) for ``'relu'``, any number for
            ``'identity'``.

        Notes
        -----
        The hidden layer is a feature map learned for the targets: the output
        layer only separates the classes linearly in it (a classifier), or is
        a linear model of it (a regressor). With ``n_hidden=2`` it is a 2-D
        projection of the data that can be drawn.

        Examples
        --------
        The 64 pixels of the digits, projected through two hidden units:

        >>> from sklearn.datasets import load_digits
        >>> from sklearn.model_selection import cross_val_score
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skbackprop import TwoLayerClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = TwoLayerClassifier(n_hidden=2, learning_rate=1.0, random_state=0)
        >>> h = clf.fit(X, y).hidden_activations(X)
        >>> h.shape
        (1797, 2)

        Neighbours in this plane mostly show the same digit (chance is 0.1):

        >>> knn_accuracy = cross_val_score(KNeighborsClassifier(), h, y).mean()
        >>> bool(knn_accuracy > 0.6)
        True

        To draw it, with matplotlib:

        >>> import matplotlib.pyplot as plt  # doctest: +SKIP
        >>> plt.scatter(h[:, 0], h[:, 1], c=y, cmap="tab10", s=5)  # doctest: +SKIP
        >>> plt.colorbar(label="digit")  # doctest: +SKIP
        """
        check_is_fitted(self)
        if _chunks.is_dask_collection(X):
            return self._lazily("hidden_activations", X)
        return self._forward(_network.hidden, self._validate_X(X, "hidden_activations"))

    def loss_gradient(self, X, y, sample_weight=None):
        """Loss and its gradient at the current weights, by backpropagation.

        Lets a student check the notes' formulas, or a user run
        :func:`scipy.optimize.check_grad`. It runs the fast pass that training
        uses (``skbackprop/_engine/backprop.py``), which the tests hold to the
        notes' plain matrix form, ``loss_gradient`` in
        ``skbackprop/_engine/network.py``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets of the kind the model was fitted on: labels, all of them in
            ``classes_``, or for a multilabel model a 0/1 indicator matrix with
            `n_outputs_` columns; for a regressor, values with `n_outputs_`
            columns (1-D for one).

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally.

        Returns
        -------
        loss : float
            Weighted mean loss plus the L2 term: the cross-entropy of a
            classifier, ``(1/2) sum_k (o_k - y_k)^2`` of a regressor.

        gradients : tuple of (list of ndarray, list of ndarray)
            ``(coef_grads, intercept_grads)``, shaped like ``coefs_`` and
            ``intercepts_``.
        """
        check_is_fitted(self)
        _devices.check_same_place(self, X, "loss_gradient")
        X, y = self._validate_Xy(X, y, reset=False)
        self._check_fitted_targets(y)
        # At the fitted weights and units, even if n_hidden or activation was set
        # to another value since.
        n_hidden = self.coefs_[0].shape[1]
        backend, data = self._problem_where(
            X,
            y,
            sample_weight,
            self._fitted_targets(),
            n_hidden,
            activation=self._fitted_activation,
        )
        theta = self._theta(_arrays.numpy_dtype(X), data.layout)
        theta = backend.weights(theta)
        with _quiet(), backend.objective(data, self._l2(X.shape[0])) as objective:
            loss, grad = objective(theta, None, data.s)
        loss = float(loss)
        dp = data.layout.unpack(grad, _arrays.namespace(grad))
        return loss, ([dp.W1, dp.W2], [dp.b1, dp.b2])


def _quiet():
    """NumPy's floating-point errors off while the network computes: an
    exponential that underflows to 0 or overflows to infinity is the exact limit
    of the sigmoid and the softmax, not an error, whatever `numpy.seterr` the
    caller has set."""
    return _training.quiet_floating_point()
