"""Faults during training: KeyboardInterrupt and MemoryError never half-write a model.

The contract: an exception raised anywhere inside `fit` or
`partial_fit` -- Ctrl-C, an allocation that fails, a bug -- propagates to the
caller and leaves the estimator exactly as it was before the call. The only other
outcome allowed is the complete result, for an exception that arrives after the
last attribute was written (on the ``return`` line). Never a mixture.

Three ways of raising are tested:

- an exception from the k-th evaluation of the loss and gradient, by replacing
  ``_backprop.loss_gradient`` (fault injection at the numerics);
- an exception raised before every line -- and, in the estimator's own module,
  before every bytecode -- that runs inside skbackprop during a call, with a trace
  function: this is where a signal handler can run, so it simulates Ctrl-C
  arriving at every possible moment;
- a real SIGINT sent from a timer thread during a long fit.
"""

import os
import pickle
import signal
import sys
import threading

import pytest
from _helpers import fitted, state_of
from numpy.testing import assert_array_equal
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

import skbackprop
from skbackprop import TwoLayerClassifier
from skbackprop._engine import backprop as _backprop

PACKAGE_DIR = os.path.dirname(os.path.abspath(skbackprop.__file__)) + os.sep
ESTIMATOR_FILE = os.path.abspath(sys.modules[TwoLayerClassifier.__module__].__file__)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(12, n_features=3, centers=3, random_state=0)
    return StandardScaler().fit_transform(X), y


def _assert_state_is(state, expected, label):
    assert state.keys() == expected.keys(), (
        f"{label}: attributes {sorted(state.keys() ^ expected.keys())} differ"
    )
    changed = [name for name in state if state[name] != expected[name]]
    assert not changed, f"{label}: attributes {changed} differ"


# Each scenario: (estimator before the call, method name, keyword arguments). The
# estimator is built anew for every run, so runs cannot leak into each other.
# Between them they hold every kind of state a call changes: weights, curves,
# momentum velocity, Adam's moments, the shuffling generator, validation curves.
SMALL = dict(n_hidden=2, max_iter=2)


def _unfitted(**params):
    return TwoLayerClassifier(**SMALL, random_state=0, **params)


def _trained(X, y, **params):
    return fitted(X, y, **SMALL, random_state=1, **params)


SCENARIOS = {
    "first fit": (lambda X, y: _unfitted(), "fit", {}),
    "refit": (lambda X, y: _trained(X, y).set_params(random_state=0), "fit", {}),
    "warm-start fit": (lambda X, y: _trained(X, y, warm_start=True), "fit", {}),
    "warm-start fit, adam": (
        lambda X, y: _trained(X, y, warm_start=True, solver="adam", batch_size=5),
        "fit",
        {},
    ),
    "refit, lbfgs": (lambda X, y: _trained(X, y, solver="lbfgs"), "fit", {}),
    "fit, early stopping on accuracy": (
        lambda X, y: _unfitted(
            solver="sgd",
            early_stopping=True,
            validation_fraction=0.25,
            scoring="accuracy",
        ),
        "fit",
        {},
    ),
    "first partial_fit": (
        lambda X, y: _unfitted(solver="sgd", batch_size=5),
        "partial_fit",
        {"classes": [0, 1, 2]},  # the labels of `data`
    ),
    "next partial_fit": (
        lambda X, y: _trained(X, y, solver="sgd", batch_size=5),
        "partial_fit",
        {},
    ),
}


def _scenario(name, X, y):
    """A new estimator of the scenario and its bound method, with arguments."""
    make, method, kwargs = SCENARIOS[name]
    estimator = make(X, y)
    return estimator, getattr(estimator, method), kwargs


def _before_and_after(name, X, y):
    """The state before the call and the state the uninterrupted call produces."""
    estimator, method, kwargs = _scenario(name, X, y)
    before = state_of(estimator)
    method(X, y, **kwargs)
    return before, state_of(estimator)


# ------------------------------------------------- faults from the loss function
# fit and partial_fit (in batches of 5) evaluate the loss several times.
LOSS_FAULTS = [(scenario, k) for scenario in SCENARIOS for k in (1, 2)]


@pytest.mark.parametrize("scenario, k", LOSS_FAULTS)
@pytest.mark.parametrize("fault", [KeyboardInterrupt, MemoryError])
def test_fault_in_the_kth_loss_evaluation_leaves_model_as_before(
    data, monkeypatch, scenario, k, fault
):
    X, y = data
    before, _ = _before_and_after(scenario, X, y)
    estimator, method, kwargs = _scenario(scenario, X, y)
    real = _backprop.loss_gradient
    calls = []

    def failing(*args, **kwargs):
        calls.append(None)
        if len(calls) == k:
            raise fault(f"injected at call {k}")
        return real(*args, **kwargs)

    monkeypatch.setattr(_backprop, "loss_gradient", failing)
    with pytest.raises(fault, match=f"injected at call {k}"):
        method(X, y, **kwargs)
    _assert_state_is(state_of(estimator), before, f"{fault.__name__} at call {k}")
    monkeypatch.undo()
    if hasattr(estimator, "coefs_"):  # the model left as it was still works
        assert estimator.predict(X).shape == y.shape


# ------------------------------------------- faults at every line and bytecode
class _RaiseAt:
    """A trace function raising ``fault`` at the k-th step inside skbackprop.

    CPython runs signal handlers, and so raises KeyboardInterrupt, between
    bytecodes: with ``opcodes=True`` a step is a bytecode in the estimator's
    module, where its attributes are written (so an interrupt between two writes
    on one line is seen too), and a line elsewhere in skbackprop. A MemoryError
    comes out of a call, within a statement: there a step is a line.
    """

    def __init__(self, k, fault, opcodes):
        self.k, self.fault, self.opcodes, self.steps = k, fault, opcodes, 0

    def __call__(self, frame, event, arg):  # the global trace function
        filename = frame.f_code.co_filename
        if not filename.startswith(PACKAGE_DIR):
            return None
        frame.f_trace_opcodes = self.opcodes and filename == ESTIMATOR_FILE
        return self._local

    def _local(self, frame, event, arg):
        if event == ("opcode" if frame.f_trace_opcodes else "line"):
            self.steps += 1
            if self.steps == self.k:
                raise self.fault(f"injected at step {self.k}")
        return self._local


# A sweep runs the call once per step, so it is kept to the scenarios whose code
# differs in what it writes: fit (which the first fit shares), warm start (the
# optimizer's state) and both branches of partial_fit (the generator). The other
# scenarios are covered by the faults from the loss function above; MemoryError
# takes the same path as KeyboardInterrupt unless something catches Exception.
SWEEPS = [
    ("refit", KeyboardInterrupt, True),
    ("warm-start fit", KeyboardInterrupt, True),
    ("first partial_fit", KeyboardInterrupt, True),
    ("next partial_fit", KeyboardInterrupt, True),
    ("refit", MemoryError, False),
]


@pytest.mark.parametrize("scenario, fault, opcodes", SWEEPS)
def test_fault_at_every_step_never_half_writes_the_model(
    data, scenario, fault, opcodes
):
    X, y = data
    before, after = _before_and_after(scenario, X, y)
    make, name, kwargs = SCENARIOS[scenario]
    template = pickle.dumps(make(X, y))  # unpickling is faster than fitting

    def call_traced(estimator, tracer):
        # The method is looked up outside the trace: available_if turns any
        # exception in partial_fit's availability check into an AttributeError.
        method = getattr(estimator, name)
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            method(X, y, **kwargs)
        finally:
            sys.settrace(previous)

    counter = _RaiseAt(0, fault, opcodes)
    call_traced(pickle.loads(template), counter)
    n_steps = counter.steps
    assert n_steps > 100  # the trace did see the training code run

    outcomes = []
    for k in range(1, n_steps + 1):
        estimator = pickle.loads(template)
        with pytest.raises(fault, match=f"injected at step {k}$"):
            call_traced(estimator, _RaiseAt(k, fault, opcodes))
        state = state_of(estimator)
        if state == before:
            outcomes.append("before")
        else:
            _assert_state_is(state, after, f"{fault.__name__} at step {k}/{n_steps}")
            outcomes.append("after")
    # Every step up to the last write leaves the model as before, every step
    # after it (leaving the with-block, returning) leaves it complete.
    n_before = outcomes.count("before")
    assert outcomes == ["before"] * n_before + ["after"] * (n_steps - n_before)
    assert n_steps - n_before < 20, "the model was complete long before the end"


# ---------------------------------------------------------------- a real SIGINT
@pytest.mark.skipif(not hasattr(signal, "raise_signal"), reason="needs raise_signal")
@pytest.mark.parametrize("warm_start", [False, True])
def test_sigint_during_a_long_fit_leaves_model_as_before(data, monkeypatch, warm_start):
    X, y = data
    estimator = TwoLayerClassifier(n_hidden=3, max_iter=5, random_state=0)
    estimator.fit(X, y)
    # Long enough that it cannot finish before the signal: a million iterations
    # and no stopping for lack of improvement.
    estimator.set_params(
        max_iter=10**6, n_iter_no_change=10**6, tol=0.0, warm_start=warm_start
    )
    before = state_of(estimator)
    proba = estimator.predict_proba(X)

    training = threading.Event()
    real = _backprop.loss_gradient

    def flagging(*args, **kwargs):
        training.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(_backprop, "loss_gradient", flagging)

    def interrupt():
        if training.wait(timeout=60):
            signal.raise_signal(signal.SIGINT)

    previous_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    sender = threading.Thread(target=interrupt)
    try:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            estimator.fit(X, y)
    finally:
        sender.join()
        signal.signal(signal.SIGINT, previous_handler)
    assert training.is_set()
    _assert_state_is(state_of(estimator), before, "SIGINT")
    assert_array_equal(estimator.predict_proba(X), proba)


def test_failed_warm_start_does_not_write_into_the_old_weights(data, monkeypatch):
    # Restoring the attributes is not enough if training wrote into the arrays they
    # hold: a warm start interrupted after some steps leaves the old weights intact.
    X, y = data
    estimator = TwoLayerClassifier(n_hidden=3, max_iter=5, warm_start=True)
    estimator.fit(X, y)
    arrays = estimator.coefs_ + estimator.intercepts_
    copies = [a.copy() for a in arrays]
    estimator.set_params(max_iter=50)
    real = _backprop.loss_gradient
    calls = []

    def failing(*args, **kwargs):
        calls.append(None)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(_backprop, "loss_gradient", failing)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    for array, original in zip(arrays, copies, strict=True):
        assert_array_equal(array, original)
