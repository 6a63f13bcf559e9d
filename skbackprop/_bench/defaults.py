"""``python -m skbackprop bench defaults``: the defaults against MLPClassifier's.

Both estimators run with their default parameters, in
``make_pipeline(StandardScaler(), clf)``, on data sets of 150 to 1,000,000 rows:
the five small ones shipped with scikit-learn (or generated), four synthetic
ones of 10,000 to 20,000 rows, the real files that the ``ISLP`` package ships
(the ``bench`` extra), and one synthetic set of 1,000,000 rows. Each is split
75/25 (stratified) with three seeds; each fit runs as it is, with
``early_stopping=True``, and with ``early_stopping=True, n_iter_no_change=5``
(the three variants). The table gives, per data set and variant, the median
over the seeds of the held-out accuracy and of the fit time of each estimator.
The two estimators alternate which goes first, seed by seed.

String columns of the real files are one-hot encoded (``pandas.get_dummies``)
before the split; the scaler is fitted on the training part, inside the
pipeline.
"""

import argparse
import statistics
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_moons,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._estimators.classifier import TwoLayerClassifier

VARIANTS = {
    "default": {},
    "early_stopping": {"early_stopping": True},
    "+n_iter_no_change=5": {"early_stopping": True, "n_iter_no_change": 5},
}
ESTIMATORS = {"skb": TwoLayerClassifier, "MLP": MLPClassifier}
SEEDS = 3


@dataclass(frozen=True)
class DataSet:
    """A data set of the table: its name, its group and how to load it."""

    name: str
    group: str  # "small", "synthetic", "real", "large"
    load: object  # () -> (X, y)


def _synthetic(n, m, k):
    def load():
        return make_classification(n, m, n_informative=10, n_classes=k, random_state=0)

    return load


class MissingPackage(ImportError):
    """The package that ships a data set is not installed: the benchmark
    skips the data set and says how to install it."""


# The option of ``python -m skbackprop bench`` that picks each case's data sets.
SUBSET_OPTION = {"defaults": "--subset", "regdefaults": "--reg-subset"}


def islp_frame(name, case, without):
    """The file ``name`` that ISLP ships, as a DataFrame; without ISLP, a
    `MissingPackage` that says how to install it, or to run the benchmark's
    ``case`` on the data sets ``without``."""
    try:
        from ISLP import load_data
    except ImportError as error:
        raise MissingPackage(
            f"The {name} data of the {case} benchmark ships with ISLP: "
            'pip install "skbackprop[bench]" && pip install --no-deps ISLP '
            "(its files need none of its requirements), or run "
            f"python -m skbackprop bench {case} {SUBSET_OPTION[case]} {without}."
        ) from error
    return load_data(name)


def encoded(frame):
    """The columns of ``frame`` as a float array, those of strings or
    categories one-hot encoded (the first level dropped)."""
    import pandas as pd

    return pd.get_dummies(frame, drop_first=True).to_numpy(dtype=float)


def _islp(name, target, drop=()):
    """A file that ISLP ships, with ``target`` as labels and the other columns,
    less ``drop``, one-hot encoded where they hold strings."""

    def load():
        frame = islp_frame(name, "defaults", "small,synthetic")
        frame = frame.drop(columns=list(drop))
        y = frame.pop(target).astype(str).to_numpy()
        return encoded(frame), y

    return load


def _moons():
    return make_moons(500, noise=0.2, random_state=0)


DATA_SETS = [
    DataSet("digits", "small", lambda: load_digits(return_X_y=True)),
    DataSet("breast cancer", "small", lambda: load_breast_cancer(return_X_y=True)),
    DataSet("iris", "small", lambda: load_iris(return_X_y=True)),
    DataSet("wine", "small", lambda: load_wine(return_X_y=True)),
    DataSet("moons", "small", _moons),
    DataSet("synthetic k=3", "synthetic", _synthetic(20_000, 50, 3)),
    DataSet("synthetic k=5", "synthetic", _synthetic(20_000, 20, 5)),
    DataSet("synthetic k=2", "synthetic", _synthetic(10_000, 100, 2)),
    DataSet("OJ", "real", _islp("OJ", "Purchase")),
    DataSet("Weekly", "real", _islp("Weekly", "Direction", drop=["Today"])),
    DataSet("Smarket", "real", _islp("Smarket", "Direction", drop=["Today"])),
    DataSet("Wage", "real", _islp("Wage", "health_ins", drop=["logwage"])),
    DataSet("Caravan", "real", _islp("Caravan", "Purchase")),
    DataSet("Default", "real", _islp("Default", "default")),
    DataSet("synthetic 1M", "large", _synthetic(1_000_000, 20, 2)),
]
GROUPS = ("small", "synthetic", "real", "large")


def fit_score(estimator, params, seed, split):
    """Held-out accuracy and fit time of one default pipeline."""
    X_train, X_test, y_train, y_test = split
    model = make_pipeline(StandardScaler(), estimator(random_state=seed, **params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    return model.score(X_test, y_test), seconds


def run(data_sets, seeds=SEEDS, log=print):
    """``{data set: (shape, {variant: {estimator: [(accuracy, seconds)]}})}``."""
    results = {}
    for data in data_sets:
        try:
            X, y = data.load()
        except MissingPackage as reason:
            log(f"{data.name:<12}skipped: {reason}")
            continue
        runs = {v: {e: [] for e in ESTIMATORS} for v in VARIANTS}
        for seed in range(seeds):
            split = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed
            )
            for variant, params in VARIANTS.items():
                order = list(ESTIMATORS) if seed % 2 == 0 else list(ESTIMATORS)[::-1]
                for name in order:
                    runs[variant][name].append(
                        fit_score(ESTIMATORS[name], params, seed, split)
                    )
        shape = (X.shape[0], X.shape[1], len(np.unique(y)))
        results[data.name] = (shape, runs)
        log(_row(data.name, shape, runs))
    return results


def _medians(pairs):
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(t for _, t in pairs),
    )


def header(seeds=SEEDS):
    lines = [
        "defaults: make_pipeline(StandardScaler(), clf), default parameters "
        "but for the variant; stratified 75/25 splits, medians over "
        f"{seeds} seeds of the held-out accuracy and the fit time (s); ok: skb's "
        "accuracy is at least MLP's - 0.01"
    ]
    cells = "".join(f"  {variant:<36}" for variant in VARIANTS)
    lines.append(f"{'':<30}{cells}")
    sub = "  acc skb  acc MLP   s skb   s MLP ok " * len(VARIANTS)
    lines.append(f"{'data set':<15}{'n x m, K':>15}{sub}")
    return "\n".join(line.rstrip() for line in lines)


def _row(name, shape, runs):
    n, m, k = shape
    cells = []
    for variant in VARIANTS:
        acc_s, t_s = _medians(runs[variant]["skb"])
        acc_m, t_m = _medians(runs[variant]["MLP"])
        ok = "yes" if acc_s >= acc_m - 0.01 else "NO "
        cells.append(f"  {acc_s:>7.3f}  {acc_m:>7.3f}{t_s:>8.2f}{t_m:>8.2f} {ok}")
    return (f"{name:<15}{f'{n} x {m}, {k}':>15}" + "".join(cells)).rstrip()


def totals(results):
    """The total fit time (sum of the medians) per variant and estimator."""
    total = {v: {e: 0.0 for e in ESTIMATORS} for v in VARIANTS}
    for _, runs in results.values():
        for variant in VARIANTS:
            for name in ESTIMATORS:
                total[variant][name] += _medians(runs[variant][name])[1]
    return total


def print_totals(results):
    for variant, total in totals(results).items():
        print(
            f"total fit time, {variant}: skb {total['skb']:.1f} s, MLP "
            f"{total['MLP']:.1f} s (MLP/skb {total['MLP'] / total['skb']:.1f})"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench defaults",
        description="The default TwoLayerClassifier against the default "
        "MLPClassifier, at every size.",
    )
    parser.add_argument(
        "--subset",
        default=",".join(GROUPS),
        help=f"comma-separated groups of data sets among {', '.join(GROUPS)} "
        "(default: all), or names of data sets",
    )
    parser.add_argument("--seeds", type=int, default=SEEDS, help="split seeds")
    parser.add_argument("--quick", action="store_true", help="iris and moons, one seed")
    args = parser.parse_args([] if argv is None else list(argv))
    wanted = ["iris", "moons"] if args.quick else args.subset.split(",")
    seeds = 1 if args.quick else args.seeds
    unknown = set(wanted) - set(GROUPS) - {d.name for d in DATA_SETS}
    if unknown:
        parser.error(f"unknown data set(s) or group(s) {sorted(unknown)}")
    chosen = [d for d in DATA_SETS if d.group in wanted or d.name in wanted]
    print(header(seeds), flush=True)
    start = time.perf_counter()
    results = run(chosen, seeds, log=lambda line: print(line, flush=True))
    print_totals(results)
    print(f"({time.perf_counter() - start:.0f} s in all)")
    return 0
