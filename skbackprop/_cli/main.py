"""The main job, ``python -m skbackprop``: a grid search of the network.

Searches ``learning_rate x n_hidden`` for a pipeline of preprocessing and the
network by cross-validation, on the digits data shipped with scikit-learn
(preprocessing: a StandardScaler) or on a CSV file (preprocessing:
`preprocessing`, imputing, standardizing and one-hot encoding the columns that
`reading` found). The network is `TwoLayerClassifier`, or for a target that
holds a quantity (`task.choose`, or ``--task``) `TwoLayerRegressor` with its
target standardized (`task.final_step`). The search runs on the training split
and folds of `split.split` (for a regression, `split.split_quantities`),
ranked by ``--scoring``; the run prints what `report` makes of it (the
cross-validation table, the best parameters, the held-out scores, notes on the
fits and, for classification, the confusion matrix; for a regression, R² and
the mean absolute error of `regression`); records on the best pipeline what
the predict command tells about it; then writes its files (`outputs`): the
model first, so that a failing plot cannot lose it, the full confusion matrix
of a classification, then the loss curve of the best model when matplotlib is
installed. Every output path is checked before the data is read: no output may
be an input or another output.

Problems with the user's input end with a one-line error and exit status 1
(2 for a malformed command line, as argparse does). The options, and the
defaults of the search, are in `options`.
"""

import contextlib
import sys
import threading
import time
from dataclasses import replace
from functools import partial

from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from . import regression, report
from .dates import DateFeatures, refuse_onnx
from .options import (
    DEFAULT_LEARNING_RATES,
    DEFAULT_N_HIDDEN,
    PROG,
    default_learning_rates,
)
from .options import build_parser as _parser
from .outputs import (
    check_outputs,
    planned_outputs,
    write_confusion_matrix,
    write_outputs,
)
from .reading import InputError, Table, read_training_csv
from .split import (
    DEFAULT_SCORING,
    SearchScorer,
    check_min_class_size,
    check_scoring,
    split,
    split_quantities,
    unscored_note,
)
from .task import (
    CLASSIFICATION,
    GRID_PREFIX,
    REGRESSION,
    final_step,
    refuse_classification_options,
)
from .text import count, wrapped

DASK_EXTRA = "pip install 'skbackprop[dask]'"

__all__ = ["DEFAULT_LEARNING_RATES", "InputError", "main", "split"]


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


# --------------------------------------------------------------------- data
def load_data(path=None, target=None, drop=(), **reading):
    """Return ``(table, description)``: digits, or the CSV file at ``path``
    (``reading``: `read_training_csv`'s keep, categorical, na_values and
    task)."""
    if path is None:
        if target is not None or drop or any(reading.values()):
            raise InputError(
                "--target, --drop, --keep, --categorical, --na-values and --task "
                "need --data"
            )
        X, y = load_digits(return_X_y=True)
        return Table(X, y, target=None, columns=None), "digits"
    name = "standard input" if str(path) == "-" else path.name
    return read_training_csv(path, target, drop, **reading), name


# ------------------------------------------------------------------- search
def preprocessing(columns=None):
    """What comes before the network: a StandardScaler for all-numeric arrays
    (``columns`` None), else a ColumnTransformer of the `reading.Columns`.

    Numeric columns are imputed with their median and standardized;
    categorical ones imputed with their most frequent value and one-hot
    encoded, a category unseen in training becoming all zeros; the columns
    the model does not use are listed as dropped, so the fitted pipeline
    says which they were. Date columns, if any, become numbers
    (`DateFeatures`), imputed with their median and standardized.
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
    task=CLASSIFICATION,
):
    """The grid search of ``Pipeline(preprocessing, network)``, the network of
    ``task`` (`task.final_step`): the preprocessing is refitted on every
    training fold, so cross-validation scores it with the network. ``cv`` is a
    number of folds or the folds themselves; the candidates are ranked by the
    scorer named ``scoring`` (`SearchScorer`, which also notes the fits that
    reach their limit, and records a regression's mean absolute error);
    ``max_iter`` None leaves the network's default. The grid's steps are
    full-batch gd's, so the network is "gd" at any size of the file."""
    net = final_step(task, random_state, class_weight, max_iter)
    pipeline = Pipeline([("prep", preprocessing(columns)), ("net", net)])
    prefix = GRID_PREFIX[task]
    grid = {
        f"{prefix}learning_rate": list(learning_rates),
        f"{prefix}n_hidden": list(n_hidden),
    }
    mae = regression.MAE[0]
    also = (mae,) if task == REGRESSION and scoring != mae else ()
    return GridSearchCV(
        pipeline,
        grid,
        cv=cv,
        n_jobs=n_jobs,
        scoring=SearchScorer(scoring, also=also),
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
    check_dask(args)
    check_min_class_size(args.cv, args.min_class_size)
    outputs = planned_outputs(args)
    check_outputs(outputs, inputs=[("--data", args.data)])
    table, name = load_data(
        args.data, args.target, args.drop,
        keep=args.keep, categorical=args.categorical, na_values=args.na_values,
        task=args.task,
    )  # fmt: skip
    task = CLASSIFICATION if table.choice is None else table.choice.task
    check_task_options(args, table, task)
    if task == REGRESSION:  # no classes, no confusion matrix
        outputs = [o for o in outputs if o.write is not write_confusion_matrix]
        data = split_quantities(table.X, table.y, args.cv, args.random_state)
    else:
        data = split(table.X, table.y, args.cv, args.random_state, args.min_class_size)
    scoring = args.scoring or DEFAULT_SCORING[task]
    check_scoring(scoring, data.y_train, data.y_test, task)
    learning_rates = args.learning_rate or default_learning_rates(task)
    n_hidden = args.n_hidden or DEFAULT_N_HIDDEN
    search = make_search(
        learning_rates,
        n_hidden,
        cv=data.folds,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        columns=table.columns,
        scoring=scoring,
        class_weight=args.class_weight,
        max_iter=args.max_iter,
        task=task,
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
    _report(search, data, y_pred, (scoring, args.cv, seconds), caught, task)
    _record(model, table, name, data, y_pred, task)
    write_outputs(_bind_held_out(outputs, data.y_test, y_pred), model, data.X_train)
    return 0


def check_task_options(args, table, task):
    """Before the search: a regression takes no option of classes, and no
    ONNX export holds date columns."""
    if task == REGRESSION:
        refuse_classification_options(
            {
                "--class-weight": args.class_weight,
                "--min-class-size": args.min_class_size,
            },
            table.choice,
        )
    if args.export_onnx is not None and table.columns is not None:
        refuse_onnx(table.columns.date, args.export_onnx)


def _report(search, data, y_pred, how, caught, task):
    """Print the results: the cross-validation table, the best parameters, the
    held-out scores, notes on the fits and the confusion matrix of a
    classification. ``how`` is ``(scoring, folds, seconds)``."""
    scoring, n_folds, seconds = how
    also = [regression.MAE] if regression.MAE[0] in search.scoring.also else []
    print(f"\nCross-validated {scoring} ({n_folds} folds, {seconds:.1f} s in all):")
    print(report.cv_table(search.cv_results_, scoring, also))
    print()
    print(report.best_line(search, scoring, also))
    with report.collecting_warnings() as scoring_caught:
        if task == REGRESSION:
            held_out = regression.held_out_lines(data.y_test, y_pred, data.y_train)
            confusion = []
        else:
            held_out = report.held_out_lines(data.y_test, y_pred)
            confusion = [
                *report.confusion_lines(data.y_test, y_pred, search.classes_),
                "",
            ]
        chosen = report.chosen_score_line(search, scoring, data.X_test, data.y_test)
        if chosen is not None:
            held_out.insert(1, chosen)
    notes = report.search_notes(
        search, n_folds, [*caught, *scoring_caught], task == REGRESSION
    )
    print("\n".join([*held_out, *notes, "", *confusion]))


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


def _record(model, table, name, data, y_pred, task=CLASSIFICATION):
    """What the predict command tells about the model: the target column, how
    the file was read, the file and rows it was fitted on, and its held-out
    scores (of ``data``'s held-out rows, by ``task``)."""
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
    model.training_rows_ = int(len(data.y_train))
    scores = regression if task == REGRESSION else report
    model.held_out_scores_ = scores.held_out_scores(data.y_test, y_pred)
