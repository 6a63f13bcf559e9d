"""Where the estimator lived before the package's layer folders, kept because pickles
and ``.skops`` files written then name this module: it re-exports
`TwoLayerClassifier` from `skbackprop._estimators.classifier`."""

from ._estimators.classifier import TwoLayerClassifier

__all__ = ["TwoLayerClassifier"]
