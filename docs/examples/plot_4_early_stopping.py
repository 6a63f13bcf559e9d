"""
=====================================================
Early stopping: training and validation loss curves
=====================================================

The training loss of a network with many hidden units keeps falling for as long as
it is trained: given enough epochs, it learns the training set's noise too. The
loss on data it does not train on falls at first and then rises again. Early
stopping holds some training data out, watches the loss on it, and keeps the
weights of the epoch where it was lowest.

With ``early_stopping=True`` the estimator holds out ``validation_fraction`` of
the training data (stratified, drawn from ``random_state``) and records
``validation_loss_curve_`` next to ``loss_curve_``. It stops when the validation
score has not improved for ``n_iter_no_change`` epochs, and restores the weights
of the best epoch, ``best_iter_``. By default the score is the validation loss
(``scoring="loss"``); any scikit-learn scorer can be used instead.
"""

# %%
# Noisy data and a large network
# ------------------------------
# Ten percent of the labels are flipped at random, so a network that fits the
# training set perfectly has learned something false.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import LossCurveDisplay, TwoLayerClassifier

X, y = make_classification(
    n_samples=800,
    n_features=40,
    n_informative=6,
    n_redundant=4,
    flip_y=0.1,
    random_state=1,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Watching the whole run
# ----------------------
# To see both curves over the full run, we make early stopping patient: with
# ``n_iter_no_change`` above ``max_iter`` it only records the validation loss and
# restores the best weights at the end. (Running to ``max_iter`` warns; that is
# the point here, so the warning is silenced.)
#
# Two settings differ from the defaults, to make the overfitting plain: no L2
# penalty (``l2`` is itself a guard against it) and a step of 0.5 instead of 2.0.
# With the defaults the first epochs overshoot, and a patience of ten epochs
# stops on an early dip of the validation loss (epoch 6) long before its real
# minimum (epoch 84).
common = {
    "n_hidden": 64,
    "learning_rate": 0.5,
    "l2": 0.0,
    "validation_fraction": 0.2,
    "random_state": 0,
}
patient = TwoLayerClassifier(
    early_stopping=True, max_iter=300, n_iter_no_change=1000, **common
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    patient.fit(X_train, y_train)
print(f"epochs run: {patient.n_iter_}, best epoch: {patient.best_iter_}")
print(f"training loss at the end: {patient.loss_curve_[-1]:.3f}")
print(
    f"validation loss at the best epoch: {min(patient.validation_loss_curve_):.3f}, "
    f"at the end: {patient.validation_loss_curve_[-1]:.3f}"
)

# %%
# Stopping for real
# -----------------
# With the default patience of ten epochs, training ends soon after the best
# epoch, and the fitted weights are those of the best epoch.
stopped = TwoLayerClassifier(early_stopping=True, **common).fit(X_train, y_train)
print(f"epochs run: {stopped.n_iter_}, weights of epoch {stopped.best_iter_}")

# %%
# For comparison, the same network trained for 300 epochs without a validation
# set (the no-improvement rule is switched off the same way):
overfit = TwoLayerClassifier(max_iter=300, n_iter_no_change=1000, **common)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    overfit.fit(X_train, y_train)

for name, clf in [("early stopping", stopped), ("300 epochs", overfit)]:
    print(
        f"{name:>15}: test accuracy {clf.score(X_test, y_test):.3f}, "
        f"test log-loss {log_loss(y_test, clf.predict_proba(X_test)):.3f}"
    )

# %%
# The curves
# ----------
# The training loss falls towards zero while the validation loss turns back up
# after about ten epochs and, after a second, slightly higher dip near epoch 50,
# climbs for good. The dashed line marks the best epoch, whose weights
# both early-stopping fits keep; the dotted one marks where the default patience
# stopped training. Here the kept weights also do better on the test set, in
# accuracy and in log-loss, than those of the full 300 epochs.
# :class:`~skbackprop.LossCurveDisplay` draws the recorded curves.
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
LossCurveDisplay.from_estimator(patient, ax=ax)
ax.axvline(patient.best_iter_, color="gray", ls="--", label="best_iter_")
ax.axvline(stopped.n_iter_, color="gray", ls=":", label="stop with n_iter_no_change=10")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("mean cross-entropy")
ax.set_title("Early stopping on noisy data, H=64")
ax.legend()
plt.show()

# %%
# Instead of a hold-out, a separate validation set can be passed to ``fit`` as
# ``X_val`` and ``y_val`` (and ``sample_weight_val``); early stopping is then on
# and all of the training data is trained on.
