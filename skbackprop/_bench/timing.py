"""The timing of a case: interleaved rounds, the GEMM reference and memory.

`run_case` sets up the competitors of a case, warms them up, and times them
in rounds: each round times every competitor once, in a rotating order, and a
matrix product (`gemm_rate`) on as many threads as skbackprop's passes take in
that case (`pass_threads`), each with BLAS on one thread. The `Result` holds
the medians over the rounds, the final losses, and the memory of one short fit
beyond the data, measured with `tracemalloc` (`added_peak_memory`; PyTorch
reports nothing to it).
"""

import gc
import statistics
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .._engine import workspace as _workspace
from .cases import Case, data_bytes, initial_theta, make_data
from .competitors import Torch, competitors


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
