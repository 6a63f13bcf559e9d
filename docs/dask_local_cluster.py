"""Fit one TwoLayerClassifier on data spread over a dask cluster.

Runs as it is: ``python dask_local_cluster.py`` (needs the dask extra,
``pip install 'skbackprop[dask]'``). A LocalCluster stands in for a real one:
with ``Client("tcp://scheduler:8786")`` the same code runs on many machines.
"""

import dask.array as da
from distributed import Client, LocalCluster

from skbackprop import TwoLayerClassifier


def labels(block):
    """Two classes, split by a curve in the first two columns."""
    return (block[:, 0] ** 2 + block[:, 1] > 0.5).astype(int)


if __name__ == "__main__":  # worker processes import this file
    with (
        LocalCluster(n_workers=2, threads_per_worker=1) as cluster,
        Client(cluster) as client,
    ):
        # 40,000 rows in 8 chunks, made on the workers: the data never
        # passes through this process.
        X = da.random.RandomState(0).standard_normal((40_000, 20), chunks=5_000)
        y = X.map_blocks(labels, drop_axis=1, dtype=int)
        X, y = client.persist([X, y])  # computed once, kept on the workers

        clf = TwoLayerClassifier(
            n_hidden=8, solver="lbfgs", max_iter=200, random_state=0
        )
        clf.fit(X, y)  # each chunk's loss and gradient on its worker

        # An ordinary fitted estimator, with NumPy weights:
        print(type(clf.coefs_[0]).__name__, clf.coefs_[0].shape)
        print(f"{clf.n_iter_} L-BFGS iterations, training loss {clf.loss_:.3f}")

        # Predictions on dask input are dask arrays, computed chunk by chunk:
        proba = clf.predict_proba(X)
        print(type(proba).__name__, proba.shape, proba.numblocks)
        accuracy = (clf.predict(X) == y).mean().compute()
        print(f"training accuracy {accuracy:.3f}")
