"""The main job, ``python -m skbackprop``: a grid search of the network.

Searches ``learning_rate x n_hidden`` for a pipeline of preprocessing and
`TwoLayerClassifier` by cross-validation, on the digits data shipped with
scikit-learn (preprocessing: a StandardScaler) or on a CSV file (preprocessing:
`preprocessing`, imputing, standardizing and one-hot encoding the columns that
`_csv` found), on the training split and folds of `_cli_split.split`, ranked by
``--scoring``; prints what `_cli_report` makes of it (the cross-validation
table, the best parameters, the held-out scores, notes on the fits and the
confusion matrix); records on the best pipeline what the predict command tells
about it; then writes its files (`_outputs`): the model first, so that a
failing plot cannot lose it, the full confusion matrix, then the loss curve of
the best model when matplotlib is installed. Every output path is checked
before the data is read: no output may be an input or another output.

Problems with the user's input end with a one-line error and exit status 1
(2 for a malformed command line, as argparse does).
"""

import argparse
import contextlib
import math
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from . import _cli_report as report
from ._classifier import TwoLayerClassifier
from ._cli_split import (
    SearchScorer,
    check_min_class_size,
    check_scoring,
    scoring_name,
    split,
    unscored_note,
)
from ._csv import InputError, Table, add_reading_options, read_training_csv
from ._dates import DateFeatures, refuse_onnx
from ._outputs import (
    CONFUSION_CSV,
    LOSS_CURVE_PNG,
    check_outputs,
    planned_outputs,
    write_confusion_matrix,
    write_outputs,
)
from ._solvers import SOLVERS
from ._text import count, listing, wrapped

PROG = "python -m skbackprop"
# The default grid holds the estimator's default model on small data: n_hidden=32
# and the step of learning_rate="auto" for "gd". It comes first: GridSearchCV
# gives a tie to the first candidate, so a smaller step or network that scores
# the same (and takes longer to settle) does not win on a tie.
DEFAULT_LEARNING_RATES = (SOLVERS["gd"].auto_learning_rate, 0.5)
DEFAULT_N_HIDDEN = (32, 16)
DASK_EXTRA = "pip install 'skbackprop[dask]'"
DEFAULT_MAX_ITER = TwoLayerClassifier().max_iter

__all__ = ["InputError", "main", "split"]


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
        help="CSV file with a header row (read by pandas: the csv extra), or - "
        "for standard input; default: scikit-learn's digits",
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
    add_reading_options(data)
    grid = parser.add_argument_group("search")
    grid.add_argument(
        "--learning-rate",
        metavar="RATE",
        nargs="+",
        type=_comma_list(POSITIVE_FLOAT),
        action=_Extend,
        help="learning rates to try, e.g. 0.1 0.5 1 or 0.1,0.5,1 "
        f"(default: {listing(DEFAULT_LEARNING_RATES)})",
    )
    grid.add_argument(
        "--n-hidden",
        metavar="H",
        nargs="+",
        type=_comma_list(POSITIVE_INT),
        action=_Extend,
        help=f"numbers of hidden units to try (default: {listing(DEFAULT_N_HIDDEN)})",
    )
    grid.add_argument(
        "--max-iter",
        metavar="N",
        type=POSITIVE_INT,
        help="the most epochs of each fit; raise it when fits stop at this limit "
        f"before converging (default: {DEFAULT_MAX_ITER})",
    )
    grid.add_argument(
        "--cv",
        metavar="K",
        type=FOLDS,
        default=3,
        help="number of cross-validation folds (default: 3)",
    )
    grid.add_argument(
        "--scoring",
        metavar="NAME",
        type=scoring_name,
        default="accuracy",
        help="the score that ranks the candidates: a scikit-learn scorer for "
        "classification, e.g. balanced_accuracy, f1_macro, roc_auc_ovr, neg_log_loss "
        "(default: accuracy)",
    )
    grid.add_argument(
        "--class-weight",
        choices=["balanced"],
        help="balanced: weigh each class inversely to its number of rows, so that "
        "a rare class counts as much as a frequent one (default: every row alike)",
    )
    grid.add_argument(
        "--min-class-size",
        metavar="N",
        type=POSITIVE_INT,
        help="classes with fewer rows are trained on but not scored (default and "
        "least: the rows a class needs for one held-out row and one row in each "
        "--cv fold, 4 for --cv 3)",
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
    grid.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print a line per fit, with its parameters, score and time "
        "(scikit-learn's own), instead of progress bars or marks",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=Path("."),
        help=f"directory for {LOSS_CURVE_PNG} and {CONFUSION_CSV} (default: the "
        "current directory)",
    )
    out.add_argument(
        "--save-model",
        metavar="PATH",
        type=Path,
        help="save the best pipeline, refitted on the training split, as a "
        ".skops file (safe to load: the skops extra) or a .joblib file (a "
        "pickle: loading it runs code from the file)",
    )
    out.add_argument(
        "--export-onnx",
        metavar="PATH",
        type=Path,
        help="export the best pipeline, preprocessing included, as an ONNX model "
        "to a .onnx file (the onnx extra)",
    )
    out.add_argument(
        "--onnx-dtype",
        choices=["float32", "float64"],
        help="precision of the ONNX model's numeric inputs and computation "
        "(default: float32 for a CSV file's columns; float64 gives the model's "
        "probabilities exactly where columns hold large values, such as years "
        "or longitudes)",
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


# --------------------------------------------------------------------- data
def load_data(path=None, target=None, drop=(), **reading):
    """Return ``(table, description)``: digits, or the CSV file at ``path``
    (``reading``: `read_training_csv`'s keep, categorical, na_values)."""
    if path is None:
        if target is not None or drop or any(reading.values()):
            raise InputError(
                "--target, --drop, --keep, --categorical and --na-values need --data"
            )
        X, y = load_digits(return_X_y=True)
        return Table(X, y, target=None, columns=None), "digits"
    name = "standard input" if str(path) == "-" else path.name
    return read_training_csv(path, target, drop, **reading), name


# ------------------------------------------------------------------- search
def preprocessing(columns=None):
    """What comes before the network: a StandardScaler for all-numeric arrays
    (``columns`` None), else a ColumnTransformer of the `_csv.Columns`.

    Numeric columns are imputed with their median and standardized;
    categorical ones imputed with their most frequent value and one-hot
    encoded, a category unseen in training becoming all zeros; the columns
    the model does not use are listed as dropped, so the fitted pipeline
    says which they were. Date columns, if any, become numbers
    (`_dates.DateFeatures`), imputed with their median and standardized.
    """
    if columns is None:
        return StandardScaler()
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    dates = make_pipeline(
        DateFeatures(), SimpleImputer(strategy="median"), StandardScaler()
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, columns.numeric),
            ("categorical", categorical, columns.categorical),
            *([("dates", dates, columns.date)] if columns.date else []),
            ("unused", "drop", columns.unused()),
        ]
    )


def make_search(
    learning_rates,
    n_hidden,
    *,
    cv,
    n_jobs,
    random_state,
    columns=None,
    scoring="accuracy",
    class_weight=None,
    max_iter=None,
):
    """The grid search of ``Pipeline(preprocessing, TwoLayerClassifier)``: the
    preprocessing is refitted on every training fold, so cross-validation
    scores it with the network. ``cv`` is a number of folds or the folds
    themselves; the candidates are ranked by the scorer named ``scoring``
    (`SearchScorer`, which also notes the fits that reach their limit);
    ``max_iter`` None leaves the network's default. The grid's steps are
    full-batch gd's, so the network is "gd" at any size of the file."""
    net = TwoLayerClassifier(
        solver="gd", random_state=random_state, class_weight=class_weight
    )
    if max_iter is not None:
        net.set_params(max_iter=max_iter)
    pipeline = Pipeline([("prep", preprocessing(columns)), ("net", net)])
    grid = {"net__learning_rate": list(learning_rates), "net__n_hidden": list(n_hidden)}
    return GridSearchCV(
        pipeline,
        grid,
        cv=cv,
        n_jobs=n_jobs,
        scoring=SearchScorer(scoring),
        refit="score",
    )


def _show_progress(search, remote, verbose=False):
    """Show the search's progress; return the `FitMarks` to end, or None.

    ``verbose``: scikit-learn's line per fit, after its own count of the
    fits. Else progress bars (scikit-learn >= 1.9 with rich), or where there
    are none, a mark per fit (`FitMarks`). Workers of a remote dask cluster
    cannot reach the progress bars, which listen on a local socket; with
    ``verbose`` they log their fits.
    """
    if verbose:
        search.set_params(verbose=2)
        return None
    try:
        from sklearn.callback import ProgressBar

        bar = None if remote else ProgressBar(max_propagation_depth=0)
    except ImportError:  # scikit-learn < 1.9, or no rich
        bar = None
    if bar is not None:
        search.set_callbacks(bar)
        return None
    search.scoring.progress = FitMarks()
    return search.scoring.progress


class FitMarks:
    """A mark per fit scored, in groups of ten, a hundred to a line: the
    progress of a search where no progress bars can be shown.

    Marks are printed by the process that runs the search only: a copy sent
    to a worker process marks nothing (it unpickles as None), for the marks
    of several processes would mix on one line.
    """

    PER_LINE = 100
    PER_GROUP = 10

    def __init__(self):
        self.done = 0
        self._lock = threading.Lock()

    def __reduce__(self):
        return (_no_marks, ())

    def __call__(self):
        with self._lock:
            if self.done % self.PER_LINE == 0:
                sys.stdout.write("\n  " if self.done else "  ")
            elif self.done % self.PER_GROUP == 0:
                sys.stdout.write(" ")
            sys.stdout.write(".")
            sys.stdout.flush()
            self.done += 1

    def end(self):
        """End the line of marks, if any was printed."""
        if self.done:
            sys.stdout.write("\n")
            sys.stdout.flush()


def _no_marks():
    return None


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
            wrapped(
                f"dask: {workers} worker(s) at {address}, "
                f"dashboard {client.dashboard_link}"
            )
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
    check_min_class_size(args.cv, args.min_class_size)
    outputs = planned_outputs(args)
    check_outputs(outputs, inputs=[("--data", args.data)])
    table, name = load_data(
        args.data, args.target, args.drop,
        keep=args.keep, categorical=args.categorical, na_values=args.na_values,
    )  # fmt: skip
    if args.export_onnx is not None and table.columns is not None:
        refuse_onnx(table.columns.date, args.export_onnx)
    data = split(table.X, table.y, args.cv, args.random_state, args.min_class_size)
    check_scoring(args.scoring, data.y_train, data.y_test)
    search = make_search(
        learning_rates,
        n_hidden,
        cv=data.folds,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        columns=table.columns,
        scoring=args.scoring,
        class_weight=args.class_weight,
        max_iter=args.max_iter,
    )
    n_candidates = len(learning_rates) * len(n_hidden)
    print(report.header(table, name, len(data.y_train), len(data.y_test)))
    note = unscored_note(data.unscored, data.least, args.cv)
    if note:
        print(wrapped(f"  {note}", "    "))
    if not args.verbose:  # else scikit-learn counts them
        print(
            f"  {count(n_candidates, 'candidate')} x {args.cv} folds = "
            f"{count(n_candidates * args.cv, 'fit')}"
        )
    seconds, caught = _search(search, data, args)
    model = search.best_estimator_
    y_pred = model.predict(data.X_test)
    _report(search, data, y_pred, args, seconds, caught)
    _record(model, table, name, len(data.y_train), data.y_test, y_pred)
    write_outputs(_bind_held_out(outputs, data.y_test, y_pred), model, data.X_train)
    return 0


def _report(search, data, y_pred, args, seconds, caught):
    """Print the results: the cross-validation table, the best parameters, the
    held-out scores, notes on the fits and the confusion matrix."""
    print(
        f"\nCross-validated {args.scoring} ({args.cv} folds, {seconds:.1f} s in all):"
    )
    print(report.cv_table(search.cv_results_, args.scoring))
    print()
    print(report.best_line(search, args.scoring))
    with report.collecting_warnings() as scoring_caught:
        held_out = report.held_out_lines(data.y_test, y_pred)
        confusion = report.confusion_lines(data.y_test, y_pred, search.classes_)
    lines = [
        *held_out,
        *report.search_notes(search, args.cv, [*caught, *scoring_caught]),
        "",
        *confusion,
        "",
    ]
    print("\n".join(lines))


def _bind_held_out(outputs, y_test, y_pred):
    """The outputs, the confusion-matrix file given the held-out labels and
    predictions it writes."""
    return [
        replace(o, write=partial(o.write, held_out=(y_test, y_pred)))
        if o.write is write_confusion_matrix
        else o
        for o in outputs
    ]


def _search(search, data, args):
    """Fit ``search`` on the training split; its seconds and warnings."""
    start = time.perf_counter()
    with (
        threadpool_limits(limits=args.blas_threads, user_api="blas"),
        _dask(args.scheduler, args.dask_local),
        report.collecting_warnings() as caught,
    ):
        marks = _show_progress(search, args.scheduler is not None, args.verbose)
        if marks is not None and _in_workers(args):
            print("  (the fits run in worker processes, which print no marks; "
                  "--verbose lists each fit)")  # fmt: skip
        try:
            search.fit(data.X_train, data.y_train)
        finally:
            if marks is not None:
                marks.end()
    return time.perf_counter() - start, caught


def _in_workers(args):
    """Whether the fits run in other processes: on dask, or on several jobs."""
    from joblib import effective_n_jobs

    dask = args.scheduler is not None or args.dask_local is not None
    return dask or effective_n_jobs(args.n_jobs) > 1


def _record(model, table, name, n_train, y_test, y_pred):
    """What the predict command tells about the model: the label column, how
    the file was read, the file and rows it was fitted on, and its held-out
    scores."""
    if table.target is not None:
        # The predict command reads the labels of this column, when a file has it.
        model.target_name_ = table.target
        # ... and reads as missing the feature cells that training did.
        model.na_values_ = list(table.na_values)
        # ... and reads a file whose separator or decimal mark it cannot tell
        # (one column; only integers) as the training file was written.
        model.separator_ = table.dialect.separator
        model.decimal_ = table.dialect.decimal
    model.training_file_ = str(name)
    model.training_rows_ = int(n_train)
    model.held_out_scores_ = report.held_out_scores(y_test, y_pred)
