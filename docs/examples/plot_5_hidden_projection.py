"""
=============================================================
The hidden layer as features: a two-unit projection of digits
=============================================================

The hidden layer turns each input ``x`` into ``h = g(x W1 + b1)``, H numbers in
(0, 1), and the output layer is a linear classifier on ``h``. With ``n_hidden=2``
those features can be drawn: each 64-pixel digit becomes one point in the unit
square, placed by the network so that the ten classes can be told apart by the
softmax that follows.

:meth:`~skbackprop.TwoLayerClassifier.hidden_activations` returns ``h`` for any
input. It is not called ``transform`` on purpose: that would make the classifier a
transformer, and pipelines would treat it as one.
"""

# %%
# A network with two hidden units
# -------------------------------
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
model = make_pipeline(
    StandardScaler(),
    TwoLayerClassifier(n_hidden=2, max_iter=2000, random_state=0),
).fit(X_train, y_train)
print(f"iterations: {model[-1].n_iter_}")
print(f"held-out accuracy with H=2: {model.score(X_test, y_test):.3f}")

# %%
# The projection
# --------------
# The pipeline's scaler is applied first (``model[:-1]``), then the network's
# hidden layer. Each held-out digit is drawn as its label, in its class colour.
H_test = model[-1].hidden_activations(model[:-1].transform(X_test))
print("shape of the hidden features:", H_test.shape)

fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
colors = plt.get_cmap("tab10")
for digit in range(10):
    points = H_test[y_test == digit]
    ax.scatter(*points.T, s=0)  # keeps the axes limits right for the text below
    for h1, h2 in points:
        ax.text(
            h1,
            h2,
            str(digit),
            color=colors(digit),
            fontsize=9,
            ha="center",
            va="center",
        )
ax.set_xlabel("hidden unit 1, $h_1 = g(x w_1 + b_1)$")
ax.set_ylabel("hidden unit 2, $h_2 = g(x w_2 + b_2)$")
ax.set_title("Held-out digits through a network with H = 2")
plt.show()

# %%
# Most digits sit in their own region of the square, many pressed into its
# corners and edges where a sigmoid saturates. Two numbers per image are not
# much, and the classes that overlap here are the ones the network confuses: the
# held-out accuracy above is well below that of a network with more hidden units
# (see :ref:`sphx_glr_auto_examples_plot_3_grid_search_digits.py`).
