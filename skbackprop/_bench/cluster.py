"""``python -m skbackprop bench dask``: the data-parallel fit against the fit in
memory.

The same data is fitted in memory and on a ``LocalCluster`` of 2 worker
processes (one thread each; the fit in memory uses the machine's BLAS threads,
as many cores). Reported:

- time per iteration of both fits (``solver='gd'``, a fixed number of
  iterations), the overhead in ms and the number of chunks, and the goal: an
  overhead within 20 ms plus one pass over the data (the in-memory iteration);
- the time of one loss-and-gradient evaluation on the cluster for 2 to 32
  chunks, and the line fitted through it: the fixed cost per step and the cost
  per chunk;
- on paper, what a step moves (the weights out, the gradients back) against
  the floating-point work of a chunk, and the number of workers beyond which
  communication takes longer than the computation it serves.

Needs the ``dask`` extra.
"""

import textwrap
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from .. import TwoLayerClassifier
from .._cluster import distributed as _distributed
from .._engine import network as _network
from .._engine.workspace import flops_per_row
from .._training import loops as _training
from .._training import rules as _rules
from .._training import targets as _targets

GOAL_MS = 20.0
# Both fits take full-batch steps: in memory, solver="auto" would take
# mini-batches from 10,000 rows on, while the fit on a cluster takes full batches.
FIT_PARAMS = dict(solver="gd", tol=0.0, n_iter_no_change=10**9, random_state=0)


def make_data(n, m, K):
    X, y = make_classification(
        n_samples=n, n_features=m, n_informative=min(m, 10), n_classes=K,
        random_state=0,
    )  # fmt: skip
    return StandardScaler().fit_transform(X), y


def per_iteration(params, data, iterations, rounds):
    """Seconds per iteration of fits with ``params`` on each ``(X, y)`` of
    ``data`` (a dict): the time of a fit of ``2 * iterations`` iterations less
    that of ``iterations``, so that what a fit does once (validating, setting
    up) cancels out; and the time of the shorter fit. The fits take turns, and
    each time is the fastest of ``rounds``: the least disturbed by the rest of
    the machine."""
    lengths = (iterations, 2 * iterations)
    times = {(name, k): [] for name in data for k in lengths}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for X, y in data.values():  # imports, warm caches
            TwoLayerClassifier(**params, max_iter=1).fit(X, y)
        for _ in range(rounds):
            for name, max_iter in times:
                clf = TwoLayerClassifier(**params, max_iter=max_iter)
                start = time.perf_counter()
                clf.fit(*data[name])
                times[name, max_iter].append(time.perf_counter() - start)
    fastest = {key: min(t) for key, t in times.items()}
    return {
        name: ((fastest[name, lengths[1]] - fastest[name, iterations]) / iterations,
               fastest[name, iterations])
        for name in data
    }  # fmt: skip


def evaluation_times(client, X, y, layout, chunks, repeats):
    """Seconds of one loss-and-gradient evaluation on the cluster with the rows
    in ``chunks`` chunks, and in memory, taking turns: ``{chunks: (cluster,
    memory)}``, each the fastest of ``repeats``."""
    import dask.array as da

    n = len(y)
    classes = np.unique(y)
    theta = _network.init_params(layout, np.random.RandomState(0))
    Y = _network.targets(np.searchsorted(classes, y), len(classes), X.dtype)
    s = np.full(n, 1.0 / n)
    times = {}
    with _training.Objective(X, Y, layout, _output(classes), 0.0) as in_memory:
        for count in chunks:
            rows = -(-n // count)
            Xd = da.from_array(X, chunks=(rows, X.shape[1]))
            yd = da.from_array(y, chunks=rows)
            chunks = _distributed.build(client, Xd, yd, None)
            y_like = _rules.like_y(chunks.summary)
            net = _targets.network(y_like, None, X.shape[1], layout.n_hidden)
            data = _distributed.problem(client, chunks, net, None)
            on_cluster = _distributed.Objective(data, 0.0)
            seconds = {"cluster": [], "memory": []}
            for _ in range(repeats + 1):  # the first of each is a warm-up
                for name in seconds:
                    start = time.perf_counter()
                    if name == "cluster":
                        on_cluster(theta)
                    else:
                        in_memory(theta, None, s)
                    seconds[name].append(time.perf_counter() - start)
            times[count] = (min(seconds["cluster"][1:]), min(seconds["memory"][1:]))
            del data, chunks, on_cluster
    return times


def _output(classes):
    return _network.SIGMOID if len(classes) == 2 else _network.SOFTMAX


def line(xs, ys):
    """Least-squares ``y = a + b x``: ``(a, b)``."""
    b, a = np.polyfit(xs, ys, 1)
    return a, b


def crossover_workers(n, layout, itemsize, rate, fixed, per_task, bandwidth):
    """The worker count beyond which a step's communication outlasts its
    computation.

    With W workers (a chunk each), a step computes ``n flops_per_row / (W
    rate)`` seconds on each worker in parallel, and costs ``fixed + W per_task``
    seconds of messages (the tasks of the step and of the reduction, each one
    moving the weights or a gradient, ``size * itemsize`` bytes, at
    ``bandwidth``). Communication dominates when ``W^2 c + W fixed > n f /
    rate``, with ``c = per_task + bytes / bandwidth``.
    """
    c = per_task + layout.size * itemsize / bandwidth
    work = n * flops_per_row(layout) / rate
    # W^2 c + W fixed - work = 0
    return (-fixed + (fixed**2 + 4 * c * work) ** 0.5) / (2 * c)


def main(quick=False, rounds=None):
    try:
        import distributed
    except ImportError:
        print("\ndask: needs the dask extra: pip install 'skbackprop[dask]'")
        return
    import dask.array as da

    n, m, K, H = (20_000, 50, 3, 32) if quick else (200_000, 50, 3, 32)
    iterations = 3 if quick else 20
    rounds = rounds or (1 if quick else 3)
    repeats = 2 if quick else 9
    chunks = [2, 8] if quick else [2, 4, 8, 16, 32]
    X, y = make_data(n, m, K)
    layout = _network.Layout(m, H, K)
    params = dict(FIT_PARAMS, n_hidden=H)
    print(
        f"\ndask: n={n} m={m} K={K} H={H} float64, solver='gd'; time per iteration "
        f"from fits of {iterations} and {2 * iterations} iterations (fastest of "
        f"{rounds}); LocalCluster of 2 worker processes, 1 thread each"
    )
    with (
        warnings.catch_warnings(),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # The data is sent from here, inside the graphs: the point of the fit
        # on dask is that real data is not, but here it is what is compared.
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        rows = -(-n // 8)
        Xd, yd = da.from_array(X, chunks=(rows, m)), da.from_array(y, chunks=rows)
        Xd, yd = client.persist([Xd, yd])
        fits = per_iteration(
            params, {"memory": (X, y), "dask": (Xd, yd)}, iterations, rounds
        )
        evals = evaluation_times(client, X, y, layout, chunks, repeats)
    print_fits(fits, iterations)
    fixed, per_chunk = print_evaluations(evals)
    memory_eval = min(m for _, m in evals.values())
    paper(n, layout, memory_eval, fixed / 1e3, max(per_chunk, 0.0) / 1e3)


def print_fits(fits, iterations):
    """The table of the two fits: time per iteration, overhead and goal."""
    (memory_it, memory_fit), (cluster_it, cluster_fit) = fits["memory"], fits["dask"]
    overhead = 1e3 * (cluster_it - memory_it)
    goal = GOAL_MS + 1e3 * memory_it
    print(
        f"  {'fit':<10}{'chunks':>7}{'ms/iteration':>14}{'fit s':>8}"
        f"{'overhead ms':>13}{'goal ms':>9}"
    )
    print(f"  {'in memory':<10}{'-':>7}{1e3 * memory_it:>14.1f}{memory_fit:>8.2f}")
    print(
        f"  {'dask':<10}{8:>7}{1e3 * cluster_it:>14.1f}{cluster_fit:>8.2f}"
        f"{overhead:>13.1f}{goal:>9.1f}  "
        + ("within the goal" if overhead <= goal else "NOT within the goal")
    )
    _say(
        f"(fit s: a fit of {iterations} iterations, with, for dask, validating "
        "the chunks and setting up the parts, once per fit; goal: 20 ms plus one "
        "pass over the data in memory)"
    )


def print_evaluations(evals):
    """The table of one evaluation by number of chunks, and the line fitted
    through its overheads: returns ``(fixed ms, ms per chunk)``."""
    print("\n  one loss-and-gradient evaluation, by number of chunks:")
    print(f"  {'chunks':>8}{'dask ms':>9}{'memory ms':>11}{'overhead ms':>13}")
    for count, (cluster_s, memory_s) in evals.items():
        print(
            f"  {count:>8}{1e3 * cluster_s:>9.1f}{1e3 * memory_s:>11.1f}"
            f"{1e3 * (cluster_s - memory_s):>13.1f}"
        )
    overheads = [1e3 * (c - m) for c, m in evals.values()]
    fixed, per_chunk = line(list(evals), overheads)
    print(f"  overhead ~ {fixed:.1f} ms + {per_chunk:.2f} ms per chunk (least squares)")
    return fixed, per_chunk


def paper(n, layout, memory_eval, fixed, per_task):
    """What a step moves against what a chunk computes, and where
    communication takes over."""
    itemsize = 8
    weights = layout.size * itemsize
    flops = n * flops_per_row(layout)
    rate = flops / memory_eval  # this machine, all cores, in memory
    print()
    _say(
        f"On paper: the weights are {layout.size} numbers, {weights / 1e3:.1f} kB. "
        "A step sends them to each of P chunks and brings P gradients back "
        f"through the tree: 2 P x {weights / 1e3:.1f} kB, whatever n is; a chunk "
        f"of r rows computes r x {flops_per_row(layout)} FLOPs. Measured here: "
        f"{rate / 1e9:.1f} GFLOP/s in memory, a fixed {1e3 * fixed:.1f} ms and "
        f"{1e3 * per_task:.2f} ms per chunk a step."
    )
    for rows, bandwidth in ((n, 1e9), (100 * n, 1e9), (100 * n, 1.25e8)):
        workers = crossover_workers(
            rows, layout, itemsize, rate / 2, fixed, per_task, bandwidth
        )
        _say(
            f"n={rows:,} rows at {bandwidth * 8 / 1e9:g} Gbit/s, "
            f"{rate / 2e9:.1f} GFLOP/s per worker: communication dominates "
            f"beyond ~{workers:.0f} workers (one chunk each)"
        )


def _say(text):
    print(textwrap.fill(text, 86, initial_indent="  ", subsequent_indent="  "))
