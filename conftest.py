"""Doctests of the package that need an optional extra: skipped where it is not
installed, except in CI (``SKBACKPROP_REQUIRE_OPTIONAL=1``), where they run and a
missing package fails them, as ``tests/_optional.py`` does for the tests."""

import importlib.util
import os

import pytest

REQUIRED = os.environ.get("SKBACKPROP_REQUIRE_OPTIONAL", "") not in ("", "0")

# Module of the package -> (extra, the packages its doctests import).
EXTRAS = {
    "_onnx.py": ("onnx", ("skl2onnx", "onnx", "onnxruntime")),
    "_model_file.py": ("skops", ("skops",)),
}


def pytest_collection_modifyitems(config, items):
    if REQUIRED:
        return
    for item in items:
        extra, packages = EXTRAS.get(item.path.name, (None, ()))
        missing = [p for p in packages if importlib.util.find_spec(p) is None]
        if isinstance(item, pytest.DoctestItem) and missing:
            reason = f"the {extra!r} extra is not installed ({', '.join(missing)})"
            item.add_marker(pytest.mark.skip(reason=reason))
