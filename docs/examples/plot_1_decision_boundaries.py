"""
=====================================================
Decision boundaries: a sigmoid and a softmax output
=====================================================

The network has one hidden layer of sigmoid units. Its output layer depends on the
number of classes:

* two classes get **one sigmoid unit**, ``o = g(z)``, the probability of the second
  class (``out_activation_ == "logistic"``);
* three or more classes get a **softmax over K units**, one probability per class
  (``out_activation_ == "softmax"``).

We fit both on two-dimensional data, so the decision regions can be drawn with
scikit-learn's :class:`~sklearn.inspection.DecisionBoundaryDisplay`.
"""

# %%
# Two moons: one sigmoid output unit
# ----------------------------------
# The two half-moons cannot be separated by a line; the hidden layer bends the
# boundary around them. As everywhere with gradient descent, the inputs are
# standardized first. Full-batch gradient descent stops once the loss has settled,
# ``n_iter_no_change`` iterations in a row that each change it by less than
# ``tol``; with momentum the loss rises and falls on its way down, so we ask for
# a longer calm, ``n_iter_no_change=50``, before it stops.
import matplotlib.pyplot as plt
from sklearn.datasets import make_blobs, make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

X_moons, y_moons = make_moons(n_samples=300, noise=0.2, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X_moons, y_moons, test_size=0.3, random_state=0
)
network = TwoLayerClassifier(
    n_hidden=16, learning_rate=2.0, n_iter_no_change=50, max_iter=2000, random_state=0
)
moons = make_pipeline(StandardScaler(), network).fit(X_train, y_train)
clf = moons[-1]
print(f"output units: {clf.n_outputs_}, activation: {clf.out_activation_!r}")
print(f"iterations: {clf.n_iter_}, final training loss: {clf.loss_:.3f}")
print(f"held-out accuracy: {moons.score(X_test, y_test):.3f}")

# %%
# Three blobs: a softmax over three output units
# ----------------------------------------------
X_blobs, y_blobs = make_blobs(n_samples=300, centers=3, cluster_std=1.6, random_state=2)
Xb_train, Xb_test, yb_train, yb_test = train_test_split(
    X_blobs, y_blobs, test_size=0.3, random_state=0
)
blobs = make_pipeline(
    StandardScaler(), TwoLayerClassifier(n_hidden=16, random_state=0)
).fit(Xb_train, yb_train)
clf = blobs[-1]
print(f"output units: {clf.n_outputs_}, activation: {clf.out_activation_!r}")
print(f"held-out accuracy: {blobs.score(Xb_test, yb_test):.3f}")

# %%
# The decision regions
# --------------------
# On the left the colour is the sigmoid output, the probability of class 1; the
# black line is where it equals one half. On the right each colour is a class, and
# its intensity is that class's softmax output where it is the largest: pale
# bands are where the network hesitates. Filled markers are training points,
# hollow ones held out.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")

DecisionBoundaryDisplay.from_estimator(
    moons,
    X_moons,
    response_method="predict_proba",
    cmap="RdBu",
    alpha=0.7,
    ax=axes[0],
)
DecisionBoundaryDisplay.from_estimator(
    moons,
    X_moons,
    response_method="predict_proba",
    plot_method="contour",
    levels=[0.5],
    colors="black",
    ax=axes[0],
)
axes[0].scatter(*X_train.T, c=y_train, cmap="RdBu", edgecolor="k", s=20)
axes[0].scatter(*X_test.T, c="none", edgecolor="k", s=20)
axes[0].set_title("two moons: one sigmoid output")

colors = ["tab:blue", "tab:orange", "tab:green"]
DecisionBoundaryDisplay.from_estimator(
    blobs,
    X_blobs,
    response_method="predict_proba",
    multiclass_colors=colors,
    alpha=0.8,
    ax=axes[1],
)
axes[1].scatter(*Xb_train.T, c=[colors[k] for k in yb_train], edgecolor="k", s=20)
axes[1].scatter(*Xb_test.T, c="none", edgecolor="k", s=20)
axes[1].set_title("three blobs: softmax over three outputs")
for ax in axes:
    ax.set_xlabel("feature 0")
    ax.set_ylabel("feature 1")
plt.show()
