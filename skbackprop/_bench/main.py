"""``python -m skbackprop bench``: skbackprop against MLPClassifier and PyTorch.

Every competitor trains the same network (``m -> H`` sigmoid units ``-> K'``
outputs, sigmoid or softmax) with the same update rule (plain gradient steps of
the same size on the mean cross-entropy, or the same Adam, with no momentum, no
penalty, no shuffling) on the same data -- standardized ``make_classification``
data, or sparse TF-IDF-like rows -- starting from the same weights. The final
training loss of each competitor is printed next to its time: equal losses show
that the same computation was timed. The ``predict`` case times
``predict_proba`` with the shared weights instead of training, and prints the
log-loss of the probabilities it returned.

The competitors run in one process, interleaved: each round times every
competitor once, in a rotating order, and the tables report medians over rounds.
A matrix product is timed in every round as well, under the thread settings of
skbackprop's passes in that case (as many threads, BLAS on one thread in each),
so each case's GFLOP/s can be compared with the machine's GEMM rate under the
same load and the same threads. The first lines of the output say which BLAS
library the run used, its thread count, the thread variables set, and the
threads of each competitor.

Memory is measured separately, with `tracemalloc`, as the peak that one short
fit adds beyond the data (NumPy reports its allocations to tracemalloc; PyTorch
does not, so its column is empty).

The ``defaults`` case compares the default ``TwoLayerClassifier()`` with the
default ``MLPClassifier()`` at every size, from 150 rows to 1,000,000
(`_bench_defaults`).

The ``threads`` case runs README's example (a grid search on digits) and a grid
search on breast cancer, each in a fresh process, with BLAS's default threads
and with one, interleaved, on the machine as it is and with one core kept busy
by another process (a Python busy loop it starts and stops): the time with the
defaults over the time with one thread, and the slowest run over the median.

Run ``python -m skbackprop bench --help`` for the options; ``--quick`` runs a small
version of everything in about a minute.
"""

import argparse
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse
import sklearn
from sklearn.datasets import (
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler, normalize

from .. import TwoLayerClassifier, __version__
from .._engine import network as _network
from .._engine import workspace as _workspace

LEARNING_RATE = 0.1
# Adam's defaults in both estimators (Kingma and Ba's, scikit-learn's): the step
# alpha sqrt(1 - beta_2^t) / (1 - beta_1^t) m / (sqrt(v) + epsilon), the same
# formula in `_solvers.Adam` and MLPClassifier's AdamOptimizer.
ADAM = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


@dataclass(frozen=True)
class Case:
    """One timed configuration: data shape, network size, batch and dtype."""

    name: str
    n: int  # samples
    m: int  # features
    K: int  # classes
    H: int  # hidden units
    batch: int | None  # None: full batch
    dtype: type
    epochs: int  # epochs per timed fit (calls of predict_proba if predict)
    solver: str = "sgd"  # the update rule of a mini-batch case: "sgd" or "adam"
    density: float | None = None  # CSR input with this fraction of nonzeros
    predict: bool = False  # time predict_proba instead of training

    @property
    def n_outputs(self):
        return 1 if self.K == 2 else self.K

    @property
    def layout(self):
        return _network.Layout(self.m, self.H, self.n_outputs)

    @property
    def output(self):
        """The output units: one sigmoid for two classes, else a softmax."""
        return _network.SIGMOID if self.K == 2 else _network.SOFTMAX

    @property
    def batch_size(self):
        """Samples per step: the batch, or all of them."""
        return self.n if self.batch is None else self.batch

    @property
    def nonzeros(self):
        """Stored entries of X: ``n m``, or about ``density n m`` if sparse."""
        if self.density is None:
            return self.n * self.m
        return round(self.density * self.n * self.m)

    @property
    def flops_per_epoch(self):
        """The conventional count ``6 (nnz H + n H K')``: three products per
        layer, where ``nnz = n m`` for dense X; two products per layer (the
        forward pass) for prediction."""
        flops = 2 * (self.nonzeros * self.H + self.n * self.H * self.n_outputs)
        return flops if self.predict else 3 * flops

    @property
    def batch_label(self):
        """The batch, then what else sets the case apart: Adam, sparse X,
        prediction (whose "epochs" are calls of predict_proba)."""
        label = "full" if self.batch is None else str(self.batch)
        if self.solver != "sgd":
            label += f" {self.solver}"
        if self.density is not None:
            label += f" csr density={self.density}"
        if self.predict:
            label += " predict_proba"
        return label


CASES = [
    Case("full64", 20000, 100, 10, 64, None, np.float64, 10),
    Case("full32", 20000, 100, 10, 64, None, np.float32, 10),
    Case("mini32", 20000, 100, 10, 64, 32, np.float64, 2),
    Case("online", 2000, 20, 2, 10, 1, np.float64, 2),
    Case("large32", 100000, 784, 10, 128, None, np.float32, 3),
    Case("wide64", 10000, 500, 2, 64, None, np.float64, 10),
    Case("sparse", 4000, 20000, 4, 64, None, np.float64, 10, density=0.005),
    Case("sparse200k", 400, 200000, 4, 16, None, np.float64, 10, density=0.002),
    Case("mini200", 30000, 100, 10, 64, 200, np.float64, 2),
    Case("adam200", 30000, 100, 10, 64, 200, np.float64, 2, solver="adam"),
    Case("predict", 200000, 100, 10, 64, None, np.float64, 3, predict=True),
]
# The same cases on less data and fewer epochs: (n, epochs) per case.
QUICK_CASES = [
    replace(case, n=n, epochs=epochs)
    for case, (n, epochs) in zip(
        CASES,
        [
            (4000, 5),
            (4000, 5),
            (2000, 1),
            (400, 1),
            (10000, 2),
            (4000, 3),
            (1000, 5),
            (400, 3),
            (6000, 1),
            (6000, 1),
            (40000, 2),
        ],
        strict=True,
    )
]
NAMES = [case.name for case in CASES] + ["defaults", "threads"]
# Cases run only when named, each in a module of its own: ``dask`` starts a cluster.
OPT_IN = {"dask": "skbackprop._bench.cluster"}


# --------------------------------------------------------------------------------------
# Data and the shared starting weights
# --------------------------------------------------------------------------------------
def make_data(case):
    """Standardized ``make_classification`` data of the case's shape and dtype,
    or sparse data if the case has a density (`make_sparse_data`)."""
    if case.density is not None:
        return make_sparse_data(case)
    X, y = make_classification(
        n_samples=case.n,
        n_features=case.m,
        n_informative=min(case.m, 10),
        n_redundant=min(case.m - min(case.m, 10), 5),
        n_classes=case.K,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X).astype(case.dtype)
    return np.ascontiguousarray(X), y


def make_sparse_data(case):
    """TF-IDF-like CSR data: ``density n m`` positive entries at random places,
    rows scaled to unit length; the class of a row is the largest of K random
    linear functions of it."""
    rng = np.random.RandomState(0)
    X = scipy.sparse.random(
        case.n, case.m, density=case.density, format="csr", random_state=rng
    )
    X = normalize(X).astype(case.dtype)
    y = np.asarray(X @ rng.normal(size=(case.m, case.K))).argmax(axis=1)
    return X, y


def data_bytes(X):
    """Bytes of X's arrays, dense or CSR."""
    if scipy.sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def initial_theta(case):
    layout = case.layout
    return layout, _network.init_params(layout, np.random.RandomState(0), case.dtype)


def training_loss(case, X, y, W1, b1, W2, b2):
    """Mean cross-entropy of the weights on the training data, in float64."""
    theta = np.concatenate([np.ravel(a) for a in (W1, b1, W2, b2)])
    Y = _network.targets(y, case.K, float)
    s = np.full(case.n, 1.0 / case.n)
    X, theta = X.astype(float, copy=False), theta.astype(float, copy=False)
    return _network.loss(theta, case.layout, X, Y, s, 0.0, case.output)


def log_loss(proba, y):
    """Mean cross-entropy of predicted probabilities, in float64."""
    return float(-np.mean(np.log(proba[np.arange(len(y)), y].astype(float))))


# --------------------------------------------------------------------------------------
# Competitors: each is set up once, then reset to the shared start and timed
# --------------------------------------------------------------------------------------
class Competitor:
    """Trains the case's network; ``reset()`` untimed, ``fit(epochs)`` timed."""

    name = ""

    def __init__(self, case, X, y, theta0):
        self.case, self.X, self.y = case, X, y
        self.start = case.layout.unpack(theta0)

    def reset(self):
        raise NotImplementedError

    def fit(self, epochs):
        raise NotImplementedError

    def weights(self):
        """``(W1, b1, W2, b2)`` as NumPy arrays."""
        raise NotImplementedError

    def final_loss(self):
        """The training loss of the weights ``fit`` ended with (of the
        probabilities it returned, for prediction)."""
        return training_loss(self.case, self.X, self.y, *self.weights())


class Estimator(Competitor):
    """A scikit-learn estimator, warm-started from the shared weights.

    Its ``fit`` times ``predict_proba`` instead for a prediction case.
    """

    def make(self, epochs):
        raise NotImplementedError

    def prime(self):
        self.model = self.make(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.X, self.y)  # sets up the fitted attributes once

    def reset(self):
        if not hasattr(self, "model"):
            self.prime()
        W1, b1, W2, b2 = self.start
        self.model.coefs_ = [W1.copy(), W2.copy()]
        self.model.intercepts_ = [b1.copy(), b2.copy()]

    def fit(self, epochs):
        if self.case.predict:
            for _ in range(epochs):
                self.proba = self.model.predict_proba(self.X)
            return
        self.model.set_params(max_iter=epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.X, self.y)

    def weights(self):
        (W1, W2), (b1, b2) = self.model.coefs_, self.model.intercepts_
        return W1, b1, W2, b2

    def final_loss(self):
        if self.case.predict:
            return log_loss(self.proba, self.y)
        return super().final_loss()


class Skbackprop(Estimator):
    name = "skbackprop"

    def make(self, epochs):
        case = self.case
        params = dict(
            n_hidden=case.H,
            learning_rate=LEARNING_RATE,
            l2=0.0,
            momentum=0.0,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=10**9,
            warm_start=True,
            random_state=0,
        )
        if case.batch is not None:
            params.update(solver=case.solver, batch_size=case.batch, shuffle=False)
        if case.solver == "adam":
            params.update(ADAM)
        return TwoLayerClassifier(**params)

    def reset(self):
        super().reset()
        # A warm start continues the update rule's state (Adam's moments and step
        # count); MLPClassifier's fit starts a new one: so does this one.
        self.model._optimizer = None


class MLP(Estimator):
    name = "MLPClassifier"

    def make(self, epochs):
        case = self.case
        adam = dict(ADAM) if case.solver == "adam" else {}
        return MLPClassifier(
            hidden_layer_sizes=(case.H,),
            activation="logistic",
            solver=case.solver,
            learning_rate="constant",
            learning_rate_init=adam.pop("learning_rate", LEARNING_RATE),
            momentum=0.0,
            alpha=0.0,
            batch_size=case.batch_size,
            shuffle=False,
            tol=0.0,
            n_iter_no_change=10**9,
            max_iter=epochs,
            warm_start=True,
            random_state=0,
            **adam,
        )


class Torch(Competitor):
    """A hand-written PyTorch CPU loop: nn.Linear, sigmoid, SGD.

    It takes part in the dense training cases with plain gradient steps
    (`takes_part`).
    """

    name = "torch"

    @staticmethod
    def takes_part(case):
        return case.density is None and case.solver == "sgd" and not case.predict

    def __init__(self, case, X, y, theta0):
        super().__init__(case, X, y, theta0)
        import torch

        self.torch = torch
        dtype = torch.float64 if case.dtype == np.float64 else torch.float32
        self.net = torch.nn.Sequential(
            torch.nn.Linear(case.m, case.H),
            torch.nn.Sigmoid(),
            torch.nn.Linear(case.H, case.n_outputs),
        ).to(dtype)
        self.Xt = torch.from_numpy(X)  # shares memory with X
        if case.K == 2:
            self.criterion = torch.nn.BCEWithLogitsLoss()
            self.yt = torch.from_numpy(y.astype(case.dtype).reshape(-1, 1))
        else:
            self.criterion = torch.nn.CrossEntropyLoss()
            self.yt = torch.from_numpy(y.astype(np.int64))
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=LEARNING_RATE)

    def reset(self):
        W1, b1, W2, b2 = self.start
        with self.torch.no_grad():
            for layer, W, b in ((self.net[0], W1, b1), (self.net[2], W2, b2)):
                layer.weight.copy_(self.torch.from_numpy(W.T.copy()))
                layer.bias.copy_(self.torch.from_numpy(b.copy()))

    def fit(self, epochs):
        n, B = self.case.n, self.case.batch_size
        net, criterion, optimizer, Xt, yt = (
            self.net,
            self.criterion,
            self.optimizer,
            self.Xt,
            self.yt,
        )
        for _ in range(epochs):
            for start in range(0, n, B):
                optimizer.zero_grad()
                loss = criterion(net(Xt[start : start + B]), yt[start : start + B])
                loss.backward()
                optimizer.step()

    def weights(self):
        first, last = self.net[0], self.net[2]
        return (
            first.weight.detach().numpy().T,
            first.bias.detach().numpy(),
            last.weight.detach().numpy().T,
            last.bias.detach().numpy(),
        )


def competitors(use_torch, case):
    kinds = [Skbackprop, MLP]
    if use_torch and Torch.takes_part(case) and torch_available():
        kinds.append(Torch)
    return kinds


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------
def gemm_rate(dtype, size, threads=1):
    """GFLOP/s of ``threads`` products of ``size x size`` matrices at once, each
    on its own thread with BLAS at one thread, as skbackprop's passes run their
    chunks (best of five)."""
    rng = np.random.default_rng(0)
    operands = []
    for _ in range(threads):  # each thread its own matrices, as each chunk
        A = rng.normal(size=(size, size)).astype(dtype)
        B = rng.normal(size=(size, size)).astype(dtype)
        operands.append((A, B, np.empty_like(A)))

    # Each product waits for the others to start, so that they run at once and
    # each on its own thread: a pool thread that finished its product early
    # would otherwise take the next one too.
    start_together = threading.Barrier(threads)

    def product(operand):
        A, B, C = operand
        if threads > 1:
            start_together.wait()
        np.matmul(A, B, out=C)

    def best_of_five(pool):
        best = np.inf
        for _ in range(5):
            start = time.perf_counter()
            if threads == 1:
                product(operands[0])
            else:
                list(pool.map(product, operands))
            best = min(best, time.perf_counter() - start)
        return best

    with ThreadPoolExecutor(threads) as pool:
        best = _workspace.single_threaded(best_of_five, pool)
    return threads * 2 * size**3 / best / 1e9


def pass_threads(case):
    """The threads skbackprop runs one pass (a batch) of ``case`` on."""
    n, layout = case.batch_size, case.layout
    per_row = None if case.density is None else case.nonzeros / case.n
    chunks = len(_workspace.chunk_bounds(n, layout, row_nonzeros=per_row))
    flops = n * _workspace.flops_per_row(layout, per_row)
    return _workspace.threads_for(flops, chunks)


def added_peak_memory(competitor, epochs):
    """Peak bytes that ``fit`` allocates beyond what existed before (tracemalloc)."""
    competitor.reset()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        competitor.fit(epochs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before


@dataclass
class Result:
    case: Case
    ms: dict  # competitor name -> median ms/epoch
    loss: dict  # competitor name -> final training loss
    memory: dict  # competitor name -> added peak bytes (or None)
    gemm: float  # median GFLOP/s of the matrix product
    threads: int = 1  # threads of skbackprop's passes, and of the GEMM reference


def run_case(case, rounds, use_torch, gemm_size):
    X, y = make_data(case)
    _, theta0 = initial_theta(case)
    players = [kind(case, X, y, theta0) for kind in competitors(use_torch, case)]
    for player in players:  # warm-up: first calls are slow, torch's especially
        player.reset()
        player.fit(1)
    times = {player.name: [] for player in players}
    rates, threads = [], pass_threads(case)
    for r in range(rounds):
        order = players[r % len(players) :] + players[: r % len(players)]
        for player in order:
            player.reset()
            gc.collect()
            start = time.perf_counter()
            player.fit(case.epochs)
            times[player.name].append((time.perf_counter() - start) / case.epochs)
        rates.append(gemm_rate(case.dtype, gemm_size, threads))
    losses = {p.name: p.final_loss() for p in players}
    memory = {}
    for player in players:
        if isinstance(player, Torch):
            memory[player.name] = None
        else:
            memory[player.name] = added_peak_memory(player, 1)
    ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    gemm = statistics.median(rates)
    return Result(case, ms, losses, memory, gemm, threads), data_bytes(X)


def print_case(result, x_bytes):
    case, ms = result.case, result.ms
    ours = Skbackprop.name
    print(
        f"\n{case.name}: n={case.n} m={case.m} K={case.K} H={case.H} "
        f"batch={case.batch_label} {np.dtype(case.dtype).name}, "
        f"{case.epochs} epochs per fit; skbackprop's passes on "
        f"{result.threads} thread(s); GEMM on as many, one BLAS thread each: "
        f"{result.gemm:.0f} GFLOP/s"
    )
    bound = 3 * case.n * (case.H + case.n_outputs) * np.dtype(case.dtype).itemsize
    print(
        f"  {'competitor':<14}{'ms/epoch':>10}{'x/' + ours:>16}{'GFLOP/s':>9}"
        f"{'of GEMM':>9}{'fit peak/X':>12}{'/bound':>8}{'final loss':>13}"
    )
    for name, t in ms.items():
        gflops = case.flops_per_epoch / (t / 1e3) / 1e9
        mem = result.memory[name]
        mem_x = "-" if mem is None else f"{mem / x_bytes:.3f}"
        mem_b = "-" if mem is None else f"{mem / bound:.2f}"
        print(
            f"  {name:<14}{t:>10.2f}{t / ms[ours]:>16.2f}{gflops:>9.1f}"
            f"{gflops / result.gemm:>9.0%}{mem_x:>12}{mem_b:>8}"
            f"{result.loss[name]:>13.6f}"
        )


def print_summary(results):
    print("\nSummary (median ms/epoch; ratios measured in the same run)")
    header = (
        f"{'case':<9}{'skbackprop':>11}{'MLP':>9}{'torch':>9}{'MLP/skb':>9}"
        f"{'torch/skb':>10}{'of GEMM':>9}{'mem/X':>7}"
    )
    print(header)
    for result, x_bytes in results:
        ms, ours = result.ms, Skbackprop.name
        torch_ms = ms.get(Torch.name)
        gflops = result.case.flops_per_epoch / (ms[ours] / 1e3) / 1e9
        print(
            f"{result.case.name:<9}{ms[ours]:>11.2f}{ms[MLP.name]:>9.2f}"
            + (f"{torch_ms:>9.2f}" if torch_ms else f"{'-':>9}")
            + f"{ms[MLP.name] / ms[ours]:>9.2f}"
            + (f"{torch_ms / ms[ours]:>10.2f}" if torch_ms else f"{'-':>10}")
            + f"{gflops / result.gemm:>9.0%}"
            + f"{result.memory[ours] / x_bytes:>7.2f}"
        )


# --------------------------------------------------------------------------------------
# The threads case: default BLAS threads against one, in fresh processes
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench",
        description="Time skbackprop against MLPClassifier and PyTorch.",
    )
    parser.add_argument(
        "cases", nargs="*", metavar="case", help=f"any of {', '.join(NAMES)} (all)"
    )
    parser.add_argument("--quick", action="store_true", help="a small, fast version")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per case")
    parser.add_argument("--seeds", type=int, help="split seeds of the defaults case")
    parser.add_argument(
        "--subset",
        help="the defaults case's groups or data sets, comma-separated (all)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(NAMES) - set(OPT_IN)
    if unknown:
        choices = NAMES + list(OPT_IN)
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {choices}")
    return args


def main(argv=None):
    args = parse([] if argv is None else list(argv))
    wanted = args.cases or NAMES
    cases = QUICK_CASES if args.quick else CASES
    rounds = args.rounds or (3 if args.quick else 7)
    use_torch = not args.no_torch
    print(
        f"skbackprop {__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, "
        + (f"torch {_torch_version()}, " if use_torch and torch_available() else "")
        + f"{platform.machine()}, {_cpu_count()} CPUs; "
        f"{rounds} rounds{' (quick)' if args.quick else ''}"
    )
    print(thread_settings(use_torch and torch_available()))
    results = []
    for case in cases:
        if case.name in wanted:
            result = run_case(case, rounds, use_torch, 512 if args.quick else 1024)
            print_case(*result)
            results.append(result)
    if results:
        print_summary(results)
    if "defaults" in wanted:
        from . import defaults as _bench_defaults

        _bench_defaults.main(
            (["--quick"] if args.quick else [])
            + (["--seeds", str(args.seeds)] if args.seeds else [])
            + (["--subset", args.subset] if args.subset else [])
        )
    if "threads" in wanted:
        thread_rounds = args.rounds or (2 if args.quick else 5)
        print_threads(*run_threads(thread_rounds), thread_rounds)
    for name, module in OPT_IN.items():
        if name in args.cases:
            importlib.import_module(module).main(quick=args.quick, rounds=args.rounds)
    return 0


def thread_settings(with_torch):
    """Which BLAS the run uses and with how many threads, and the threads of
    each competitor."""
    from threadpoolctl import threadpool_info

    libraries = [
        f"{lib['internal_api']} {lib['version']} ({lib.get('threading_layer')}"
        f" threading, {lib.get('architecture')}) at {lib['num_threads']} threads"
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    ]
    variables = [
        f"{name}={os.environ[name]}"
        for name in (*THREAD_VARIABLES, "OMP_NUM_THREADS")
        if name in os.environ
    ]
    threads = _workspace.blas_threads()
    chunk_threads = min(threads, _workspace.MAX_CHUNKS)
    return (
        f"BLAS: {'; '.join(libraries) or 'none found'}; thread variables: "
        f"{', '.join(variables) or 'none set'}.\n"
        f"Threads: skbackprop runs a pass on a thread per "
        f"{_workspace.THREAD_FLOPS:.0e} operations of work, at most "
        f"{chunk_threads}, with BLAS at one thread inside (each case says how "
        f"many; the GEMM reference runs the same way); MLPClassifier on "
        f"BLAS's {threads}"
        + (f"; torch on its own {_torch_threads()}." if with_torch else ".")
    )


def _torch_threads():
    import torch

    return torch.get_num_threads()


def _torch_version():
    import torch

    return torch.__version__


def _cpu_count():
    return os.cpu_count()
