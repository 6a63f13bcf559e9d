"""The main job, ``python -m skbackprop``: a grid search of the network.

Searches ``learning_rate x n_hidden`` for a pipeline of preprocessing and
`TwoLayerClassifier` by cross-validation, on the digits data shipped with
scikit-learn (preprocessing: a StandardScaler) or on a CSV file (preprocessing:
`preprocessing`, imputing, standardizing and one-hot encoding the columns that
`_csv` found); prints the cross-validation table, the best parameters, the
held-out accuracy and a confusion matrix; then writes its files (`_outputs`):
the model first, so that a failing plot cannot lose it, then the loss curve of
the best model when matplotlib is installed. Every output path is checked
before the data is read.

Problems with the user's input end with a one-line error and exit status 1
(2 for a malformed command line, as argparse does).
"""

import argparse
import contextlib
import math
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from ._classifier import TwoLayerClassifier
from ._csv import InputError, Table, read_training_csv
from ._outputs import LOSS_CURVE_PNG, check_outputs, planned_outputs, write_outputs
from ._solvers import SOLVERS

PROG = "python -m skbackprop"
# The default grid holds the estimator's default model on small data: n_hidden=32
# and the step of learning_rate="auto" for "gd".
DEFAULT_LEARNING_RATES = (0.5, SOLVERS["gd"].auto_learning_rate)
DEFAULT_N_HIDDEN = (16, 32)
HELD_OUT = 0.25
DASK_EXTRA = "pip install 'skbackprop[dask]'"

__all__ = ["InputError", "main"]


def main(argv=None):
    """Run the main job; return the exit status."""
    args = _parser().parse_args(argv)
    return report_errors(run, args)


def report_errors(command, args):
    """Run ``command(args)``; an `InputError` becomes one line and status 1."""
    try:
        return command(args)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------ options
def _parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Grid search of TwoLayerClassifier after preprocessing (imputing, "
            "standardizing, one-hot encoding) over learning_rate x n_hidden, on "
            f"digits or on your CSV file. `{PROG} predict` predicts with a saved "
            f"model; `{PROG} bench` runs the benchmark."
        ),
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        metavar="FILE.csv",
        type=Path,
        help="CSV file with a header row (read by pandas: the csv extra); "
        "default: scikit-learn's digits",
    )
    data.add_argument(
        "--target",
        metavar="COLUMN",
        help="name of the label column of --data (default: its last column)",
    )
    data.add_argument(
        "--drop",
        metavar="COLUMN",
        nargs="+",
        action="extend",
        default=[],
        help="columns of --data to leave out of the features",
    )
    grid = parser.add_argument_group("search")
    grid.add_argument(
        "--learning-rate",
        metavar="RATE",
        nargs="+",
        type=_comma_list(POSITIVE_FLOAT),
        action=_Extend,
        help="learning rates to try, e.g. 0.1 0.5 1 or 0.1,0.5,1 "
        f"(default: {_listing(DEFAULT_LEARNING_RATES)})",
    )
    grid.add_argument(
        "--n-hidden",
        metavar="H",
        nargs="+",
        type=_comma_list(POSITIVE_INT),
        action=_Extend,
        help=f"numbers of hidden units to try (default: {_listing(DEFAULT_N_HIDDEN)})",
    )
    grid.add_argument(
        "--cv",
        metavar="K",
        type=FOLDS,
        default=3,
        help="number of cross-validation folds (default: 3)",
    )
    grid.add_argument(
        "--n-jobs",
        metavar="N",
        type=N_JOBS,
        default=None,
        help="parallel fits (-1: all cores; default: 1, or every dask worker)",
    )
    grid.add_argument(
        "--blas-threads",
        metavar="N",
        type=POSITIVE_INT,
        default=1,
        help="BLAS threads per fit (default: 1, the fastest for networks this "
        "small, and far faster when the cores are busy)",
    )
    grid.add_argument(
        "--random-state",
        metavar="SEED",
        type=int,
        default=0,
        help="seed of the held-out split and of the weights (default: 0)",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=Path("."),
        help=f"directory for {LOSS_CURVE_PNG} (default: the current directory)",
    )
    out.add_argument(
        "--save-model",
        metavar="PATH",
        type=Path,
        help="save the best pipeline, refitted on the training split, as a "
        ".skops file (safe to load: the skops extra) or a .joblib file",
    )
    out.add_argument(
        "--export-onnx",
        metavar="PATH",
        type=Path,
        help="export the best pipeline, preprocessing included, as an ONNX model "
        "(the onnx extra)",
    )
    scale = parser.add_argument_group(
        "scale-out on dask (needs the dask extra: pip install 'skbackprop[dask]')"
    )
    where = scale.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the search on an existing dask.distributed cluster",
    )
    where.add_argument(
        "--dask-local",
        metavar="N",
        type=POSITIVE_INT,
        help="start a local dask.distributed cluster of N worker processes",
    )
    return parser


def _checked(kind, valid, description):
    """An argparse type: a value of ``kind`` for which ``valid`` holds."""

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {description}")
        return value

    return convert


def _comma_list(convert):
    """An argparse type: a comma-separated list of values of type ``convert``."""

    def convert_list(text):
        return [convert(part) for part in text.split(",") if part.strip()]

    return convert_list


POSITIVE_FLOAT = _checked(
    float, lambda v: math.isfinite(v) and v > 0, "a positive number"
)
POSITIVE_INT = _checked(int, lambda v: v >= 1, "a positive integer")
FOLDS = _checked(int, lambda v: v >= 2, "an integer of at least 2")
N_JOBS = _checked(int, lambda v: v != 0, "a non-zero integer")


class _Extend(argparse.Action):
    """Flatten ``--opt 1,2 3`` into ``[1, 2, 3]``."""

    def __call__(self, parser, namespace, values, option_string=None):
        flat = [v for listed in values for v in listed]
        if not flat:
            parser.error(f"{option_string} needs at least one value")
        setattr(namespace, self.dest, flat)


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _listing(values):
    return ", ".join(map(str, values))


# --------------------------------------------------------------------- data
def load_data(path=None, target=None, drop=()):
    """Return ``(table, description)``: digits, or the CSV file at ``path``."""
    if path is None:
        if target is not None or drop:
            raise InputError("--target and --drop need --data")
        X, y = load_digits(return_X_y=True)
        return Table(X, y, target=None, columns=None), "digits"
    return read_training_csv(path, target, drop), path.name


def split(X, y, cv, random_state):
    """Stratified training and held-out sets, with enough samples per class."""
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=HELD_OUT, stratify=y, random_state=random_state
        )
    except ValueError as exc:
        raise InputError(f"cannot hold out a stratified test set: {exc}") from None
    classes, counts = np.unique(y_train, return_counts=True)
    if counts.min() < cv:
        raise InputError(
            f"class {classes[counts.argmin()].item()!r} has {counts.min()} training "
            f"sample(s), fewer than the {cv} cross-validation folds: lower --cv or "
            "add data"
        )
    return X_train, X_test, y_train, y_test


# ------------------------------------------------------------------- search
def preprocessing(columns=None):
    """What comes before the network: a StandardScaler for all-numeric arrays
    (``columns`` None), else a ColumnTransformer of the `_csv.Columns`.

    Numeric columns are imputed with their median and standardized;
    categorical ones imputed with their most frequent value and one-hot
    encoded, a category unseen in training becoming all zeros; the columns
    the model does not use are listed as dropped, so the fitted pipeline
    says which they were.
    """
    if columns is None:
        return StandardScaler()
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, columns.numeric),
            ("categorical", categorical, columns.categorical),
            ("unused", "drop", columns.unused()),
        ]
    )


def make_search(learning_rates, n_hidden, *, cv, n_jobs, random_state, columns=None):
    """The grid search of ``Pipeline(preprocessing, TwoLayerClassifier)``: the
    preprocessing is refitted on every training fold, so cross-validation
    scores it with the network."""
    pipeline = Pipeline(
        [
            ("prep", preprocessing(columns)),
            # the grid's steps are full-batch gd's, at any size of the file
            ("net", TwoLayerClassifier(solver="gd", random_state=random_state)),
        ]
    )
    grid = {"net__learning_rate": list(learning_rates), "net__n_hidden": list(n_hidden)}
    return GridSearchCV(pipeline, grid, cv=cv, n_jobs=n_jobs)


def _show_progress(search, remote):
    """Progress bars (scikit-learn >= 1.9 with rich), else a line per fit.

    Workers of a remote dask cluster cannot reach the progress bars, which
    listen on a local socket; they log their fits instead.
    """
    try:
        from sklearn.callback import ProgressBar

        bar = None if remote else ProgressBar(max_propagation_depth=0)
    except ImportError:  # scikit-learn < 1.9, or no rich
        bar = None
    if bar is None:
        search.set_params(verbose=2)
    else:
        search.set_callbacks(bar)


@contextlib.contextmanager
def _dask(scheduler=None, n_local_workers=None):
    """Run joblib on dask.distributed when asked to; else do nothing."""
    if scheduler is None and n_local_workers is None:
        yield
        return
    from dask.distributed import Client, LocalCluster
    from joblib import parallel_backend

    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=n_local_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                )
            )
            address = cluster.scheduler_address
        else:
            address = scheduler
        try:
            client = stack.enter_context(Client(address, timeout="10s"))
        except OSError as exc:
            raise InputError(
                f"cannot reach the dask scheduler {address}: {exc}"
            ) from None
        workers = len(client.scheduler_info()["workers"])
        print(
            f"dask: {workers} worker(s) at {address}, dashboard {client.dashboard_link}"
        )
        stack.enter_context(parallel_backend("dask"))
        yield


def check_dask(args):
    """The dask options need dask.distributed: fail before reading any data."""
    if args.scheduler is None and args.dask_local is None:
        return
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise InputError(
            f"--scheduler and --dask-local need dask.distributed: {DASK_EXTRA}"
        ) from None


def run(args):
    """The main job, from parsed options; return the exit status."""
    learning_rates = args.learning_rate or DEFAULT_LEARNING_RATES
    n_hidden = args.n_hidden or DEFAULT_N_HIDDEN
    check_dask(args)
    outputs = planned_outputs(args)
    check_outputs(outputs)
    table, name = load_data(args.data, args.target, args.drop)
    X_train, X_test, y_train, y_test = split(
        table.X, table.y, args.cv, args.random_state
    )
    search = make_search(
        learning_rates,
        n_hidden,
        cv=args.cv,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        columns=table.columns,
    )
    n_candidates = len(learning_rates) * len(n_hidden)
    print(_header(table, name, len(y_train), len(y_test)))
    print(
        f"  {_count(n_candidates, 'candidate')} x {args.cv} folds = "
        f"{_count(n_candidates * args.cv, 'fit')}"
    )
    start = time.perf_counter()
    with (
        threadpool_limits(limits=args.blas_threads, user_api="blas"),
        _dask(args.scheduler, args.dask_local),
    ):
        _show_progress(search, remote=args.scheduler is not None)
        search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(f"\nCross-validated accuracy ({args.cv} folds, {seconds:.1f} s in all):")
    print(cv_table(search.cv_results_))
    best = search.best_params_
    print(
        f"\nBest parameters: learning_rate={best['net__learning_rate']}, "
        f"n_hidden={best['net__n_hidden']} "
        f"(cross-validated accuracy {search.best_score_:.4f})"
    )
    model = search.best_estimator_
    if table.target is not None:
        # The predict command reads the labels of this column, when a file has it.
        model.target_name_ = table.target
    y_pred = model.predict(X_test)
    print(f"Held-out accuracy: {np.mean(y_pred == y_test):.4f} ({len(y_test)} samples)")
    print("\nConfusion matrix (rows: true class, columns: predicted class):")
    print(confusion_table(y_test, y_pred, model.classes_))
    print()
    write_outputs(outputs, model, X_train)
    return 0


def _header(table, name, n_train, n_test):
    """What the search runs on: data, columns by kind, samples and classes."""
    n_classes = len(np.unique(table.y))
    if table.columns is None:
        return (
            f"Grid search of StandardScaler + TwoLayerClassifier on {name}\n"
            f"  {n_train} training samples, {n_test} held out, "
            f"{table.X.shape[1]} features, {n_classes} classes"
        )
    columns = table.columns
    n_features = len(columns.numeric) + len(columns.categorical)
    lines = [
        f"Grid search of preprocessing + TwoLayerClassifier on {name}, "
        f"target {table.target!r}",
        *(f"  {note}" for note in table.notes),
        "  Columns:",
        *(f"  {line}" for line in columns.summary()),
        f"  {n_train} training samples, {n_test} held out, "
        f"{n_features} features, {n_classes} classes",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------ reports
def cv_table(cv_results):
    """The cross-validation results as text, best first."""
    order = np.argsort(cv_results["rank_test_score"], kind="stable")
    rows = [("rank", "learning_rate", "n_hidden", "accuracy (mean ± std)", "fit time")]
    for i in order:
        rows.append(
            (
                str(cv_results["rank_test_score"][i]),
                str(cv_results["param_net__learning_rate"][i]),
                str(cv_results["param_net__n_hidden"][i]),
                f"{cv_results['mean_test_score'][i]:.4f} ± "
                f"{cv_results['std_test_score'][i]:.4f}",
                f"{cv_results['mean_fit_time'][i]:.2f} s",
            )
        )
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        for row in rows
    )


def confusion_table(y_true, y_pred, classes):
    """The confusion matrix as text, labelled by class."""
    counts = confusion_matrix(y_true, y_pred, labels=classes)
    labels = [str(c) for c in classes]
    width = max(max(map(len, labels)), len(str(counts.max())))
    lines = [" " * width + "  " + " ".join(label.rjust(width) for label in labels)]
    for label, row in zip(labels, counts, strict=True):
        lines.append(
            label.rjust(width) + "  " + " ".join(str(n).rjust(width) for n in row)
        )
    return "\n".join(lines)
