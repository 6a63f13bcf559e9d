"""What the main job prints: a report that stays readable and does not flatter.

- `header`: what the search runs on, and for a CSV file, the task and why;
- `cv_table` and `best_line`: the cross-validation results, by the chosen score
  (and, for a regression, the mean absolute error beside it);
- `held_out_lines`: the held-out accuracy, and beside it the balanced accuracy
  and the recall of each class when the classes are skewed (`SKEWED`), and a
  plain warning when the model predicts one class for every held-out row;
- `confusion_lines`: the confusion matrix as a table up to `TABLE_CLASSES`
  classes and `WIDTH` characters, else a summary (the classes of lowest recall,
  the most frequent confusions), the full matrix going to a CSV file
  (`write_confusion_matrix`);
- `search_notes`: what the fits of the search warned about, counted in one line
  each rather than printed as Python warnings.

No line is longer than about `WIDTH` characters, whatever the number of
classes or the length of their names: lists are cut by `text.listing`. What a
regression prints in place of the held-out accuracy and the confusion matrix
is in `regression`.
"""

import contextlib
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning, UndefinedMetricWarning
from sklearn.metrics import confusion_matrix, get_scorer, recall_score

from .._estimators.classifier import TwoLayerClassifier
from .regression import decimals, figure, plus_minus, score_figure, target_line
from .split import diverged, stopped_at_limit
from .task import REGRESSION, network
from .text import WIDTH, class_label, count, short, together, wrapped

TABLE_CLASSES = 12
DEFAULT_MAX_ITER = TwoLayerClassifier().max_iter
# Classes are skewed, and accuracy alone flatters, when the smallest held-out
# class has fewer than this fraction of the rows of the largest: for two
# classes, a majority of two thirds or more.
SKEWED = 0.5
# Labels in the confusion table and the per-class lists are cut to this width.
LABEL_WIDTH = 24
# Warnings the search's own scorer and notes count; other ones are summarised.
COUNTED = (ConvergenceWarning, UndefinedMetricWarning)
# Why a fold's score may be undefined, by task.
UNDEFINED = {
    False: "a class that a fold's model never predicts, or never sees",
    True: "a fold whose target values are all the same",
}


def header(table, name, n_train, n_test):
    """What the search runs on: data, the task and why, columns by kind,
    samples, and the classes or the target's values."""
    n_classes = len(np.unique(table.y))
    name = short(name, 60)
    regression = table.choice is not None and table.choice.task == REGRESSION
    if table.columns is None:
        return (
            f"Grid search of StandardScaler + TwoLayerClassifier on {name}\n"
            f"  {n_train} training samples, {n_test} held out, "
            f"{table.X.shape[1]} features, {n_classes} classes"
        )
    columns = table.columns
    n_features = len(columns.numeric) + len(columns.categorical) + len(columns.date)
    network = (
        "TwoLayerRegressor (target standardized)"
        if regression
        else ("TwoLayerClassifier")
    )
    described = target_line(table.y) if regression else classes_line(table.y)
    choice = [table.choice.line()] if table.choice is not None else []
    lines = [
        wrapped(
            f"Grid search of preprocessing + {network} on {name}, "
            f"target {short(repr(table.target))}"
        ),
        *(wrapped(f"  {note}", "    ") for note in [*choice, *table.notes]),
        "  Columns:",
        *(wrapped(f"  {line}", "       ") for line in columns.summary()),
        wrapped(
            f"  {n_train} training samples, {n_test} held out, "
            f"{n_features} features, {described}",
            "    ",
        ),
    ]
    return "\n".join(lines)


def classes_line(y, shown=10):
    """The number of classes; beyond ``shown``, "1000 classes; the 10 most frequent:
    ..." with their numbers of rows."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) <= shown:
        return count(len(classes), "class")
    order = np.argsort(-counts, kind="stable")[:shown]
    top = [f"{class_label(classes[i], LABEL_WIDTH)}: {counts[i]}" for i in order]
    return f"{len(classes)} classes; the {shown} most frequent (rows): {', '.join(top)}"


# ------------------------------------------------------------------ search
def cv_table(cv_results, scoring="accuracy", also=()):
    """The cross-validation results as text, best first. ``also`` are more
    scores the search recorded, a column each: ``(name, title, sign)``, the
    name the search's scorer gave them, and the sign that turns them into
    what the title says (-1 for scikit-learn's negated errors)."""
    order = np.argsort(cv_results["rank_test_score"], kind="stable")
    rate, hidden = (_param(cv_results, p) for p in ("learning_rate", "n_hidden"))
    score_places = decimals(cv_results["mean_test_score"], score_figure)
    places = {
        name: decimals(sign * cv_results[f"mean_test_{name}"]) for name, _, sign in also
    }
    rows = [
        (
            "rank", "learning_rate", "n_hidden", f"{scoring} (mean ± std)",
            *(f"{title} (mean ± std)" for _, title, _ in also), "fit time",
        )
    ]  # fmt: skip
    for i in order:
        rows.append(
            (
                str(cv_results["rank_test_score"][i]),
                str(cv_results[rate][i]),
                str(cv_results[hidden][i]),
                plus_minus(
                    cv_results["mean_test_score"][i],
                    cv_results["std_test_score"][i],
                    score_places,
                ),
                *(
                    plus_minus(
                        sign * cv_results[f"mean_test_{name}"][i],
                        cv_results[f"std_test_{name}"][i],
                        places[name],
                    )
                    for name, _, sign in also
                ),
                f"{cv_results['mean_fit_time'][i]:.2f} s",
            )
        )
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        for row in rows
    )


def best_line(search, scoring="accuracy", also=()):
    """The best parameters by the chosen score, with that score and those
    named in ``also`` (as in `cv_table`)."""
    best = search.best_params_
    max_iter = network(search.best_estimator_).max_iter
    limit = f", max_iter={max_iter}" if max_iter != DEFAULT_MAX_ITER else ""
    others = "".join(
        f", {title} "
        f"{figure(sign * search.cv_results_[f'mean_test_{name}'][search.best_index_])}"
        for name, title, sign in also
    )
    return wrapped(
        f"Best parameters: learning_rate={best[_param(best, 'learning_rate')]}, "
        f"n_hidden={best[_param(best, 'n_hidden')]}{limit} "
        f"(cross-validated {scoring} {score_figure(search.best_score_)}{others})"
    )


# The scorers whose held-out value the report prints in any case.
SHOWN_HELD_OUT = {"accuracy", "balanced_accuracy", "r2", "neg_mean_absolute_error"}


def chosen_score_line(search, scoring, X_test, y_test):
    """The held-out score of the best model by ``scoring``, the metric that
    ranked the candidates, when the other held-out lines do not show it;
    None when they do."""
    if scoring in SHOWN_HELD_OUT:
        return None
    value = get_scorer(scoring)(search.best_estimator_, X_test, y_test)
    return f"Held-out {scoring}: {score_figure(value)} ({len(y_test)} samples)"


def _param(keys, name):
    """The key of the network's parameter ``name`` among ``keys`` (the
    search's grid names it through the pipeline's steps)."""
    return next(key for key in keys if key.endswith(f"__{name}"))


def search_notes(search, n_folds, caught=(), regression=False):
    """One line per kind of trouble the search met, in the run's words:
    fits that stopped at the iteration limit, fits that diverged, undefined
    scores (why, in the
    words of a ``regression`` or a classification), and the other warnings
    ``caught`` while it ran (grouped by category)."""
    results = search.cv_results_
    n_fits = len(results["params"]) * n_folds
    notes = []
    at_limit = round(np.nansum(results["mean_test_at_limit"]) * n_folds)
    if at_limit:
        best = _best_too(stopped_at_limit(search.best_estimator_))
        max_iter = network(search.best_estimator_).max_iter
        # A regressor's "auto" step is the largest that is stable from the
        # start (units.start_curvature): a larger one would overshoot.
        step = "" if regression else ", or try larger --learning-rate values"
        notes.append(
            f"{at_limit} of {n_fits} fits stopped at the iteration limit before "
            f"converging (their scores are those of the unfinished networks){best}. "
            f"Raise --max-iter (now {max_iter}){step}."
        )
    n_diverged = round(np.nansum(results["mean_test_diverged"]) * n_folds)
    if n_diverged:
        best = _best_too(diverged(search.best_estimator_))
        notes.append(
            f"{n_diverged} of {n_fits} fits diverged: their training loss rose far "
            "above its start or ended far above its best, and their scores are "
            "those of the weights with the lowest loss, or of the untrained "
            f"network{best}. Try smaller --learning-rate values."
        )
    undefined = round(np.nansum(results["mean_test_undefined"]) * n_folds)
    if undefined:
        notes.append(
            f"{undefined} of {n_fits} scores were undefined and counted as 0 "
            f"({UNDEFINED[regression]})."
        )
    failed = int(np.isnan(results["mean_test_score"]).sum())
    if failed:
        notes.append(
            f"{count(failed, 'candidate')} failed in at least one fold; "
            "its score is nan."
        )
    others = {}
    for warning in caught:
        if not issubclass(warning.category, COUNTED):
            others.setdefault(warning.category.__name__, []).append(warning)
    for name, found in others.items():
        message = short(" ".join(str(found[0].message).split()), 70)
        notes.append(f"{count(len(found), 'warning')} ({name}), the first: {message}")
    return [wrapped(f"Note: {note}", "  ") for note in notes]


def _best_too(happened):
    """The clause of a note on fits when the best model, refitted, ``happened``
    to do as they did; empty if not."""
    return "; so did the best model, refitted on the training split" if happened else ""


@contextlib.contextmanager
def collecting_warnings():
    """Record the warnings of the search instead of printing them: those of
    the iteration limit, of divergence and of undefined scores, counted by
    the scorer (`split.SearchScorer`), are ignored here and in the workers,
    which get these filters; the others are recorded, for `search_notes`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in COUNTED:
            warnings.simplefilter("ignore", category)
        yield caught


# ---------------------------------------------------------------- held out
def held_out_scores(y_test, y_pred):
    """The held-out scores the run prints and the model records."""
    return {
        "rows": int(len(y_test)),
        "accuracy": float(np.mean(y_pred == y_test)),
        "balanced_accuracy": balanced_accuracy(y_test, y_pred),
    }


def balanced_accuracy(y_test, y_pred):
    """The mean recall of the classes of ``y_test``: scikit-learn's balanced
    accuracy, without its warning when the model predicts a class that no
    held-out row has (a class trained on and not scored), which counts as
    a wrong prediction as it does there."""
    return float(
        recall_score(
            y_test, y_pred, labels=np.unique(y_test), average="macro", zero_division=0
        )
    )


def held_out_lines(y_test, y_pred):
    """Accuracy; balanced accuracy and recall per class when the classes are
    skewed or the model predicts one class; a warning in that last case."""
    scores = held_out_scores(y_test, y_pred)
    lines = [f"Held-out accuracy: {scores['accuracy']:.4f} ({len(y_test)} samples)"]
    classes, counts = np.unique(y_test, return_counts=True)
    predicted = np.unique(y_pred)
    one_class = len(predicted) == 1
    if one_class or counts.min() < SKEWED * counts.max():
        lines.append(
            f"Held-out balanced accuracy: {scores['balanced_accuracy']:.4f} (the mean "
            "recall of the classes; accuracy flatters when classes are skewed)"
        )
        if len(classes) <= TABLE_CLASSES:  # else the confusion summary shows it
            lines.append(recall_line(y_test, y_pred, classes, counts))
    if one_class:
        share = np.mean(y_test == predicted[0])
        lines.append(
            wrapped(
                f"Warning: the model predicts class {class_label(predicted[0])} for "
                "every held-out row: its accuracy is the share of that class "
                f"({share:.4f}). Try --class-weight balanced, or --scoring "
                "balanced_accuracy."
            )
        )
    return lines


def recall_line(y_test, y_pred, classes, counts, shown=TABLE_CLASSES):
    """The recall of each held-out class, in class order as in the confusion
    matrix; beyond ``shown`` classes, the lowest ones, lowest first; wrapped,
    each class's item on one line."""
    recall = recall_score(y_test, y_pred, labels=classes, average=None, zero_division=0)
    order = np.arange(len(classes))
    which = "Recall per class"
    if len(classes) > shown:
        order = np.argsort(recall, kind="stable")[: shown - 2]
        which = (
            f"Recall of the {len(order)} classes of lowest recall, of "
            f"{len(classes)}, lowest first"
        )
    items = [
        together(
            f"{class_label(classes[i], LABEL_WIDTH)}: {recall[i]:.2f} ({counts[i]})"
        )
        for i in order
    ]
    return wrapped(f"{which} (held-out rows in parentheses): {', '.join(items)}")


# --------------------------------------------------------------- confusion
def confusion_lines(y_test, y_pred, classes):
    """The confusion matrix as a table when it fits `WIDTH` and has at most
    `TABLE_CLASSES` classes, else its summary (the run writes it in full to a
    CSV file, and says where)."""
    counts = confusion_matrix(y_test, y_pred, labels=classes)
    labels = [class_label(c, LABEL_WIDTH) for c in classes]
    width = max(max(map(len, labels)), len(str(counts.max())))
    if len(classes) <= TABLE_CLASSES and (width + 1) * (len(classes) + 1) <= WIDTH:
        title = "Confusion matrix (rows: true class, columns: predicted class):"
        lines = [title]
        lines.append(" " * width + "  " + " ".join(lb.rjust(width) for lb in labels))
        for label, row in zip(labels, counts, strict=True):
            lines.append(
                label.rjust(width) + "  " + " ".join(str(n).rjust(width) for n in row)
            )
        return lines
    classes_seen, n_rows = np.unique(y_test, return_counts=True)
    why = (
        f"{len(classes)} classes, too many to show as a table"
        if len(classes) > TABLE_CLASSES
        else f"its labels are too long to show its {len(classes)} classes as a table"
    )
    return [
        wrapped(f"Confusion matrix: {why}; its summary:"),
        recall_line(y_test, y_pred, classes_seen, n_rows),
        *top_confusions(counts, classes),
    ]


def top_confusions(counts, classes, shown=10):
    """The most frequent confusions: true class -> predicted class: rows;
    wrapped, each confusion on one line."""
    off = counts.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind="stable")[:shown]
    pairs = [np.unravel_index(i, off.shape) for i in flat if off.flat[i] > 0]
    if not pairs:
        return ["No held-out row is confused with another class."]
    items = [
        together(
            f"{class_label(classes[t], LABEL_WIDTH)} -> "
            f"{class_label(classes[p], LABEL_WIDTH)}: {off[t, p]}"
        )
        for t, p in pairs
    ]
    return [
        wrapped(
            f"The most frequent confusions (true -> predicted: rows): "
            f"{', '.join(items)}"
        )
    ]


def write_confusion_matrix(path, y_test, y_pred, classes):
    """Write the held-out confusion matrix to the CSV file ``path``: a row per
    true class, a column per predicted class, headed by the labels."""
    import csv

    counts = confusion_matrix(y_test, y_pred, labels=classes)
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted", *labels])
        for label, row in zip(labels, counts, strict=True):
            writer.writerow([label, *row.tolist()])
