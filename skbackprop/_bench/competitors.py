"""The competitors of the benchmark: skbackprop, MLPClassifier or
MLPRegressor, and PyTorch.

A `Competitor` trains a case's network from the shared starting weights:
``reset()`` puts it back at the start, untimed, and ``fit(epochs)`` is what is
timed. `Skbackprop` and `MLP` are the two scikit-learn estimators
(`TwoLayerClassifier` and MLPClassifier, or `TwoLayerRegressor` and
MLPRegressor for a regression case), set up so that both take the same steps
(`LEARNING_RATE`, or the same Adam, `ADAM`) with no momentum or shuffling;
for a prediction case their ``fit`` times ``predict_proba``. Both kinds of
case train without a penalty (`ALPHA`), so that a regression case's ratio
compares with its classification case's; `l2_of_alpha` converts a penalty
when one is set. `Torch` is a hand-written PyTorch CPU loop that takes part
in the dense classification cases with plain gradient steps, when PyTorch is
installed (`torch_available`). `competitors` says who runs a case.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from .. import TwoLayerClassifier, TwoLayerRegressor
from .cases import log_loss, training_loss

LEARNING_RATE = 0.1
# Adam's defaults in both estimators (Kingma and Ba's, scikit-learn's): the step
# alpha sqrt(1 - beta_2^t) / (1 - beta_1^t) m / (sqrt(v) + epsilon), the same
# formula in `_training.solvers.Adam` and MLPClassifier's AdamOptimizer.
ADAM = dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
# The L2 penalty of the regression cases, MLPRegressor's alpha: none, as in the
# classification cases. (The online kernel's penalty term costs about as much
# as its gradient: with MLPRegressor's default 1e-4 the online ratio fell from
# 8.4 to 5.7 in one run, as the classifier's would.)
ALPHA = 0.0


def l2_of_alpha(alpha, batch_size):
    """The ``l2`` of MLPRegressor's (and MLPClassifier's) ``alpha`` on batches
    of ``batch_size`` samples.

    MLPRegressor adds ``alpha / (2 n_batch) (|W1|^2 + |W2|^2)`` to the mean
    squared error over a batch of ``n_batch`` samples, so that its gradient
    step has ``(alpha / n_batch) W``; the penalty here is ``(l2 / 2)
    (|W1|^2 + |W2|^2)`` on the weighted mean, whose step has ``l2 W``. The two
    are the same when ``l2 = alpha / n_batch``, on every batch when the batch
    size divides the number of samples (as in every case of the benchmark):
    MLPRegressor's last, smaller batch would otherwise take a larger penalty.
    """
    return alpha / batch_size


class Competitor:
    """Trains the case's network; ``reset()`` untimed, ``fit(epochs)`` timed."""

    name = ""

    def __init__(self, case, X, y, theta0):
        self.case, self.X, self.y = case, X, y
        self.start = case.layout.unpack(theta0)

    def reset(self):
        raise NotImplementedError

    def fit(self, epochs):
        raise NotImplementedError

    def weights(self):
        """``(W1, b1, W2, b2)`` as NumPy arrays."""
        raise NotImplementedError

    def final_loss(self):
        """The training loss of the weights ``fit`` ended with (of the
        probabilities it returned, for prediction)."""
        return training_loss(self.case, self.X, self.y, *self.weights())


class Estimator(Competitor):
    """A scikit-learn estimator, warm-started from the shared weights.

    Its ``fit`` times ``predict_proba`` instead for a prediction case.
    """

    def make(self, epochs):
        raise NotImplementedError

    def prime(self):
        self.model = self.make(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.X, self.y)  # sets up the fitted attributes once

    def reset(self):
        if not hasattr(self, "model"):
            self.prime()
        W1, b1, W2, b2 = self.start
        self.model.coefs_ = [W1.copy(), W2.copy()]
        self.model.intercepts_ = [b1.copy(), b2.copy()]

    def fit(self, epochs):
        if self.case.predict:
            for _ in range(epochs):
                self.proba = self.model.predict_proba(self.X)
            return
        self.model.set_params(max_iter=epochs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.X, self.y)

    def weights(self):
        (W1, W2), (b1, b2) = self.model.coefs_, self.model.intercepts_
        return W1, b1, W2, b2

    def final_loss(self):
        if self.case.predict:
            return log_loss(self.proba, self.y)
        return super().final_loss()


class Skbackprop(Estimator):
    name = "skbackprop"

    def make(self, epochs):
        case = self.case
        params = dict(
            n_hidden=case.H,
            learning_rate=LEARNING_RATE,
            l2=l2_of_alpha(ALPHA, case.batch_size) if case.regression else 0.0,
            momentum=0.0,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=10**9,
            warm_start=True,
            random_state=0,
        )
        if case.batch is None:  # solver="auto" takes mini-batches on large data
            params.update(solver="gd")
        else:
            params.update(solver=case.solver, batch_size=case.batch, shuffle=False)
        if case.solver == "adam":
            params.update(ADAM)
        estimator = TwoLayerRegressor if case.regression else TwoLayerClassifier
        return estimator(**params)

    def reset(self):
        super().reset()
        # A warm start continues the update rule's state (Adam's moments and step
        # count); MLPClassifier's fit starts a new one: so does this one.
        self.model._optimizer = None


class MLP(Estimator):
    """MLPClassifier, or MLPRegressor for a regression case (`mlp_name`)."""

    def __init__(self, case, X, y, theta0):
        super().__init__(case, X, y, theta0)
        self.name = mlp_name(case)

    def make(self, epochs):
        case = self.case
        adam = dict(ADAM) if case.solver == "adam" else {}
        estimator = MLPRegressor if case.regression else MLPClassifier
        return estimator(
            hidden_layer_sizes=(case.H,),
            activation="logistic",
            solver=case.solver,
            learning_rate="constant",
            learning_rate_init=adam.pop("learning_rate", LEARNING_RATE),
            momentum=0.0,
            alpha=ALPHA if case.regression else 0.0,
            batch_size=case.batch_size,
            shuffle=False,
            tol=0.0,
            n_iter_no_change=10**9,
            max_iter=epochs,
            warm_start=True,
            random_state=0,
            **adam,
        )


class Torch(Competitor):
    """A hand-written PyTorch CPU loop: nn.Linear, sigmoid, SGD.

    It takes part in the dense classification cases with plain gradient steps
    (`takes_part`).
    """

    name = "torch"

    @staticmethod
    def takes_part(case):
        return (
            case.density is None
            and case.solver == "sgd"
            and not case.predict
            and not case.regression
        )

    def __init__(self, case, X, y, theta0):
        super().__init__(case, X, y, theta0)
        import torch

        self.torch = torch
        dtype = torch.float64 if case.dtype == np.float64 else torch.float32
        self.net = torch.nn.Sequential(
            torch.nn.Linear(case.m, case.H),
            torch.nn.Sigmoid(),
            torch.nn.Linear(case.H, case.n_outputs),
        ).to(dtype)
        self.Xt = torch.from_numpy(X)  # shares memory with X
        if case.K == 2:
            self.criterion = torch.nn.BCEWithLogitsLoss()
            self.yt = torch.from_numpy(y.astype(case.dtype).reshape(-1, 1))
        else:
            self.criterion = torch.nn.CrossEntropyLoss()
            self.yt = torch.from_numpy(y.astype(np.int64))
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=LEARNING_RATE)

    def reset(self):
        W1, b1, W2, b2 = self.start
        with self.torch.no_grad():
            for layer, W, b in ((self.net[0], W1, b1), (self.net[2], W2, b2)):
                layer.weight.copy_(self.torch.from_numpy(W.T.copy()))
                layer.bias.copy_(self.torch.from_numpy(b.copy()))

    def fit(self, epochs):
        n, B = self.case.n, self.case.batch_size
        net, criterion, optimizer, Xt, yt = (
            self.net,
            self.criterion,
            self.optimizer,
            self.Xt,
            self.yt,
        )
        for _ in range(epochs):
            for start in range(0, n, B):
                optimizer.zero_grad()
                loss = criterion(net(Xt[start : start + B]), yt[start : start + B])
                loss.backward()
                optimizer.step()

    def weights(self):
        first, last = self.net[0], self.net[2]
        return (
            first.weight.detach().numpy().T,
            first.bias.detach().numpy(),
            last.weight.detach().numpy().T,
            last.bias.detach().numpy(),
        )


def mlp_name(case):
    """The name of scikit-learn's estimator in ``case``: ``"MLPClassifier"``,
    or ``"MLPRegressor"`` for a regression case."""
    return "MLPRegressor" if case.regression else "MLPClassifier"


def competitors(use_torch, case):
    kinds = [Skbackprop, MLP]
    if use_torch and Torch.takes_part(case) and torch_available():
        kinds.append(Torch)
    return kinds


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_version():
    import torch

    return torch.__version__


def torch_threads():
    import torch

    return torch.get_num_threads()
