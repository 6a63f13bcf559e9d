"""The main job, ``python -m skbackprop``: a grid search of the network.

Searches ``learning_rate x n_hidden`` for ``Pipeline(StandardScaler,
TwoLayerClassifier)`` by cross-validation on the digits data shipped with
scikit-learn, or on a CSV file; prints the cross-validation table, the best
parameters, the held-out accuracy and a confusion matrix; draws the loss curve
of the best model when matplotlib is installed.

Problems with the user's input end with a one-line error and exit status 1
(2 for a malformed command line, as argparse does).
"""

import argparse
import contextlib
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ._classifier import TwoLayerClassifier

PROG = "python -m skbackprop"
DEFAULT_LEARNING_RATES = (0.5, 1.0)
DEFAULT_N_HIDDEN = (16, 32)
HELD_OUT = 0.25
LOSS_CURVE_PNG = "loss_curve.png"


class InputError(Exception):
    """A problem with the user's data or options, reported in one line."""


def main(argv=None):
    """Run the main job; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------ options
def _parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Grid search of Pipeline(StandardScaler, TwoLayerClassifier) over "
            "learning_rate x n_hidden, on digits or on your CSV file. "
            f"`{PROG} bench` runs the benchmark instead."
        ),
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        metavar="FILE.csv",
        type=Path,
        help="CSV file with a header row; default: scikit-learn's digits",
    )
    data.add_argument(
        "--target",
        metavar="COLUMN",
        help="name of the label column of --data (default: its last column)",
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
        help="save the best pipeline, refitted on the training split, with joblib",
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
def load_data(path=None, target=None):
    """Return ``(X, y, description)``: digits, or the CSV file at ``path``."""
    if path is None:
        if target is not None:
            raise InputError("--target needs --data")
        X, y = load_digits(return_X_y=True)
        return X, y, "digits"
    X, y = read_csv(path, target)
    return X, y, path.name


def read_csv(path, target=None):
    """Features and labels of a CSV file with a header row.

    Every column but ``target`` (default: the last one) must be numeric. Raises
    `InputError` naming the problem: an unreadable file, a missing column, a
    non-numeric or empty feature value, labels that are not classes, or a single
    class.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not rows:
        raise InputError(f"{path} is empty")
    header = [name.strip() for name in rows[0]]
    records = rows[1:]
    target = header[-1] if target is None else target
    if target not in header:
        raise InputError(
            f"{path} has no column {target!r}; its columns are: {', '.join(header)}"
        )
    if len(header) < 2:
        raise InputError(f"{path} has no feature column besides {target!r}")
    if not records:
        raise InputError(f"{path} has a header but no data rows")
    for line, row in enumerate(records, start=2):
        if len(row) != len(header):
            raise InputError(
                f"{path}, line {line}: {len(row)} fields, but the header has "
                f"{len(header)}"
            )
    t = header.index(target)
    features = [j for j in range(len(header)) if j != t]
    X = np.column_stack(
        [_numbers([row[j] for row in records], path, header[j]) for j in features]
    )
    return X, _labels([row[t].strip() for row in records], path, target)


def _numbers(texts, path, column):
    """A feature column as floats, or an `InputError` naming its first bad value."""
    try:
        values = np.array(texts, dtype=float)
    except ValueError:
        for line, text in enumerate(texts, start=2):
            try:
                float(text)
            except ValueError:
                what = "is empty" if not text.strip() else f"holds {text.strip()!r}"
                raise InputError(
                    f"{path}: feature column {column!r} is not numeric: "
                    f"line {line} {what}"
                ) from None
        raise  # pragma: no cover - numpy and float() disagree
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        line = bad[0] + 2
        raise InputError(
            f"{path}: feature column {column!r} holds {texts[bad[0]].strip()!r} "
            f"on line {line}: features must be finite numbers"
        )
    return values


def _labels(values, path, target):
    """Class labels: integers when every label is a whole number, else strings."""
    if any(not v for v in values):
        raise InputError(f"{path}: target column {target!r} has empty values")
    try:
        numbers = np.array(values, dtype=float)
    except ValueError:
        y = np.array(values)
    else:
        if not np.all(np.isfinite(numbers) & (numbers == np.round(numbers))):
            raise InputError(
                f"{path}: target column {target!r} holds continuous numbers, not "
                "class labels; a classifier needs classes"
            )
        y = numbers.astype(int)
    classes = np.unique(y)
    if len(classes) < 2:
        raise InputError(
            f"{path}: target column {target!r} has a single class "
            f"({classes[0].item()!r}); a classifier needs at least two"
        )
    return y


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
def make_search(learning_rates, n_hidden, *, cv, n_jobs, random_state):
    """The grid search of ``Pipeline(StandardScaler, TwoLayerClassifier)``."""
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("net", TwoLayerClassifier(random_state=random_state)),
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
    try:
        from dask.distributed import Client, LocalCluster
        from joblib import parallel_backend
    except ImportError:
        raise InputError(
            "--scheduler and --dask-local need dask.distributed: "
            "pip install 'skbackprop[dask]'"
        ) from None
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


def run(args):
    """The main job, from parsed options; return the exit status."""
    learning_rates = args.learning_rate or DEFAULT_LEARNING_RATES
    n_hidden = args.n_hidden or DEFAULT_N_HIDDEN
    X, y, name = load_data(args.data, args.target)
    X_train, X_test, y_train, y_test = split(X, y, args.cv, args.random_state)
    search = make_search(
        learning_rates,
        n_hidden,
        cv=args.cv,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    n_candidates = len(learning_rates) * len(n_hidden)
    print(
        f"Grid search of StandardScaler + TwoLayerClassifier on {name}\n"
        f"  {len(X_train)} training samples, {len(X_test)} held out, "
        f"{X.shape[1]} features, {len(np.unique(y))} classes\n"
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
    y_pred = model.predict(X_test)
    print(f"Held-out accuracy: {np.mean(y_pred == y_test):.4f} ({len(y_test)} samples)")
    print("\nConfusion matrix (rows: true class, columns: predicted class):")
    print(confusion_table(y_test, y_pred, model.classes_))
    print()
    _plot_loss_curve(model, args.output)
    if args.save_model is not None:
        _save(model, args.save_model)
    return 0


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


def _plot_loss_curve(model, directory):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        print(
            "No loss-curve plot: matplotlib is not installed "
            "(pip install 'skbackprop[plot]')."
        )
        return
    import matplotlib.pyplot as plt

    from ._plot import LossCurveDisplay

    path = Path(directory) / LOSS_CURVE_PNG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        display = LossCurveDisplay.from_estimator(model)
        net = model[-1]
        display.ax_.set_title(
            f"TwoLayerClassifier(learning_rate={net.learning_rate}, "
            f"n_hidden={net.n_hidden})"
        )
        display.figure_.savefig(path, dpi=100)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from None
    finally:
        plt.close("all")
    print(f"Loss curve of the best model written to {path}")


def _save(model, path):
    import joblib

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from None
    print(
        f"Best pipeline saved to {path} (scikit-learn {sklearn.__version__}; "
        "load it with joblib.load)"
    )
