"""The command line: `python -m skbackprop` (the main job) and `... bench`."""

import sys
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import TwoLayerClassifier


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from ._benchmark import main as bench

        return bench(argv[1:])
    return digits()


def digits():
    """Fit the default pipeline on digits; print accuracy and time."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(StandardScaler(), TwoLayerClassifier(random_state=0))
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    clf = model[-1]
    print(f"{clf!r} on digits ({len(X_train)} train, {len(X_test)} test samples)")
    print(f"  iterations: {clf.n_iter_}, final training loss: {clf.loss_:.4f}")
    print(f"  held-out accuracy: {model.score(X_test, y_test):.4f}")
    print(f"  fit time: {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
