"""
===================================================================
Choosing the learning rate and the hidden layer size by grid search
===================================================================

The two numbers the notes leave to the user are alpha, the learning rate, and H,
the number of hidden units. In scikit-learn they are chosen by cross-validation:
``TwoLayerClassifier`` calls them ``learning_rate`` and ``n_hidden``, so the search
is a plain :class:`~sklearn.model_selection.GridSearchCV` over a pipeline that
standardizes the inputs first.

The grid is kept small so this page builds in seconds; widen it for real use.
"""

# %%
# The search
# ----------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("clf", TwoLayerClassifier(max_iter=100, random_state=0)),
    ]
)
learning_rates = [0.03, 0.3, 3.0, 30.0]
hidden_sizes = [2, 8, 32]
grid = {"clf__learning_rate": learning_rates, "clf__n_hidden": hidden_sizes}
search = GridSearchCV(pipe, grid, cv=3)
# The small learning rates use up max_iter=100 before the loss settles, and each
# such fit warns. That slowness is what the grid is meant to show, so the
# ConvergenceWarning is silenced here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"best mean cross-validated accuracy: {search.best_score_:.3f}")
print(
    f"held-out accuracy of the refitted best pipeline: "
    f"{search.score(X_test, y_test):.3f}"
)

# %%
# The heatmap
# -----------
# ``cv_results_`` lists the candidates in the order of the grid, learning rate
# first, so the mean scores reshape into a (learning rate, H) table.
scores = search.cv_results_["mean_test_score"].reshape(
    len(learning_rates), len(hidden_sizes)
)

fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
image = ax.imshow(scores, cmap="viridis", vmin=0, vmax=1, origin="lower")
ax.set_xticks(range(len(hidden_sizes)), labels=hidden_sizes)
ax.set_yticks(range(len(learning_rates)), labels=learning_rates)
ax.set_xlabel("n_hidden (the notes' H)")
ax.set_ylabel("learning_rate (the notes' alpha)")
for (i, j), score in np.ndenumerate(scores):
    ax.text(
        j,
        i,
        f"{score:.2f}",
        ha="center",
        va="center",
        color="black" if score > 0.5 else "white",
    )
fig.colorbar(image, ax=ax, label="mean CV accuracy")
ax.set_title("GridSearchCV on digits, 3-fold")
plt.show()

# %%
# Two hidden units are too few for ten classes at any learning rate. With enough
# units the learning rate matters most: too small and 100 iterations are not
# enough, too large and the steps overshoot. Since the loss is a mean over the
# samples, a learning rate found here carries over to a training set of another
# size.
