"""Test configuration: the fixtures that several test modules share (data
sets, a dask cluster), and hypothesis profiles that keep hypothesis's files
out of the repo. Shared functions are in _helpers.py.

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

# scikit-learn's array API dispatch needs SciPy's, which SciPy reads when it is
# first imported: before anything here imports it. The tests on PyTorch and
# array-api-strict arrays (and scikit-learn's array API checks) run with it. A
# run with SCIPY_ARRAY_API=0 tests the setting users have by default, the
# variable unset (SciPy takes any value, "0" too, as on): those tests skip.
if os.environ.get("SCIPY_ARRAY_API") == "0":
    del os.environ["SCIPY_ARRAY_API"]
else:
    os.environ["SCIPY_ARRAY_API"] = "1"

import pytest
from _helpers import local_cluster
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split
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


@pytest.fixture(scope="module")
def digits():
    """Standardized digits, ``(X, y)``: 1797 rows, 64 features, 10 classes."""
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits_split():
    """Digits split 75/25, stratified, standardized by the training part:
    ``(X_train, X_test, y_train, y_test)``."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def client():
    """A client of a `local_cluster` (the ``dask`` extra), for a module's tests."""
    import distributed

    with local_cluster() as cluster, distributed.Client(cluster) as client:
        yield client
