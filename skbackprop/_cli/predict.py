"""``python -m skbackprop predict``: a saved model's predictions for a CSV file.

`run` checks the model's path (`check_model_path`: a file, not ONNX) and
trust (`check_trust`: a ``.joblib`` pickle only with ``--trust-pickle``), and
the ``--output`` file as the main job's outputs are, before the model is
loaded (`load`: a ``.skops`` file with `_model_file.TRUSTED_TYPES`, running no
code from it); then it reads the file as the model was trained
(`model_columns`, `model_reading`) and writes its rows as written, with the
prediction and the probability of each class or label (`predictions_table`;
a regression's prediction alone), to ``--output``, whole or not at all, or to
standard output, with the file's separator and decimal mark (`dialect`). When
the file holds the target column, `accuracy_line` gives the accuracy (a
regression's R² and mean absolute error: `regression.score_line`); bounded
notes name the categories never seen in training and the labels the model
does not know.
docs/user_guide.rst ("Predictions") says what the command writes.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.base import is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from .._deploy import model_file as _model_file
from .._deploy.atomic import atomic_path
from .dialect import STDIN, WHITESPACE, Dialect, shown, sniff
from .main import PROG, report_errors
from .outputs import Output, check_outputs, created_note, folder_for
from .outputs import shown as shown_output
from .reading import InputError, raw_header, read_for_prediction, read_frame
from .regression import record_lines as regression_record_lines
from .regression import score_line
from .task import quantities
from .text import count, listing, short, wrapped

PREDICTION = "prediction"
# The endings of a predictions file: comma-separated text, whatever it is called.
OUTPUT_SUFFIXES = (".csv", ".txt")


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
        help="a model saved by --save-model: .skops (safe: loading it runs no "
        "code) or .joblib (a pickle: loading it runs code from the file, so it "
        "is loaded only with --trust-pickle)",
    )
    parser.add_argument(
        "--data",
        metavar="FILE.csv",
        type=Path,
        required=True,
        help="CSV file with a header row and the model's columns, or - for "
        "standard input",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        help="CSV file for the predictions, ending in .csv or .txt; an existing "
        "file is replaced once the predictions are whole (default: standard "
        "output)",
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="load a .joblib model: .joblib and .pkl files are pickles, and "
        "loading one runs whatever code the file holds; only for a file you "
        "wrote or whose source you trust",
    )
    return parser


def run(args):
    """The predict command, from parsed options; return the exit status."""
    check_model_path(args.model)
    check_trust(args.model, args.trust_pickle)
    if args.output is not None:
        output = Output("--output", args.output, None, suffixes=OUTPUT_SUFFIXES)
        check_outputs([output], inputs=[("--model", args.model), ("--data", args.data)])
    model = load(args.model, allow_pickle=args.trust_pickle)
    known, numeric, categorical, target = model_columns(model, args.model)
    reading = model_reading(model, args.data)
    X, labels = read_for_prediction(
        args.data, known, numeric, categorical, target, **reading
    )
    regression = is_regressor(model)
    if labels is not None and regression:  # numbers; checked before predicting
        labels = quantities(labels, args.data, target, reading["dialect"].decimal,
                            reading["na_values"] or (), varied=False)  # fmt: skip
    try:
        probabilities = None if regression else model.predict_proba(X)
        predictions = model.predict(X)
    except ValueError as exc:
        message = short(" ".join(str(exc).split()), 300)
        raise InputError(f"{shown(args.data)}: {message}") from None
    classes = () if regression else model.classes_
    table = predictions_table(
        args.data, classes, predictions, probabilities, reading["dialect"]
    )
    report = sys.stdout if args.output is not None else sys.stderr
    if not write_table(table, args.output, reading["dialect"]):
        return 0
    for note in unseen_category_notes(model, X):
        print(wrapped(note), file=report)
    if labels is not None and np.ndim(predictions) == 1:
        for line in _score_lines(model, args.data, target, labels, predictions):
            print(wrapped(line), file=report)
    return 0


def _score_lines(model, path, target, labels, predictions):
    """The scores on the rows of ``path`` that have a target, and notes on
    what they mean: for a classifier, the accuracy and the labels it does not
    know; for a regressor, R² and the mean absolute error."""
    if is_regressor(model):
        return [
            score_line(path, target, labels, predictions),
            *record_lines(model, path),
        ]
    return [
        accuracy_line(path, target, labels, predictions),
        *unknown_label_notes(model, labels),
        *record_lines(model, path),
    ]


def write_table(table, output, dialect):
    """Write the predictions ``table`` to the file ``output``, or to standard
    output when it is None, with the separator and decimal mark of the input
    (``dialect``; commas for a file separated by whitespace). False when
    standard output was closed before all was written (a reader such as
    ``head`` stopped reading), which is no error."""
    options = {
        "index": False,
        "sep": "," if dialect.separator == WHITESPACE else dialect.separator,
        "decimal": dialect.decimal,
    }
    if output is None:
        try:
            table.to_csv(sys.stdout, **options)
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return False
        return True
    try:
        with folder_for(output) as folder, atomic_path(output) as temporary:
            table.to_csv(temporary, **options)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc}") from None
    written = f"Predictions for {len(table)} rows written to {shown_output(output)}"
    print(wrapped(created_note(written, output, folder)))
    return True


def check_model_path(path):
    """The model is a file saved as the command line saves it: not standard
    input, not an ONNX model, and ending in a model file's suffix."""
    if str(path) == STDIN:
        raise InputError(
            "--model -: the model must be a file (.skops or .joblib), not "
            "standard input; only --data may be read from standard input"
        )
    if Path(path).suffix.lower() == ".onnx":
        raise InputError(
            f"--model {path} is an ONNX model: predict runs scikit-learn pipelines "
            "saved by --save-model (.skops or .joblib); run an ONNX model with "
            "onnxruntime.InferenceSession (see 'Exporting to ONNX' in the docs)"
        )
    if Path(path).suffix.lower() not in _model_file.FORMATS:
        raise InputError(
            f"--model {path}: predict runs scikit-learn pipelines saved by "
            "--save-model, in a file that ends in .skops (the safe format: loading "
            "it runs no code) or .joblib"
        )


def check_trust(path, trust_pickle):
    """A pickle is loaded only when the user says they trust it."""
    if _model_file.is_pickle(path) and not trust_pickle:
        raise InputError(
            f"--model {path} is a pickle, and loading it runs whatever code the "
            "file holds: add --trust-pickle if you wrote it or trust its source, "
            "or save the model as .skops, which loads without running code"
        )


def load(path, allow_pickle=False):
    """The model at ``path``, or an `InputError` saying why not."""
    try:
        return _model_file.load_model(path, allow_pickle=allow_pickle)
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
    if known is None or not (hasattr(model, "predict_proba") or is_regressor(model)):
        raise InputError(
            f"{path} is not a classifier or regressor fitted on named columns, so "
            "its columns cannot be matched to a CSV file's"
        )
    numeric, categorical = [], []
    first = model[0] if isinstance(model, Pipeline) else None
    if isinstance(first, ColumnTransformer):
        columns = {name: list(cols) for name, _, cols in first.transformers_}
        numeric = columns.get("numeric", [])
        categorical = columns.get("categorical", [])
    return list(known), numeric, categorical, getattr(model, "target_name_", None)


def model_reading(model, path):
    """How the file at ``path`` is read for ``model``: its date columns, read
    as text; the markers read as missing in features when it was trained
    (None, pandas' default markers, for a model that did not record them);
    and its `Dialect`, the training file's deciding what the file leaves open
    (the separator of a single column, the decimal mark of integers)."""
    first = model[0] if isinstance(model, Pipeline) else None
    dates = []
    if isinstance(first, ColumnTransformer):
        dates = [c for name, _, cols in first.transformers_ if name == "dates"
                 for c in cols]  # fmt: skip
    na_values = getattr(model, "na_values_", None)
    trained = Dialect(
        getattr(model, "separator_", WHITESPACE), getattr(model, "decimal_", ".")
    )
    dialect = sniff(path, na_values or (), fallback=trained)
    return {"dates": dates, "na_values": na_values, "dialect": dialect}


def unseen_category_notes(model, X):
    """A note on the rows of ``X`` whose categorical columns hold a value the
    model's one-hot encoder never saw in training (it encodes them as all
    zeros); nothing for a model without the command line's encoder."""
    encoder, columns = _category_encoder(model)
    rows = np.zeros(len(X), dtype=bool)
    unseen = {}
    for name, known in zip(columns, getattr(encoder, "categories_", []), strict=False):
        values = X[name].astype(object)
        new = values.notna() & ~values.astype(str).isin([str(v) for v in known])
        if new.any():
            rows |= new.to_numpy()
            unseen[name] = list(dict.fromkeys(values[new].astype(str)))
    if not unseen:
        return []
    if len(unseen) == 1:
        ((name, values),) = unseen.items()
        where = (
            f"of {short(repr(name))} not seen in training "
            f"({listing(values, 3, quote=True)})"
        )
    else:
        where = "not seen in training, in " + listing(
            [
                f"{short(repr(name))} ({listing(v, 2, quote=True)})"
                for name, v in unseen.items()
            ],
            3,
            width=80,
        )
    n = int(rows.sum())
    verb, it = ("holds", "it is") if n == 1 else ("hold", "they are")
    return [
        f"Note: {count(n, 'row')} {verb} values {where}; {it} encoded as all zeros."
    ]


def _category_encoder(model):
    """The one-hot encoder of the command line's pipeline and the columns it
    encodes, or ``(None, [])``."""
    first = model[0] if isinstance(model, Pipeline) else None
    if not isinstance(first, ColumnTransformer):
        return None, []
    step = first.named_transformers_.get("categorical")
    encoder = step[-1] if isinstance(step, Pipeline) else step
    for name, _, columns in first.transformers_:
        if name == "categorical" and hasattr(encoder, "categories_"):
            return encoder, list(columns)
    return None, []


def unknown_label_notes(model, labels):
    """A note on the labelled rows whose label is none of the model's
    classes: they count as wrong in the accuracy."""
    present = labels.dropna().astype(str)
    unknown = present[~present.isin(np.asarray(model.classes_).astype(str))]
    if unknown.empty:
        return []
    names = listing(list(dict.fromkeys(unknown)), 3, quote=True)
    have = "has a label" if len(unknown) == 1 else "have labels"
    return [
        f"Note: {count(len(unknown), 'row')} {have} the model does not know "
        f"({names}): they count as wrong."
    ]


def predictions_table(path, classes, predictions, probabilities, dialect=None):
    """The rows of ``path`` as written, header included (an empty name stays
    empty), then the prediction and probabilities: of a multilabel model, a
    0/1 prediction column per label; of a regressor (``probabilities``
    None, no ``classes``), the prediction alone."""
    import pandas as pd

    dialect = dialect or sniff(path)
    rows = read_frame(path, all_text=True, dialect=dialect)
    rows.columns = raw_header(path, dialect)
    predictions = np.asarray(predictions)
    if predictions.ndim == 2:  # multilabel: a prediction per label
        predicted = [f"{PREDICTION}_{c}" for c in classes]
    else:
        predicted, predictions = [PREDICTION], predictions[:, np.newaxis]
    names = [*predicted, *(f"probability_{c}" for c in classes)]
    clash = [name for name in names if name in {n.strip() for n in rows.columns}]
    if clash:
        raise InputError(
            f"{shown(path)} already has a column {clash[0]!r}; rename it to keep it "
            "apart from the predictions"
        )
    labels = pd.DataFrame(dict(zip(predicted, predictions.T, strict=True)))
    if probabilities is None:
        return pd.concat([rows, labels], axis=1)
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
        return f"No accuracy: no row of {shown(path)} has a label in {target!r}."
    return (
        f"Accuracy on {shown(path)}: {right.mean():.4f} "
        f"({labelled.sum()} labelled rows{unlabelled})"
    )


def record_lines(model, path):
    """What the accuracy on ``path`` means beside the model's own record: the
    rows it was fitted on and its held-out scores (which the command line
    saves with the model), and a caveat when ``path`` may hold rows the model
    was trained on. Nothing for a model without that record."""
    scores = getattr(model, "held_out_scores_", None)
    rows = getattr(model, "training_rows_", None)
    if not isinstance(scores, dict) or rows is None:
        these = (
            "these scores overstate"
            if is_regressor(model)
            else ("this accuracy overstates")
        )
        return [
            "This model does not record its held-out scores; if the file holds rows "
            f"it was trained on, {these} how it does on new rows."
        ]
    trained_on = getattr(model, "training_file_", None)
    if "r2" in scores:
        return regression_record_lines(scores, rows, trained_on, path)
    lines = [
        f"The model was fitted on {rows} rows of {short(trained_on, 60)}; on the "
        f"{scores['rows']} rows held out from it, its accuracy was "
        f"{scores['accuracy']:.4f} and its balanced accuracy "
        f"{scores['balanced_accuracy']:.4f}."
    ]
    if trained_on is not None and Path(path).name == trained_on:
        lines.append(
            f"Caveat: {short(Path(path).name, 60)} has the name of the file the "
            f"model was trained on; if it is that file, {rows} of its rows were "
            "seen in training and the accuracy above overstates how the model does "
            "on new rows: the held-out scores are the honest estimate."
        )
    else:
        lines.append(
            "If this file holds rows the model was trained on, the accuracy above "
            "overstates how it does on new rows."
        )
    return lines
