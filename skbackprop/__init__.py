"""skbackprop: the lecture notes' two-layer network as a scikit-learn classifier
and regressor."""

from ._deploy.model_file import TRUSTED_TYPES, load_model
from ._deploy.onnx import onnx_inputs, register_onnx_converter, to_onnx
from ._estimators.classifier import TwoLayerClassifier
from ._estimators.devices import move_to
from ._estimators.plot import LossCurveDisplay
from ._estimators.regressor import TwoLayerRegressor

__version__ = "0.1.0"

__all__ = [
    "TRUSTED_TYPES",
    "LossCurveDisplay",
    "TwoLayerClassifier",
    "TwoLayerRegressor",
    "__version__",
    "load_model",
    "move_to",
    "onnx_inputs",
    "register_onnx_converter",
    "to_onnx",
]
