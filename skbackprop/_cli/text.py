"""Bounded text for the command line's messages.

A file may hold thousands of classes or columns, and a label or a column name
may be thousands of characters long; every list of them that goes into a
message or a report is written by `listing`, which shows the first few,
each cut to a readable length, and says how many there are in all, so that no
message grows with the data. `wrapped` cuts a long line into lines of at
most `WIDTH` characters, keeping a listing's "(N in all)" and the items
marked by `together` on one line;
`count` writes "1 row" and "3 rows"; `class_label` writes a class label so that
``3`` and ``'3'`` read apart.
"""

import re
import textwrap

import numpy as np

# No line the command line prints is longer than this.
WIDTH = 120
# How many items a listing shows, and how many characters of each.
SHOWN = 6
ITEM_WIDTH = 30
# The end of a cut listing, which `wrapped` keeps on one line.
_IN_ALL = re.compile(r"\(\d+ in all\)")
# Stands for a space that must not break a line while `wrapped` fills the text.
_KEEP = "\0"


def wrapped(text, indent="  "):
    """``text`` cut into lines of at most `WIDTH` characters, the lines after
    the first indented by ``indent``; words (a path, a label) are not split,
    nor is the "(N in all)" that ends a cut `listing`, nor a `together` text."""
    kept = _IN_ALL.sub(lambda m: m.group().replace(" ", _KEEP), text)
    filled = textwrap.fill(
        kept,
        WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return filled.replace(_KEEP, " ")


def together(text):
    """``text`` that `wrapped` keeps on one line (a list item such as
    "'a' -> 'b': 3"), as long as it fits in one."""
    return text.replace(" ", _KEEP)


def count(n, noun):
    """``n`` and ``noun``, plural when ``n`` is not 1: "1 row", "3 rows",
    "2 classes"."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun}es" if noun.endswith(("s", "x", "ch", "sh")) else f"{n} {noun}s"


def short(text, width=ITEM_WIDTH):
    """``text`` cut to ``width`` characters, the cut marked by "..."."""
    text = str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def listing(values, limit=SHOWN, *, quote=False, width=ITEM_WIDTH):
    """The first ``limit`` of ``values``, comma-separated, each cut to
    ``width`` characters (and written with ``repr`` when ``quote``), then
    ", ... (N in all)" when some are left out."""
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    shown = [short(repr(v) if quote else v, width) for v in values[:limit]]
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(shown) + more


def class_label(value, width=ITEM_WIDTH):
    """A class label as the report writes it: text quoted (``'3'``), numbers
    and booleans bare (``3``), cut to ``width`` characters; a cut text keeps
    its closing quote (``'Officer-involved sh...'``)."""
    value = value.item() if isinstance(value, np.generic) else value
    text = repr(value)
    if isinstance(value, str) and len(text) > width:
        return f"{text[: width - 4]}...{text[-1]}"
    return short(text, width)
