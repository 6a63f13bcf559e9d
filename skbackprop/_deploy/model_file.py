"""Model files: save a fitted pipeline, and load it back without running code.

Two formats, chosen by the file's suffix (`FORMATS`):

- ``.skops``, skops' format (the ``skops`` extra), the safe choice: loading
  rebuilds objects from a description and runs no code from the file; only
  types on a trusted list are built. skops trusts scikit-learn's estimators,
  NumPy arrays and builtins by itself; `TRUSTED_TYPES` adds what a pipeline of
  `TwoLayerClassifier` or `TwoLayerRegressor` holds besides, and `load_model`
  passes it, so no user has to write ``trusted=`` by hand. A file holding any
  other type is refused.
- ``.joblib``, joblib's pickles: loading one runs whatever code the file
  names, so load only the files you wrote yourself. `load_model` loads one
  only if ``allow_pickle`` is true (its default), and the predict command
  only with ``--trust-pickle``.

`save_model` writes through `atomic.atomic_path`: a model file is replaced
whole or not at all.
"""

from pathlib import Path

from .atomic import atomic_path

# The names that files written before the package's layer folders give the
# three classes of skbackprop below: their former modules re-export them.
FORMER_NAMES = [
    "skbackprop._classifier.TwoLayerClassifier",
    "skbackprop._dates.DateFeatures",
    "skbackprop._solvers.Adam",
    "skbackprop._solvers.GradientDescent",
]

# The types that skops does not trust by itself and a fitted pipeline of
# TwoLayerClassifier or TwoLayerRegressor holds, as "module.name" strings
# (skops' `trusted=`): the estimators, the transformer of the command line's
# date columns (dates as numbers),
# the update rules it keeps so that `partial_fit` continues
# (the "gd"/"sgd" rule and Adam's), NumPy's dtype objects, which
# scikit-learn's SimpleImputer stores, and the list of left-over columns that
# ColumnTransformer keeps in scikit-learn 1.6 (a list; later versions keep a
# plain one); then the former names. docs/api.rst lists them, one by one.
TRUSTED_TYPES = [
    "numpy.dtype",
    "skbackprop._estimators.classifier.TwoLayerClassifier",
    "skbackprop._estimators.regressor.TwoLayerRegressor",
    "skbackprop._cli.dates.DateFeatures",
    "skbackprop._training.solvers.Adam",
    "skbackprop._training.solvers.GradientDescent",
    "sklearn.compose._column_transformer._RemainderColsList",
    *FORMER_NAMES,
]


SKOPS_EXTRA = "pip install 'skbackprop[skops]'"


def _skops():
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            f"model files in skops' format need skops: {SKOPS_EXTRA}"
        ) from None
    return skops.io


def _dump_skops(model, path):
    _skops().dump(model, path)


def _dump_joblib(model, path):
    import joblib

    joblib.dump(model, path)


def _load_skops(path):
    sio = _skops()
    found = sio.get_untrusted_types(file=path)
    untrusted = [name for name in found if name not in TRUSTED_TYPES]
    if untrusted:
        raise ValueError(
            f"{path} holds types that skbackprop does not trust: "
            f"{', '.join(untrusted)}; if you trust the file, load it with "
            "skops.io.load(path, trusted=...) naming them"
        )
    return sio.load(path, trusted=TRUSTED_TYPES)


def _load_joblib(path):
    import joblib

    return joblib.load(path)


# suffix: (save, load, how to load it by hand)
FORMATS = {
    ".skops": (_dump_skops, _load_skops, "skbackprop.load_model"),
    ".joblib": (_dump_joblib, _load_joblib, "joblib.load, only if you trust it"),
}
# The formats whose files are pickles: loading one runs code from the file.
PICKLES = (".joblib",)


def model_format(path):
    """The suffix of ``path`` if it names a model format, else a ValueError."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{path}: a model file ends in {' or '.join(FORMATS)} "
            "(.skops is the safe format: loading it runs no code)"
        )
    return suffix


def is_pickle(path):
    """Whether loading the model file ``path`` would unpickle it."""
    return Path(path).suffix.lower() in PICKLES


def save_model(model, path):
    """Save ``model`` to ``path`` in the format its suffix names.

    The file is written to a temporary file next to it and renamed into place,
    so an earlier file at ``path`` stays whole if saving fails.
    """
    dump = FORMATS[model_format(path)][0]
    with atomic_path(path) as temporary:
        dump(model, temporary)


def load_model(path, *, allow_pickle=True):
    """Load a model saved in skops' format (``.skops``) or with joblib.

    A ``.skops`` file is loaded with `TRUSTED_TYPES`, the types a pipeline of
    `TwoLayerClassifier` or `TwoLayerRegressor` holds beyond those skops
    trusts by itself
    (scikit-learn's estimators, NumPy arrays, builtins): loading it runs no
    code from the file, and a file holding any other type is refused. A
    ``.joblib`` file is a pickle: unpickling it runs whatever code the file
    names, so load only files you wrote yourself or whose source you trust,
    and pass ``allow_pickle=False`` where the path comes from someone else.

    Parameters
    ----------
    path : str or path-like
        The model file; its suffix, ``.skops`` or ``.joblib``, says its format.
    allow_pickle : bool, default=True
        Whether a pickle (``.joblib``) may be loaded. False refuses one with a
        ValueError before the file is opened; ``.skops`` files load either way.

    Returns
    -------
    model : object
        The saved model, such as the pipeline of ``python -m skbackprop
        --save-model``.

    Raises
    ------
    ValueError
        If the suffix is neither, a ``.skops`` file holds a type that is not
        trusted, or the file is a pickle and ``allow_pickle`` is false.
    ImportError
        If a ``.skops`` file is given and skops (the ``skops`` extra) is not
        installed.

    Warnings
    --------
    ``.joblib`` and ``.pkl`` files are pickles: loading one runs code from the
    file, with your permissions. skbackprop loads ``.joblib`` ones (a ``.pkl``
    file is refused by its suffix); prefer ``.skops``, which runs no code.

    See Also
    --------
    TRUSTED_TYPES : The types trusted beyond skops' own.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import skops.io
    >>> from skbackprop import TwoLayerClassifier, load_model
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), TwoLayerClassifier(n_hidden=4))
    >>> model = model.fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.skops")
    >>> skops.io.dump(model, path)
    >>> print(bool((load_model(path).predict(X) == model.predict(X)).all()))
    True

    A regressor whose targets are standardized loads the same way:

    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.datasets import load_diabetes
    >>> from skbackprop import TwoLayerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = TransformedTargetRegressor(
    ...     make_pipeline(StandardScaler(), TwoLayerRegressor(n_hidden=4)),
    ...     transformer=StandardScaler(),
    ... )
    >>> path = os.path.join(tempfile.mkdtemp(), "diabetes.skops")
    >>> skops.io.dump(model.fit(X, y), path)
    >>> print(bool((load_model(path).predict(X) == model.predict(X)).all()))
    True
    """
    suffix = model_format(path)
    if suffix in PICKLES and not allow_pickle:
        raise ValueError(
            f"{path} is a pickle ({suffix}), and loading a pickle runs code from "
            "the file: pass allow_pickle=True only if you trust the file, or "
            "save models as .skops, which loads without running code"
        )
    return FORMATS[suffix][1](path)
