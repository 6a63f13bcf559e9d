"""Reading a CSV file for the command line: the features as a DataFrame, the
labels as written, and what to do with each column.

pandas (the ``csv`` extra) reads the file with its C parser, which is strict
about numbers: ``5_1``, ``1,5`` or ``0x10`` are text, not numbers (unlike
Python's ``float``, which reads ``5_1`` as 51). What the reader decides:

- **The file** is a path, or ``-`` for standard input; a pipe or standard
  input is read once into memory (`source`).
- **Fields** are separated by the one of comma, tab, semicolon and ``|`` that
  splits the header and the first lines into the same number of fields, the
  most fields if several do; else by the header's (`delimiter`). Two columns
  of the same name are an error, not ``A`` and ``A.1``.
- **Missing values** are empty cells only, and in features the markers that
  ``--na-values`` names: ``None``, ``NA`` or ``null`` are text as written. In a
  feature they are left to the pipeline's imputers. A row with no label is
  dropped, and the run says how many were.
- **Labels** are read as text. When every label is an integer written the
  canonical way (no ``+``, no leading zero, no decimal point, no ``-0``) that
  fits in 64 bits, the labels are those integers; otherwise they are the
  strings exactly as written. So ``"01"`` and ``"1"`` are two classes, as are
  ``"-0"`` and ``"0"``, ``9007199254740993`` stays that integer, and ``"1.0"``
  stays ``"1.0"``: predictions are written the way the file writes its labels.
- **Each feature column** is one of `KINDS`: numeric (every value a number,
  or True/False), categorical (text, or declared with ``--categorical``),
  dates (ISO dates and date-times, `_dates`), identifier-like, empty, or
  dropped by the user. Identifier-like columns (`is_identifier`) are text with
  more distinct values than half its rows, row numbers (1..n or 0..n-1 in any
  order), integers unique on every row, integers with more distinct values
  than half the rows under a name such as ``id``, and a first column headed as
  pandas and R head their row names; ``--keep`` overrides the choice. Only
  numeric, categorical and date columns reach the model.
- **Numbers must be finite and small enough to standardize**: a value whose
  square overflows float64 (±1e308) is an error, not a column of NaN after
  scaling.

Problems end in `InputError`, one line naming the column and the line.
"""

import csv
import functools
import io
import os
import re
import stat
import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ._dates import is_date_column
from ._text import listing, short

# An integer written the canonical way: what str(int(text)) gives back.
CANONICAL_INTEGER = re.compile(r"(0|-?[1-9][0-9]*)\Z")
INT64 = np.iinfo(np.int64)
# A decimal number as pandas' C parser writes them (no "_", "inf" or "nan").
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
STDIN = "-"
SEPARATORS = ",\t;|"
SAMPLE_LINES = 50
# What pandas and R head a column of row names with, as pandas reads it.
ROW_NAME_HEADERS = {"Unnamed: 0", "rownames", "row.names", "row_names", "index"}
# Names of identifiers: "id", "ID", "sample_id", "Patient ID", "sampleID"; not
# "acid" or "paid".
ID_NAME = re.compile(r"((.*[^A-Za-z])?(id|Id|ID)|.*[a-z0-9]I[Dd])s?\Z")
# Integer columns with this many distinct values, and this many rows per
# value, may be category codes: a note suggests --categorical.
FEW_CODES = range(3, 11)
ROWS_PER_CODE = 5

# Column kinds, in the order the run reports them, with what is done to each.
KINDS = {
    "numeric": "numeric, imputed (median) and standardized",
    "categorical": "categorical, imputed (most frequent) and one-hot encoded",
    "date": "dates as day, year, month, weekday (and hour), imputed, standardized",
    "identifier": "identifier-like (row numbers, IDs, mostly unique text), dropped; "
    "--keep overrides",
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
    date: list = field(default_factory=list)
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
                lines.append(f"{len(names):>4} {treatment}: {listing(names)}")
        return lines


@dataclass
class Table:
    """A CSV file read for training: features, labels, columns, notes, and the
    markers read as missing in features besides empty cells."""

    X: object  # pandas.DataFrame of every column but the target
    y: np.ndarray
    target: str
    columns: Columns
    notes: list = field(default_factory=list)
    na_values: list = field(default_factory=list)


def _pandas():
    try:
        import pandas
    except ImportError:
        raise InputError(
            "reading a CSV file needs pandas: pip install 'skbackprop[csv]'"
        ) from None
    return pandas


def add_reading_options(group):
    """The options of how ``--data`` is read, on the argparse ``group``:
    ``--keep``, ``--categorical`` and ``--na-values``, each a list."""
    for option, helped in [
        ("--keep", "to use although they look like identifiers (row numbers, IDs)"),
        ("--categorical", "to one-hot encode as categories, such as numeric codes"),
    ]:
        group.add_argument(option, metavar="COLUMN", nargs="+", action="extend",
                           default=[], help=f"columns of --data {helped}")  # fmt: skip
    group.add_argument(
        "--na-values",
        metavar="TEXT",
        nargs="+",
        action="extend",
        default=[],
        help="cell values that mean missing in features, e.g. NA,? (default: "
        "only empty cells; labels are missing only when empty)",
    )


# ------------------------------------------------------------------ reading
def source(path):
    """What pandas reads for ``path``: the path of a regular file, or the text
    of standard input (``-``) or of a pipe, read once and kept."""
    name = str(path)
    if name != STDIN:
        try:
            if stat.S_ISREG(os.stat(name).st_mode):
                return name
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
    return io.StringIO(_stream_text(name))


@functools.lru_cache(maxsize=2)
def _stream_text(name):
    """The whole text of a stream, read once: a stream cannot be read twice."""
    try:
        if name == STDIN:
            data = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as f:
                data = f.read()
        return data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {name}: {exc}") from None


def _first_lines(path):
    """The first lines of ``path`` (at most `SAMPLE_LINES`), complete ones."""
    src = source(path)
    if isinstance(src, io.StringIO):
        text = src.getvalue()
    else:
        with open(src, encoding="utf-8-sig", errors="replace") as f:
            text = "".join(f.readline() for _ in range(SAMPLE_LINES + 1))
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[:SAMPLE_LINES]


def delimiter(path):
    """The field separator of ``path``: of comma, tab, semicolon and ``|``, the
    one that splits the header and the first lines into the same number of
    fields, at least two (the most fields if several do, the first of these
    on a tie); else the header's comma, or its most frequent other one; else
    whitespace."""
    lines = _first_lines(path)
    header = lines[0] if lines else ""
    best, most = None, 1
    for sep in SEPARATORS:
        if sep not in header:
            continue
        counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(counts) == 1 and counts.pop() > most:
            best, most = sep, len(next(csv.reader(lines[:1], delimiter=sep)))
    if best is not None:
        return best
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in "\t;|"}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else r"\s+"


def header_names(path, sep):
    """The column names of ``path`` stripped of spaces, as pandas names them;
    an `InputError` if two are the same."""
    pd = _pandas()
    raw = pd.read_csv(
        source(path), sep=sep, header=None, nrows=1, dtype=str,
        keep_default_na=False, encoding="utf-8-sig",
    )  # fmt: skip
    names = [str(name).strip() for name in raw.iloc[0]]
    twice = [name for name, n in Counter(names).items() if n > 1 and name]
    if twice:
        raise InputError(
            f"{path} has {len(twice)} column name(s) used more than once: "
            f"{listing(twice)}; rename them so that each column has its own name"
        )
    return names


def read_frame(path, text_columns=(), *, all_text=False, nrows=None, na_values=()):
    """The CSV file at ``path`` as a DataFrame, its column names stripped of
    surrounding spaces.

    ``text_columns`` are read as text (``all_text``: every column, exactly as
    written, empty cells as ``""``). Missing are the empty cells and
    ``na_values``; None means pandas' default markers (``NA``, ``null``...).
    Raises `InputError` for a file that cannot be read or parsed, that has two
    columns of the same name, or that has no data row (unless ``nrows=0``
    asks for the header alone).
    """
    pd = _pandas()
    try:
        sep = delimiter(path)
        header_names(path, sep)
        options = {"sep": sep, "encoding": "utf-8-sig"}
        names = pd.read_csv(source(path), nrows=0, **options).columns
        if all_text:
            options.update(dtype=str, keep_default_na=False)
        else:
            wanted = set(text_columns)
            options["dtype"] = {n: str for n in names if str(n).strip() in wanted}
            if na_values is not None:
                options.update(keep_default_na=False, na_values=["", *na_values])
        frame = pd.read_csv(source(path), nrows=nrows, **options)
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
    return _bools_as_numbers(frame)


def _bools_as_numbers(frame):
    """True/False columns with missing cells, which pandas leaves as objects,
    as 1.0/0.0 and NaN; so are those without: a column of booleans is numeric
    whether or not a cell is empty."""
    for name in frame.columns:
        values = frame[name]
        present = values.dropna()
        if values.dtype.kind == "b" or (
            values.dtype.kind == "O"
            and len(present)
            and all(isinstance(v, (bool, np.bool_)) for v in present)
        ):
            frame[name] = values.map({True: 1.0, False: 0.0}).astype(float)
    return frame


def read_training_csv(path, target=None, drop=(), keep=(), categorical=(),
                      na_values=()):  # fmt: skip
    """Read ``path`` for training: the `Table` of its features and labels.

    ``target`` defaults to the last column; ``drop`` names columns to leave
    out, ``keep`` columns to use even if identifier-like, ``categorical``
    numeric columns to one-hot encode; ``na_values`` are read as missing in
    features, besides empty cells (each may list several: ``"NA,?"``). Rows
    without a label are dropped with a note.
    """
    header = list(read_frame(path, nrows=0).columns)
    chosen = target is not None
    target = target if chosen else header[-1]
    if target not in header:
        raise InputError(
            f"{path} has no column {target!r}; its columns are: "
            f"{listing(header, quote=True)}"
        )
    _check_named(path, header, target, drop=drop, keep=keep, categorical=categorical)
    if len(header) < 2:
        raise InputError(f"{path} has no feature column besides {target!r}")
    na_values = [v for text in na_values for v in text.split(",") if v]
    frame = read_frame(path, [target, *categorical], na_values=na_values)
    if na_values:
        frame[target] = read_frame(path, [target])[target]
    labelled = frame[target].notna().to_numpy()
    notes = []
    if not labelled.all():
        lines = np.flatnonzero(~labelled) + 2
        shown_lines = listing(lines, 5)
        where = "line" if len(lines) == 1 else "lines"
        notes.append(
            f"Dropped {_count(len(lines), 'row')} without a label in {target!r} "
            f"({where} {shown_lines})."
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
    columns = classify(X, path, drop, keep=keep, categorical=categorical)
    if not (columns.numeric or columns.categorical or columns.date):
        raise InputError(
            f"{path}: no feature column left to train on (every column is "
            "identifier-like, empty or dropped; --keep COLUMN uses one)"
        )
    notes += column_notes(X, columns, categorical)
    X = X[labelled] if not labelled.all() else X
    return Table(
        X.reset_index(drop=True), y[labelled], target, columns, notes, na_values
    )


def _check_named(path, header, target, **options):
    """Every column named by ``--drop``, ``--keep`` or ``--categorical`` is a
    feature column of the file, and no column is both dropped and used."""
    for option, names in options.items():
        for name in names:
            if name == target:
                raise InputError(f"--{option} {name}: it is the target column")
            if name not in header:
                raise InputError(
                    f"--{option} {name}: {path} has no such column; its columns "
                    f"are: {listing(header)}"
                )
    both = set(options["drop"]) & (set(options["keep"]) | set(options["categorical"]))
    if both:
        raise InputError(
            f"--drop and --keep/--categorical both name {listing(sorted(both))}; "
            "choose one"
        )


def column_notes(X, columns, categorical=()):
    """Notes on the choices the user may want to change: integer columns that
    may be category codes."""
    notes = []
    codes = [
        name
        for name in columns.numeric
        if name not in categorical and _looks_like_codes(X[name])
    ]
    if codes:
        notes.append(
            f"Integer columns of 3 to 10 values, perhaps category codes: "
            f"{listing(codes)} (--categorical COLUMN one-hot encodes one)."
        )
    return notes


def _looks_like_codes(values):
    present = values.dropna().to_numpy(dtype=float)
    k = len(np.unique(present))
    return (
        k in FEW_CODES
        and len(present) >= ROWS_PER_CODE * k
        and bool((present == np.round(present)).all())
    )


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


def classify(X, path, drop=(), keep=(), categorical=()):
    """The `Columns` of the feature DataFrame ``X``, checking numeric columns.

    ``keep`` are used even if identifier-like; ``categorical`` are categories
    whatever their values. A text column of numbers that pandas' reader left
    as text (such as ``-1e400``) is made numbers in ``X``, to be checked.
    """
    columns = Columns()
    for position, name in enumerate(X.columns):
        values = X[name]
        if name not in categorical and not _is_numeric(values):
            numbers = _as_numbers(values)
            if numbers is not None and not values.isna().all():
                X[name] = values = numbers
        if name in drop:
            kind = "dropped"
        elif values.isna().all():
            kind = "empty"
        else:
            kind = _kind(values, path, name, position, keep, categorical)
        getattr(columns, kind).append(name)
    return columns


def _kind(values, path, name, position, keep, categorical):
    """The kind of a column with values that the user did not drop."""
    if name in categorical:
        return "categorical"
    if _is_numeric(values):
        check_numbers(values, path, name)
    else:
        _refuse_mixed(values, path, name)
    if name not in keep and is_identifier(values, name, position):
        return "identifier"
    if _is_numeric(values):
        return "numeric"
    return "date" if is_date_column(values) else "categorical"


def is_identifier(values, name, position):
    """Whether a column names or numbers rows rather than describing them.

    It does when its header is the one pandas or R give row names
    (`ROW_NAME_HEADERS`, first column only), or it holds text (not dates) with
    more distinct values than half its rows, row numbers (1..n or 0..n-1, in
    any order), integers unique on every row, or, under a name such as ``id``
    or ``sample_ID``, integers with more distinct values than half its rows.
    One-hot encoding or standardizing such a column would only memorise rows,
    or leak the order of a sorted file.
    """
    if position == 0 and (name in ROW_NAME_HEADERS or name.startswith("Unnamed: ")):
        return True
    present = values.dropna()
    n_distinct = present.nunique()
    if not _is_numeric(values):
        return 2 * n_distinct > len(present) and not is_date_column(values)
    numbers = present.to_numpy(dtype=float)
    if len(numbers) < 3 or not (numbers == np.round(numbers)).all():
        return False
    if ID_NAME.match(name) and 2 * n_distinct > len(numbers):
        return True
    # Unique on every row, row numbers included.
    return len(present) == len(values) == n_distinct


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
    numbers = _to_numbers(distinct)
    if 2 * (~np.isnan(numbers)).sum() > len(distinct):
        bad = distinct[np.isnan(numbers)].iloc[0]
        line = int(np.flatnonzero((values.astype(str) == bad).to_numpy())[0]) + 2
        raise InputError(
            f"{path}: column {name!r} is numeric but line {line} holds {bad!r}, "
            f"which is not a number; correct it, name it missing with "
            f"--na-values {bad} (only empty cells are missing), or --drop {name}"
        )


def read_for_prediction(path, known, numeric=(), categorical=(), target=None,
                        dates=(), na_values=()):  # fmt: skip
    """Read ``path`` to predict on it: ``(X, labels or None)``.

    ``known`` are the columns the model was fitted with; ``numeric``,
    ``categorical`` and ``dates`` those of them it reads as numbers, as
    categories and as dates; ``target`` the name of its label column, and
    ``na_values`` the markers read as missing in features when it was trained
    (None: pandas' default markers, as for models saved before the run
    recorded them). Every column of the file must be known or be the target;
    every column the model reads must be there. Categorical and date columns
    are read as text, so a category that looks like a number stays one. The
    labels (a text Series, None where missing: only empty cells are) are
    returned when the target is a column of the file.
    """
    text = [*categorical, *dates, *([target] if target is not None else [])]
    frame = read_frame(path, text_columns=text, na_values=na_values)
    needed = [*numeric, *categorical, *dates] or list(known)
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
        frame[name] = _numbers_for_prediction(frame[name], path, name)
        check_finite(frame[name], path, name)
    for name in dates:
        _check_dates(frame[name], path, name)
    if target not in frame.columns:
        return frame, None
    y = read_frame(path, [target])[target] if na_values else frame[target]
    return frame.drop(columns=[target]), y.astype(object).where(y.notna(), None)


def _numbers_for_prediction(values, path, name):
    """A column the model reads as numbers, as numbers; an `InputError` naming
    the first cell that is not one."""
    if _is_numeric(values) or values.isna().all():
        return values
    numbers = _as_numbers(values)
    if numbers is None:
        bad = np.flatnonzero(np.isnan(_to_numbers(values)) & values.notna())[0]
        raise InputError(
            f"{path}: column {name!r} must be numeric, but line {bad + 2} holds "
            f"{values.iloc[bad]!r} (only empty cells are missing, and those "
            "named by --na-values in training)"
        )
    return numbers


def _as_numbers(values):
    """A text column every value of which is a number that pandas' reader left
    as text (such as ``-1e400``, which overflows), as floats; else None."""
    distinct = values.__class__(values.dropna().unique())
    if distinct.empty or np.isnan(_to_numbers(distinct)).any():
        return None
    return values.__class__(_to_numbers(values), index=values.index, name=values.name)


def _to_numbers(values):
    """The values of a Series as floats, NaN where missing or not a number.

    A number is what pandas reads as one, or a decimal number beyond float64's
    range, which pandas reads as ``inf``, ``0`` or text depending on its
    version: here always the ``±inf`` or ``0.0`` of Python's float.
    """
    pd = _pandas()
    texts = values.astype(object).where(values.notna(), None)
    numbers = pd.to_numeric(texts.astype(str).where(texts.notna()), errors="coerce")
    numbers = numbers.to_numpy(dtype=float, na_value=np.nan)
    texts = texts.to_numpy(dtype=object)
    for i in np.flatnonzero(np.isnan(numbers)):
        if isinstance(texts[i], str) and DECIMAL.match(texts[i].strip()):
            numbers[i] = float(texts[i])
    return numbers


def _check_dates(values, path, name):
    """Every value of a date column is a date in an accepted form."""
    from ._dates import DATE, FORMS, _date_ok

    for line, value in enumerate(values.tolist(), start=2):
        if isinstance(value, str) and not (DATE.match(value) and _date_ok(value)):
            raise InputError(
                f"{path}: column {name!r} holds dates, but line {line} holds "
                f"{value!r}, which is not one ({FORMS})"
            )


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
