"""What the benchmark prints: the settings of the run and the tables.

`print_header` prints the first lines of the output: the versions, the machine,
which BLAS library the run uses with its thread count, the thread variables
set and the threads of each competitor (`thread_settings`). `print_case`
prints a case's table (time per epoch, GFLOP/s as a share of the GEMM
reference, memory over the size of ``X``, final loss, per competitor), and
`print_summary` a line per case with the ratios measured in the same run
(MLP: MLPClassifier, or MLPRegressor in the regression cases).
"""

import os
import platform

import numpy as np
import sklearn

from .. import __version__
from .._engine import workspace as _workspace
from .competitors import (
    Skbackprop,
    Torch,
    mlp_name,
    torch_threads,
    torch_version,
)
from .threads import THREAD_VARIABLES


def print_case(result, x_bytes):
    case, ms = result.case, result.ms
    ours = Skbackprop.name
    outputs = f"targets={case.K}" if case.regression else f"K={case.K}"
    print(
        f"\n{case.name}: n={case.n} m={case.m} {outputs} H={case.H} "
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


def load_average():
    """The system's load averages over 1, 5 and 15 minutes, as text ("-" where
    the system has none)."""
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "-"


def print_summary(results):
    print(
        "\nSummary (median ms/epoch; ratios measured in the same run; load "
        f"average {load_average()})"
    )
    header = (
        f"{'case':<9}{'skbackprop':>11}{'MLP':>9}{'torch':>9}{'MLP/skb':>9}"
        f"{'torch/skb':>10}{'of GEMM':>9}{'mem/X':>7}"
    )
    print(header)
    for result, x_bytes in results:
        ms, ours, mlp = result.ms, Skbackprop.name, mlp_name(result.case)
        torch_ms = ms.get(Torch.name)
        gflops = result.case.flops_per_epoch / (ms[ours] / 1e3) / 1e9
        print(
            f"{result.case.name:<9}{ms[ours]:>11.2f}{ms[mlp]:>9.2f}"
            + (f"{torch_ms:>9.2f}" if torch_ms else f"{'-':>9}")
            + f"{ms[mlp] / ms[ours]:>9.2f}"
            + (f"{torch_ms / ms[ours]:>10.2f}" if torch_ms else f"{'-':>10}")
            + f"{gflops / result.gemm:>9.0%}"
            + f"{result.memory[ours] / x_bytes:>7.2f}"
        )


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
        f"many; the GEMM reference runs the same way); MLPClassifier and "
        f"MLPRegressor on "
        f"BLAS's {threads}"
        + (f"; torch on its own {torch_threads()}." if with_torch else ".")
    )


def print_header(with_torch, rounds, quick):
    """Print the first lines of the output: versions, machine, rounds, and the
    threads of the run (`thread_settings`)."""
    print(
        f"skbackprop {__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, "
        + (f"torch {torch_version()}, " if with_torch else "")
        + f"{platform.machine()}, {os.cpu_count()} CPUs; "
        f"{rounds} rounds{' (quick)' if quick else ''}"
    )
    print(thread_settings(with_torch))
