"""
================================================================
Loss curves for several learning rates, and the divergence guard
================================================================

The learning rate is the notes' alpha, the step of ``w <- w - alpha dC/dw``. Too
small and training crawls; too large and every step overshoots. Here we train the
notes' plain update (``momentum=0``) on the standardized digits with learning rates
spanning four orders of magnitude and plot ``loss_curve_``, the mean training loss
at each iteration.

The largest rate makes the loss explode. The estimator watches for that: as soon as
the loss is no longer finite or rises far above where it started, it stops,
restores the weights with the lowest loss seen, and warns with a
:class:`~sklearn.exceptions.ConvergenceWarning` that names the fix. It never
returns a model full of NaN.
"""

# %%
# Training with each learning rate
# --------------------------------
# We record the warnings each fit raises, to print them below.
import textwrap
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skbackprop import TwoLayerClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

learning_rates = [0.1, 1.0, 10.0, 50.0, 300.0]
models, caught = {}, {}
for learning_rate in learning_rates:
    clf = TwoLayerClassifier(
        n_hidden=16,
        learning_rate=learning_rate,
        momentum=0.0,  # the notes' update, w <- w - alpha dC/dw
        l2=0.0,  # and the notes' loss
        max_iter=200,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    models[learning_rate] = clf
    caught[learning_rate] = [str(w.message) for w in record]

for learning_rate, clf in models.items():
    print(
        f"learning_rate={learning_rate:g}: {clf.n_iter_} iterations, "
        f"training accuracy {clf.score(X, y):.3f}\n"
        f"  final loss {clf.loss_:.4g}, lowest loss {clf.best_loss_:.4g}"
    )
    for message in caught[learning_rate]:
        print(
            textwrap.fill(
                message, 72, initial_indent="  warning: ", subsequent_indent="    "
            )
        )

# %%
# The curves
# ----------
# The loss is on a logarithmic scale. Every curve starts at the same loss, about
# ``log 10 = 2.30`` for ten classes, since all fits draw the same initial weights.
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
for learning_rate, clf in models.items():
    (line,) = ax.plot(
        range(1, clf.n_iter_ + 1),
        clf.loss_curve_,
        marker="." if clf.n_iter_ < 20 else None,
        label=f"learning_rate={learning_rate:g}",
    )
    if any("diverged" in m for m in caught[learning_rate]):
        ax.annotate(
            "diverged: stopped,\nbest weights restored",
            xy=(clf.n_iter_, clf.loss_curve_[-1]),
            xytext=(30, 20),
            color=line.get_color(),
            arrowprops={"arrowstyle": "->", "color": line.get_color()},
        )
ax.set_yscale("log")
ax.set_xlabel("iteration")
ax.set_ylabel("mean cross-entropy (loss_curve_)")
ax.set_title("Plain gradient descent on standardized digits, H=16")
ax.legend()
plt.show()

# %%
# Reading the curves
# ------------------
# * ``0.1`` is safe but slow: after 200 iterations the loss is still far from its
#   minimum, and the fit warns that it reached ``max_iter``.
# * ``1`` and ``10`` descend steadily; ``10`` reaches a loss ten times below that
#   of ``1`` and stops on its own once the loss has settled (ten iterations that
#   each change it by less than ``tol``). ``1`` is still moving when the budget
#   runs out, and warns.
# * ``50`` overshoots at first: the loss rises from 2.4 to about 40 in the first
#   six steps, then the saturated hidden units settle and it descends again. The
#   guard lets such a bump pass (it stops at a hundredfold rise, or when the run
#   ends far above its best loss); this run ends with a loss six times above
#   ``10``'s.
# * ``300`` diverges: the loss grows by orders of magnitude within a few
#   iterations. The guard stops the fit, puts back the weights with the lowest
#   loss (here the initial ones) and the warning says to lower
#   ``learning_rate``. It would also say to scale ``X``, naming a column, if
#   ``X`` looked unscaled; these data are standardized.
#
# Because the loss is a *mean* over the samples, these learning rates do not
# depend on the size of the data set; on the notes' *summed* loss the same steps
# would be ``learning_rate / n`` (see :ref:`mean-vs-sum` in the user guide).
