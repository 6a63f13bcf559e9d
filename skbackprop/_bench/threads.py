"""The ``threads`` case: grid searches with BLAS's default threads and with one.

It runs README's example (a grid search on digits) and a grid search on breast
cancer (`SEARCHES`), each in a fresh process (`timed_search`), with BLAS's
default threads and with one (`SETTINGS`, by `THREAD_VARIABLES`), interleaved,
on the machine as it is and with one core kept busy by another process, a
Python busy loop (`busy_core`, `MACHINE_STATES`). `run_threads` collects the
seconds of each run and `print_threads` prints the median with the defaults
over the median with one thread, and the slowest run over the median.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext

# Each search as a user runs it: README's example, and the same on breast cancer.
SEARCHES = {
    "digits": ("load_digits", {"learning_rate": [0.1, 0.5], "n_hidden": [16, 64]}, 3),
    "breast cancer": (
        "load_breast_cancer",
        {"learning_rate": [1.0, 2.0], "n_hidden": [16, 64]},
        5,
    ),
}
SEARCH_PROGRAM = """
import json, time, warnings
from sklearn.datasets import {loader}
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info
from skbackprop import TwoLayerClassifier

X, y = {loader}(return_X_y=True)
pipe = Pipeline(
    [("scale", StandardScaler()), ("clf", TwoLayerClassifier(random_state=0))]
)
grid = {grid}
warnings.simplefilter("ignore")
start = time.perf_counter()
GridSearchCV(pipe, grid, cv={cv}).fit(X, y)
seconds = time.perf_counter() - start
blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
print(json.dumps({{"seconds": seconds, "blas": blas}}))
"""
# Variables that set BLAS's threads: none in the default runs, all 1 in the others.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
SETTINGS = ("default", "1 thread")
MACHINE_STATES = ("no added load", "one core busy")


def search_program(name):
    loader, grid, cv = SEARCHES[name]
    grid = {f"clf__{key}": values for key, values in grid.items()}
    return SEARCH_PROGRAM.format(loader=loader, grid=grid, cv=cv)


def search_environment(setting):
    """The environment of a fresh process: this package first on the path, and
    BLAS's thread variables unset (default) or 1."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if setting != "default":
        env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    package_root = os.path.dirname(package)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def timed_search(name, setting):
    """``(seconds of GridSearchCV.fit, BLAS thread counts)`` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", search_program(name)],
        env=search_environment(setting),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["seconds"], report["blas"]


class busy_core:
    """Keep one core busy with another process (a Python busy loop) meanwhile."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)  # let it start spinning
        return self

    def __exit__(self, *exc_info):
        self.process.kill()
        self.process.wait()
        return False


def run_threads(rounds, states=MACHINE_STATES):
    """Seconds per search, machine state and setting: ``{(state, name,
    setting): [seconds, ...]}``, the runs of each state interleaved in a
    rotating order; with the load average before each state and the BLAS thread
    counts the processes found."""
    runs = [(name, setting) for name in SEARCHES for setting in SETTINGS]
    times, loads, blas = {}, {}, {}
    for state in states:
        loads[state] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        with busy_core() if state == "one core busy" else nullcontext():
            for r in range(rounds):
                for name, setting in runs[r % len(runs) :] + runs[: r % len(runs)]:
                    seconds, counts = timed_search(name, setting)
                    times.setdefault((state, name, setting), []).append(seconds)
                    blas.setdefault(setting, set()).update(counts)
    return times, loads, blas


def print_threads(times, loads, blas, rounds):
    searches = ", ".join(
        f"{name} ({len(grid['learning_rate']) * len(grid['n_hidden'])} candidates "
        f"x {cv} folds)"
        for name, (_, grid, cv) in SEARCHES.items()
    )
    print(
        "\nthreads: GridSearchCV over StandardScaler + TwoLayerClassifier as in "
        f"README's example, on {searches}, each run in a fresh process. default: "
        f"BLAS's own thread count ({_counts(blas.get('default'))}); 1 thread: "
        f"{'='.join(THREAD_VARIABLES)}=1. Median seconds of fit over {rounds} "
        "interleaved round(s), and the slowest run over the median"
    )
    print(
        f"  {'machine':<15}{'search':<15}{'default s':>11}{'1 thread s':>12}"
        f"{'default/1':>11}{'max/med default':>17}{'max/med 1':>11}"
    )
    for state in loads:
        for name in SEARCHES:
            runs = {
                setting: times[(state, name, setting)]
                for setting in SETTINGS
                if (state, name, setting) in times
            }
            median = {k: statistics.median(v) for k, v in runs.items()}
            spread = {k: max(v) / median[k] for k, v in runs.items()}
            print(
                f"  {state:<15}{name:<15}{median['default']:>11.2f}"
                f"{median['1 thread']:>12.2f}"
                f"{median['default'] / median['1 thread']:>11.2f}"
                f"{spread['default']:>17.2f}{spread['1 thread']:>11.2f}"
            )
    load = ", ".join(
        f"{value:.2f} before the {state} runs"
        for state, value in loads.items()
        if value is not None
    )
    if load:
        print(f"  load average (1 min): {load}")


def _counts(counts):
    return "/".join(map(str, sorted(counts))) if counts else "?"
