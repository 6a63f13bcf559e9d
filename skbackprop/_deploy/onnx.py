"""Export to ONNX: skl2onnx converters for `TwoLayerClassifier` and
`TwoLayerRegressor`.

The converter writes the network's forward pass as ONNX operators, in the
input's precision (float32, or float64 for a ``DoubleTensorType`` input)::

    h = Sigmoid(X W1 + b1)      Z = h W2 + b2

with the operator of the hidden unit the model was fitted with (its
``activation``, by `HIDDEN_OPERATORS`) in place of ``Sigmoid``: ``Tanh``,
``Relu`` or ``Identity``; and then the outputs of `TwoLayerClassifier.predict`
and ``predict_proba``:

- two classes: the scores ``S = [-Z, Z]``; ``Sigmoid(S)`` is
  ``[1 - g(z), g(z)]`` (exact where ``g(z)`` rounds to 1), and the label is
  the class of ``ArgMax(S)``, the second one exactly when ``z > 0``;
- more classes: ``S = Z``, ``Softmax(S)`` (ONNX's, which subtracts the row
  maximum) and ``ArgMax(S)``;
- multilabel: ``Sigmoid(Z)`` per label, and the 0/1 label matrix ``Z > 0``
  (int64, shape ``(n, n_labels)``), as `predict` decides.

Labels are int64 for numeric classes, booleans for boolean ones, strings
otherwise. `to_onnx` derives the inputs from data (an array, or a DataFrame
column by column for a pipeline that begins with a ColumnTransformer), in
float32 or float64, and converts `~sklearn.impute.SimpleImputer` where
skl2onnx cannot: strings whose missing value is ``NaN`` (a marker string
stands for it, ``''`` unless that is a category of the model), and float64
numbers. `onnx_inputs` makes the inputs of such a model from data.

Labels come from the logits, not from rounded probabilities, so the exported
labels are those of `predict`. skl2onnx's classifier parser adds the options
of its classifiers: ``zipmap`` (True, False or ``'columns'``) and ``nocl``.

A `TwoLayerRegressor`'s outputs are its identity units, ``Z`` itself: one
output ``variable`` of shape ``(None, n_outputs)`` in the input's precision, as
skl2onnx's converter of MLPRegressor gives. skl2onnx has no converter of
`~sklearn.compose.TransformedTargetRegressor`, which scales the targets of a
regressor; `to_onnx` converts one whose transformer is a
`~sklearn.preprocessing.StandardScaler` or the identity (no ``func``), as
``Z * scale + mean``, and names any other transformer in its error.

skl2onnx, onnx and onnxruntime are the optional extra ``onnx``; they are
imported only when a function here is called.
"""

import copy
import functools
import json

import numpy as np

from .._estimators import devices as _devices

ALIAS = "SkbackpropTwoLayerClassifier"
REGRESSOR_ALIAS = "SkbackpropTwoLayerRegressor"
# The operator of a TransformedTargetRegressor's inverse transform, which
# `to_onnx` alone declares (skl2onnx registers no converter of that class).
_TARGET_ALIAS = "SkbackpropInverseTargetTransform"
# The ONNX operator of each hidden unit of `units.ACTIVATIONS`, by its name.
HIDDEN_OPERATORS = {
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "identity": "Identity",
}
_COLUMNS = "skbackprop.columns"  # metadata: the DataFrame column of each input
_MISSING = "skbackprop.missing_string"  # metadata: the string that means missing
# skl2onnx's options of classifiers: zipmap, and nocl (labels are class indices).
_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
_EXTRA = (
    "ONNX export needs skl2onnx and onnx (and onnxruntime to run the exported "
    "model): install the extra with `pip install skbackprop[onnx]`."
)


def _skl2onnx():
    """The skl2onnx module, or an ImportError naming the extra to install."""
    try:
        import onnx  # noqa: F401
        import skl2onnx
    except ImportError as error:
        raise ImportError(f"{_EXTRA} ({error})") from error
    return skl2onnx


def register_onnx_converter():
    """Register skl2onnx's converters for `TwoLayerClassifier` and
    `TwoLayerRegressor`.

    After this call, :func:`skl2onnx.to_onnx` and
    :func:`skl2onnx.convert_sklearn` convert either estimator, alone or as a
    step of a pipeline: the classifier with the ``zipmap`` option of
    skl2onnx's classifiers, the regressor with one output ``variable`` as
    skl2onnx's regressors. Calling it again does nothing new. :func:`to_onnx`
    calls it for you.

    skl2onnx itself has no converter of
    `~sklearn.compose.TransformedTargetRegressor`, and this function registers
    none: convert a regressor whose targets are scaled that way with
    :func:`to_onnx`.

    Raises
    ------
    ImportError
        If skl2onnx or onnx is not installed (the ``onnx`` extra).

    See Also
    --------
    to_onnx : Register the converter and convert a model.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbackprop import TwoLayerClassifier, register_onnx_converter
    >>> X, y = load_iris(return_X_y=True)
    >>> pipeline = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    >>> register_onnx_converter()
    >>> onx = skl2onnx.to_onnx(pipeline.fit(X, y), X[:1].astype(np.float32))
    >>> [output.name for output in onx.graph.output]
    ['output_label', 'output_probability']
    """
    from .._estimators.classifier import TwoLayerClassifier
    from .._estimators.regressor import TwoLayerRegressor

    skl2onnx = _skl2onnx()
    skl2onnx.update_registered_converter(
        TwoLayerClassifier,
        ALIAS,
        _calculate_output_shapes,
        _convert,
        options=_OPTIONS,
    )
    skl2onnx.update_registered_converter(
        TwoLayerRegressor,
        REGRESSOR_ALIAS,
        _calculate_regressor_output_shapes,
        _convert_regressor,
    )


def to_onnx(model, X, *, dtype=None, **kwargs):
    """Convert a fitted model that contains a `TwoLayerClassifier` or a
    `TwoLayerRegressor` to ONNX.

    Registers the converters (`register_onnx_converter`) and converts with
    :func:`skl2onnx.convert_sklearn`, the function behind
    :func:`skl2onnx.to_onnx`, with inputs derived from ``X``. ``model`` is a
    fitted `TwoLayerClassifier` or `TwoLayerRegressor`, or a pipeline
    (:class:`~sklearn.pipeline.Pipeline`,
    :class:`~sklearn.compose.ColumnTransformer` and the other scikit-learn parts
    skl2onnx converts) that ends in one. A regressor may also be wrapped in a
    :class:`~sklearn.compose.TransformedTargetRegressor` whose transformer is
    a :class:`~sklearn.preprocessing.StandardScaler`, or that has none (and
    no ``func``): skl2onnx has no converter of that class, and this function
    adds one for these two cases (see Notes).

    Parameters
    ----------
    model : estimator
        The fitted classifier, regressor or pipeline.

    X : ndarray or pandas.DataFrame
        Some rows of the data the model takes (one is enough): they fix the
        inputs of the ONNX graph.

        - An array (dense or sparse) gives one input ``'X'`` of shape
          ``(None, n_features)`` and of the array's type: float32 computes
          in float32, float64 in float64.
        - A DataFrame, for a model that begins with a
          :class:`~sklearn.compose.ColumnTransformer` (which selects columns
          by name), gives one input per column, named after the column, of
          shape ``(None, 1)``: a ``tensor(string)`` for columns of strings
          (object, string or category dtype) and a ``tensor(float)`` for
          numeric and boolean ones (``True`` is 1). At prediction, pass each
          column as a 2-D array: numbers as float32 (NaN where missing),
          strings as ``str`` with ``''`` where missing (see Notes); the
          function `onnx_inputs` does it.
        - A DataFrame, for any other model (a bare estimator, a pipeline
          that begins with a scaler), gives one input ``'X'`` of shape
          ``(None, n_columns)``: its columns must all be numeric or boolean.

    dtype : {None, numpy.float32, numpy.float64}, default=None
        The type of the numeric inputs, and so the precision of the graph.
        None takes an array's own type, and float32 for a DataFrame's
        columns. ``numpy.float64`` keeps large values (years, longitudes,
        timestamps) exact, which float32 rounds.

    **kwargs : dict
        Passed on to :func:`skl2onnx.convert_sklearn`: ``options`` (for
        example ``{"zipmap": False}``), ``target_opset``, ``initial_types``
        (which replaces the inputs derived from ``X``) and the others.

    Returns
    -------
    onx : onnx.ModelProto
        The ONNX model. A regressor's has one output, ``variable``, of shape
        ``(None, n_outputs)`` in the input's type: the values `predict`
        gives, as a column for a model fitted on 1-D ``y`` (as for
        skl2onnx's regressors). A classifier's outputs are ``label`` and
        ``probabilities``
        (``options={"zipmap": False}``), each row's labels as `predict` gives
        them (0/1 columns for multilabel targets) and the probabilities in
        the input's type, as `predict_proba` gives them. By default (zipmap
        True), as for skl2onnx's classifiers, they are ``output_label`` and
        ``output_probability``, a list of dictionaries
        ``{class: probability}`` in float32; ``{"zipmap": "columns"}`` gives
        one output per class. ``{"nocl": True}`` labels with class indices.

    Raises
    ------
    ImportError
        If skl2onnx or onnx is not installed (the ``onnx`` extra).
    NotImplementedError
        If ``model`` holds a TransformedTargetRegressor with another
        transformer, or with ``func`` and ``inverse_func``.

    See Also
    --------
    onnx_inputs : The inputs of the ONNX model, from data like ``X``.
    register_onnx_converter : Make skl2onnx's own functions convert the
        classifier and the regressor.

    Notes
    -----
    skl2onnx's converter of :class:`~sklearn.impute.SimpleImputer` takes
    strings only with a string ``missing_values``. In a DataFrame a missing
    string is ``NaN``, scikit-learn's default ``missing_values``: this function
    converts a string imputer whose ``missing_values`` is ``NaN`` or None with
    a string standing for missing, since an ONNX string tensor has no ``NaN``.
    That string is ``''``, unless ``''`` is a category the model learned (a
    category of an encoder, or an imputer's fill value): then it is
    ``'<missing>'`` (or ``'<missing 1>'``, ... if that one is learned too), so
    that ``''`` stays a category. The model's metadata
    ``skbackprop.missing_string`` holds it, and `onnx_inputs` puts it where a
    string is missing.

    A :class:`~sklearn.compose.TransformedTargetRegressor` predicts its
    regressor's values transformed back: for a ``StandardScaler`` of the
    targets, ``Z * scale_ + mean_``, which the graph computes after the
    regressor's output (a ``Mul`` and an ``Add``). Other transformers, and
    ``func``/``inverse_func``, have no converter here; scale the targets
    with a ``StandardScaler`` to export, or export the inner regressor and
    transform its outputs back yourself.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skbackprop import TwoLayerClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    >>> onx = to_onnx(clf.fit(X, y), X[:1], options={"zipmap": False})
    >>> session = onnxruntime.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X})  # or onnx_inputs(onx, X)
    >>> bool((label == clf.predict(X)).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True

    A regressor whose inputs and targets are standardized:

    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from skbackprop import TwoLayerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> reg = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), TwoLayerRegressor(random_state=0)),
    ...     transformer=StandardScaler(),
    ... )
    >>> onx = to_onnx(reg.fit(X, y), X[:1])
    >>> session = onnxruntime.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> (values,) = session.run(None, {"X": X})
    >>> values.shape
    (442, 1)
    >>> bool(np.allclose(values.ravel(), reg.predict(X), rtol=1e-5))
    True
    """
    skl2onnx = _skl2onnx()
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.impute import SimpleImputer

    if dtype is not None and np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype={dtype!r}: pass numpy.float32, numpy.float64 or None.")
    dtype = None if dtype is None else np.dtype(dtype)
    _devices.require_numpy_throughout(model, "ONNX export")
    register_onnx_converter()
    columns = None
    if kwargs.get("initial_types") is None:
        kwargs["initial_types"] = _initial_types(X, dtype, _selects_columns(model))
        if hasattr(X, "columns"):
            columns = [str(name) for name in X.columns]
    kwargs.setdefault("name", f"ONNX({type(model).__name__})")
    missing = _missing_string(model)
    kwargs["custom_conversion_functions"] = {
        SimpleImputer: functools.partial(_convert_simple_imputer, missing=missing),
        TransformedTargetRegressor: _convert_target_transform,
        **(kwargs.get("custom_conversion_functions") or {}),
    }
    kwargs["custom_shape_calculators"] = {
        TransformedTargetRegressor: _calculate_target_transform_shapes,
        **(kwargs.get("custom_shape_calculators") or {}),
    }
    kwargs["custom_parsers"] = {
        TransformedTargetRegressor: _parse_target_transform,
        **(kwargs.get("custom_parsers") or {}),
    }
    onx = skl2onnx.convert_sklearn(model, **kwargs)
    # the DataFrame's column of each input, in the inputs' order: ONNX names may
    # differ from them; and the string that stands for a missing one (both read
    # by `onnx_inputs`)
    metadata = {_MISSING: missing}
    if columns is not None:
        metadata[_COLUMNS] = json.dumps(columns)
    for key, value in metadata.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    return onx


# ----------------------------------------------------------------------- inputs
def _initial_types(X, dtype, by_column):
    """skl2onnx's inputs for data like ``X``: an array as one input ``'X'``, a
    DataFrame column by column when ``by_column`` (the model selects its
    columns by name), else as one input ``'X'`` of its numeric columns.
    Numbers are of type ``dtype`` (None: an array's own, float32 for a
    DataFrame)."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        StringTensorType,
    )

    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        numbers = DoubleTensorType if dtype == np.float64 else FloatTensorType
        strings = _string_columns(X)
        if by_column:
            return [
                (
                    str(name),
                    (StringTensorType if name in strings else numbers)([None, 1]),
                )
                for name in X.columns
            ]
        if strings:
            raise TypeError(
                f"Column {strings[0]!r} of X holds strings, which only a pipeline "
                "that begins with a ColumnTransformer can take: encode them in "
                "one (OneHotEncoder), or pass X without them."
            )
        return [("X", numbers([None, X.shape[1]]))]
    if dtype is None:
        dtype = getattr(X, "dtype", None)
    if getattr(X, "ndim", None) != 2 or not _is_number_column(dtype):
        raise TypeError(
            "X must be a 2-D array of numbers or a pandas DataFrame; got "
            f"{type(X).__name__}{'' if dtype is None else ' of dtype ' + str(dtype)}."
        )
    tensor = FloatTensorType if dtype == np.float32 else DoubleTensorType
    return [("X", tensor([None, X.shape[1]]))]


def _string_columns(X):
    """The columns of the DataFrame ``X`` that are ONNX string inputs; an error
    names the first column that is neither strings nor numbers."""
    strings = []
    for name, dtype in X.dtypes.items():
        if _is_string_column(dtype):
            strings.append(name)
        elif not (_is_number_column(dtype) or _is_bool_column(dtype)):
            raise TypeError(
                f"Column {name!r} of X has dtype {dtype}, which has no ONNX "
                "input here: make it numbers or strings, or drop it."
            )
    return strings


def _selects_columns(model):
    """Whether ``model`` begins with a ColumnTransformer, which takes the
    columns of a DataFrame by name (then each column is an input)."""
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.pipeline import Pipeline

    while isinstance(model, (Pipeline, TransformedTargetRegressor)):
        if isinstance(model, Pipeline):
            model = model.steps[0][1]
        else:  # the fitted regressor takes X
            model = model.regressor_
    return isinstance(model, ColumnTransformer)


def _is_string_column(dtype):
    """Whether a DataFrame column of ``dtype`` holds strings (or categories)."""
    return getattr(dtype, "kind", None) in ("O", "U") or str(dtype) in (
        "str",
        "string",
        "category",
    )


def _is_number_column(dtype):
    """Whether a column of ``dtype`` holds integers or floats (not booleans)."""
    try:
        return np.dtype(dtype).kind in "iuf"
    except TypeError:  # a pandas extension dtype
        return False


def _is_bool_column(dtype):
    """Whether a column of ``dtype`` holds booleans (NumPy's, or pandas'
    ``boolean`` with missing values): numbers to scikit-learn, 1 for True."""
    return getattr(dtype, "kind", None) == "b"


def _missing_string(model):
    """The string that stands for a missing string in the ONNX inputs: ``''``,
    unless the model learned ``''`` as a category; then the first of
    ``'<missing>'``, ``'<missing 1>'``, ... that it did not learn."""
    learned = set()
    for part in _fitted_parts(model):
        values = [getattr(part, "statistics_", None), *getattr(part, "categories_", ())]
        for array in values:
            if array is not None:
                learned.update(v for v in np.ravel(array) if isinstance(v, str))
    more = (f"<missing {i}>" for i in range(1, len(learned) + 1))
    candidates = ("", "<missing>", *more)
    return next(c for c in candidates if c not in learned)


def _fitted_parts(model):
    """``model`` and the fitted estimators inside it: the steps of pipelines,
    the transformers of a ColumnTransformer or FeatureUnion, the regressor of
    a TransformedTargetRegressor."""
    yield model
    inner = [*getattr(model, "steps", ()), *getattr(model, "transformer_list", ())]
    inner += getattr(model, "transformers_", [])
    if hasattr(model, "regressor_"):
        inner.append(("regressor", model.regressor_))
    for entry in inner:
        if hasattr(entry[1], "fit"):
            yield from _fitted_parts(entry[1])


def _convert_simple_imputer(scope, operator, container, missing=""):
    """skl2onnx's converter of `~sklearn.impute.SimpleImputer`, which also takes
    strings whose missing value is ``NaN`` or None: in an ONNX string tensor,
    the string ``missing`` is the missing value. float64 numbers take
    `_impute_doubles`."""
    from skl2onnx.common.data_types import DoubleTensorType, StringTensorType
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer

    imputer = operator.raw_operator
    value = imputer.missing_values
    if isinstance(operator.inputs[0].type, DoubleTensorType) and _is_nan(value):
        _impute_doubles(scope, operator, container)
        return
    if isinstance(operator.inputs[0].type, StringTensorType) and (
        value is None or _is_nan(value)
    ):
        operator.raw_operator = copy.copy(imputer)
        operator.raw_operator.missing_values = missing
    try:
        convert_sklearn_imputer(scope, operator, container)
    finally:
        operator.raw_operator = imputer


def _is_nan(value):
    return isinstance(value, float) and np.isnan(value)


def _impute_doubles(scope, operator, container):
    """A float64 `~sklearn.impute.SimpleImputer` of ``NaN``s with standard
    operators (onnxruntime's ``Imputer`` takes float32 only)::

        Where(IsNaN(x), statistics, x)
    """
    imputer = operator.raw_operator
    if imputer.add_indicator:
        raise NotImplementedError(
            "A float64 ONNX graph takes no SimpleImputer(add_indicator=True): "
            "export with dtype=numpy.float32, or impute without the indicator."
        )
    graph = _Graph(scope, container, np.float64)
    x = operator.inputs[0].full_name
    statistics = np.asarray(imputer.statistics_, dtype=np.float64)
    if np.isnan(statistics).any():
        raise NotImplementedError(
            "A float64 ONNX graph takes no SimpleImputer that drops columns "
            "with no value in fit: leave those columns out of X, or export "
            "with dtype=numpy.float32."
        )
    isnan = graph.node("IsNaN", x)
    graph.node(
        "Where",
        [isnan, graph.constant(statistics.reshape(1, -1)), x],
        output=operator.outputs[0].full_name,
    )


def onnx_inputs(onx, X):
    """The inputs of an ONNX model made by `to_onnx`, from data like ``X``.

    Parameters
    ----------
    onx : onnx.ModelProto
        A model made by `to_onnx` from data of the same kind as ``X``.

    X : {ndarray, sparse matrix, pandas.DataFrame}
        Data to predict: an array for a model with one input (a sparse one
        is made dense, as ONNX tensors are), or a DataFrame. For a model
        `to_onnx` made from a DataFrame, its inputs are taken from the
        columns of the same names, in any order, and other columns (the
        target, say) are left out; otherwise the DataFrame has the columns
        of the one the model was made from, in the same order.

    Returns
    -------
    inputs : dict
        ``{input name: 2-D array}``, to pass to
        ``onnxruntime.InferenceSession.run``: the array in the input's
        precision, or each column of the DataFrame as a column vector,
        numbers in the input's precision (``NaN`` where missing, 1 for
        ``True``) and strings as ``str`` (``''`` where missing, or the
        model's own missing string: see `to_onnx`). For a model with one
        input ``'X'`` made from a DataFrame, its columns as one matrix.

    See Also
    --------
    to_onnx : Convert a model to ONNX.

    Examples
    --------
    >>> import onnxruntime
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from skbackprop import TwoLayerClassifier, onnx_inputs, to_onnx
    >>> X = pd.DataFrame({"colour": ["red", "blue", "blue", "red"],
    ...                   "size": [1.0, 2.0, 3.0, 4.0]})
    >>> preprocess = make_column_transformer(
    ...     (OneHotEncoder(handle_unknown="ignore"), ["colour"]),
    ...     (StandardScaler(), ["size"]))
    >>> model = make_pipeline(preprocess, TwoLayerClassifier(random_state=0))
    >>> onx = to_onnx(model.fit(X, [0, 0, 1, 1]), X, options={"zipmap": False})
    >>> inputs = onnx_inputs(onx, X)
    >>> inputs["colour"].ravel().tolist(), inputs["size"].dtype
    (['red', 'blue', 'blue', 'red'], dtype('float32'))
    >>> session = onnxruntime.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> labels, proba = session.run(None, inputs)
    >>> labels.tolist() == model.predict(X).tolist()
    True
    """
    inputs = onx.graph.input
    if not (hasattr(X, "columns") and hasattr(X, "dtypes")):
        if len(inputs) != 1:
            raise ValueError(
                f"The model has {len(inputs)} inputs, one per column of a "
                "DataFrame: pass X as a DataFrame with these columns."
            )
        if hasattr(X, "toarray"):  # a sparse matrix: ONNX tensors are dense
            X = X.toarray()
        return {inputs[0].name: np.asarray(X, dtype=_numpy_type(inputs[0]))}
    columns = json.loads(_metadata(onx, _COLUMNS, "null"))
    missing_string = _metadata(onx, _MISSING, "")
    if columns is not None:
        missing = [name for name in columns if name not in X.columns]
        if missing:
            raise ValueError(
                f"X has no column {missing[0]!r}, which the model takes; its "
                f"inputs are the columns {', '.join(map(repr, columns))}."
            )
        if len(inputs) == 1 and len(columns) > 1:  # one matrix of the columns
            return {inputs[0].name: _column(X[columns], _numpy_type(inputs[0]))}
        return {
            put.name: _column(X[[name]], _numpy_type(put), missing_string)
            for name, put in zip(columns, inputs, strict=True)
        }
    if len(inputs) != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} columns but the model has {len(inputs)} inputs: "
            "pass the columns of the DataFrame the model was made from."
        )
    return {
        put.name: _column(X.iloc[:, [j]], _numpy_type(put), missing_string)
        for j, put in enumerate(inputs)
    }


def _metadata(onx, key, default):
    """The metadata ``key`` that `to_onnx` recorded; ``default`` for a model
    made otherwise."""
    for entry in onx.metadata_props:
        if entry.key == key:
            return entry.value
    return default


def _numpy_type(put):
    """The NumPy type of an ONNX input: float32, float64 or str."""
    from onnx import TensorProto

    types = {
        TensorProto.FLOAT: np.float32,
        TensorProto.DOUBLE: np.float64,
        TensorProto.STRING: str,
    }
    return types[put.type.tensor_type.elem_type]


def _column(columns, dtype, missing=""):
    """Columns of a DataFrame as a 2-D array of ``dtype``: strings with
    ``missing`` where missing, numbers with NaN (booleans as 0 and 1)."""
    if dtype is str:
        return columns.astype(object).fillna(missing).to_numpy(dtype=str)
    return columns.to_numpy(dtype=dtype, na_value=np.nan)


# ------------------------------------------------------------ shape calculator
def _calculate_output_shapes(operator):
    """Types of the outputs: the labels, and the probabilities in the input's
    precision."""
    _devices.require_numpy(operator.raw_operator, "ONNX export")
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    label_type, _ = _labels(operator.scope_inst, model)
    label_shape = [n, model.n_outputs_] if model._is_multilabel() else [n]
    operator.outputs[0].type = label_type(label_shape)
    proba_type = (
        FloatTensorType if _zipmap_float(operator) else type(operator.inputs[0].type)
    )
    operator.outputs[1].type = proba_type([n, len(model.classes_)])


def _zipmap_float(operator):
    """Whether float64 probabilities go to ONNX's ZipMap, which takes float32
    only: then they are rounded to float32 at the end."""
    from skl2onnx.common.data_types import DoubleTensorType

    zipmap = operator.scope_inst.get_options(operator.raw_operator, {"zipmap": True})
    return zipmap["zipmap"] is True and isinstance(
        operator.inputs[0].type, DoubleTensorType
    )


def _labels(scope, model):
    """``(tensor type, values)`` of the labels of the exported model: the
    classes (`_label_type`), or their indices with the option ``nocl``.
    Boolean classes are booleans, as `predict` gives them, except where
    skl2onnx's ZipMap (option ``zipmap``) takes them, which holds int64 keys
    and labels only: there they are 0 and 1."""
    from skl2onnx.common.data_types import BooleanTensorType

    if scope.get_options(model, {"nocl": False})["nocl"]:
        return _label_type(np.arange(len(model.classes_)))
    zipmap = scope.get_options(model, {"zipmap": True})["zipmap"]
    if model.classes_.dtype == np.bool_ and zipmap is False:
        return BooleanTensorType, np.asarray(model.classes_)
    return _label_type(model.classes_)


def _label_type(classes):
    """``(tensor type, values)`` of the class labels in ONNX: int64 for numbers
    (classification labels are integers, booleans or integral floats), UTF-8
    strings otherwise."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    classes = np.asarray(classes)
    if not (
        classes.dtype.kind in "biuf"
        or all(isinstance(c, (int, np.integer)) for c in classes)
    ):
        return StringTensorType, np.array([str(c).encode("utf-8") for c in classes])
    with np.errstate(invalid="ignore"):  # a float too large for int64
        values = classes.astype(np.int64)
    if not all(int(v) == c for v, c in zip(values, classes, strict=True)):
        raise ValueError(
            f"The class labels {classes} do not fit ONNX's int64 labels. Fit "
            "the model on labels between -2**63 and 2**63 - 1, or on strings."
        )
    return Int64TensorType, values


# ------------------------------------------------------------------ converter
def _convert(scope, operator, container):
    """The network's forward pass and its outputs, in the input's precision."""
    model = operator.raw_operator
    graph = _Graph.of(scope, operator, container)

    Z = _forward(graph, model, operator.inputs[0].full_name)

    label, proba = (output.full_name for output in operator.outputs)
    if _zipmap_float(operator):
        rounded, proba = proba, scope.get_unique_variable_name("probabilities")
    if model._is_multilabel():
        _multilabel_outputs(graph, Z, label, proba)
    else:
        _class_outputs(graph, Z, label, proba, _labels(scope, model)[1])
    if _zipmap_float(operator):
        graph.node("Cast", proba, output=rounded, to=graph.TYPES[np.float32])


def _forward(graph, model, x, output=None):
    """The network's output units ``Z`` on the input ``x``, written to
    ``output`` (None: a new name): ``h = g(x W1 + b1)``, ``g`` the hidden unit
    the model was fitted with; ``Z = h W2 + b2``."""
    _devices.require_numpy(model, "ONNX export")
    W1, W2 = model.coefs_
    b1, b2 = model.intercepts_
    hidden = HIDDEN_OPERATORS[model._fitted_activation]
    h = graph.node(hidden, graph.affine(x, W1, b1))
    return graph.affine(h, W2, b2, output=output)


def _calculate_regressor_output_shapes(operator):
    """Type of a regressor's output: ``(n, n_outputs)`` in the input's
    precision."""
    _devices.require_numpy(operator.raw_operator, "ONNX export")
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    check_input_and_output_types(
        operator, good_input_types=[FloatTensorType, DoubleTensorType]
    )
    n = operator.inputs[0].get_first_dimension()
    tensor = type(operator.inputs[0].type)
    operator.outputs[0].type = tensor([n, operator.raw_operator.n_outputs_])


def _convert_regressor(scope, operator, container):
    """The regressor's forward pass: its identity output units are the output."""
    graph = _Graph.of(scope, operator, container)
    _forward(
        graph,
        operator.raw_operator,
        operator.inputs[0].full_name,
        output=operator.outputs[0].full_name,
    )


# ----------------------------------------------- TransformedTargetRegressor
def _parse_target_transform(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parse of a TransformedTargetRegressor: its regressor on
    ``inputs``, then the inverse of its transformer on the regressor's
    output (`_target_inverse` says which transformers have one)."""
    from skl2onnx._parse import _parse_sklearn
    from skl2onnx.common.data_types import guess_tensor_type

    _target_inverse(model)  # refuses a transformer without a converter first
    # declared first, so that the graph's output has the regressors' name
    output = scope.declare_local_variable("variable", guess_tensor_type(inputs[0].type))
    values = _parse_sklearn(scope, model.regressor_, inputs, custom_parsers)
    if len(values) != 1:
        raise NotImplementedError(
            f"The regressor of a TransformedTargetRegressor has {len(values)} "
            "ONNX outputs; only a regressor of one output converts."
        )
    operator = scope.declare_local_operator(_TARGET_ALIAS, model)
    operator.inputs = values
    operator.outputs.append(output)
    return [output]


def _calculate_target_transform_shapes(operator):
    """The values transformed back have the regressor's shape and type."""
    operator.outputs[0].type = copy.copy(operator.inputs[0].type)


def _convert_target_transform(scope, operator, container):
    """``values * scale + mean``: the inverse of the targets' StandardScaler
    (the identity without one)."""
    graph = _Graph.of(scope, operator, container)
    scale, mean = _target_inverse(operator.raw_operator)
    values = operator.inputs[0].full_name
    if scale is not None:
        values = graph.node("Mul", [values, graph.constant(scale.reshape(1, -1))])
    if mean is not None:
        values = graph.node("Add", [values, graph.constant(mean.reshape(1, -1))])
    graph.node("Identity", values, output=operator.outputs[0].full_name)


def _target_inverse(model):
    """``(scale, mean)`` of the fitted TransformedTargetRegressor ``model``,
    whose inverse transform is ``values * scale + mean`` (either None where
    the transformer has none); NotImplementedError for a transformer that
    is not a StandardScaler or the identity."""
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    transformer = model.transformer_
    if isinstance(transformer, StandardScaler):
        # as its inverse_transform: ``mean_`` is kept for the variance even
        # where ``with_mean=False`` does not subtract it
        scale = np.asarray(transformer.scale_) if transformer.with_std else None
        mean = np.asarray(transformer.mean_) if transformer.with_mean else None
        return scale, mean
    if (
        isinstance(transformer, FunctionTransformer)
        and transformer.func is None
        and transformer.inverse_func is None
    ):
        return None, None
    raise NotImplementedError(
        "skl2onnx has no converter of TransformedTargetRegressor, and "
        "skbackprop converts one only with transformer=StandardScaler() or "
        f"with no transformer and no func; this one has {transformer!r}. "
        "Scale the targets with a StandardScaler to export the model, or "
        "export its regressor_ and transform the predictions back yourself."
    )


def _class_outputs(graph, Z, label, proba, classes):
    """Probabilities and labels of one class per sample."""
    if len(classes) == 2:
        # One sigmoid unit: the scores [-z, z] give [g(-z), g(z)] =
        # [1 - g(z), g(z)], and their ArgMax is class 1 exactly when z > 0.
        S = graph.node("Concat", [graph.node("Neg", Z), Z], axis=1)
        graph.node("Sigmoid", S, output=proba)
    else:
        S = Z  # the softmax's scores; ONNX's Softmax subtracts the row maximum
        graph.node("Softmax", S, output=proba, axis=1)
    index = graph.node("ArgMax", S, axis=1, keepdims=0)
    graph.node("Gather", [graph.labels(classes), index], output=label, axis=0)


def _multilabel_outputs(graph, Z, label, proba):
    """One sigmoid unit per label; a label is on when its logit is above 0."""
    graph.node("Sigmoid", Z, output=proba)
    on = graph.node("Greater", [Z, graph.constant(np.zeros(1))])
    graph.node("Cast", on, output=label, to=graph.TYPES[np.int64])


class _Graph:
    """Adds the nodes and initializers of the converter to skl2onnx's container,
    with values in one floating-point type."""

    @classmethod
    def of(cls, scope, operator, container):
        """The graph of ``operator``, in the precision of its first input."""
        from skl2onnx.common.data_types import DoubleTensorType

        double = isinstance(operator.inputs[0].type, DoubleTensorType)
        return cls(scope, container, np.float64 if double else np.float32)

    def __init__(self, scope, container, dtype):
        from skl2onnx.proto import onnx_proto

        self.scope, self.container, self.dtype = scope, container, dtype
        self.TYPES = {
            np.float32: onnx_proto.TensorProto.FLOAT,
            np.float64: onnx_proto.TensorProto.DOUBLE,
            np.int64: onnx_proto.TensorProto.INT64,
            np.bool_: onnx_proto.TensorProto.BOOL,
            np.bytes_: onnx_proto.TensorProto.STRING,
        }

    def node(self, op_type, inputs, output=None, **attributes):
        """Add an ``op_type`` node; return the name of its output."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def constant(self, array):
        """An initializer holding ``array`` in the graph's floating-point type."""
        array = np.asarray(array, dtype=self.dtype)
        name = self.scope.get_unique_variable_name("weights")
        self.container.add_initializer(
            name, self.TYPES[self.dtype], array.shape, array.ravel()
        )
        return name

    def labels(self, classes):
        """An initializer holding the class labels (int64, bool or bytes)."""
        name = self.scope.get_unique_variable_name("classes")
        self.container.add_initializer(
            name, self.TYPES[classes.dtype.type], classes.shape, classes.tolist()
        )
        return name

    def affine(self, x, W, b, output=None):
        """``x W + b``, written to ``output`` (None: a new name)."""
        product = self.node("MatMul", [x, self.constant(W)])
        return self.node("Add", [product, self.constant(b)], output=output)
