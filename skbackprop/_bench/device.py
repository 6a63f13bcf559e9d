"""``python -m skbackprop bench --device``: the estimators on PyTorch tensors,
against their NumPy path and a plain PyTorch loop, in one run.

Each case fits the same network from the same starting weights three ways,
in interleaved rounds, and reports the median milliseconds per epoch (per
iteration for L-BFGS):

- ``numpy``: `TwoLayerClassifier` on NumPy arrays, the fast fused passes;
- ``skbackprop on torch:<device>``: the same estimator on PyTorch tensors on
  the device, under ``array_api_dispatch`` (the plain maths of
  ``_engine/network.py`` written against the array API);
- ``torch loop on <device>``: a hand-written PyTorch loop of the same network
  (``nn.Linear``, sigmoid, cross-entropy, ``torch.optim.SGD``), full batch,
  with autograd.

Full-batch gradient descent takes all three; L-BFGS the first two. The
ratios are to the NumPy path on this machine's CPU. The devices are the CPU
and, where PyTorch sees one, CUDA; on CUDA the case is the large one
(1,000,000 x 100 float32, H = 64), on the CPU a size this machine fits
quickly. Every fit ends with its loss on the host, so a GPU's queue is
drained in the time measured.
"""

import os
import statistics
import time
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from .. import TwoLayerClassifier


@dataclass(frozen=True)
class DeviceCase:
    n: int
    m: int
    H: int
    K: int
    dtype: type
    epochs: int

    @property
    def label(self):
        dtype = np.dtype(self.dtype).name
        return f"{self.n} x {self.m}, H={self.H}, K={self.K}, {dtype}"


CPU_CASES = [
    DeviceCase(20_000, 100, 64, 10, np.float64, 20),
    DeviceCase(20_000, 100, 64, 10, np.float32, 20),
]
CUDA_CASES = [DeviceCase(1_000_000, 100, 64, 10, np.float32, 20)]
QUICK_CASES = [DeviceCase(2_000, 20, 16, 3, np.float64, 5)]


def data(case):
    X, y = make_classification(
        case.n, case.m, n_informative=min(case.m, 10), n_classes=case.K,
        n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    return X.astype(case.dtype), y


def estimator(case, solver):
    """The classifier of ``case``, with plain steps, no penalty and no
    stopping before ``case.epochs``."""
    return TwoLayerClassifier(
        n_hidden=case.H, solver=solver, learning_rate=0.1, momentum=0.0, l2=0.0,
        max_iter=case.epochs, tol=0.0, n_iter_no_change=10**9, random_state=0,
    )  # fmt: skip


def timed_fit(model, X, y, dispatch):
    """Milliseconds per epoch of ``model.fit(X, y)``."""
    with warnings.catch_warnings(), config_context(array_api_dispatch=dispatch):
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        elapsed = time.perf_counter() - start
    return 1000 * elapsed / model.n_iter_


def torch_loop(torch, X, y, case, device, epochs):
    """Milliseconds per epoch of a plain PyTorch full-batch loop of the same
    network (its own starting weights: the time does not depend on them)."""
    dtype = getattr(torch, np.dtype(case.dtype).name)
    net = torch.nn.Sequential(
        torch.nn.Linear(case.m, case.H),
        torch.nn.Sigmoid(),
        torch.nn.Linear(case.H, case.K),
    ).to(device=device, dtype=dtype)
    Xt = torch.asarray(X, device=device)
    yt = torch.asarray(y, device=device)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(net(Xt), yt)
        loss.backward()
        optimizer.step()
        float(loss.detach())  # the estimators read each epoch's loss on the host too
    return 1000 * (time.perf_counter() - start) / epochs


def devices(torch, wanted):
    found = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    return found if wanted == "all" else [d for d in found if d == wanted]


def run(wanted="all", rounds=5, quick=False):
    """Time the cases on the devices ``wanted`` ("cpu", "cuda" or "all")."""
    import torch

    if os.environ.get("SCIPY_ARRAY_API") != "1":
        raise SystemExit(
            "bench --device needs SCIPY_ARRAY_API=1 in the environment, set "
            "before Python starts: SCIPY_ARRAY_API=1 python -m skbackprop bench "
            "--device"
        )
    rows = []
    if not devices(torch, wanted):
        raise SystemExit(
            f"bench --device {wanted}: PyTorch {torch.__version__} sees no such "
            "device here (torch.cuda.is_available() is False); --device cpu times "
            "the CPU."
        )
    for device in devices(torch, wanted):
        cases = QUICK_CASES if quick else CPU_CASES if device == "cpu" else CUDA_CASES
        for case in cases:
            X, y = data(case)
            Xt, yt = torch.asarray(X, device=device), torch.asarray(y, device=device)
            times = {}
            for _ in range(rounds):  # interleaved: each round times every path
                for solver in ("gd", "lbfgs"):
                    times.setdefault((solver, "numpy"), []).append(
                        timed_fit(estimator(case, solver), X, y, False)
                    )
                    times.setdefault((solver, "skbackprop on torch"), []).append(
                        timed_fit(estimator(case, solver), Xt, yt, True)
                    )
                times.setdefault(("gd", "torch loop"), []).append(
                    torch_loop(torch, X, y, case, device, case.epochs)
                )
            medians = {key: statistics.median(v) for key, v in times.items()}
            rows.append((device, case, medians))
    return rows


def print_rows(rows, rounds):
    import torch

    print(
        f"On devices (PyTorch {torch.__version__}, {torch.get_num_threads()} CPU "
        f"threads); medians of {rounds} interleaved rounds;\nms per epoch (per "
        "iteration for lbfgs), and the NumPy path's time over each.\nn x m: rows "
        "x features, H hidden units, K classes."
    )
    for device, case, ms in rows:
        print(f"\n{device}: {case.label}, {case.epochs} epochs per fit")
        for solver in ("gd", "lbfgs"):
            base = ms[(solver, "numpy")]
            for path in ("numpy", "skbackprop on torch", "torch loop"):
                if (solver, path) in ms:
                    name = f"{path}:{device}" if path != "numpy" else "numpy (CPU)"
                    t = ms[(solver, path)]
                    print(f"  {solver:6s} {name:28s} {t:9.2f} ms   x{base / t:5.2f}")


def main(device="all", rounds=None, quick=False):
    rounds = rounds or (2 if quick else 5)
    print_rows(run(device, rounds, quick), rounds)
