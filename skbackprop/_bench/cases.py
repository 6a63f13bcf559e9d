"""The benchmark's cases and their data.

`Case` is one timed configuration: the shape of the data, the size of the
network, the batch, the dtype, the update rule, whether prediction is timed
instead of training, and whether the network is a classifier's or a
regressor's. `CASES` are the cases of a full run and `QUICK_CASES` the same on
less data and fewer epochs; the regression cases (`regression_case`) are
classification cases of the same shapes with identity output units instead,
so that their ratios compare. The data of a case is standardized
``make_classification`` or ``make_regression`` data, or sparse TF-IDF-like
rows (`make_data`); every competitor starts from the same weights
(`initial_theta`), and their results are compared by the training loss of the
weights they end with (`training_loss`) or the log-loss of the probabilities
they return (`log_loss`). docs/performance.rst describes the cases.
"""

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler, normalize

from .._engine import network as _network


@dataclass(frozen=True)
class Case:
    """One timed configuration: data shape, network size, batch and dtype."""

    name: str
    n: int  # samples
    m: int  # features
    K: int  # classes, or target columns of a regression case
    H: int  # hidden units
    batch: int | None  # None: full batch
    dtype: type
    epochs: int  # epochs per timed fit (calls of predict_proba if predict)
    solver: str = "sgd"  # the update rule of a mini-batch case: "sgd" or "adam"
    density: float | None = None  # CSR input with this fraction of nonzeros
    predict: bool = False  # time predict_proba instead of training
    regression: bool = False  # identity outputs and the squared error

    @property
    def n_outputs(self):
        if self.regression:
            return self.K
        return 1 if self.K == 2 else self.K

    @property
    def layout(self):
        return _network.Layout(self.m, self.H, self.n_outputs)

    @property
    def output(self):
        """The output units: one sigmoid for two classes, else a softmax; an
        identity unit per target column for regression."""
        if self.regression:
            return _network.IDENTITY
        return _network.SIGMOID if self.K == 2 else _network.SOFTMAX

    @property
    def batch_size(self):
        """Samples per step: the batch, or all of them."""
        return self.n if self.batch is None else self.batch

    @property
    def nonzeros(self):
        """Stored entries of X: ``n m``, or about ``density n m`` if sparse."""
        if self.density is None:
            return self.n * self.m
        return round(self.density * self.n * self.m)

    @property
    def flops_per_epoch(self):
        """The conventional count ``6 (nnz H + n H K')``: three products per
        layer, where ``nnz = n m`` for dense X; two products per layer (the
        forward pass) for prediction."""
        flops = 2 * (self.nonzeros * self.H + self.n * self.H * self.n_outputs)
        return flops if self.predict else 3 * flops

    @property
    def batch_label(self):
        """The batch, then what else sets the case apart: Adam, sparse X,
        prediction (whose "epochs" are calls of predict_proba)."""
        label = "full" if self.batch is None else str(self.batch)
        if self.solver != "sgd":
            label += f" {self.solver}"
        if self.density is not None:
            label += f" csr density={self.density}"
        if self.predict:
            label += " predict_proba"
        return label


CASES = [
    Case("full64", 20000, 100, 10, 64, None, np.float64, 10),
    Case("full32", 20000, 100, 10, 64, None, np.float32, 10),
    Case("mini32", 20000, 100, 10, 64, 32, np.float64, 2),
    Case("online", 2000, 20, 2, 10, 1, np.float64, 2),
    Case("large32", 100000, 784, 10, 128, None, np.float32, 3),
    Case("wide64", 10000, 500, 2, 64, None, np.float64, 10),
    Case("sparse", 4000, 20000, 4, 64, None, np.float64, 10, density=0.005),
    Case("sparse200k", 400, 200000, 4, 16, None, np.float64, 10, density=0.002),
    Case("mini200", 30000, 100, 10, 64, 200, np.float64, 2),
    Case("adam200", 30000, 100, 10, 64, 200, np.float64, 2, solver="adam"),
    Case("predict", 200000, 100, 10, 64, None, np.float64, 3, predict=True),
]
# The same cases on less data and fewer epochs: (n, epochs) per case.
QUICK_CASES = [
    replace(case, n=n, epochs=epochs)
    for case, (n, epochs) in zip(
        CASES,
        [
            (4000, 5),
            (4000, 5),
            (2000, 1),
            (400, 1),
            (10000, 2),
            (4000, 3),
            (1000, 5),
            (400, 3),
            (6000, 1),
            (6000, 1),
            (40000, 2),
        ],
        strict=True,
    )
]


def regression_case(case):
    """The regression case of the shape of the classification case ``case``:
    one target column, named ``reg`` and the classification case's name."""
    return replace(case, name=f"reg{case.name}", K=1, regression=True)


def with_regression(case_list):
    """``case_list`` with the regression case of each case named in
    `REGRESSION_OF` right after it, so that a run times the two close in
    time, under the same load."""
    return [
        case
        for base in case_list
        for case in (
            [base, regression_case(base)] if base.name in REGRESSION_OF else [base]
        )
    ]


# The cases of the regressor: full batch, mini-batches of 200 with "sgd" and
# "adam", and online, on the data sizes of the classifier's cases.
REGRESSION_OF = ["full64", "full32", "mini200", "adam200", "online"]
CASES = with_regression(CASES)
QUICK_CASES = with_regression(QUICK_CASES)


def make_data(case):
    """Standardized ``make_classification`` data of the case's shape and dtype,
    standardized ``make_regression`` data (targets standardized too, in the
    same dtype) for a regression case, or sparse data if the case has a density
    (`make_sparse_data`)."""
    if case.density is not None:
        return make_sparse_data(case)
    if case.regression:
        X, y = make_regression(
            n_samples=case.n,
            n_features=case.m,
            n_informative=min(case.m, 10),
            n_targets=case.K,
            noise=10.0,
            random_state=0,
        )
        # The targets in the dtype of X: MLPRegressor computes in the dtype of
        # each operand, and float64 targets would turn its float32 passes into
        # float64 ones, with a copy of X per epoch.
        y = StandardScaler().fit_transform(y.reshape(case.n, -1)).astype(case.dtype)
        X = StandardScaler().fit_transform(X).astype(case.dtype)
        return np.ascontiguousarray(X), y.ravel() if case.K == 1 else y
    X, y = make_classification(
        n_samples=case.n,
        n_features=case.m,
        n_informative=min(case.m, 10),
        n_redundant=min(case.m - min(case.m, 10), 5),
        n_classes=case.K,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X).astype(case.dtype)
    return np.ascontiguousarray(X), y


def make_sparse_data(case):
    """TF-IDF-like CSR data: ``density n m`` positive entries at random places,
    rows scaled to unit length; the class of a row is the largest of K random
    linear functions of it.

    The places are drawn by a `numpy.random.Generator`, which draws just the
    ``density n m`` of them; with a ``RandomState``, scipy draws a permutation
    of all ``n m`` cells (seconds for the ``sparse200k`` case).
    """
    rng = np.random.default_rng(0)
    X = scipy.sparse.random(
        case.n, case.m, density=case.density, format="csr", random_state=rng
    )
    X = normalize(X).astype(case.dtype)
    y = np.asarray(X @ rng.normal(size=(case.m, case.K))).argmax(axis=1)
    return X, y


def data_bytes(X):
    """Bytes of X's arrays, dense or CSR."""
    if scipy.sparse.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def initial_theta(case):
    layout = case.layout
    return layout, _network.init_params(layout, np.random.RandomState(0), case.dtype)


def training_loss(case, X, y, W1, b1, W2, b2):
    """Mean cross-entropy (squared error, for regression) of the weights on
    the training data, in float64, without the L2 term."""
    theta = np.concatenate([np.ravel(a) for a in (W1, b1, W2, b2)])
    if case.regression:
        Y = np.asarray(y, dtype=float).reshape(case.n, -1)
    else:
        Y = _network.targets(y, case.K, float)
    s = np.full(case.n, 1.0 / case.n)
    X, theta = X.astype(float, copy=False), theta.astype(float, copy=False)
    return _network.loss(theta, case.layout, X, Y, s, 0.0, case.output)


def log_loss(proba, y):
    """Mean cross-entropy of predicted probabilities, in float64."""
    return float(-np.mean(np.log(proba[np.arange(len(y)), y].astype(float))))
