"""The task of a run, classification or regression, chosen from its target.

`choose` reads the target column's cells as the file writes them and returns
the `Choice` of the task with its reason, which the run prints in one line
(`Choice.line`). The rule: a target of text holds class labels; a target of
numbers holds a quantity to regress when one of them has a fractional part
(``3.5``) or when it holds more than `MOST_CLASS_CODES` distinct integers (an
age in years, a count, a price in cents), and class codes otherwise (``0/1/2``,
a rating from 1 to 5). ``--task`` overrides the rule, and a regression target
must still be numbers. Cells named by ``--na-values`` are missing in a
regression target, as empty ones are: a quantity holds no text.

`quantities` gives a regression's target as numbers. `final_step` is the last
step of the searched pipeline: `TwoLayerClassifier`, or `TwoLayerRegressor`
inside a ``TransformedTargetRegressor`` that standardizes the target, so that
the network's defaults suit it whatever its units; `network` finds the network
in a fitted pipeline of either, and `GRID_PREFIX` names its parameters in the
grid. `refuse_classification_options` stops a regression run given the
options of classes (``--class-weight``, ``--min-class-size``).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler

from .._estimators.classifier import TwoLayerClassifier
from .._estimators.regressor import TwoLayerRegressor
from .dialect import shown
from .errors import InputError
from .text import short

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)
# A numeric target of at most this many distinct integers holds class codes
# (digits 0-9, a rating from 1 to 5, 0/1/2); of more, a quantity. Feature
# columns of 3 to 10 integers are likewise named as perhaps category codes.
MOST_CLASS_CODES = 10
# The names of the network's parameters in the search's grid, by task: the
# regressor is the `regressor` of a TransformedTargetRegressor.
GRID_PREFIX = {CLASSIFICATION: "net__", REGRESSION: "net__regressor__"}


@dataclass(frozen=True)
class Choice:
    """The task of a run: ``task``, what the ``target`` column holds
    (``holds``, the reason the rule gives), the task the rule gives
    (``ruled``), and whether ``--task`` chose it (``asked``)."""

    task: str
    ruled: str
    holds: str
    target: str
    asked: bool = False

    def line(self):
        """The one line that says which task the run does, why, and how to
        choose the other one."""
        target = short(repr(self.target), 60)
        if not self.asked:
            other = REGRESSION if self.task == CLASSIFICATION else CLASSIFICATION
            return f"Task: {self.task}, {self.because()}; --task {other} overrides."
        rule = (
            "the rule agrees"
            if self.ruled == self.task
            else f"the rule would give {self.ruled}"
        )
        return (
            f"Task: {self.task}, as --task asks; {rule}: target {target} holds "
            f"{self.holds}."
        )

    def because(self):
        """Why the run does its task, in a few words."""
        if self.asked:
            return "as --task asks"
        return f"as target {short(repr(self.target), 60)} holds {self.holds}"


def choose(texts, path, target, decimal=".", na_values=(), asked=None):
    """The `Choice` of task for the target column ``texts`` (a Series of the
    cells as written, missing where empty).

    ``asked`` is ``--task`` (None: the rule chooses). ``na_values`` are
    markers of missing cells, which the rule leaves out. Raises `InputError`
    for ``--task regression`` on a target that is not numbers, and for a
    target of numbers, a quantity by the rule, that holds a value that is
    not a number (a typo, or a marker of missing values not named by
    ``--na-values``).
    """
    markers = set(na_values)
    present = texts.dropna().astype(str)
    distinct = [text for text in dict.fromkeys(present) if text not in markers]
    numbers = parse_numbers(_series(distinct), decimal)
    is_number = ~np.isnan(numbers)
    ruled, holds = _rule(distinct, numbers[is_number], is_number)
    task = asked or ruled
    mixed = asked is None and _quantity(distinct, numbers, is_number)
    if not is_number.all() and (task == REGRESSION or mixed):
        _refuse_text(texts, distinct, is_number, path, target, asked)
    return Choice(task, ruled, holds, target, asked is not None)


def _rule(distinct, numbers, is_number):
    """``(task, what the target holds)`` by the rule, from its distinct
    values as written and those that are numbers."""
    if not distinct:
        return CLASSIFICATION, "no values"
    if not is_number.all():
        text = distinct[int(np.argmin(is_number))]
        return CLASSIFICATION, f"text, such as {short(repr(text))}"
    fractional = numbers != np.round(numbers)
    if fractional.any():
        example = distinct[int(np.argmax(fractional))]
        return REGRESSION, f"numbers with a fractional part, such as {short(example)}"
    k = len(np.unique(numbers))
    if k > MOST_CLASS_CODES:
        return REGRESSION, (
            f"{k} distinct integers, more than the {MOST_CLASS_CODES} that class "
            "codes may have"
        )
    integers = "1 integer" if k == 1 else f"{k} distinct integers"
    return CLASSIFICATION, (
        f"{integers}, no more than the {MOST_CLASS_CODES} that class codes may have"
    )


def _quantity(distinct, numbers, is_number):
    """Whether most of the ``distinct`` values are numbers, and the numbers
    alone hold a quantity by the rule."""
    if 2 * is_number.sum() <= len(is_number):
        return False
    kept = [text for text, number in zip(distinct, is_number, strict=True) if number]
    ones = np.ones(len(kept), dtype=bool)
    return _rule(kept, numbers[is_number], ones)[0] == REGRESSION


def _refuse_text(texts, distinct, is_number, path, target, asked):
    """The error for a target to regress that holds text: mostly text (with
    ``--task regression``), or numbers but for a few values."""
    bad = distinct[int(np.argmin(is_number))]
    line = _line_of(texts, bad)
    if 2 * is_number.sum() <= len(is_number):
        raise InputError(
            f"--task regression needs a target of numbers, but target column "
            f"{target!r} of {shown(path)} holds text ({short(repr(bad))} on line "
            f"{line}); name a numeric column with --target, or leave out --task "
            "regression to classify"
        )
    other = "" if asked else "; or --task classification takes the values as classes"
    raise InputError(
        f"{shown(path)}: target column {target!r} holds numbers, but line {line} "
        f"holds {short(repr(bad))}, which is not one: name it missing with "
        f"--na-values {short(bad)}, or empty the cell{other}"
    )


def quantities(texts, path, target, decimal=".", na_values=(), *, varied=True):
    """The target column ``texts`` (cells as written) as floats, NaN where a
    cell is empty or one of ``na_values``.

    Raises `InputError` for a value that is not a number, one that is not
    finite or too large to standardize, and, with ``varied``, a target of a
    single value, which leaves nothing to learn.
    """
    missing = texts.isna().to_numpy() | texts.astype(str).isin(set(na_values))
    values = parse_numbers(texts.where(~missing), decimal)
    wrong = np.isnan(values) & ~missing
    if wrong.any():
        i = int(np.argmax(wrong))
        raise InputError(
            f"{shown(path)}: target column {target!r} holds "
            f"{short(repr(texts.iloc[i]))} on line {i + 2}, which is not a number; "
            "a regression needs numbers "
            "(an empty cell leaves its row out)"
        )
    infinite = np.isinf(values)
    with np.errstate(over="ignore", invalid="ignore"):
        overflows = not np.isfinite(np.nanvar(np.where(infinite, np.nan, values)))
    if infinite.any() or overflows:
        worst = np.argmax(infinite) if infinite.any() else np.nanargmax(abs(values))
        i = int(worst)
        raise InputError(
            f"{shown(path)}: target column {target!r} holds {values[i]:g} on line "
            f"{i + 2}, which cannot be regressed: the target must be finite numbers "
            "small enough to standardize (their squares must not overflow)"
        )
    present = np.unique(values[~np.isnan(values)])
    if varied and len(present) == 1:
        raise InputError(
            f"{shown(path)}: target column {target!r} holds a single value "
            f"({present[0]:g}); a regression needs values that vary"
        )
    return values


def parse_numbers(texts, decimal="."):
    """The cells of the Series ``texts`` as floats, NaN where missing or not a
    number; ``decimal`` is the file's decimal mark."""
    import pandas as pd

    written = texts.astype(object).where(texts.notna(), None)
    if decimal == ",":
        written = written.map(
            lambda text: text.replace(",", ".") if isinstance(text, str) else text
        )
    numbers = np.asarray(pd.to_numeric(written, errors="coerce"), dtype=float)
    # pandas before 3.0 coerces a number beyond float's range ('1e400') to NaN,
    # as if it were text; Python's float reads it as the infinity it rounds to.
    for i in np.flatnonzero(np.isnan(numbers) & written.notna().to_numpy()):
        try:
            numbers[i] = float(written.iloc[i])
        except (TypeError, ValueError):
            pass
    return numbers


def _series(values):
    import pandas as pd

    return pd.Series(list(values), dtype=object)


def _line_of(texts, text):
    """The line of the file on which the column ``texts`` first holds ``text``
    (the header is line 1)."""
    return int(np.argmax(texts.to_numpy(dtype=object) == text)) + 2


# ----------------------------------------------------------------- pipeline
def final_step(task, random_state, class_weight=None, max_iter=None):
    """The last step of the searched pipeline for ``task``: the network,
    trained by full-batch gd; for regression, inside a
    ``TransformedTargetRegressor`` that standardizes the target and turns
    the network's predictions back into its units. ``max_iter`` None leaves
    the network's default."""
    if task == REGRESSION:
        net = TwoLayerRegressor(solver="gd", random_state=random_state)
    else:
        net = TwoLayerClassifier(
            solver="gd", random_state=random_state, class_weight=class_weight
        )
    if max_iter is not None:
        net.set_params(max_iter=max_iter)
    if task == REGRESSION:
        return TransformedTargetRegressor(regressor=net, transformer=StandardScaler())
    return net


def network(model):
    """The fitted network of ``model``: itself, the last step of a pipeline,
    or the regressor of a fitted ``TransformedTargetRegressor``."""
    step = model[-1] if hasattr(model, "steps") else model
    return getattr(step, "regressor_", step)


def refuse_classification_options(options, choice):
    """The options of classification alone, ``{option: value}``, are errors
    in a regression run when given (not None)."""
    for option, value in options.items():
        if value is not None:
            raise InputError(
                f"{option} applies to classification, and this run is a regression "
                f"({choice.because()}); leave out {option}, or give --task "
                "classification"
            )
