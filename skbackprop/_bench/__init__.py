"""``python -m skbackprop bench``: the benchmarks against MLPClassifier and
PyTorch, the defaults' table and the fit on a dask cluster."""
