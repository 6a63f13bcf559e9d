"""Prediction and scoring on dask collections, chunk by chunk.

`predict_lazily` maps a prediction method of a fitted estimator over the row
chunks of a dask array or DataFrame: the result is a dask array of the declared
dtype and width, computed chunk by chunk by the in-memory method when asked
for, and a chunk of no rows predicts as no rows. `check_2d` gives a dask input
that is not 2-D the error of the in-memory methods; `score` computes a metric
of dask collections (a classifier's accuracy, a regressor's R²) with
scikit-learn's function.

dask is the optional ``dask`` extra; it is imported by the functions that need
it, never when this module is imported.
"""

import numpy as np
from sklearn.utils.validation import check_array

from .chunks import is_dask_collection


def check_2d(X):
    """A dask ``X`` that is not 2-D (an array of one dimension, a Series) gets
    the error of the in-memory methods, from its empty meta."""
    if X.ndim != 2:
        check_array(X._meta, ensure_min_samples=0, input_name="X")


def predict_lazily(estimator, method, X):
    """``estimator.method`` mapped over the row chunks of the dask collection
    ``X``: a dask array, computed chunk by chunk when asked for.

    Each chunk is predicted by the in-memory method, which validates it (feature
    names included) as it validates any ``X``.
    """
    import dask.array as da

    width = _output_width(estimator, method)
    meta_dtype = _output_dtype(estimator, method, X)
    # an empty array of the output's type and width: dask takes the columns of
    # every chunk from it
    meta = np.empty((0,) if width is None else (0, width), meta_dtype)
    if isinstance(X, da.Array):
        if X.ndim == 2 and X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        kwargs = (
            {"drop_axis": 1} if width is None else {"chunks": (X.chunks[0], (width,))}
        )
        return X.map_blocks(
            _predict_block, estimator, method, dtype=meta_dtype, meta=meta, **kwargs
        )
    return X.map_partitions(_predict_block, estimator, method, meta=meta)


def score(estimator, X, y, sample_weight, metric=None):
    """The score of ``estimator`` on dask collections: the predictions of
    ``X`` (computed chunk by chunk), the targets and the weights gathered, then
    ``metric(y, predicted, sample_weight=...)``, scikit-learn's
    `accuracy_score` by default, which needs their lengths."""
    import dask
    from sklearn.metrics import accuracy_score

    metric = accuracy_score if metric is None else metric
    # one collection at a time: dask warns against computing arrays and
    # DataFrames together
    predicted, y, sample_weight = (
        dask.compute(v)[0] if is_dask_collection(v) else v
        for v in (estimator.predict(X), y, sample_weight)
    )
    return float(metric(y, predicted, sample_weight=sample_weight))


def _output_dtype(estimator, method, X):
    """The dtype of ``estimator.method(X)``: the labels' for a classifier's
    `predict` (0/1 integers for multilabel targets), else the floats of the
    data and weights, as the in-memory method computes them."""
    if method == "predict" and _predicts_labels(estimator):
        return np.dtype(int) if estimator._is_multilabel() else estimator.classes_.dtype
    dtypes = list(X.dtypes) if hasattr(X, "dtypes") else [X.dtype]
    data = np.float32 if all(np.dtype(d) == np.float32 for d in dtypes) else float
    return np.result_type(data, estimator.coefs_[0].dtype)


def _predict_block(X, estimator, method):
    """``estimator.method`` of one chunk; a chunk of no rows (a partition that
    a filter emptied) has an output of no rows."""
    if X.shape[0] == 0:
        width = _output_width(estimator, method)
        shape = (0,) if width is None else (0, width)
        return np.empty(shape, _output_dtype(estimator, method, X))
    return getattr(estimator, method)(X)


def _output_width(estimator, method):
    """Columns of the method's output; None for a vector."""
    if method == "hidden_activations":
        return estimator.coefs_[0].shape[1]
    if method in ("predict_proba", "predict_log_proba"):
        return max(2, estimator.n_outputs_)
    if estimator.n_outputs_ == 1:
        return None
    if method == "predict" and _predicts_labels(estimator):
        return None if not estimator._is_multilabel() else estimator.n_outputs_
    return estimator.n_outputs_


def _predicts_labels(estimator):
    """Whether ``estimator.predict`` returns labels (a classifier's ``classes_``)
    rather than values."""
    return hasattr(estimator, "classes_")
