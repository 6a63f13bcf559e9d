"""skbackprop: the lecture notes' two-layer network as a scikit-learn classifier."""

from ._classifier import TwoLayerClassifier
from ._onnx import onnx_inputs, register_onnx_converter, to_onnx
from ._plot import LossCurveDisplay

__version__ = "0.1.0"

__all__ = [
    "LossCurveDisplay",
    "TwoLayerClassifier",
    "__version__",
    "onnx_inputs",
    "register_onnx_converter",
    "to_onnx",
]
