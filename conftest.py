"""Doctests that need an optional package are skipped without it, except in CI.

Plots are drawn with matplotlib's Agg backend: no display is needed.
"""

import importlib.util
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from _pytest.doctest import DoctestItem

# Module whose doctests need a package -> that package.
_DOCTEST_NEEDS = {"skbackprop._plot": "matplotlib"}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SKBACKPROP_REQUIRE_OPTIONAL", "") not in ("", "0"):
        return
    for item in items:
        if not isinstance(item, DoctestItem):
            continue
        module = item.name.rsplit(".", 1)[0] if "." in item.name else item.name
        for prefix, package in _DOCTEST_NEEDS.items():
            if module.startswith(prefix) and importlib.util.find_spec(package) is None:
                item.add_marker(pytest.mark.skip(reason=f"needs {package}"))
