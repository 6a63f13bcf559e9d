"""What several test modules share: fitting quietly, reading a fitted network's
weights and state, running functions in threads at once, a dask cluster on
this machine, and running the command line on CSV files written for the test.

The fixtures that several modules share (the data sets, a dask cluster) are in
conftest.py.
"""

import builtins
import csv
import importlib
import pickle
import re
import threading
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skbackprop import TwoLayerClassifier
from skbackprop.__main__ import main
from skbackprop._cli.text import WIDTH

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # files that the tests read

# The methods that compute from a fitted network's weights.
PREDICTION_METHODS = [
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "hidden_activations",
]


# --------------------------------------------------------------------------------------
# A fitted network
# --------------------------------------------------------------------------------------
def assert_as_written_elsewhere(actual, expected, ulps=64):
    """``actual`` equals ``expected``, numbers computed by this code on another
    machine, to rounding: the BLAS kernels chosen for another processor may
    round the last bits otherwise, and a few epochs of training add those
    differences up. The same bits are promised on the same machine only
    (test_determinism.py, test_pickle_is_deterministic)."""
    eps = np.finfo(np.asarray(expected).dtype).eps
    np.testing.assert_allclose(actual, expected, rtol=ulps * eps, atol=ulps * eps)


def quiet_fit(estimator, *args, **kwargs):
    """``estimator.fit(*args, **kwargs)``, without its ConvergenceWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def fitted(X, y, sample_weight=None, **params):
    """A `TwoLayerClassifier` of ``params`` (``random_state=0`` unless given)
    fitted on ``X, y``, without its ConvergenceWarning."""
    estimator = TwoLayerClassifier(**{"random_state": 0, **params})
    return quiet_fit(estimator, X, y, sample_weight=sample_weight)


def weights_of(estimator):
    """``[W1, W2, b1, b2]``: ``coefs_ + intercepts_``."""
    return estimator.coefs_ + estimator.intercepts_


def flat_weights(estimator):
    """The weights in the order of the flat parameter vector."""
    W1, W2 = estimator.coefs_
    b1, b2 = estimator.intercepts_
    return np.concatenate([W1.ravel(), b1, W2.ravel(), b2])


def state_of(estimator):
    """Everything the estimator holds, as bytes: equal states, equal bytes."""
    return {name: pickle.dumps(value) for name, value in vars(estimator).items()}


# --------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------
def run_together(functions):
    """Run each of ``functions`` in a thread of its own, all released at once;
    return ``(results, errors)``: their results in order (None for one that
    raised) and what they raised, which a thread would otherwise lose."""
    results, errors = [None] * len(functions), []
    start = threading.Barrier(len(functions))

    def run(i):
        try:
            start.wait()
            results[i] = functions[i]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(functions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def local_cluster(**kwargs):
    """A dask ``LocalCluster`` of 2 worker processes, one thread each."""
    import distributed

    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        **kwargs,
    )


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------
def run(argv, capsys):
    """``python -m skbackprop`` with ``argv``: ``(status, stdout, stderr)``."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def one_line_error(status, err, *fragments):
    """The run failed with exit status 1 and a one-line error holding each of
    ``fragments``, and no traceback."""
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith("python -m skbackprop: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def assert_readable(text):
    """No line over `WIDTH` characters, and no "(N in all)" cut in two."""
    lines = text.splitlines()
    assert not [line for line in lines if len(line) > WIDTH]
    assert not [line for line in lines if re.search(r"\(\d+( in)?$", line)]
    assert not [line for line in lines if re.match(r"\s*(in )?all\)", line)]


MIXED_HEADER = ["name", "size", "colour", "noise", "blank", "outcome"]


def mixed_rows(n=160, seed=0):
    """Rows of a file as found in the wild (`MIXED_HEADER`): a class that a
    number and a category predict, missing values, an identifier, an empty
    column, unlabelled rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = ["no", "yes"][i % 2]
        size = rng.normal(3.0 if label == "yes" else 0.0)
        colour = rng.choice(["red", "green"] if label == "yes" else ["blue", "red"])
        rows.append([
            f"r{i:04d}",  # unique on every row
            "" if i % 13 == 5 else f"{size:.3f}",
            "NA" if i % 11 == 3 else colour,
            int(rng.integers(1000)),
            "",  # empty column
            "" if i in (7, 40) else label,
        ])  # fmt: skip
    return rows


def dated_frame(n=200, seed=7):
    """Weather-like rows: a date, whose season decides the label, and a number."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    days = np.datetime64("2012-01-01") + rng.permutation(3 * 365)[:n]
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    return pd.DataFrame({
        "date": [str(d).replace("-", "/") for d in days],
        "wind": rng.normal(size=n).round(3),
        "season": np.where((month >= 5) & (month <= 9), "summer", "winter"),
    })  # fmt: skip


def dated_pipeline():
    """A command-line pipeline with a date column, fitted: ``(pipeline, X)``."""
    from skbackprop._cli.main import make_search
    from skbackprop._cli.reading import Columns

    frame = dated_frame()
    X = frame.drop(columns="season")
    columns = Columns(numeric=["wind"], date=["date"])
    search = make_search([1.0], [4], cv=2, n_jobs=None, random_state=0, columns=columns)
    return search.estimator.fit(X, frame["season"]), X


def without_module(monkeypatch, module):
    """Make ``import module`` fail for the rest of the test, as it does
    where the package is not installed."""
    real_import, real_import_module = builtins.__import__, importlib.import_module

    def refusing(name, *args, **kwargs):
        if name == module:
            raise ImportError(f"No module named {module!r}")
        return real_import(name, *args, **kwargs)

    def refusing_module(name, *args, **kwargs):
        if name == module:
            raise ImportError(f"No module named {module!r}")
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refusing)
    monkeypatch.setattr(importlib, "import_module", refusing_module)
