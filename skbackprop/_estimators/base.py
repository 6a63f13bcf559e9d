"""The base of the estimators of the notes' network: everything an estimator
needs that is not about what its targets are.

`BaseTwoLayerNetwork` holds the parameters, the validation of ``X`` and
``y``, training with early stopping and warm starts (`fit`, `partial_fit`'s
step), the fitted attributes and the guard that leaves a model unchanged when
a call fails. There is one `fit`: its steps are written once, and it hands the
data to a backend, arrays in memory (`_training.in_memory`), dask collections
on a cluster (`_cluster.distributed`) or the arrays of another library on
their device (`_training.on_device`), which does each step where the data is.
What a fitted network computes (`hidden_activations`, `loss_gradient` and the
passes behind the predictions) is `network_methods.NetworkMethods`.

An estimator built on it says, in the hooks of `target_hooks.TargetHooks`,
what its ``y`` becomes for the output units, how it is weighted and which
fitted attributes describe it (see `TwoLayerClassifier` and
`TwoLayerRegressor`). The calculus is in `skbackprop._engine`; training's
steps in `skbackprop._training`.
"""

import copy
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from .._cluster import chunks as _chunks
from .._cluster import distributed as _distributed
from .._engine import network as _network
from .._engine.units import ACTIVATIONS
from .._training import arrays as _arrays
from .._training import callbacks as _callbacks
from .._training import in_memory as _in_memory
from .._training import loops as _training
from .._training import monitor as _monitor
from .._training import on_device as _on_device
from .._training import report as _report
from .._training import rules as _rules
from .._training import solvers as _solvers
from .._training import validation as _validation
from .._training.solvers import SOLVERS
from . import devices as _devices
from .network_methods import _FLOATS, NetworkMethods
from .target_hooks import TargetHooks


class BaseTwoLayerNetwork(
    NetworkMethods, TargetHooks, _callbacks.CallbackSupportMixin, BaseEstimator
):
    """The notes' two-layer network as a scikit-learn estimator, less its
    targets: the parameters, training, and the network's own methods.

    Not for direct use: `TwoLayerClassifier` and `TwoLayerRegressor` are built
    on it, and say what the targets are in the hooks below ("what y is to the
    net").
    """

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "solver": [StrOptions(set(SOLVERS) | {"auto"})],
        "l2": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions(set(get_scorer_names()) | {"loss"}), callable, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_hidden=32,
        *,
        activation="logistic",
        learning_rate="auto",
        solver="auto",
        l2="auto",
        batch_size=None,
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        momentum=0.95,
        nesterov=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        early_stopping=False,
        validation_fraction=0.1,
        scoring="loss",
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.n_hidden = n_hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.solver = solver
        self.l2 = l2
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __setstate__(self, state):
        # Models saved before the parameter existed have the notes' sigmoid units.
        state.setdefault("activation", "logistic")
        if "coefs_" in state:
            state.setdefault("_fitted_activation", "logistic")
        super().__setstate__(state)

    def __getstate__(self):
        _devices.require_numpy(self, "A pickle (or a .skops or joblib file)")
        return super().__getstate__()

    def __copy__(self):
        # not through __getstate__: a model on a device copies as it is
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    def __deepcopy__(self, memo):
        copied = type(self).__new__(type(self))
        memo[id(self)] = copied
        copied.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return copied

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # PyTorch, CuPy and array-api-strict arrays train and predict in their
        # library, on their device (`devices`, `_training.on_device`).
        tags.array_api_support = True
        return tags

    # ---------------------------------------------------------------- training
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 data trains in float32. A dask array or
            DataFrame chunked by rows trains ``'gd'`` or ``'lbfgs'`` on the
            current dask.distributed client, each chunk on its worker: the
            model of the fit in memory, up to the order of summation (see
            "Beyond one machine" in the documentation).

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets. For `TwoLayerClassifier`, labels of any type, or a 0/1
            indicator matrix of labels; for `TwoLayerRegressor`, numbers, one
            column per target, every one finite. With ``warm_start=True`` and
            a fitted model, the same kind of target as the fitted model: the
            same classes (or number of labels), or the same number of columns.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; ``None`` weighs every sample equally. A weight
            of 2 counts a sample as two copies of it (``'gd'`` and ``'lbfgs'``):
            the same loss, and the same model up to rounding, which L-BFGS
            can amplify.

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Validation data for early stopping, used instead of a hold-out of
            ``X``. Early stopping is on whenever it is given.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``, of the same kind as ``y``: 1-D labels among
            the classes of ``y`` (not necessarily all of them), an indicator
            matrix with as many labels as ``y``, or values with as many
            columns as ``y``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Non-negative weights of ``X_val``; only with ``X_val`` and
            ``y_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        # Before the snapshot below, so that a failed fit still tears callbacks down.
        tasks = _callbacks.FitTasks(self, self.max_iter)
        with _unchanged_on_error(self):
            backend = self._backend(X)
            validation = (X_val, y_val, sample_weight_val)
            self._fit(backend, X, y, sample_weight, validation, tasks)
        return self

    def _backend(self, X):
        """Where the data of a fit is: in memory (`_in_memory.InMemory`), or on a
        dask cluster (`_distributed.OnCluster`) for a dask ``X``."""
        if _chunks.is_dask_collection(X):
            return _distributed.OnCluster(self)
        place = _devices.namespace_of(X)
        if place is not None:
            return _on_device.OnDevice(self, *place)
        return _in_memory.InMemory(self)

    def _fit(self, backend, X, y, sample_weight, validation, tasks):
        """`fit`'s steps, on the data where ``backend`` holds it.

        The rules (`_rules`) read the summaries that the backend makes of the
        data; the backend validates, holds out and weighs the data, and makes
        the objective (see `_training.in_memory`). Called inside
        `_unchanged_on_error`: an exception (Ctrl-C) while the attributes are
        written restores the old ones instead of leaving a mixture.
        """
        warm = self.warm_start and hasattr(self, "coefs_")
        if warm:  # the weights and the update rule stay where they are
            _devices.check_same_place(self, X, "warm_start=True", continuing=True)
        given_val = _rules.given_validation_set(*validation)
        holding_out = self.early_stopping and not given_val
        train = backend.data(X, y, sample_weight, not warm, holding_out)
        y_like = _rules.like_y(train.summary)
        # A warm start continues the fitted network: y must fit its outputs
        # (`_fit_targets`, before a hold-out).
        net = self._net(y_like, self._fit_targets(y_like, warm), train.n_features)
        weights = self._target_weights(train.summary)
        train = backend.checked_weights(train)
        sizes = None
        if holding_out:
            sizes = _rules.hold_out_sizes(train.summary, self.validation_fraction)
        n_val = 0 if sizes is None else sizes.n_val
        self._auto_solver = backend.auto_solver(train.summary.rows - n_val)
        rng = check_random_state(self.random_state)
        restart = "set warm_start=False to train a new model"
        start = partial(self._start, net.layout, train.dtype, rng, warm, restart)
        # Each backend draws the start and the hold-out in its own order.
        theta, rule = start() if backend.draws_start_first else (None, None)
        val, held_out = None, None  # held_out: the labels kept out of a hold-out
        if holding_out:
            train, val, held_out = backend.hold_out(train, sizes, rng)
        elif given_val:
            val = backend.validation_set(*validation)
            self._check_validation_targets(_rules.like_y(val.summary), net)
        data = backend.problem(train, net, weights)
        if theta is None:
            theta, rule = start()
        theta = backend.weights(theta)  # drawn on the host, trained where the data is
        attributes = partial(self._weight_attributes, data)
        tasks.start(*backend.scored(train, weights, data), attributes, theta)
        validate = None
        if val is not None:
            val_weights = weights if holding_out else None  # weighted as training
            val_data = backend.problem(val, net, val_weights, validation=given_val)
            validate = _validation.validator(
                self,
                data,
                val_data,
                backend.validation_loss(val_data),
                backend.scored(val, val_weights, val_data),
                theta,
                held_out,
            )
        self._train_and_set(backend, data, theta, rule, rng, validate, tasks, warm)

    def _train_and_set(self, backend, data, theta, rule, rng, validate, tasks, warm):
        """Train from ``theta``, warn as `_report.report` finds, and set the
        fitted attributes; the last steps of `fit`."""
        monitor = self._monitor(theta, validate, tasks.on_epoch, rule)
        with backend.objective(data, self._l2(data.X.shape[0])) as objective:
            loss = self._train(theta, data, rule, rng, monitor, objective)
        _report.report(
            monitor,
            theta,
            data.X,
            solver=self._solver_name(),
            learning_rate=self._learning_rate(),
            max_iter=self.max_iter,
            unscaled=backend.unscaled(data),
            targets=backend.unscaled_targets(data) if self._scales_targets() else None,
            auto_step=self.learning_rate == "auto",
        )
        curve, t = (self.loss_curve_, self.t_) if warm else ([], 0)
        t += monitor.n_iter * data.X.shape[0]
        diverged = monitor.status == _monitor.DIVERGED
        self._set_fitted(
            data, theta, curve + monitor.losses, monitor.n_iter, t, loss, diverged
        )
        self._optimizer, self._rng = rule, rng  # partial_fit continues from both
        self._set_validation(monitor)
        tasks.finish()

    def _check_incremental(self):
        solver = SOLVERS.get(self.solver)  # an unknown one fails its validation
        if solver is not None and not solver.incremental:
            raise AttributeError(
                f"partial_fit is not available for solver={self.solver!r}, which "
                "needs the whole data at once; use solver='gd', 'sgd' or 'adam'."
            )
        return True

    def _partial_fit(self, X, y, sample_weight, targets_of):
        """`partial_fit`'s step on one batch; ``targets_of(y, first)`` gives what
        the network's outputs encode (`_problem`), checked against the fitted
        model after the first call."""
        with _unchanged_on_error(self):
            first = not hasattr(self, "coefs_")
            if not first:
                _devices.check_same_place(self, X, "partial_fit", continuing=True)
                # _fit_context validates the parameters only until the model is
                # fitted; a later set_params must not go unchecked.
                self._validate_params()
            X, y = self._validate_Xy(X, y, reset=first)
            targets = targets_of(y, first)
            weights = self._target_weights(self._target_kind.summarise(y))
            backend, data = self._problem_where(
                X, y, sample_weight, targets, weights=weights
            )
            self._auto_solver = "gd"  # one step of the notes per call
            # A later call continues the generator, advanced only if it succeeds.
            if first:
                rng = check_random_state(self.random_state)
            else:
                rng = copy.deepcopy(self._rng)
            dtype = _arrays.numpy_dtype(data.X)
            theta, rule = self._start(data.layout, dtype, rng, not first)
            theta = backend.weights(theta)
            with backend.objective(data, self._l2(None)) as objective:
                epoch = self._epoch(objective, data, rule, rng)
                with _training.quiet_floating_point():
                    loss = epoch(theta)
            if not (np.isfinite(loss) and _arrays.all_finite(theta)):
                # No earlier weights of this call to go back to: the call fails
                # and the model stays as it was (fit instead restores its best
                # epoch and warns).
                raise ValueError(self._not_finite_message(data.X))
            # Still inside the block: an exception (Ctrl-C) while the attributes
            # are written restores the old ones instead of leaving a mixture.
            curve = [loss] if first else self.loss_curve_ + [loss]
            n_iter = 1 if first else self.n_iter_ + 1
            t = X.shape[0] if first else self.t_ + X.shape[0]
            self._set_fitted(data, theta, curve, n_iter, t)
            self._optimizer, self._rng = rule, rng
            self.validation_loss_curve_ = self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_iter_ = int(np.argmin(curve)) + 1
        return self

    # ------------------------------------------------------ data on dask
    def _check_dask_X(self, X, reset):
        """Check the feature names and count of a dask ``X`` (sets them if
        ``reset``), from its metadata: the values are checked on the workers."""
        meta = X._meta if hasattr(X, "columns") else None
        if meta is None and X.ndim == 2:
            meta = np.empty((0, X.shape[1]))
        if meta is not None:
            validate_data(self, meta, reset=reset, skip_check_array=True)

    # ----------------------------------------------------------- shared steps
    def _solver_name(self):
        """``solver``, or the one ``solver='auto'`` chose for the current fit
        (`_solvers.auto_solver`; "gd" before any fit)."""
        if self.solver != "auto":
            return self.solver
        return getattr(self, "_auto_solver", "gd")

    def _solver(self):
        """The row of `_solvers.SOLVERS` for ``solver``."""
        return SOLVERS[self._solver_name()]

    def _l2(self, n_samples):
        """The L2 strength: ``l2``, or for ``l2='auto'`` the one of
        `_solvers.auto_l2` for ``n_samples`` training samples (None, for
        `partial_fit`, whose batches do not tell the size of the data: the
        small-data one)."""
        if self.l2 != "auto":
            return self.l2
        n_samples = 0 if n_samples is None else n_samples
        return _solvers.auto_l2(n_samples, self._small_data_l2)

    def _learning_rate(self):
        """The step: ``learning_rate``, or the solver's 'auto' one for the
        estimator's output units."""
        return self._solver().learning_rate(
            self.learning_rate, self._step_scale, self._largest_auto_step()
        )

    def _start(self, layout, dtype, rng, continuing, restart="fit a new model"):
        """The weights of a network of sizes ``layout``, in ``dtype``, and the
        update rule that training starts from: the fitted ones continued, or new
        ones (weights drawn from ``rng``). ``restart`` says, if the fitted
        weights do not fit ``layout``, how to train a new model."""
        if continuing:
            theta = self._theta(dtype, layout, restart)
        else:
            theta = _network.init_params(layout, rng, dtype, self.activation)
        rule = self._solver().make_rule(
            self.get_params(deep=False), self._step_scale, self._largest_auto_step()
        )
        if continuing and rule is not None:
            rule.inherit(self._optimizer)
        return theta, rule

    def _monitor(self, theta, validate, on_epoch, rule=None):
        """The monitor of a fit. With ``learning_rate='auto'`` the step is the
        estimator's to choose: a divergence halves the step of ``rule`` and goes
        on from the best weights, and a training loss that stops improving
        lowers it (`monitor.Monitor`, ``anneal``). A step the user set is
        kept, and a divergence with it stops and warns."""
        auto = self.learning_rate == "auto"
        recover = getattr(rule, "halve", None) if auto else None
        anneal = getattr(rule, "anneal", None) if auto else None
        return _monitor.Monitor(
            theta,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            stopping=self._solver().stopping,
            validate=validate,
            log=print if self.verbose else None,
            on_epoch=on_epoch,
            recover=recover,
            anneal=anneal,
        )

    def _train(self, theta, data, rule, rng, monitor, objective):
        """Train ``theta`` in place on ``objective`` under ``monitor``; return the
        training loss of the weights it ends with (`_training.returned_loss`)."""
        if self._solver().batches is None:  # L-BFGS takes its own steps
            _training.lbfgs(theta, objective, data.s, monitor, self.max_iter, self.tol)
        else:
            epoch = self._epoch(objective, data, rule, rng)
            observe = getattr(rule, "observe", None)
            _training.descend(theta, epoch, monitor, self.max_iter, observe)
        return _training.returned_loss(monitor, objective, theta, data.s)

    def _epoch(self, objective, data, rule, rng):
        n = data.X.shape[0]
        batch_size = min(200, n) if self.batch_size is None else min(self.batch_size, n)
        batches = self._solver().batches
        if batches == "mini" and batch_size == 1 and not _arrays.on_numpy(data.X):
            raise ValueError(
                "batch_size=1, online learning, runs on NumPy arrays only: its "
                "steps of one sample are too small for a device. Pass X as a "
                "NumPy array, or use a larger batch_size."
            )
        return _training.make_epoch(
            batches,
            objective,
            data.s,
            rule,
            batch_size,
            rng if self.shuffle else None,
        )

    def _not_finite_message(self, X):
        """Why a step of `partial_fit` gave a loss that is not finite."""
        scale = _report.unscaled_column(X)
        advice = "" if scale is None else ", or " + _report.scaling_advice(X, scale)
        return (
            "The loss is not finite after this step: learning_rate="
            f"{self._learning_rate()} is too large for this data. Lower "
            f"learning_rate{advice}."
        )

    # ------------------------------------------------------------------ data
    def _validate_Xy(self, X, y, reset, y_name="y"):
        """``X`` as floats, ``y`` as the targets of `_target_kind`: 1-D, or 2-D
        with several columns. For ``X`` on a device (`devices.namespace_of`),
        ``X`` stays there and ``y`` comes to the host, where labels are read."""
        place = _devices.namespace_of(X)
        if place is not None and y is not None:
            y = _on_device.host(y)
        if y is not None:
            self._target_kind.check_given(y, y_name)
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=_FLOATS if place is None else _devices.float_dtypes(place[0]),
            accept_sparse=["csr", "csc"],
            multi_output=True,
        )
        if sp.issparse(y):
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y = self._target_kind.check(y, y_name)
        mini = self.solver == "auto" or self._solver().batches == "mini"
        if sp.issparse(X) and (mini or self.early_stopping):
            X = X.tocsr()  # rows are sliced
        return X, y

    def _problem_where(self, X, y, sample_weight, targets, n_hidden=None, **kwargs):
        """``(backend, problem)``: `_problem` of ``X`` where it is, in memory
        or on a device, and the backend that trains on it there."""
        place = _devices.namespace_of(X)
        if place is None:
            problem = self._problem(X, y, sample_weight, targets, n_hidden, **kwargs)
            return _in_memory.InMemory(self), problem
        backend = _on_device.OnDevice(self, *place)
        host_X = _on_device.stand_in(X)
        problem = self._problem(host_X, y, sample_weight, targets, n_hidden, **kwargs)
        return backend, backend.moved(problem, X)

    # ------------------------------------------------------ fitted attributes
    def _snapshot(self, data, theta):
        """A fitted copy of this estimator with a copy of the weights ``theta``
        and of the targets' attributes, for scorers: what a scorer does to it
        cannot reach the training, which goes on changing ``theta`` in place."""
        estimator = type(self)(**self.get_params(deep=False))
        estimator._set_fitted(data, _arrays.copy(theta), [], 0, 0)
        for name, value in self._target_attributes(data).items():
            setattr(estimator, name, copy.copy(value))
        estimator.n_features_in_ = data.layout.n_features
        return estimator

    def _set_fitted(
        self, data, theta, loss_curve, n_iter, t, loss=None, diverged=False
    ):
        """Write the fitted attributes; ``loss`` is the training loss of
        ``theta``, when it is not the last one of ``loss_curve``; ``diverged``:
        training stopped at a divergence, and warned. The command line counts
        such fits by it: the warnings of its search's workers do not reach it."""
        for name, value in self._weight_attributes(data, theta).items():
            setattr(self, name, value)
        if loss is None:
            loss = loss_curve[-1] if loss_curve else np.nan
        self.loss_curve_ = loss_curve
        self.loss_ = loss
        self.best_loss_ = min([*loss_curve, loss])
        self.n_iter_ = n_iter
        self.t_ = t
        self._diverged = diverged

    def _weight_attributes(self, data, theta):
        """The fitted attributes that make the network with weights ``theta``
        predict: the weights, the output and hidden units and
        `_target_attributes`."""
        p = data.layout.unpack(theta, _arrays.namespace(theta))
        return {
            **self._target_attributes(data),
            "n_outputs_": data.layout.n_outputs,
            "out_activation_": data.output,
            "_fitted_activation": data.activation,  # the hidden units predicted with
            "coefs_": [p.W1, p.W2],
            "intercepts_": [p.b1, p.b2],
        }

    def _set_validation(self, monitor):
        validating = monitor.validate is not None
        self.validation_loss_curve_ = monitor.validation_losses if validating else None
        self.validation_scores_ = monitor.validation_scores if validating else None
        self.best_validation_score_ = monitor.best_score if validating else None
        self.best_iter_ = monitor.best_epoch

    def _theta(self, dtype, layout, restart="fit a new model"):
        """A new flat parameter vector holding the fitted weights.

        The numbers of inputs and outputs of ``layout`` are checked against the
        model before; its ``n_hidden`` comes from the parameter, which may have
        been set to another value since. ``restart`` says how to train a new
        model instead.
        """
        W1, W2 = map(_arrays.to_numpy, self.coefs_)
        b1, b2 = map(_arrays.to_numpy, self.intercepts_)
        if (W1.shape, W2.shape[1]) != (tuple(layout[:2]), layout.n_outputs):
            raise ValueError(
                f"Cannot continue training from weights of shape {W1.shape} and "
                f"{W2.shape} with n_hidden={self.n_hidden}: the fitted model has "
                f"{W1.shape[1]} hidden units. Set n_hidden={W1.shape[1]} to "
                f"continue, or {restart}."
            )
        return np.concatenate([W1.ravel(), b1, W2.ravel(), b2]).astype(dtype)


class _unchanged_on_error:
    """Restore the estimator's attributes if the block raises: a failed fit changes
    nothing."""

    def __init__(self, estimator):
        self.estimator = estimator

    def __enter__(self):
        self.saved = dict(vars(self.estimator))

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            state = vars(self.estimator)
            state.clear()
            state.update(self.saved)
        return False
