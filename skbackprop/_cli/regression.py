"""What a regression run reports in place of a classification's accuracy.

`target_line` describes the target in the run's header: its range, mean and
spread, in its own units. `held_out_scores` are R² and the mean absolute
error on the held-out rows, which the model records for the predict command;
`held_out_lines` prints them beside the error of predicting the training
median for every row, the yardstick of the error, and warns when the model
does no better than a constant. `MAE` names the mean absolute error that the
search records beside its ranking score, for the cross-validation table
(`report.cv_table`). `score_line` and `record_lines` are what the predict
command prints on a file that holds the target. Numbers in a target's units
are written by `figure`: four significant digits, without an exponent where
that reads well.
"""

import math
from pathlib import Path

import numpy as np
from sklearn.metrics import mean_absolute_error, r2_score

from .dialect import shown
from .text import count, short, wrapped

# The search's scorer of the mean absolute error (`split.SearchScorer`'s
# ``also``), its title in the report, and the sign that makes it an error.
MAE = ("neg_mean_absolute_error", "mean absolute error", -1)


def figure(x):
    """``x`` to four significant digits, without the zeros that end a
    fraction: ``232.6``, ``4202``, ``9``, ``0.01234``; with an exponent only
    beyond what reads well plainly (``1.5e+12``)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    magnitude = math.floor(math.log10(abs(x)))
    if not -3 <= magnitude < 9:
        return f"{x:.4g}"
    text = f"{x:.{max(0, 3 - magnitude)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def score_figure(x):
    """A cross-validated score: four decimals for scores near the unit scale
    (accuracy, R², a log loss), as `figure` for larger ones (a squared error
    in the target's units)."""
    return f"{x:.4f}" if abs(x) < 10 else figure(x)


def decimals(values, show=figure):
    """The decimal places of a column of ``values``: those ``show`` gives its
    largest in absolute value, so that the column's points line up and its
    largest number keeps its figures."""
    text = show(max(values, key=abs))
    return None if "e" in text else len(text.partition(".")[2])


def plus_minus(mean, std, places):
    """``mean ± std``, both to ``places`` decimal places (`decimals`; None: in
    the exponent form, for numbers beyond what reads well plainly)."""
    if places is None:
        return f"{mean:.4g} ± {std:.2g}"
    return f"{mean:.{places}f} ± {std:.{places}f}"


def target_line(y):
    """The target in a few numbers: range, mean and standard deviation."""
    y = np.asarray(y, dtype=float)
    return (
        f"target from {figure(y.min())} to {figure(y.max())}, mean "
        f"{figure(y.mean())}, standard deviation {figure(y.std())}"
    )


# ---------------------------------------------------------------- held out
def held_out_scores(y_test, y_pred):
    """The held-out scores the run prints and the model records."""
    return {
        "rows": int(len(y_test)),
        "r2": float(r2_score(y_test, y_pred)),
        "mean_absolute_error": float(mean_absolute_error(y_test, y_pred)),
    }


def held_out_lines(y_test, y_pred, y_train):
    """R² and the mean absolute error, beside the error of the training
    median; a warning when R² is not above 0, the score of predicting the
    held-out mean for every row, and one when the training median errs less
    (a target whose mean squares reward other predictions than its absolute
    errors do, such as a count that is mostly 0)."""
    scores = held_out_scores(y_test, y_pred)
    constant = mean_absolute_error(y_test, np.full(len(y_test), np.median(y_train)))
    lines = [
        f"Held-out R²: {scores['r2']:.4f} ({len(y_test)} samples)",
        f"Held-out mean absolute error: {figure(scores['mean_absolute_error'])} "
        f"(predicting the training median for every row: {figure(constant)})",
    ]
    if scores["r2"] <= 0:
        lines.append(
            wrapped(
                "Warning: the model predicts the held-out rows no better than "
                "their mean would (R² 0). Raise --max-iter, try other "
                "--learning-rate values, or check that the features bear on the "
                "target."
            )
        )
    elif scores["mean_absolute_error"] > constant:
        lines.append(
            wrapped(
                "Note: predicting the training median for every row errs less in "
                "absolute value than the model does, though the model's R² is "
                "above 0: it fits the mean squared error, which a few large "
                "targets (a skewed target, a count that is mostly 0) weigh "
                "heavily. If absolute errors matter, --scoring "
                "neg_mean_absolute_error ranks the candidates by them; the model "
                "still fits the squared error."
            )
        )
    return lines


# ------------------------------------------------------------------ predict
def score_line(path, target, values, predictions):
    """R² and the mean absolute error on the rows of ``path`` whose target
    cell holds a number (``values``: NaN where it does not)."""
    known = ~np.isnan(values)
    if not known.any():
        return f"No scores: no row of {shown(path)} has a value in {target!r}."
    unknown = f"; {(~known).sum()} without one" if not known.all() else ""
    rows = f"{count(int(known.sum()), 'row')} with a target value{unknown}"
    mae = figure(mean_absolute_error(values[known], predictions[known]))
    if known.sum() < 2:
        return f"Mean absolute error on {shown(path)}: {mae} ({rows}; R² needs two)"
    r2 = r2_score(values[known], predictions[known])
    return f"R² on {shown(path)}: {r2:.4f}, mean absolute error {mae} ({rows})"


def record_lines(scores, rows, trained_on, path):
    """What the scores on the file ``path`` mean beside the model's record:
    the ``rows`` of the file ``trained_on`` it was fitted on and its held-out
    ``scores``, and a caveat when ``path`` may hold rows it was trained on
    (surely so when it has the training file's name)."""
    lines = [
        f"The model was fitted on {rows} rows of {short(trained_on, 60)}; on the "
        f"{scores['rows']} rows held out from it, its R² was {scores['r2']:.4f} "
        f"and its mean absolute error {figure(scores['mean_absolute_error'])}."
    ]
    name = Path(path).name
    if trained_on is not None and name == trained_on:
        lines.append(
            f"Caveat: {short(name, 60)} has the name of the file the model was "
            f"trained on; if it is that file, {rows} of its rows were seen in "
            "training and the scores above overstate how the model does on new "
            "rows: the held-out scores are the honest estimate."
        )
    else:
        lines.append(
            "If this file holds rows the model was trained on, the scores above "
            "overstate how it does on new rows."
        )
    return lines
