"""How a CSV file is written: where its text comes from, its field separator
and its decimal mark, found from its first lines.

`source` gives pandas the text of a path, of ``-`` (standard input) or of a
pipe, read once; `delimiter` finds the separator among comma, tab, semicolon
and ``|``, and `decimal_mark` whether numbers are written with a decimal
comma (the usual export of European spreadsheets). `sniff` puts these
together in a `Dialect`, which says how the file was read (`Dialect.note`)
and gives pandas' reading options; `shown` names ``-`` "standard input" in
messages. docs/user_guide.rst ("What is read how") says the same for users.
"""

import csv
import functools
import io
import os
import re
import stat
import sys
from dataclasses import dataclass

STDIN = "-"
SEPARATORS = ",\t;|"
SAMPLE_LINES = 50
# The lines read to find the decimal mark: enough for a column's numbers to
# show their decimals, few enough to read at once.
DECIMAL_SAMPLE = 1000
WHITESPACE = r"\s+"
_EXPONENT = r"([eE][+-]?[0-9]+)?"
INTEGER = re.compile(rf"[+-]?[0-9]+{_EXPONENT}\Z")
DECIMAL_COMMA = re.compile(rf"[+-]?[0-9]+,[0-9]+{_EXPONENT}\Z")
DECIMAL_POINT = re.compile(rf"[+-]?([0-9]+\.[0-9]*|\.[0-9]+){_EXPONENT}\Z")
DIGIT = re.compile("[0-9]")
SEPARATOR_NAMES = {"\t": "tab", WHITESPACE: "whitespace"}


def _input_error(message):
    from .reading import InputError

    return InputError(message)


def shown(path):
    """How messages name ``path``: "standard input" for ``-``."""
    return "standard input" if str(path) == STDIN else str(path)


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written: its field ``separator`` and ``decimal`` mark."""

    separator: str = ","
    decimal: str = "."

    def options(self):
        """pandas' ``read_csv`` options for this dialect."""
        return {"sep": self.separator, "decimal": self.decimal}

    def note(self):
        """One sentence on how the file was read, or None for a plain CSV file
        (commas between fields, points in numbers)."""
        if self == Dialect():
            return None
        sep = SEPARATOR_NAMES.get(self.separator, repr(self.separator))
        commas = " with decimal commas" if self.decimal == "," else ""
        return f"Read as {sep}-separated{commas}."


def sniff(path, na_values=(), fallback=None):
    """The `Dialect` of the file at ``path``.

    ``na_values`` are cells read as missing (no evidence of a decimal mark).
    ``fallback``, the `Dialect` a model was trained on, decides what the file
    leaves open: the separator of a file whose header holds none, and the
    decimal mark of a file whose numbers have none (all integers).
    """
    lines = _first_lines(path, DECIMAL_SAMPLE)
    separator = delimiter(path, lines[:SAMPLE_LINES])
    if separator == WHITESPACE and fallback is not None:
        separator = fallback.separator
    mark = decimal_mark(lines, separator, na_values)
    if mark is None:
        mark = "." if fallback is None or separator == "," else fallback.decimal
    return Dialect(separator, mark)


def decimal_mark(lines, separator, na_values=()):
    """``","`` when a column of ``lines`` (the header first) holds numbers
    written with a decimal comma and the separator is not a comma, ``"."``
    when one holds numbers written with a decimal point, None when no column
    holds a decimal number. A column counts when its other cells are
    integers, empty, in ``na_values`` or markers without a digit (``NA``,
    ``?``), fewer than its numbers."""
    if separator == ",":
        return "."
    found = set()
    for cells in _columns(lines, separator):
        cells = [c.strip() for c in cells if c.strip() and c.strip() not in na_values]
        markers = sum(not DIGIT.search(c) for c in cells)
        for mark, form in ((",", DECIMAL_COMMA), (".", DECIMAL_POINT)):
            numbers = sum(bool(form.match(c) or INTEGER.match(c)) for c in cells)
            if (
                numbers + markers == len(cells)
                and numbers > markers
                and any(form.match(c) for c in cells)
            ):
                found.add(mark)
    return "," if "," in found else "." if found else None


def _columns(lines, separator):
    """The cells of the rows after the header, column by column; rows with
    another number of fields than the header are left out."""
    if separator == WHITESPACE:
        rows = [line.split() for line in lines]
    else:
        rows = list(csv.reader(lines, delimiter=separator))
    if not rows:
        return []
    width = len(rows[0])
    return list(zip(*(row for row in rows[1:] if len(row) == width), strict=True))


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
            raise _input_error(f"cannot read {path}: {exc}") from None
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
        raise _input_error(f"cannot read {shown(name)}: {exc}") from None


def _first_lines(path, n=SAMPLE_LINES):
    """The first non-blank lines of ``path``, at most ``n``."""
    src = source(path)
    if isinstance(src, io.StringIO):
        text = src.getvalue()
    else:
        with open(src, encoding="utf-8-sig", errors="replace") as f:
            text = "".join(f.readline() for _ in range(n + 1))
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[:n]


def delimiter(path, lines=None):
    """The field separator of ``path`` (or of its first ``lines``): of comma,
    tab, semicolon and ``|``, the one that splits the header and the first
    lines into the same number of fields, at least two (the most fields if
    several do, the first of these on a tie); else the header's comma, or its
    most frequent other one; else whitespace."""
    lines = _first_lines(path) if lines is None else lines
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
    return sep if counts[sep] else WHITESPACE
