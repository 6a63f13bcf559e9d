"""The estimators on the arrays of other libraries: PyTorch, CuPy,
array-api-strict, on any device, under scikit-learn's array API dispatch.

- `namespace_of` says whether an ``X`` takes that path: dispatch is on
  (``sklearn.config_context(array_api_dispatch=True)``) and ``X`` is not a
  NumPy array. NumPy arrays, sparse matrices and everything else take the fast
  NumPy path, with dispatch on or off, to the same bits.
- `check_same_place` checks that a fitted model predicts on arrays of the
  library and device it was fitted on.
- `move_to` is the public call that moves a fitted model to another library
  or device, to NumPy for deployment; `require_numpy` (and
  `require_numpy_throughout`, for a pipeline) stops a model on a device from
  being pickled or exported with weights that would not load elsewhere.
- `labels_like` keeps numeric labels next to the data, `labels_at` returns
  predicted labels there, and `ravel` a column as a vector, in its library.

The training on a device is `_training.on_device`; the maths,
`_engine.network`, written against the namespace ``xp``.
"""

import copy
import importlib

import numpy as np
from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace_and_device

from .._training import arrays as _arrays


def namespace_of(X):
    """``(xp, device)`` of ``X`` if it trains and predicts in its own library:
    array API dispatch is on and ``X`` is an array of a library other than
    NumPy; None otherwise."""
    if not get_config()["array_api_dispatch"] or _arrays.on_numpy(X):
        return None
    if getattr(X, "is_sparse", False) or "sparse" in str(getattr(X, "layout", "")):
        raise TypeError(
            f"X is a sparse {library_name(X)} array: sparse input trains on NumPy "
            "only, as a SciPy sparse matrix. Pass a dense array (X.to_dense()) "
            "to train on its device, or a scipy.sparse matrix."
        )
    xp, _, device = get_namespace_and_device(X)
    return None if _is_numpy_namespace(xp) else (xp, device)


def float_dtypes(xp):
    """The float dtypes that ``X`` keeps in ``xp``: float64 and float32."""
    return [xp.float64, xp.float32]


def fitted_place(estimator):
    """``(library, device)`` of the fitted weights: ("numpy", "cpu") on NumPy."""
    W1 = estimator.coefs_[0]
    if _arrays.on_numpy(W1):
        return "numpy", "cpu"
    return library_name(W1), _arrays.device(W1)


def library_name(array):
    """The name of the library of ``array``, as users import it."""
    return type(array).__module__.partition(".")[0]


def check_same_place(estimator, X, method, continuing=False):
    """Check that ``X`` is of the library and on the device of the fitted
    weights, as scikit-learn's array API estimators check it; return
    ``(xp, device)`` of ``X`` (`namespace_of`), or None for NumPy.

    A model fitted on NumPy takes what NumPy takes: with dispatch on, not the
    arrays of another library. A model fitted on a device takes only arrays
    of its library and device, under dispatch. ``continuing``: ``method``
    trains the fitted model on (a warm start, `partial_fit`), whose weights
    and update rule stay where they are.
    """
    place = namespace_of(X)
    library, device = fitted_place(estimator)
    here = "numpy" if place is None else library_name(X)
    if (here, "cpu" if place is None else place[1]) == (library, device):
        return place
    name = type(estimator).__name__
    what = (
        f"Continuing to train a fitted {name} ({method})"
        if continuing
        else f"{name}.{method}()"
    )
    fitted = (
        "the model was fitted on NumPy arrays"
        if library == "numpy"
        else f"the model's weights are {library} arrays on {device}"
    )
    if library != "numpy" and not get_config()["array_api_dispatch"]:
        fix = (
            "Array API dispatch is off, so X is taken as NumPy: call it inside "
            "sklearn.config_context(array_api_dispatch=True) to pass "
            f"{library} arrays, or move the model with "
            "skbackprop.move_to(model, numpy) for NumPy data."
        )
    elif library == "numpy":
        fix = (
            f"Fit it on {here} arrays, or move it there with "
            f"skbackprop.move_to(model, {here}, device=...)."
        )
    else:
        to = "numpy" if here == "numpy" else f"{here}, device=..."
        fix = (
            f"Pass X as {library} arrays on {device}, or move the model with "
            f"skbackprop.move_to(model, {to})."
        )
    raise ValueError(
        f"{what} must use the same namespace and device as fit: {fitted}, and X "
        f"is {describe(X)}. {fix}"
    )


def describe(X):
    """What ``X`` is, in words."""
    if _arrays.on_numpy(X):
        return "a NumPy array" if isinstance(X, np.ndarray) else type(X).__name__
    return f"a {library_name(X)} array on {_arrays.device(X)}"


def ravel(Z):
    """The one column of ``Z`` as a vector, in its library."""
    return Z.ravel() if _arrays.on_numpy(Z) else _arrays.namespace(Z).reshape(Z, (-1,))


def labels_like(classes, X):
    """The NumPy labels ``classes`` next to ``X``: in its library and on its
    device for numbers; on the host for labels other libraries cannot hold
    (strings, objects)."""
    if _arrays.on_numpy(X) or classes.dtype.kind not in "biuf":
        return classes
    xp = _arrays.namespace(X)
    return xp.asarray(classes, device=_arrays.device(X))


def labels_at(classes, index, xp):
    """``classes[index]`` for the predicted class indices ``index`` (in
    ``xp``): in ``xp`` for labels kept there (`labels_like`), else on the
    host."""
    if not _arrays.on_numpy(classes):
        return xp.take(classes, index)
    return classes[_arrays.to_numpy(index)]


# --------------------------------------------------------------------------------------
# Moving a fitted model
# --------------------------------------------------------------------------------------
def move_to(estimator, xp, device=None):
    """A copy of a fitted model with its weights in the library ``xp``, on
    ``device``.

    Training on a device keeps the weights there; `move_to` brings them to
    NumPy for what needs NumPy (a ``.skops`` file, ONNX export, a pickle,
    :class:`~skbackprop.LossCurveDisplay` needs only the loss curve), or
    takes a NumPy model to a device. Numeric labels (``classes_``) move with
    the weights, and other labels stay on the host; the loss curves are
    Python numbers. The model itself is left as it is.

    Parameters
    ----------
    estimator : TwoLayerClassifier or TwoLayerRegressor
        A fitted model.
    xp : module or str
        The library to move to: ``numpy``, ``torch``, ``cupy`` or
        ``array_api_strict`` (or its ``array_api_compat`` namespace), or the
        name of one, such as ``"numpy"``.
    device : str or device, default=None
        The device in that library, such as ``"cuda"`` or ``"cpu"`` for
        PyTorch; None: the library's default. NumPy has only ``"cpu"``.

    Returns
    -------
    moved : TwoLayerClassifier or TwoLayerRegressor
        A copy of the model that trains on and predicts for arrays of that
        library on that device (under array API dispatch, for libraries other
        than NumPy).

    Examples
    --------
    >>> import numpy
    >>> from sklearn.datasets import load_iris
    >>> from skbackprop import TwoLayerClassifier, move_to
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = TwoLayerClassifier(max_iter=5, random_state=0).fit(X, y)
    >>> type(move_to(clf, numpy).coefs_[0]).__name__
    'ndarray'
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    to = _converter(xp, device)
    moved = copy.copy(estimator)
    moved.coefs_ = [to(W) for W in estimator.coefs_]
    moved.intercepts_ = [to(b) for b in estimator.intercepts_]
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        moved.classes_ = labels_like(_arrays.to_numpy(classes), moved.coefs_[0])
    rule = getattr(estimator, "_optimizer", None)
    if rule is not None:
        rule = copy.copy(rule)
        for name in ("velocity", "m", "v"):
            if getattr(rule, name, None) is not None:
                setattr(rule, name, to(getattr(rule, name)))
        moved._optimizer = rule
    return moved


def _converter(xp, device):
    """``array -> the array in xp on device``, through the host; ``xp`` is a
    module or its name."""
    if isinstance(xp, str):
        try:
            xp = importlib.import_module(xp)
        except ImportError as error:
            raise ValueError(
                f"move_to: cannot import {xp!r}; pass an array library such as "
                "numpy or torch, or its name."
            ) from error
    name = getattr(xp, "__name__", "")
    if name == "numpy" or name.endswith("array_api_compat.numpy"):
        if device not in (None, "cpu"):
            raise ValueError(f"NumPy arrays live on 'cpu' only; got device={device!r}.")
        return _arrays.to_numpy
    if not callable(getattr(xp, "asarray", None)):
        raise TypeError(
            f"move_to takes an array library (numpy, torch, cupy, "
            f"array_api_strict) or its name; got {xp!r}."
        )
    namespace = _arrays.compat().array_namespace(xp.asarray([0.0]))

    def to(array):
        return namespace.asarray(_arrays.to_numpy(array), device=device)

    return to


def require_numpy(estimator, what):
    """Raise if the weights of ``estimator`` are not NumPy arrays: ``what``
    (a pickle, a model file, an ONNX graph) needs them on the host."""
    coefs = getattr(estimator, "coefs_", None)
    if coefs and not _arrays.on_numpy(coefs[0]):
        library, device = fitted_place(estimator)
        raise TypeError(
            f"{what} needs a model on NumPy, and this {type(estimator).__name__} "
            f"holds {library} arrays on {device}, which would load only where that "
            "library and device exist. Use skbackprop.move_to(model, numpy) "
            "first: the copy predicts the same."
        )


def require_numpy_throughout(model, what):
    """`require_numpy` of each `TwoLayerClassifier` and `TwoLayerRegressor` in
    ``model``: itself, the steps of a pipeline and their fitted regressors
    (a TransformedTargetRegressor's)."""
    from .base import BaseTwoLayerNetwork  # which imports this module

    parts = [model]
    if hasattr(model, "get_params"):
        parts += list(model.get_params(deep=True).values())
    parts += [getattr(part, "regressor_", None) for part in parts]
    for part in parts:
        if isinstance(part, BaseTwoLayerNetwork):
            require_numpy(part, what)
