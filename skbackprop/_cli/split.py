"""How the main job splits its data and scores its candidates.

`split` holds out a stratified quarter of the rows and makes the
cross-validation folds of the rest; `split_quantities` does the same for a
regression, with shuffled rows in place of strata, keeping the two rows in
the held-out set and in each fold that R² needs (`least_rows`). A class with
too few rows to have a row in the held-out set and in every fold
(`least_class_size`, or ``--min-class-size``) cannot be scored fairly: its
rows all go to the training split and to every training fold, so the model
learns it, and no score counts it. The folds are a plain list of index pairs,
which GridSearchCV takes as ``cv`` and which travels to joblib's and dask's
workers as data.

`SearchScorer` scores a candidate with the chosen scikit-learn scorer and, on
the side, records whether the fit stopped at its iteration limit and whether
the scorer found the score undefined, so that the run can say so in one line
however many fits ran, in threads, processes or on a cluster; it records
other scores too (``also``: a regression's mean absolute error), for the
report. `check_scoring` checks that the scorer scores the run's task
(`scorers`) and tries it on the data before the search, so that a scorer that
cannot score the target fails at once.
"""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .errors import InputError
from .task import CLASSIFICATION, REGRESSION, network
from .text import class_label, count, listing, short

HELD_OUT = 0.25
# The modules of scikit-learn's metrics for quantities, and for clusterings;
# the other scorers score class predictions.
_REGRESSION = ("sklearn.metrics._regression",)
_CLUSTERING = ("sklearn.metrics.cluster",)
# The scorer each task ranks candidates by, unless --scoring names another.
DEFAULT_SCORING = {CLASSIFICATION: "accuracy", REGRESSION: "r2"}
# What a regression's scorer suggests instead of a classification's.
_SUGGESTED = {
    CLASSIFICATION: "accuracy, balanced_accuracy, f1_macro",
    REGRESSION: "r2, neg_mean_absolute_error, neg_root_mean_squared_error",
}


@dataclass
class Split:
    """The training and held-out sets, the folds of the training set, and
    the classes kept in training only, with their numbers of rows."""

    X_train: object
    X_test: object
    y_train: np.ndarray
    y_test: np.ndarray
    folds: list
    unscored: dict = field(default_factory=dict)
    least: int = 0


def least_class_size(cv):
    """The fewest rows a class needs to be scored: one in the held-out set
    and, of the rest, one in each of the ``cv`` folds."""
    return max(math.ceil(1 / HELD_OUT), math.ceil(cv / (1 - HELD_OUT)))


def split(X, y, cv, random_state, min_class_size=None):
    """The `Split` of ``(X, y)``: the classes of fewer than ``min_class_size``
    rows (by default `least_class_size`, and never fewer) are trained on and
    not scored."""
    least = check_min_class_size(cv, min_class_size)
    classes, counts = np.unique(y, return_counts=True)
    if (counts >= least).sum() < 2:
        largest = listing(_largest(classes, counts))
        if least > least_class_size(cv):
            raise InputError(
                f"fewer than two classes have the {least} rows of --min-class-size "
                f"(rows of the largest classes: {largest}); lower --min-class-size, "
                "or add data"
            )
        raise InputError(
            f"fewer than two classes have the {least} rows a class needs to be "
            f"scored with --cv {cv}: a quarter of them held out, and the rest "
            f"enough for one row in each of the {cv} folds (rows of the largest "
            f"classes: {largest}); lower --cv, or add data"
        )
    rare = np.isin(y, classes[counts < least])
    rows = np.arange(len(y))
    train, test = train_test_split(
        rows[~rare],
        test_size=HELD_OUT,
        stratify=y[~rare],
        random_state=random_state,
    )
    train = np.concatenate([train, rows[rare]])
    folds, few = cv_folds(y[train], cv)
    unscored = {
        c.item(): int(n) for c, n in zip(classes, counts, strict=True) if n < least
    }
    for label, n in few.items():
        unscored.setdefault(label, n)
    return Split(
        _rows(X, train), _rows(X, test), y[train], y[test], folds, unscored, least
    )


def check_min_class_size(cv, min_class_size=None):
    """The fewest rows of a scored class: ``min_class_size``, which may not be
    below `least_class_size` (an `InputError`), or by default that least."""
    least = least_class_size(cv)
    if min_class_size is not None and min_class_size < least:
        raise InputError(
            f"--min-class-size {min_class_size} is below the {least} rows a class "
            f"needs to be scored with --cv {cv} (one held-out row and one row in "
            f"each fold); give at least {least}, or leave it out"
        )
    return least if min_class_size is None else min_class_size


def cv_folds(y, cv):
    """Stratified ``cv`` folds of ``y`` as ``[(train, test), ...]``, and the
    classes of fewer than ``cv`` rows, which are in every training fold and
    no test fold, with their numbers of rows."""
    classes, counts = np.unique(y, return_counts=True)
    few = np.isin(y, classes[counts < cv])
    rows = np.arange(len(y))
    rest = rows[~few]
    folds = [
        (np.concatenate([rest[train], rows[few]]), rest[test])
        for train, test in StratifiedKFold(cv).split(rest, y[rest])
    ]
    return folds, {
        c.item(): int(n) for c, n in zip(classes, counts, strict=True) if n < cv
    }


def least_rows(cv):
    """The fewest rows a regression scored with ``cv`` folds needs: two held
    out and two in each fold, as R² needs at least two rows."""
    n = 2
    while math.ceil(n * HELD_OUT) < 2 or n - math.ceil(n * HELD_OUT) < 2 * cv:
        n += 1
    return n


def split_quantities(X, y, cv, random_state):
    """The `Split` of ``(X, y)`` for a regression: a shuffled quarter held
    out, and ``cv`` shuffled folds of the rest (no strata: the target is a
    quantity); an `InputError` when there are fewer than `least_rows`."""
    least = least_rows(cv)
    if len(y) < least:
        raise InputError(
            f"{count(len(y), 'row')} with a target value are too few to score a "
            f"regression with --cv {cv}: it needs at least {least} (two held out, "
            f"and two in each of the {cv} folds, as R² needs); lower --cv, or add "
            "data"
        )
    rows = np.arange(len(y))
    train, test = train_test_split(rows, test_size=HELD_OUT, random_state=random_state)
    kfold = KFold(cv, shuffle=True, random_state=random_state)
    folds = list(kfold.split(train))
    return Split(_rows(X, train), _rows(X, test), y[train], y[test], folds)


def _rows(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def _largest(classes, counts, n=3):
    order = np.argsort(-counts, kind="stable")[:n]
    return [f"{class_label(classes[i])}: {counts[i]}" for i in order]


def unscored_note(unscored, least, cv):
    """One line naming the classes kept in training only, and why."""
    if not unscored:
        return None
    rows = sum(unscored.values())
    by_size = sorted(unscored.items(), key=lambda item: (-item[1], str(item[0])))
    shown = listing((f"{class_label(c)}: {n}" for c, n in by_size), quote=False)
    return (
        f"Trained on, not scored: {count(len(unscored), 'class')}, "
        f"{count(rows, 'row')} (fewer than the {least} a class needs for a held-out "
        f"row and one in each of {cv} folds; rows per class): {shown}"
    )


# ------------------------------------------------------------------ scoring
def scoring_name(text):
    """An argparse type: the name of a scikit-learn scorer for classification
    or regression."""
    import argparse

    valid = [*scorers(CLASSIFICATION), *scorers(REGRESSION)]
    if text not in valid:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scikit-learn scorer for classification or "
            "regression; valid names include accuracy, balanced_accuracy, "
            "f1_macro, roc_auc_ovr, neg_log_loss for classification, and r2, "
            "neg_mean_absolute_error for regression "
            f"({len(valid)} in all: sklearn.metrics.get_scorer_names())"
        )
    return text


def scorers(task=CLASSIFICATION):
    """The names of scikit-learn's scorers of ``task``: of class predictions,
    or of quantities."""
    names = []
    for name in get_scorer_names():
        module = getattr(get_scorer(name), "_score_func", None).__module__
        if module.startswith(_CLUSTERING):
            continue
        if module.startswith(_REGRESSION) == (task == REGRESSION):
            names.append(name)
    return names


def classification_scorers():
    """The names of scikit-learn's scorers that score class predictions."""
    return scorers(CLASSIFICATION)


def check_scoring(scoring, y_train, y_test, task=CLASSIFICATION):
    """Raise an `InputError` when ``scoring`` is not a scorer of ``task``, or
    cannot score this target (a binary scorer on several classes, a positive
    label the target lacks, a scorer of probabilities when some classes are
    trained on and not scored; a logarithmic error of negative values):
    tried on a model that predicts the class frequencies, or the mean."""
    if scoring not in scorers(task):
        other = REGRESSION if task == CLASSIFICATION else CLASSIFICATION
        raise InputError(
            f"--scoring {scoring} scores {other}, and this run is a {task}; choose "
            f"a scorer of {task}, e.g. {_SUGGESTED[task]} (the default: "
            f"{DEFAULT_SCORING[task]})"
        )
    if task == REGRESSION:
        dummy = DummyRegressor()
    else:
        dummy = DummyClassifier(strategy="stratified", random_state=0)
    dummy.fit(np.zeros((len(y_train), 1)), y_train)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            get_scorer(scoring)(dummy, np.zeros((len(y_test), 1)), y_test)
    except (ValueError, TypeError) as exc:
        reason = short(" ".join(str(exc).split()), 160)
        why, suggested = "", _SUGGESTED[REGRESSION].split(", ")[:2]
        if task == CLASSIFICATION:
            unscored = set(np.unique(y_train)) - set(np.unique(y_test))
            if unscored:
                why = (
                    f" (the model knows {count(len(unscored), 'class')} that no "
                    "scored row has)"
                )
            suggested = _alternatives(scoring)
        raise InputError(
            f"--scoring {scoring} cannot score this target{why}: {reason}; choose "
            f"another, e.g. {', '.join(suggested)}"
        ) from None


def _alternatives(scoring):
    """Scorers to suggest instead of ``scoring``: its averaged forms for
    several classes first (``f1`` -> ``f1_macro``, ``roc_auc`` ->
    ``roc_auc_ovr``), where they exist."""
    names = set(classification_scorers())
    averaged = [f"{scoring}_{end}" for end in ("macro", "ovr", "weighted")]
    return [name for name in averaged if name in names][:2] or [
        "balanced_accuracy",
        "f1_macro",
    ]


class SearchScorer:
    """The chosen scorer, with what the run reports about each fit besides.

    Returns ``{"score": ..., "at_limit": 1.0 if the network stopped at its
    iteration limit, "diverged": 1.0 if its training stopped at a divergence,
    "undefined": 1.0 if the scorer warned that the score is undefined}``,
    and the score of each scorer named in ``also`` under its name; the
    search refits on ``"score"``, so its ``cv_results_`` have
    ``mean_test_score`` and ``rank_test_score`` as for a single score.
    ``progress``, if given, is called after each score (`main.FitMarks`).
    """

    def __init__(self, scoring, progress=None, also=()):
        self.scoring = scoring
        self.progress = progress
        self.also = tuple(also)

    def __call__(self, estimator, X, y):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UndefinedMetricWarning)
            score = get_scorer(self.scoring)(estimator, X, y)
            others = {name: get_scorer(name)(estimator, X, y) for name in self.also}
        undefined = any(issubclass(w.category, UndefinedMetricWarning) for w in caught)
        if self.progress is not None:
            self.progress()
        return {
            "score": score,
            # a fit that ended far above its best loss at max_iter is counted
            # as diverged, whose advice (a smaller step) is the one that fits
            "at_limit": float(stopped_at_limit(estimator) and not diverged(estimator)),
            "diverged": float(diverged(estimator)),
            "undefined": float(undefined),
            **others,
        }


def diverged(model):
    """Whether the training of the network of ``model`` stopped at a
    divergence (it warned; in a search's workers the warning is lost)."""
    return bool(getattr(network(model), "_diverged", False))


def stopped_at_limit(model):
    """Whether the network of ``model`` trained for all of its ``max_iter``."""
    net = network(model)
    return net.n_iter_ >= net.max_iter
