"""Fitted models outside the process: ``.skops`` model files and ONNX export."""
