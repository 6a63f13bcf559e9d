"""Test configuration: the shared data fixture, and hypothesis profiles that keep
hypothesis's files out of the repo.

Hypothesis (a ``test`` extra) would write an example database and caches into
``./.hypothesis``. The profiles below keep no example database at all, and any
cache hypothesis still writes goes to a directory under the system's temporary
directory (override with ``HYPOTHESIS_STORAGE_DIRECTORY``).

Profiles, chosen with the environment variable ``SKBACKPROP_HYPOTHESIS_PROFILE``:

- ``skbackprop`` (the default): the example counts of the test modules, a few
  seconds per test; what CI runs.
- ``skbackprop-thorough``: ten times as many examples, for a run by hand::

      SKBACKPROP_HYPOTHESIS_PROFILE=skbackprop-thorough \\
          python -m pytest tests/test_properties.py

Failures print a ``@reproduce_failure`` blob and the falsifying example, so a
failure seen once (in CI, say) can be replayed without a database.
"""

import os
import tempfile

import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(tempfile.gettempdir(), "skbackprop-hypothesis"),
)

try:
    from hypothesis import settings
except ImportError:  # only the property tests need it; they import it themselves
    pass
else:
    # No deadline: the machine's load, not the code, decides how long an example
    # takes. Examples per test are set in the tests as multiples of max_examples.
    settings.register_profile(
        "skbackprop", database=None, deadline=None, print_blob=True, max_examples=100
    )
    settings.register_profile(
        "skbackprop-thorough", settings.get_profile("skbackprop"), max_examples=1000
    )
    settings.load_profile(os.environ.get("SKBACKPROP_HYPOTHESIS_PROFILE", "skbackprop"))


@pytest.fixture(scope="module")
def iris():
    """Standardized iris, ``(X, y)``: three classes, 150 samples, 4 features."""
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y
