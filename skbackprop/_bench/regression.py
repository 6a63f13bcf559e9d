"""``python -m skbackprop bench regdefaults``: the defaults of `TwoLayerRegressor`
against MLPRegressor's.

Both estimators run with their default parameters inside
``TransformedTargetRegressor(make_pipeline(StandardScaler(), reg),
transformer=StandardScaler())``: inputs and targets standardized on the
training part, the scale both estimators' defaults are chosen for. The data
sets are real ones that need no download: scikit-learn's diabetes, its
California housing when a copy is already on this machine (skipped otherwise),
the cars of ``vega_datasets`` and the penguins of ``palmerpenguins`` (both
shipped in those packages), and five files that ``ISLP`` ships. Each is split
75/25 with several seeds, the seed of the split also seeding both estimators,
which alternate going first from seed to seed.

Per data set the table gives the medians over the seeds of the held-out R²,
the fit time and the epochs run (``n_iter_``) of each estimator; the median
over the seeds of the paired difference of R² (ours minus MLPRegressor's, on
the same split), in how many seeds ours is at least as good, and how many
fits raised a ConvergenceWarning. A row is ``ok`` when that median paired
difference is at least -0.01 (the bar of the classifier's table) and the
median fit time is less than MLPRegressor's; under a row that is not, a line
per seed gives both estimators' R², fit time and epochs.
"""

import argparse
import statistics
import time
import warnings
from dataclasses import dataclass

from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import fetch_california_housing, load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._estimators.regressor import TwoLayerRegressor
from .defaults import DataSet, MissingPackage, encoded, islp_frame
from .report import load_average

ESTIMATORS = {"skb": TwoLayerRegressor, "MLP": MLPRegressor}
SEEDS = 10
# A row is "ok" when the median paired difference of R² is at least this.
R2_MARGIN = 0.01
GROUPS = ("sklearn", "packages", "ISLP")
QUICK = ["diabetes", "penguins"]


class Unavailable(Exception):
    """A data set that is not on this machine and would need a download."""


def _california():
    """California housing, from scikit-learn's data folder if a copy is there."""
    try:
        return fetch_california_housing(return_X_y=True, download_if_missing=False)
    except OSError as error:
        raise Unavailable(
            "not in scikit-learn's data folder, and the benchmark downloads "
            "nothing: sklearn.datasets.fetch_california_housing() fetches it"
        ) from error


def _package_frame(module, load):
    """``load(module)``: a data frame that an installed package ships; without
    the package, a `MissingPackage` that says how to install it."""
    import importlib

    try:
        package = importlib.import_module(module)
    except ImportError as error:
        raise MissingPackage(
            f"The {module} data of the regdefaults benchmark ships with "
            f'{module}: pip install "skbackprop[bench]", or run python -m '
            "skbackprop bench regdefaults --reg-subset sklearn."
        ) from error
    return load(package)


def _cars():
    """Miles per gallon of 392 cars from their cylinders, displacement,
    horsepower, weight, acceleration, model year and origin (the cars of
    ``vega_datasets``, rows with a missing value dropped)."""
    frame = _package_frame("vega_datasets", lambda p: p.data.cars())
    frame = frame.drop(columns="Name").dropna()
    frame["Year"] = frame["Year"].dt.year
    y = frame.pop("Miles_per_Gallon").to_numpy(dtype=float)
    return encoded(frame), y


def _penguins():
    """Body mass of 333 penguins from their species, island, bill and flipper
    sizes, sex and year (``palmerpenguins``, rows with a missing value
    dropped)."""
    frame = _package_frame("palmerpenguins", lambda p: p.load_penguins()).dropna()
    y = frame.pop("body_mass_g").to_numpy(dtype=float)
    return encoded(frame), y


def _islp(name, target, drop=()):
    """A file that ISLP ships, with the number column ``target`` as the
    target and the other columns, less ``drop``, one-hot encoded where they
    hold strings or categories."""

    def load():
        frame = islp_frame(name, "regdefaults", "sklearn,packages")
        frame = frame.drop(columns=list(drop))
        y = frame.pop(target).to_numpy(dtype=float)
        return encoded(frame), y

    return load


DATA_SETS = [
    DataSet("diabetes", "sklearn", lambda: load_diabetes(return_X_y=True)),
    DataSet("california", "sklearn", _california),
    DataSet("cars", "packages", _cars),
    DataSet("penguins", "packages", _penguins),
    DataSet("Boston", "ISLP", _islp("Boston", "medv")),
    DataSet("Carseats", "ISLP", _islp("Carseats", "Sales")),
    DataSet("College", "ISLP", _islp("College", "Outstate")),
    # logwage is the target's logarithm.
    DataSet("Wage", "ISLP", _islp("Wage", "wage", drop=["logwage"])),
    # casual + registered = bikers: the count's two parts give it away.
    DataSet(
        "Bikeshare",
        "ISLP",
        _islp("Bikeshare", "bikers", drop=["casual", "registered"]),
    ),
]


@dataclass(frozen=True)
class Fit:
    """One fit of one estimator on one split."""

    r2: float  # held-out R²
    seconds: float  # fit time
    n_iter: int  # the regressor's n_iter_
    warned: bool  # whether it raised a ConvergenceWarning


def model(estimator, seed):
    """The default ``estimator`` on standardized inputs and targets."""
    return TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), estimator(random_state=seed)),
        transformer=StandardScaler(),
    )


def fit_score(estimator, seed, split):
    """Held-out R², fit time, epochs and warnings of one default model."""
    X_train, X_test, y_train, y_test = split
    reg = model(estimator, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        reg.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    n_iter = reg.regressor_[-1].n_iter_
    return Fit(reg.score(X_test, y_test), seconds, n_iter, warned)


def run(data_sets, seeds=SEEDS, log=print):
    """``{data set: (shape, {estimator: [Fit per seed]})}`` of the data sets
    on this machine; a line is logged for each, and for each one skipped."""
    results = {}
    for data in data_sets:
        try:
            X, y = data.load()
        except (Unavailable, MissingPackage) as reason:
            log(f"{data.name:<12}skipped: {reason}")
            continue
        fits = {name: [] for name in ESTIMATORS}
        for seed in range(seeds):
            split = train_test_split(X, y, test_size=0.25, random_state=seed)
            order = list(ESTIMATORS) if seed % 2 == 0 else list(ESTIMATORS)[::-1]
            for name in order:
                fits[name].append(fit_score(ESTIMATORS[name], seed, split))
        results[data.name] = (X.shape, fits)
        log(row(data.name, X.shape, fits))
        if not is_ok(summary(fits)):
            for line in per_seed(fits):
                log(line)
    return results


def header(seeds=SEEDS):
    """The lines above the table: what is compared, what a column means, and
    the load average when the run starts."""
    lines = [
        "regdefaults: TransformedTargetRegressor(make_pipeline(StandardScaler(), "
        "reg), transformer=StandardScaler()), default parameters; 75/25 splits, "
        f"medians over {seeds} seeds; load average {load_average()}",
        "diff: median over the seeds of R² skb - R² MLP; >=: seeds where skb's "
        "R² is at least MLP's; it: epochs (n_iter_); warn: fits with a "
        f"ConvergenceWarning, skb/MLP; ok: diff >= -{R2_MARGIN} and s skb < s MLP",
        f"{'data set':<12}{'n x m':>11}{'R² skb':>8}{'R² MLP':>8}{'diff':>8}"
        f"{'>=':>6}{'s skb':>7}{'s MLP':>7}{'it skb':>7}{'it MLP':>7}"
        f"{'warn':>6}{'ok':>4}",
    ]
    return "\n".join(lines)


def summary(fits):
    """The medians and counts of a row, from ``{estimator: [Fit]}``."""
    ours, theirs = fits["skb"], fits["MLP"]
    diffs = [a.r2 - b.r2 for a, b in zip(ours, theirs, strict=True)]
    median = statistics.median
    return {
        "r2": {e: median(f.r2 for f in fits[e]) for e in ESTIMATORS},
        "seconds": {e: median(f.seconds for f in fits[e]) for e in ESTIMATORS},
        "n_iter": {e: median(f.n_iter for f in fits[e]) for e in ESTIMATORS},
        "warned": {e: sum(f.warned for f in fits[e]) for e in ESTIMATORS},
        "diff": median(diffs),
        "at_least": sum(d >= 0 for d in diffs),
        "seeds": len(diffs),
    }


def is_ok(stats):
    """As accurate within the margin, and faster."""
    faster = stats["seconds"]["skb"] < stats["seconds"]["MLP"]
    return stats["diff"] >= -R2_MARGIN and faster


def row(name, shape, fits):
    stats = summary(fits)
    r2, s, it, warned = (stats[k] for k in ("r2", "seconds", "n_iter", "warned"))
    size = f"{shape[0]} x {shape[1]}"
    at_least = f"{stats['at_least']}/{stats['seeds']}"
    warnings_ = f"{warned['skb']}/{warned['MLP']}"
    return (
        f"{name:<12}{size:>11}{r2['skb']:>8.3f}{r2['MLP']:>8.3f}"
        f"{stats['diff']:>+8.3f}{at_least:>6}"
        f"{s['skb']:>7.2f}{s['MLP']:>7.2f}{it['skb']:>7.0f}{it['MLP']:>7.0f}"
        f"{warnings_:>6}{'yes' if is_ok(stats) else 'NO':>4}"
    )


def per_seed(fits):
    """The lines of each seed's fits, printed under a row that misses the bar:
    R², seconds and epochs of both estimators, and their warnings."""
    lines = []
    for seed, (a, b) in enumerate(zip(fits["skb"], fits["MLP"], strict=True)):
        warned = f"{'W' if a.warned else '-'}/{'W' if b.warned else '-'}"
        lines.append(
            f"  seed {seed:<3}R² {a.r2:.3f} {b.r2:.3f}  s {a.seconds:.2f} "
            f"{b.seconds:.2f}  it {a.n_iter} {b.n_iter}  warn {warned}"
        )
    return lines


def print_totals(results):
    total = {e: 0.0 for e in ESTIMATORS}
    for _, fits in results.values():
        for e, seconds in summary(fits)["seconds"].items():
            total[e] += seconds
    ok = sum(is_ok(summary(fits)) for _, fits in results.values())
    print(
        f"total fit time (sum of the medians): skb {total['skb']:.1f} s, MLP "
        f"{total['MLP']:.1f} s (MLP/skb {total['MLP'] / total['skb']:.1f}); "
        f"ok on {ok} of {len(results)} data sets"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench regdefaults",
        description="The default TwoLayerRegressor against the default "
        "MLPRegressor on real data.",
    )
    parser.add_argument(
        "--subset",
        default=",".join(GROUPS),
        help=f"comma-separated groups of data sets among {', '.join(GROUPS)} "
        "(default: all), or names of data sets",
    )
    parser.add_argument("--seeds", type=int, default=SEEDS, help="split seeds")
    parser.add_argument(
        "--quick", action="store_true", help=f"{' and '.join(QUICK)}, one seed"
    )
    args = parser.parse_args([] if argv is None else list(argv))
    wanted = QUICK if args.quick else args.subset.split(",")
    seeds = 1 if args.quick else args.seeds
    unknown = set(wanted) - set(GROUPS) - {d.name for d in DATA_SETS}
    if unknown:
        parser.error(f"unknown data set(s) or group(s) {sorted(unknown)}")
    chosen = [d for d in DATA_SETS if d.group in wanted or d.name in wanted]
    print(header(seeds), flush=True)
    start = time.perf_counter()
    results = run(chosen, seeds, log=lambda line: print(line, flush=True))
    if results:
        print_totals(results)
    print(
        f"({time.perf_counter() - start:.0f} s in all; load average {load_average()})"
    )
    return 0
