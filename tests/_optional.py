"""Import an optional dependency in a test: skip locally, fail in CI.

``pytest.importorskip`` lets the README's test command pass without the extras.
CI installs every extra and sets ``SKBACKPROP_REQUIRE_OPTIONAL=1``: there a
missing optional package is an error, so no test is silently skipped.
"""

import importlib
import os

import pytest

REQUIRED = os.environ.get("SKBACKPROP_REQUIRE_OPTIONAL", "") not in ("", "0")


def require(name):
    """Return the module ``name``; skip the test if it is missing, unless required."""
    if REQUIRED:
        return importlib.import_module(name)
    return pytest.importorskip(name)
