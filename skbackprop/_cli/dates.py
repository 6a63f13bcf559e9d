"""Dates as numbers: the `DateFeatures` transformer of the command line's
pipelines, and the test that says which text columns hold dates.

`is_date_column` says whether every value of a column is an ISO date or
date-time that exists, written year first (`DATE`, `FORMS`), so that codes
such as ``20200101`` are never taken for dates. `DateFeatures` makes each
date column four numbers (`PARTS`: days since 1970-01-01, year, month,
weekday), and a fifth, the hour, for a column that holds times; a missing
date gives NaN, for the imputer that follows. It runs in the saved pipeline,
so the predict command converts dates exactly as training did. It has no
ONNX converter: `refuse_onnx` stops an export with date columns before any
work. docs/user_guide.rst ("What is read how") gives the forms for users.
"""

import re

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

DATE = re.compile(
    r"[0-9]{4}(?P<sep>[-/])[0-9]{2}(?P=sep)[0-9]{2}"
    r"(?P<time>[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?\Z"
)
PARTS = ("day", "year", "month", "weekday")
FORMS = "YYYY-MM-DD or YYYY/MM/DD, and a time THH:MM[:SS[.ffffff]] if any"


def is_date_column(values):
    """Whether every non-missing value of the text Series ``values`` is an ISO
    date or date-time that exists (no month 13, no February 30)."""
    distinct = values.dropna().unique()
    if not len(distinct) or not all(isinstance(v, str) for v in distinct):
        return False
    if not all(DATE.match(text) for text in distinct):
        return False
    try:
        _parse(distinct)
    except ValueError:
        return False
    return True


def _parse(texts):
    """``texts`` as datetime64[us] (``/`` may stand for ``-``, a space for the
    ``T``)."""
    texts = [t.replace("/", "-").replace(" ", "T") for t in texts]
    return np.array(texts, dtype="datetime64[us]")


def _is_missing(value):
    return value is None or value == "" or (isinstance(value, float) and value != value)


class DateFeatures(TransformerMixin, BaseEstimator):
    """ISO dates and date-times as numbers: day, year, month, weekday, and the
    hour of the day for a column that holds times.

    Each input column is text. Its values are dates ``YYYY-MM-DD`` (or
    ``YYYY/MM/DD``) or date-times ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` (a space
    may stand for the ``T``); None, NaN and ``''`` are missing and give NaN.
    The day is the number of days since 1970-01-01; the weekday is 0 for
    Monday.

    Attributes
    ----------
    with_time_ : list of bool
        For each input column, whether its training values held a time: then
        it gives a fifth number, the hour.
    n_features_in_ : int
        The number of input columns.
    feature_names_in_ : ndarray of str
        Their names, when fitted on a DataFrame.
    """

    def fit(self, X, y=None):
        """Record which columns hold times.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Text columns of dates.
        y : None
            Ignored.

        Returns
        -------
        self : DateFeatures
        """
        columns = self._columns(X)
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], object)
        self.n_features_in_ = len(columns)
        self.with_time_ = [
            any(
                DATE.match(v).group("time")
                for v in col
                if not _is_missing(v) and DATE.match(v)
            )
            for col in columns
        ]
        return self

    def transform(self, X):
        """The numbers of each column's dates, in column order.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Text columns of dates, as in `fit`.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
            Day, year, month, weekday (and hour) of each column, NaN where the
            date is missing.

        Raises
        ------
        ValueError
            If a value is not a date in one of the accepted forms.
        """
        check_is_fitted(self)
        columns = self._columns(X)
        if len(columns) != self.n_features_in_:
            raise ValueError(
                f"X has {len(columns)} columns; DateFeatures was fitted on "
                f"{self.n_features_in_}"
            )
        blocks = [
            self._numbers(col, time, j)
            for j, (col, time) in enumerate(zip(columns, self.with_time_, strict=True))
        ]
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))

    def get_feature_names_out(self, input_features=None):
        """``<column>_day``, ``_year``, ``_month``, ``_weekday`` (``_hour``)."""
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(
                self,
                "feature_names_in_",
                [f"x{j}" for j in range(self.n_features_in_)],
            )
        names = []
        for name, time in zip(input_features, self.with_time_, strict=True):
            names += [f"{name}_{part}" for part in PARTS + (("hour",) if time else ())]
        return np.asarray(names, dtype=object)

    def _columns(self, X):
        """The columns of ``X`` as lists of values."""
        if hasattr(X, "columns"):
            return [X.iloc[:, j].tolist() for j in range(X.shape[1])]
        X = np.asarray(X, dtype=object)
        if X.ndim != 2:
            raise ValueError("DateFeatures takes a 2-D array of text columns")
        return [X[:, j].tolist() for j in range(X.shape[1])]

    def _numbers(self, values, with_time, j):
        """The columns of numbers of one column of dates."""
        missing = np.array([_is_missing(v) for v in values], dtype=bool)
        texts = [v for v, m in zip(values, missing, strict=True) if not m]
        bad = [v for v in texts if not (isinstance(v, str) and DATE.match(v))]
        try:
            if bad:
                raise ValueError
            stamps = _parse(texts)
        except ValueError:
            value = bad[0] if bad else next(v for v in texts if not _date_ok(v))
            raise ValueError(
                f"{value!r} in date column {self._name(j)} is not a date ({FORMS})"
            ) from None
        days = stamps.astype("datetime64[D]")
        day = days.astype(np.int64)
        parts = [
            day,
            days.astype("datetime64[Y]").astype(np.int64) + 1970,
            days.astype("datetime64[M]").astype(np.int64) % 12 + 1,
            (day + 3) % 7,  # 1970-01-01 was a Thursday
        ]
        if with_time:
            parts.append((stamps - days) / np.timedelta64(1, "h"))
        out = np.full((len(values), len(parts)), np.nan)
        out[~missing] = np.column_stack(parts).astype(float) if texts else 0.0
        return out

    def _name(self, j):
        names = getattr(self, "feature_names_in_", None)
        return repr(str(names[j])) if names is not None else str(j)


def _date_ok(text):
    try:
        _parse([text])
    except ValueError:
        return False
    return True


def refuse_onnx(date_columns, path):
    """An ONNX export cannot include date columns: a one-line error naming them
    and the remedy, raised before any work."""
    from .reading import InputError
    from .text import listing

    if date_columns:
        drop = " ".join(date_columns[:3]) + (" ..." if len(date_columns) > 3 else "")
        raise InputError(
            f"--export-onnx {path}: ONNX export cannot include date columns "
            f"({listing(date_columns)}), which the model reads as numbers; "
            f"--drop {drop} to export, or leave out --export-onnx"
        )
