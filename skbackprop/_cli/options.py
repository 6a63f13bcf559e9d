"""The options of the main job, ``python -m skbackprop``: its parser, the
types that check each value as argparse reads it, and the defaults of the
search (its grid, `default_learning_rates` x `DEFAULT_N_HIDDEN`).
"""

import argparse
import math
from pathlib import Path

from .._estimators.classifier import TwoLayerClassifier
from .outputs import CONFUSION_CSV, LOSS_CURVE_PNG
from .reading import add_reading_options
from .split import scoring_name
from .task import CLASSIFICATION, MOST_CLASS_CODES, REGRESSION, TASKS
from .text import listing

PROG = "python -m skbackprop"
# The default grid holds the estimator's default model: n_hidden=32 and
# learning_rate="auto" (for "gd", a step of 2.0 that the estimator adapts where it
# overshoots; a step set by hand is kept). It comes first: GridSearchCV gives a
# tie to the first candidate, so a smaller step or network that scores the same
# (and takes longer to settle) does not win on a tie.
DEFAULT_LEARNING_RATES = ("auto", 0.5)
# The regressor's grid is the classifier's scaled as its steps are: "auto" (for
# "gd", 0.5, or less with many hidden units, 0.22 for 32 sigmoid units; it is
# adapted) and a quarter of 0.5. A fixed step of 0.5 diverges on some
# standardized targets that "auto" learns.
DEFAULT_REGRESSION_LEARNING_RATES = ("auto", 0.125)
DEFAULT_N_HIDDEN = (32, 16)
DEFAULT_MAX_ITER = TwoLayerClassifier().max_iter


def default_learning_rates(task=CLASSIFICATION):
    """The learning rates of the default grid for ``task``."""
    if task == REGRESSION:
        return DEFAULT_REGRESSION_LEARNING_RATES
    return DEFAULT_LEARNING_RATES


def build_parser():
    """The parser of the main job's command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Grid search of TwoLayerClassifier, or TwoLayerRegressor for a target "
            "that holds a quantity (see --task), after preprocessing (imputing, "
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
        help="name of the target column of --data, labels or a quantity "
        "(default: its last column)",
    )
    data.add_argument(
        "--task",
        choices=TASKS,
        help="classification or regression (default: chosen from the target, "
        "and the run says which and why: text is class labels; numbers are a "
        "quantity to regress when one has a fractional part or when there are "
        f"more than {MOST_CLASS_CODES} distinct integers, else class codes). A "
        "regression standardizes the target for the network and is scored by R² "
        "and the mean absolute error",
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
        type=_comma_list(learning_rate_or_auto),
        action=_Extend,
        help="learning rates to try, e.g. 0.1 0.5 1 or 0.1,0.5,1; auto is the "
        "estimator's adaptive step (default: "
        f"{listing(DEFAULT_LEARNING_RATES)} for classification, "
        f"{listing(DEFAULT_REGRESSION_LEARNING_RATES)} for regression)",
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
        help="the score that ranks the candidates: a scikit-learn scorer of the "
        "task, for classification e.g. balanced_accuracy, f1_macro, roc_auc_ovr, "
        "neg_log_loss, for regression e.g. neg_mean_absolute_error, "
        "neg_root_mean_squared_error (default: accuracy for classification, r2 for "
        "regression)",
    )
    grid.add_argument(
        "--class-weight",
        choices=["balanced"],
        help="balanced: weigh each class inversely to its number of rows, so that "
        "a rare class counts as much as a frequent one (default: every row alike; "
        "classification only)",
    )
    grid.add_argument(
        "--min-class-size",
        metavar="N",
        type=POSITIVE_INT,
        help="classes with fewer rows are trained on but not scored (default and "
        "least: the rows a class needs for one held-out row and one row in each "
        "--cv fold, 4 for --cv 3; classification only)",
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
        help=f"directory for {LOSS_CURVE_PNG} and, for classification, "
        f"{CONFUSION_CSV} (default: the current directory)",
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
        "to a .onnx file (the onnx extra): labels and probabilities of a "
        "classification, the predictions of a regression",
    )
    out.add_argument(
        "--onnx-dtype",
        choices=["float32", "float64"],
        help="precision of the ONNX model's numeric inputs and computation "
        "(default: float32 for a CSV file's columns; float64 gives the model's "
        "probabilities or predictions exactly where columns hold large values, "
        "such as years or longitudes)",
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


def learning_rate_or_auto(text):
    """An argparse type: a positive number, or ``auto`` (the estimator's
    adaptive step, which the default grid holds)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return POSITIVE_FLOAT(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive number or auto"
        ) from None


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
