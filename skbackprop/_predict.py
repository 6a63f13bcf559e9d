"""``python -m skbackprop predict``: a saved model's predictions for a CSV file.

Writes the file's rows in order, as written, followed by a ``prediction``
column and one ``probability_<class>`` column per class, to ``--output`` or to
standard output; for a multilabel model (one yes-or-no output per label), a
``prediction_<label>`` column (0 or 1) per label, then the
``probability_<label>`` columns. When the file holds the model's target column,
its labels are left out of the features and the accuracy is printed (to
standard error when the predictions go to standard output).

The model is a pipeline fitted on a DataFrame (it knows its columns' names),
such as the one ``python -m skbackprop --save-model`` writes; ``.skops`` files
are loaded with `_model_file.TRUSTED_TYPES`, running no code from the file.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from . import _model_file
from ._cli import PROG, report_errors
from ._csv import InputError, read_for_prediction, read_frame
from ._outputs import check_writable

PREDICTION = "prediction"


def main(argv=None):
    """Run the predict command; return the exit status."""
    return report_errors(run, _parser().parse_args(argv))


def _parser():
    parser = argparse.ArgumentParser(
        prog=f"{PROG} predict",
        description="Predict the rows of a CSV file with a saved model.",
    )
    parser.add_argument(
        "--model",
        metavar="PATH",
        type=Path,
        required=True,
        help="a model saved by --save-model (.skops or .joblib)",
    )
    parser.add_argument(
        "--data",
        metavar="FILE.csv",
        type=Path,
        required=True,
        help="CSV file with a header row and the model's columns",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        help="CSV file for the predictions (default: standard output)",
    )
    return parser


def run(args):
    """The predict command, from parsed options; return the exit status."""
    if args.output is not None:
        check_writable(args.output, "--output")
    model = load(args.model)
    known, numeric, categorical, target = model_columns(model, args.model)
    X, labels = read_for_prediction(args.data, known, numeric, categorical, target)
    try:
        probabilities = model.predict_proba(X)
        predictions = model.predict(X)
    except ValueError as exc:
        raise InputError(f"{args.data}: {' '.join(str(exc).split())}") from None
    table = predictions_table(args.data, model.classes_, predictions, probabilities)
    report = sys.stdout if args.output is not None else sys.stderr
    if args.output is None:
        try:
            table.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except BrokenPipeError:  # a reader such as `head` stopped reading
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    else:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(args.output, index=False)
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc}") from None
        print(f"Predictions for {len(table)} rows written to {args.output}")
    if labels is not None and np.ndim(predictions) == 1:
        print(accuracy_line(args.data, target, labels, predictions), file=report)
    return 0


def load(path):
    """The model at ``path``, or an `InputError` saying why not."""
    try:
        return _model_file.load_model(path)
    except (ValueError, ImportError) as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # a corrupt file: whatever its loader raises
        raise InputError(f"cannot load the model {path}: {exc}") from None


def model_columns(model, path):
    """``(known, numeric, categorical, target)`` columns of a fitted model.

    ``known`` are the columns it was fitted with. When its first step is the
    ColumnTransformer the command line builds, ``numeric`` and ``categorical``
    are the ones it reads as numbers and as categories; else both are empty
    and every known column is needed. ``target`` is the label column the
    command line recorded (None if there is none).
    """
    known = getattr(model, "feature_names_in_", None)
    if known is None or not hasattr(model, "predict_proba"):
        raise InputError(
            f"{path} is not a classifier fitted on named columns, so its "
            "columns cannot be matched to a CSV file's"
        )
    numeric, categorical = [], []
    first = model[0] if isinstance(model, Pipeline) else None
    if isinstance(first, ColumnTransformer):
        columns = {name: list(cols) for name, _, cols in first.transformers_}
        numeric = columns.get("numeric", [])
        categorical = columns.get("categorical", [])
    return list(known), numeric, categorical, getattr(model, "target_name_", None)


def predictions_table(path, classes, predictions, probabilities):
    """The rows of ``path`` as written, then the prediction and probabilities:
    of a multilabel model, a 0/1 prediction column per label."""
    import pandas as pd

    rows = read_frame(path, all_text=True)
    predictions = np.asarray(predictions)
    if predictions.ndim == 2:  # multilabel: a prediction per label
        predicted = [f"{PREDICTION}_{c}" for c in classes]
    else:
        predicted, predictions = [PREDICTION], predictions[:, np.newaxis]
    names = [*predicted, *(f"probability_{c}" for c in classes)]
    clash = [name for name in names if name in rows.columns]
    if clash:
        raise InputError(
            f"{path} already has a column {clash[0]!r}; rename it to keep it apart "
            "from the predictions"
        )
    labels = pd.DataFrame(dict(zip(predicted, predictions.T, strict=True)))
    added = pd.DataFrame(probabilities, columns=names[len(predicted) :])
    return pd.concat([rows, labels, added], axis=1)


def accuracy_line(path, target, labels, predictions):
    """The accuracy on the rows of ``path`` that have a label.

    The command line's labels are the file's text, or integers written the
    canonical way, so a prediction is right when it reads as the label does.
    """
    labelled = labels.notna().to_numpy()
    right = np.asarray(predictions).astype(str)[labelled] == labels[labelled].to_numpy(
        dtype=str
    )
    unlabelled = f"; {(~labelled).sum()} without a label" if not labelled.all() else ""
    if not labelled.any():
        return f"No accuracy: no row of {path} has a label in {target!r}."
    return (
        f"Accuracy on {path}: {right.mean():.4f} "
        f"({labelled.sum()} labelled rows{unlabelled})"
    )
