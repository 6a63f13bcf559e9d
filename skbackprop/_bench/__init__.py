"""``python -m skbackprop bench``: the benchmarks against MLPClassifier,
MLPRegressor and PyTorch, the defaults' tables of both estimators and the fit
on a dask cluster."""
