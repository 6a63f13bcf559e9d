"""Reading a CSV file for the command line: the features as a DataFrame, the
labels as written, and what to do with each column.

pandas (the ``csv`` extra) reads the file with its C parser, which is strict
about numbers: ``5_1``, ``1,5`` or ``0x10`` are text, not numbers (unlike
Python's ``float``, which reads ``5_1`` as 51). What the reader decides:

- **Fields** are separated by commas when the header line has one; else by
  its most frequent tab, semicolon or ``|``; else by whitespace (`delimiter`).

- **Missing values** are empty cells and pandas' markers (``NA``, ``NaN``,
  ``N/A``, ``null``, ...). In a feature they are left to the pipeline's
  imputers. A row with no label is dropped, and the run says how many were.
- **Labels** are read as text. When every label is an integer written the
  canonical way (no ``+``, no leading zero, no decimal point) that fits in 64
  bits, the labels are those integers; otherwise they are the strings exactly
  as written. So ``"01"`` and ``"1"`` are two classes, ``9007199254740993``
  stays that integer, and ``"1.0"`` stays ``"1.0"``: predictions are written
  the way the file writes its labels.
- **Each feature column** is one of `KINDS`: numeric (every value a number),
  categorical (text), identifier-like (text with more distinct values than
  half its rows, such as a name or a date unique on every row: one-hot
  encoding it would only memorise rows), empty, or dropped by the user. Only
  numeric and categorical columns reach the model.
- **Numbers must be finite and small enough to standardize**: a value whose
  square overflows float64 (±1e308) is an error, not a column of NaN after
  scaling.

Problems end in `InputError`, one line naming the column and the line.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from ._text import listing, short

# An integer written the canonical way: what str(int(text)) gives back.
CANONICAL_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)\Z")
INT64 = np.iinfo(np.int64)

# Column kinds, in the order the run reports them, with what is done to each.
KINDS = {
    "numeric": "numeric, imputed (median) and standardized",
    "categorical": "categorical, imputed (most frequent) and one-hot encoded",
    "identifier": "identifier-like (more distinct values than half the rows), dropped",
    "empty": "empty (no value at all), dropped",
    "dropped": "dropped by --drop",
}


class InputError(Exception):
    """A problem with the user's data or options, reported in one line."""


@dataclass
class Columns:
    """The feature columns of a file, by kind (see `KINDS`), in file order."""

    numeric: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    identifier: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    dropped: list = field(default_factory=list)

    def unused(self):
        """The columns the model ignores."""
        return self.identifier + self.empty + self.dropped

    def summary(self):
        """One line per kind of column present: how many, which, and how treated."""
        lines = []
        for kind, treatment in KINDS.items():
            names = getattr(self, kind)
            if names:
                shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
                lines.append(f"{len(names):>4} {treatment}: {shown}")
        return lines


@dataclass
class Table:
    """A CSV file read for training: features, labels, columns, notes."""

    X: object  # pandas.DataFrame of every column but the target
    y: np.ndarray
    target: str
    columns: Columns
    notes: list = field(default_factory=list)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise InputError(
            "reading a CSV file needs pandas: pip install 'skbackprop[csv]'"
        ) from None
    return pandas


def delimiter(path):
    """The field separator of ``path``, from its header line: a comma if it has
    one, else the most frequent of tab, semicolon and ``|``, else whitespace."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in "\t;|"}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else r"\s+"


def read_frame(path, text_columns=(), *, all_text=False, nrows=None):
    """The CSV file at ``path`` as a DataFrame, its column names stripped of
    surrounding spaces.

    ``text_columns`` are read as text (``all_text``: every column, exactly as
    written, empty cells as ``""``). Raises `InputError` for a file that cannot
    be read or parsed, or that has no data row (unless ``nrows=0`` asks for the
    header alone).
    """
    pd = _pandas()
    try:
        options = {"sep": delimiter(path), "encoding": "utf-8-sig"}
        names = pd.read_csv(path, nrows=0, **options).columns
        if all_text:
            options.update(dtype=str, keep_default_na=False)
        else:
            wanted = set(text_columns)
            options["dtype"] = {n: str for n in names if str(n).strip() in wanted}
        frame = pd.read_csv(path, nrows=nrows, **options)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        message = " ".join(str(exc).split())
        raise InputError(f"cannot parse {path}: {message}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    if frame.empty and nrows != 0:
        raise InputError(f"{path} has a header but no data rows")
    return frame


def read_training_csv(path, target=None, drop=()):
    """Read ``path`` for training: the `Table` of its features and labels.

    ``target`` defaults to the last column; ``drop`` names columns to leave out.
    Rows without a label are dropped with a note.
    """
    header = list(read_frame(path, nrows=0).columns)
    chosen = target is not None
    target = target if chosen else header[-1]
    if target not in header:
        raise InputError(
            f"{path} has no column {target!r}; its columns are: "
            f"{listing(header, quote=True)}"
        )
    for name in drop:
        if name == target:
            raise InputError(f"--drop {name}: it is the target column")
        if name not in header:
            raise InputError(
                f"--drop {name}: {path} has no such column; its columns are: "
                f"{listing(header)}"
            )
    if len(header) < 2:
        raise InputError(f"{path} has no feature column besides {target!r}")
    frame = read_frame(path, text_columns=[target])
    labelled = frame[target].notna().to_numpy()
    notes = []
    if not labelled.all():
        lines = np.flatnonzero(~labelled) + 2
        shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
        where = "line" if len(lines) == 1 else "lines"
        notes.append(
            f"Dropped {_count(len(lines), 'row')} without a label in {target!r} "
            f"({where} {shown})."
        )
        if labelled.sum() == 0:
            raise InputError(f"{path}: target column {target!r} has no labels")
    try:
        y = labels(frame[target], path, target)
    except InputError as exc:
        if chosen:
            raise
        raise InputError(
            f"{exc} (no --target given, so the last column is the target; "
            "name another with --target COLUMN)"
        ) from None
    X = frame.drop(columns=[target])
    columns = classify(X, path, drop)
    if not (columns.numeric or columns.categorical):
        raise InputError(
            f"{path}: no feature column left to train on (every column is "
            "identifier-like, empty or dropped)"
        )
    X = X[labelled] if not labelled.all() else X
    return Table(X.reset_index(drop=True), y[labelled], target, columns, notes)


def labels(texts, path, target):
    """One class label per entry of the text Series ``texts``: integers when
    every label is a canonical integer, else the strings as written.

    A missing entry gets an arbitrary label: the caller drops its row. Raises
    `InputError` for numbers with a fractional part (a regression target) or a
    single class.
    """
    pd = _pandas()
    codes, distinct = pd.factorize(texts)
    distinct = [str(label) for label in distinct]
    if all(_is_int64(label) for label in distinct):
        values = np.array([int(label) for label in distinct], dtype=np.int64)
    else:
        numbers = pd.to_numeric(pd.Series(distinct), errors="coerce").to_numpy()
        if np.isfinite(numbers).all() and (numbers != np.round(numbers)).any():
            raise InputError(
                f"{path}: target column {target!r} holds continuous numbers, not "
                "class labels; a classifier needs classes"
            )
        values = np.array(distinct)
    if len(values) < 2:
        raise InputError(
            f"{path}: target column {target!r} has a single class "
            f"({short(repr(values[0].item()))}); a classifier needs at least two"
        )
    y = values[np.maximum(codes, 0)]
    return y


def _is_int64(text):
    return bool(CANONICAL_INTEGER.match(text)) and INT64.min <= int(text) <= INT64.max


def classify(X, path, drop=()):
    """The `Columns` of the feature DataFrame ``X``, checking numeric columns."""
    columns = Columns()
    for name in X.columns:
        values = X[name]
        if name in drop:
            kind = "dropped"
        elif values.isna().all():
            kind = "empty"
        elif _is_numeric(values):
            check_numbers(values, path, name)
            kind = "numeric"
        else:
            _refuse_mixed(values, path, name)
            present = values.dropna()
            kind = (
                "identifier" if 2 * present.nunique() > len(present) else "categorical"
            )
        getattr(columns, kind).append(name)
    return columns


def _is_numeric(values):
    return values.dtype.kind in "iufb"


def check_numbers(values, path, name):
    """A numeric column's values are finite, and its variance does not overflow."""
    x = check_finite(values, path, name)
    with np.errstate(over="ignore", invalid="ignore"):
        variance = np.nanvar(x)
    if not np.isfinite(variance):
        line = np.nanargmax(np.abs(x)) + 2
        raise InputError(
            f"{path}: column {name!r} holds {x[line - 2]:g} on line {line}, too "
            "large to standardize (its square overflows); rescale the column or "
            f"--drop {name}"
        )


def _refuse_mixed(values, path, name):
    """A text column most of whose distinct values are numbers is a numeric
    column with a typo (``5_1``, ``1,5``): name the first value that is not a
    number rather than one-hot encode the column."""
    pd = _pandas()
    distinct = pd.Series(values.dropna().unique()).astype(str)
    numbers = pd.to_numeric(distinct, errors="coerce")
    if 2 * numbers.notna().sum() > len(distinct):
        bad = distinct[numbers.isna()].iloc[0]
        line = int(np.flatnonzero((values.astype(str) == bad).to_numpy())[0]) + 2
        raise InputError(
            f"{path}: column {name!r} is numeric but line {line} holds {bad!r}, "
            f"which is not a number; correct it or --drop {name}"
        )


def read_for_prediction(path, known, numeric=(), categorical=(), target=None):
    """Read ``path`` to predict on it: ``(X, labels or None)``.

    ``known`` are the columns the model was fitted with, ``numeric`` and
    ``categorical`` those of them it reads as numbers and as categories, and
    ``target`` the name of its label column. Every column of the file must be
    known or be the target; every numeric or categorical one must be there.
    Categorical columns are read as text, so a category that looks like a
    number stays one. The labels (a text Series, None where missing) are
    returned when the target is a column of the file.
    """
    pd = _pandas()
    text = [*categorical, *([target] if target is not None else [])]
    frame = read_frame(path, text_columns=text)
    needed = [*numeric, *categorical] or list(known)
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise InputError(
            f"{path} has no column {missing[0]!r}, which the model needs "
            f"(it reads: {listing(needed)})"
        )
    extra = [name for name in frame.columns if name not in known and name != target]
    if extra:
        raise InputError(
            f"{path} has a column {extra[0]!r} that the model was not trained on "
            f"(its columns: {listing(known)}"
            + (f", and the target {target!r})" if target is not None else ")")
        )
    for name in numeric:
        values = frame[name]
        if not _is_numeric(values) and not values.isna().all():
            numbers = pd.to_numeric(values.astype(str), errors="coerce")
            bad = np.flatnonzero((numbers.isna() & values.notna()).to_numpy())[0]
            raise InputError(
                f"{path}: column {name!r} must be numeric, but line {bad + 2} holds "
                f"{values.iloc[bad]!r}"
            )
        check_finite(values, path, name)
    y = frame[target] if target in frame.columns else None
    return frame.drop(columns=[target]) if y is not None else frame, y


def check_finite(values, path, name):
    """A numeric column holds no infinity; return it as floats (NaN: missing)."""
    x = values.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        line = np.flatnonzero(infinite)[0] + 2
        raise InputError(
            f"{path}: column {name!r} holds {x[line - 2]} on line {line}: features "
            "must be finite numbers"
        )
    return x


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
