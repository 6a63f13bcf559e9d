"""Reading a CSV file for the command line: the features as a DataFrame, the
target as class labels or numbers, and what to do with each column.

`read_training_csv` reads the file of a search and `read_for_prediction` the
file of ``predict``, with pandas (the ``csv`` extra) and the separator and
decimal mark that `dialect` finds; `task.choose` says whether the target holds
classes or a quantity, `labels` keeps class labels as the file writes them,
`classify` sorts the feature columns into the `KINDS` of
`Columns` (numeric, categorical, dates, identifier-like by `is_identifier`,
empty, dropped), and `check_numbers` and `check_finite` refuse what is not a
number or cannot be standardized. `add_reading_options` gives both commands
their reading options. Problems end in `InputError`, one line naming the
column and the line. The rules, for users, are in docs/user_guide.rst ("The
preprocessing" and "What is read how").
"""

import contextlib
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .dates import is_date_column
from .dialect import DECIMAL_COMMA, Dialect, shown, sniff, source
from .errors import InputError
from .task import REGRESSION, choose, quantities
from .text import ITEM_WIDTH, count, listing, short

# An integer written the canonical way: what str(int(text)) gives back.
CANONICAL_INTEGER = re.compile(r"(0|-?[1-9][0-9]*)\Z")
INT64 = np.iinfo(np.int64)
# A decimal number as pandas' C parser writes them (no "_", "inf" or "nan").
DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
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


@dataclass
class Columns:
    """The feature columns of a file, by kind (see `KINDS`), in file order."""

    numeric: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    date: list = field(default_factory=list)
    identifier: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    # What messages call a column, where not by its name: {name: words}.
    labels: dict = field(default_factory=dict)

    def unused(self):
        """The columns the model ignores."""
        return self.identifier + self.empty + self.dropped

    def summary(self):
        """One line per kind of column present: how many, which, and how treated."""
        lines = []
        for kind, treatment in KINDS.items():
            names = getattr(self, kind)
            if names:
                lines.append(f"{len(names):>4} {treatment}: {self._listing(names)}")
        return lines

    def _listing(self, names):
        """`listing` of ``names``, a column known by `labels` called so in full."""
        width = max([ITEM_WIDTH, *map(len, self.labels.values())])
        return listing(
            [self.labels.get(name) or short(name) for name in names], width=width
        )


@dataclass
class Table:
    """A CSV file read for training: features, target (class labels, or
    numbers to regress), columns, notes, the markers read as missing in
    features besides empty cells, the file's `Dialect`, and the task
    (`task.Choice`)."""

    X: object  # pandas.DataFrame of every column but the target
    y: np.ndarray  # labels, or floats for a regression
    target: str
    columns: Columns
    notes: list = field(default_factory=list)
    na_values: list = field(default_factory=list)
    dialect: Dialect = Dialect()
    choice: object = None  # the `task.Choice` of the run; None for digits


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
        "only empty cells; class labels are missing only when empty, a "
        "regression's target values also when named here)",
    )


# ------------------------------------------------------------------ reading
def exact_floats(pd):
    """The `read_csv` option that reads every number exactly as written:
    pandas before 3 parses one unit in the last place off by default, unless
    asked for ``float_precision="round_trip"`` (pandas 3's default, and an
    option it deprecates)."""
    major = int(pd.__version__.split(".")[0])
    return {"float_precision": "round_trip"} if major < 3 else {}


def raw_header(path, dialect):
    """The column names of ``path`` exactly as written (an empty one is "")."""
    pd = _pandas()
    raw = pd.read_csv(
        source(path), sep=dialect.separator, header=None, nrows=1, dtype=str,
        keep_default_na=False, encoding="utf-8-sig",
    )  # fmt: skip
    return [str(name) for name in raw.iloc[0]]


def header_names(path, dialect):
    """The column names of ``path`` stripped of spaces, as written; an
    `InputError` if two are the same."""
    names = [name.strip() for name in raw_header(path, dialect)]
    twice = [name for name, n in Counter(names).items() if n > 1 and name]
    if twice:
        raise InputError(
            f"{shown(path)} has {len(twice)} column name(s) used more than once: "
            f"{listing(twice)}; rename them so that each column has its own name"
        )
    return names


def read_frame(path, text_columns=(), *, all_text=False, nrows=None, na_values=(),
               dialect=None):  # fmt: skip
    """The CSV file at ``path`` as a DataFrame, its column names stripped of
    surrounding spaces.

    ``text_columns`` are read as text (``all_text``: every column, exactly as
    written, empty cells as ``""``). Missing are the empty cells and
    ``na_values``; None means pandas' default markers (``NA``, ``null``...).
    ``dialect`` is the file's `Dialect` (default: found by `sniff`).
    Raises `InputError` for a file that cannot be read or parsed, that has two
    columns of the same name, or that has no data row (unless ``nrows=0``
    asks for the header alone).
    """
    pd = _pandas()
    name = shown(path)
    try:
        dialect = dialect or sniff(path, na_values or ())
        header_names(path, dialect)
        options = {**dialect.options(), "encoding": "utf-8-sig", **exact_floats(pd)}
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
        raise InputError(f"cannot read {name}: {exc}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        message = " ".join(str(exc).split())
        raise InputError(f"cannot parse {name}: {message}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    if frame.empty and nrows != 0:
        raise InputError(f"{name} has a header but no data rows")
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
                      na_values=(), task=None):  # fmt: skip
    """Read ``path`` for training: the `Table` of its features and target.

    ``target`` defaults to the last column; ``drop`` names columns to leave
    out, ``keep`` columns to use even if identifier-like, ``categorical``
    numeric columns to one-hot encode (``""`` names a column whose header is
    empty); ``na_values`` are read as missing in features, besides empty
    cells (each may list several: ``"NA,?"``), and in a target to regress.
    ``task`` is ``--task``: None lets `task.choose` choose from the target,
    whose values are class labels (`labels`) or numbers (`task.quantities`).
    Rows without a label or value are dropped with a note.
    """
    na_values = [v for text in na_values for v in text.split(",") if v]
    dialect = sniff(path, na_values)
    header = list(read_frame(path, nrows=0, dialect=dialect).columns)
    unnamed = unnamed_columns(header, raw_header(path, dialect))
    drop, keep, categorical = (
        [_by_header(name, unnamed) for name in names]
        for names in (drop, keep, categorical)
    )
    chosen = target is not None
    target = target if chosen else header[-1]
    if target not in header:
        raise InputError(
            f"{shown(path)} has no column {target!r}; its columns are: "
            f"{listing(header, quote=True)}{did_you_mean(target, header)}"
        )
    _check_named(path, header, target, drop=drop, keep=keep, categorical=categorical)
    if len(header) < 2:
        raise InputError(f"{shown(path)} has no feature column besides {target!r}")
    frame = read_frame(path, [target, *categorical], na_values=na_values,
                       dialect=dialect)  # fmt: skip
    if na_values:
        frame[target] = read_frame(path, [target], dialect=dialect)[target]
    notes = [note for note in [dialect.note()] if note]
    with _taken_by_default(chosen):
        y, labelled, choice = _target(frame[target], path, target, dialect,
                                      na_values, task, notes)  # fmt: skip
    X = frame.drop(columns=[target])
    columns = classify(X, path, drop, keep, categorical, dialect.decimal)
    columns.labels = unnamed
    if not (columns.numeric or columns.categorical or columns.date):
        raise InputError(
            f"{shown(path)}: no feature column left to train on (every column is "
            "identifier-like, empty or dropped; --keep COLUMN uses one)"
        )
    notes += column_notes(X, columns, categorical)
    X = X[labelled] if not labelled.all() else X
    return Table(
        X.reset_index(drop=True), y[labelled], target, columns, notes, na_values,
        dialect, choice,
    )  # fmt: skip


def _target(texts, path, target, dialect, na_values, task, notes):
    """``(y, labelled, choice)``: the target column ``texts`` as class labels
    or numbers, whether each row has one, and the `task.Choice` that says
    which; a note on the rows without one goes to ``notes``."""
    choice = choose(texts, path, target, dialect.decimal, na_values, task)
    if choice.task == REGRESSION:
        y = quantities(texts, path, target, dialect.decimal, na_values)
        labelled, what = ~np.isnan(y), "value"
    else:
        labelled, what = texts.notna().to_numpy(), "label"
    if not labelled.all():
        notes.append(_unlabelled_note(path, labelled, target, what))
    if choice.task != REGRESSION:
        y = labels(texts, path, target)
    return y, labelled, choice


def _unlabelled_note(path, labelled, target, what="label"):
    """The note on the rows dropped for want of a label (``what``: or a
    value); an `InputError` when no row has one."""
    if labelled.sum() == 0:
        raise InputError(f"{shown(path)}: target column {target!r} has no {what}s")
    lines = np.flatnonzero(~labelled) + 2
    where = "line" if len(lines) == 1 else "lines"
    return (
        f"Dropped {count(len(lines), 'row')} without a {what} in {target!r} "
        f"({where} {listing(lines, 5)})."
    )


@contextlib.contextmanager
def _taken_by_default(chosen):
    """An `InputError` about the target tells how to name another one when
    the last column was taken for want of ``--target`` (``chosen`` false)."""
    try:
        yield
    except InputError as exc:
        if chosen:
            raise
        raise InputError(
            f"{exc} (no --target given, so the last column is the target; "
            "name another with --target COLUMN)"
        ) from None


def unnamed_columns(names, written):
    """What messages call the columns of ``names`` (as pandas names them)
    whose header ``written`` is empty: the first column, row names as pandas
    and R write them; any other, by its position."""
    return {
        name: "the unnamed first column (row names)"
        if i == 0
        else f"the unnamed column {i + 1}"
        for i, (name, text) in enumerate(zip(names, written, strict=False))
        if not text.strip()
    }


def _by_header(name, unnamed):
    """The column an option names: ``""`` is the first column whose header
    is empty, named as pandas names it."""
    return next(iter(unnamed), name) if name == "" else name


def did_you_mean(name, names):
    """The end of an error naming a column ``name`` that ``names`` lacks:
    "; did you mean 'species'?" when one of them is ``name`` but for case and
    spaces, or close to it; else nothing."""
    folded = {str(n).strip().casefold(): n for n in names}
    key = name.strip().casefold()
    if key not in folded:
        close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.8)
        key = close[0] if close else None
    match = folded.get(key)
    return f"; did you mean {short(repr(match), 60)}?" if match is not None else ""


def _check_named(path, header, target, **options):
    """Every column named by ``--drop``, ``--keep`` or ``--categorical`` is a
    feature column of the file, and no column is both dropped and used."""
    for option, names in options.items():
        for name in names:
            if name == target:
                raise InputError(f"--{option} {name}: it is the target column")
            if name not in header:
                raise InputError(
                    f"--{option} {name}: {shown(path)} has no such column; its "
                    f"columns are: {listing(header)}{did_you_mean(name, header)}"
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
    `InputError` for a target of a single class.
    """
    pd = _pandas()
    codes, distinct = pd.factorize(texts)
    distinct = [str(label) for label in distinct]
    if all(_is_int64(label) for label in distinct):
        values = np.array([int(label) for label in distinct], dtype=np.int64)
    else:
        values = np.array(distinct)
    if len(values) < 2:
        raise InputError(
            f"{shown(path)}: target column {target!r} has a single class "
            f"({short(repr(values[0].item()))}); a classifier needs at least two"
        )
    y = values[np.maximum(codes, 0)]
    return y


def _is_int64(text):
    return bool(CANONICAL_INTEGER.match(text)) and INT64.min <= int(text) <= INT64.max


def classify(X, path, drop=(), keep=(), categorical=(), decimal="."):
    """The `Columns` of the feature DataFrame ``X``, checking numeric columns.

    ``keep`` are used even if identifier-like; ``categorical`` are categories
    whatever their values. A text column of numbers that pandas' reader left
    as text (such as ``-1e400``, or ``1.5`` in a file of decimal commas) is
    made numbers in ``X``, to be checked; ``decimal`` is the file's mark.
    """
    columns = Columns()
    for position, name in enumerate(X.columns):
        values = X[name]
        if name not in categorical and not _is_numeric(values):
            numbers = _as_numbers(values, decimal)
            if numbers is not None and not values.isna().all():
                X[name] = values = numbers
        if name in drop:
            kind = "dropped"
        elif values.isna().all():
            kind = "empty"
        else:
            kind = _kind(values, path, name, position, keep, categorical, decimal)
        getattr(columns, kind).append(name)
    return columns


def _kind(values, path, name, position, keep, categorical, decimal):
    """The kind of a column with values that the user did not drop."""
    if name in categorical:
        return "categorical"
    if _is_numeric(values):
        check_numbers(values, path, name)
    else:
        _refuse_mixed(values, path, name, decimal)
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
            f"{shown(path)}: column {name!r} holds {x[line - 2]:g} on line {line}, too "
            "large to standardize (its square overflows); rescale the column or "
            f"--drop {name}"
        )


def _refuse_mixed(values, path, name, decimal="."):
    """A text column most of whose distinct values are numbers is a numeric
    column with a typo (``5_1``, ``1,5``): name the first value that is not a
    number rather than one-hot encode the column."""
    pd = _pandas()
    distinct = pd.Series(values.dropna().unique()).astype(str)
    numbers = _to_numbers(distinct, decimal)
    if 2 * (~np.isnan(numbers)).sum() > len(distinct):
        bad = distinct[np.isnan(numbers)].iloc[0]
        line = int(np.flatnonzero((values.astype(str) == bad).to_numpy())[0]) + 2
        raise InputError(
            f"{shown(path)}: column {name!r} is numeric but line {line} holds {bad!r}, "
            f"which is not a number; correct it, name it missing with "
            f"--na-values {bad} (only empty cells are missing), or --drop {name}"
        )


def read_for_prediction(path, known, numeric=(), categorical=(), target=None,
                        dates=(), na_values=(), dialect=None):  # fmt: skip
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
    returned when the target is a column of the file. ``dialect`` is how
    the file is written (default: found by `sniff`).
    """
    text = [*categorical, *dates, *([target] if target is not None else [])]
    dialect = dialect or sniff(path, na_values or ())
    frame = read_frame(path, text_columns=text, na_values=na_values, dialect=dialect)
    needed = [*numeric, *categorical, *dates] or list(known)
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise InputError(
            f"{shown(path)} has no column {missing[0]!r}, which the model needs "
            f"(it reads: {listing(needed)})"
        )
    extra = [name for name in frame.columns if name not in known and name != target]
    if extra:
        raise InputError(
            f"{shown(path)} has a column {extra[0]!r} that the model was not "
            f"trained on (its columns: {listing(known)}"
            + (f", and the target {target!r})" if target is not None else ")")
        )
    for name in numeric:
        frame[name] = _numbers_for_prediction(frame[name], path, name, dialect)
        check_finite(frame[name], path, name)
    for name in dates:
        _check_dates(frame[name], path, name)
    if target not in frame.columns:
        return frame, None
    y = (
        read_frame(path, [target], dialect=dialect)[target]
        if na_values
        else frame[target]
    )
    return frame.drop(columns=[target]), y.astype(object).where(y.notna(), None)


def _numbers_for_prediction(values, path, name, dialect):
    """A column the model reads as numbers, as numbers; an `InputError` naming
    the first cell that is not one."""
    if _is_numeric(values) or values.isna().all():
        return values
    numbers = _as_numbers(values, dialect.decimal)
    if numbers is None:
        numbers = _to_numbers(values, dialect.decimal)
        bad = np.flatnonzero(np.isnan(numbers) & values.notna())[0]
        raise InputError(
            f"{shown(path)}: column {name!r} must be numeric, but line {bad + 2} holds "
            f"{values.iloc[bad]!r} (only empty cells are missing, and those "
            "named by --na-values in training)"
        )
    return numbers


def _as_numbers(values, decimal="."):
    """A text column every value of which is a number that pandas' reader left
    as text (such as ``-1e400``, which overflows), as floats; else None."""
    distinct = values.__class__(values.dropna().unique())
    if distinct.empty or np.isnan(_to_numbers(distinct, decimal)).any():
        return None
    numbers = _to_numbers(values, decimal)
    return values.__class__(numbers, index=values.index, name=values.name)


def _to_numbers(values, decimal="."):
    """The values of a Series as floats, NaN where missing or not a number.

    A number is what pandas reads as one, or a decimal number beyond float64's
    range, which pandas reads as ``inf``, ``0`` or text depending on its
    version: here always the ``±inf`` or ``0.0`` of Python's float. With the
    ``decimal`` mark ``","``, a number may be written with a decimal comma.
    """
    pd = _pandas()
    texts = values.astype(object).where(values.notna(), None)
    if decimal == ",":
        texts = texts.map(_point_for_comma)
    numbers = pd.to_numeric(texts.astype(str).where(texts.notna()), errors="coerce")
    numbers = numbers.to_numpy(dtype=float, na_value=np.nan)
    texts = texts.to_numpy(dtype=object)
    for i in np.flatnonzero(np.isnan(numbers)):
        if isinstance(texts[i], str) and DECIMAL.match(texts[i].strip()):
            numbers[i] = float(texts[i])
    return numbers


def _point_for_comma(text):
    """``text`` with its decimal comma made a point, if it is a number
    written with one (``39,1``); else ``text``."""
    if isinstance(text, str) and DECIMAL_COMMA.match(text.strip()):
        return text.replace(",", ".")
    return text


def _check_dates(values, path, name):
    """Every value of a date column is a date in an accepted form."""
    from .dates import DATE, FORMS, _date_ok

    for line, value in enumerate(values.tolist(), start=2):
        if isinstance(value, str) and not (DATE.match(value) and _date_ok(value)):
            raise InputError(
                f"{shown(path)}: column {name!r} holds dates, but line {line} holds "
                f"{value!r}, which is not one ({FORMS})"
            )


def check_finite(values, path, name):
    """A numeric column holds no infinity; return it as floats (NaN: missing)."""
    x = values.to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        line = np.flatnonzero(infinite)[0] + 2
        raise InputError(
            f"{shown(path)}: column {name!r} holds {x[line - 2]} on line {line}: "
            "features must be finite numbers"
        )
    return x
