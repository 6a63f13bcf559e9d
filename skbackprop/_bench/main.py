"""``python -m skbackprop bench``: its command line, and which cases it runs.

skbackprop is timed against MLPClassifier (MLPRegressor, in the regression
cases) and PyTorch on the same network, update rule, data and starting
weights, case by case (`cases`, `competitors`, in interleaved rounds:
`timing`), and the tables of `report` are printed; then the ``defaults`` case
(`defaults`), the ``regdefaults`` case (`regression`) and the ``threads`` case
(`threads`), when named or when no case is. `OPT_IN` cases run only when named: ``dask``
(`cluster`) starts a cluster. ``--device`` times the estimators on PyTorch
tensors (`device`). docs/performance.rst says what each case measures
and how fair the comparison is.

Run ``python -m skbackprop bench --help`` for the options; ``--quick`` runs a
small version of everything in about a minute.
"""

import argparse
import importlib

from .cases import CASES, QUICK_CASES
from .competitors import torch_available
from .report import print_case, print_header, print_summary
from .threads import print_threads, run_threads
from .timing import run_case

NAMES = [case.name for case in CASES] + ["defaults", "regdefaults", "threads"]
# Cases run only when named, each in a module of its own: ``dask`` starts a cluster.
OPT_IN = {"dask": "skbackprop._bench.cluster"}


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop bench",
        description="Time skbackprop against MLPClassifier, MLPRegressor and PyTorch.",
    )
    parser.add_argument(
        "cases", nargs="*", metavar="case", help=f"any of {', '.join(NAMES)} (all)"
    )
    parser.add_argument("--quick", action="store_true", help="a small, fast version")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per case")
    parser.add_argument(
        "--seeds", type=int, help="split seeds of the defaults and regdefaults cases"
    )
    parser.add_argument(
        "--subset",
        help="the defaults case's groups or data sets, comma-separated (all)",
    )
    parser.add_argument(
        "--reg-subset",
        help="the regdefaults case's groups or data sets, comma-separated (all)",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--device",
        nargs="?",
        const="all",
        choices=["all", "cpu", "cuda"],
        help="time gd and lbfgs on PyTorch tensors (cpu, cuda, or all that PyTorch "
        "sees) against the NumPy path and a plain PyTorch loop; needs "
        "SCIPY_ARRAY_API=1. Only this runs, unless cases are named",
    )
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(NAMES) - set(OPT_IN)
    if unknown:
        choices = NAMES + list(OPT_IN)
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {choices}")
    return args


def main(argv=None):
    args = parse([] if argv is None else list(argv))
    if args.device is not None:
        from . import device

        device.main(args.device, rounds=args.rounds, quick=args.quick)
        if not args.cases:
            return 0
    wanted = args.cases or NAMES
    cases = QUICK_CASES if args.quick else CASES
    rounds = args.rounds or (3 if args.quick else 7)
    use_torch = not args.no_torch
    print_header(use_torch and torch_available(), rounds, args.quick)
    results = []
    for case in cases:
        if case.name in wanted:
            result = run_case(case, rounds, use_torch, 512 if args.quick else 1024)
            print_case(*result)
            results.append(result)
    if results:
        print_summary(results)
    if "defaults" in wanted:
        from . import defaults

        defaults.main(
            (["--quick"] if args.quick else [])
            + (["--seeds", str(args.seeds)] if args.seeds else [])
            + (["--subset", args.subset] if args.subset else [])
        )
    if "regdefaults" in wanted:
        from . import regression

        regression.main(
            (["--quick"] if args.quick else [])
            + (["--seeds", str(args.seeds)] if args.seeds else [])
            + (["--subset", args.reg_subset] if args.reg_subset else [])
        )
    if "threads" in wanted:
        thread_rounds = args.rounds or (2 if args.quick else 5)
        print_threads(*run_threads(thread_rounds), thread_rounds)
    for name, module in OPT_IN.items():
        if name in args.cases:
            importlib.import_module(module).main(quick=args.quick, rounds=args.rounds)
    return 0
