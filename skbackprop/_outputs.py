"""The files a run of ``python -m skbackprop`` writes, and when.

Each file is an `Output`: its option, its path, the function that writes it
and, if needed, a check of what it takes besides a writable path (a suffix
that names a model format, an installed extra). `planned_outputs` lists them
in the order they are written: the model files first, so that a failing plot
cannot lose a trained model, the loss-curve plot last. `check_outputs` tries
every path and check before the data is read, so that a bad path fails at
once rather than after the search; `write_outputs` writes them once the
search is done. A new output is one entry of `planned_outputs` and its writer.
"""

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import sklearn

from . import _model_file
from ._csv import InputError

LOSS_CURVE_PNG = "loss_curve.png"


@dataclass
class Output:
    """A file the run writes once the search is done.

    ``write(model, path, X)`` writes it from the best pipeline ``model``
    (``X``: the training features, for a writer that needs a sample of the
    input) and returns the line to print. ``check(path)``, if given, raises
    an `InputError` when the file could not be written: a suffix that names
    no format, a missing extra. Both the path and the check are tried before
    the data is read.
    """

    option: str
    path: Path
    write: object
    check: object = None


def planned_outputs(args):
    """The files of the run, in the order they are written: the model files
    first, so that a failing plot cannot lose a trained model."""
    outputs = []
    if args.save_model is not None:
        outputs.append(
            Output("--save-model", args.save_model, _save, _check_model_path)
        )
    if args.export_onnx is not None:
        export = _export_onnx
        if getattr(args, "onnx_dtype", None) is not None:
            export = functools.partial(_export_onnx, dtype=args.onnx_dtype)
        outputs.append(Output("--export-onnx", args.export_onnx, export, _check_onnx))
    outputs.append(Output("--output", args.output / LOSS_CURVE_PNG, _plot_loss_curve))
    return outputs


def check_outputs(outputs):
    """Every output path can be written: checked before the search, so that a
    bad path fails at once rather than after the search."""
    for output in outputs:
        check_writable(output.path, output.option)
        if output.check is not None:
            output.check(output.path)


def check_writable(path, option):
    """``path`` is a file that can be created or overwritten: its nearest
    existing ancestor is a writable directory. Nothing is created."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory, not a file")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"{option} {path}: {ancestor} is not a directory")
    writable = os.access(ancestor, os.W_OK | os.X_OK)
    if not writable or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{option} {path}: permission denied")


def write_outputs(outputs, model, X):
    """Write every output in order; an error names the file and ends the run."""
    for output in outputs:
        try:
            output.path.parent.mkdir(parents=True, exist_ok=True)
            message = output.write(model, output.path, X)
        except OSError as exc:
            raise InputError(f"cannot write {output.path}: {exc}") from None
        print(message)


def _check_model_path(path):
    """The suffix names a model format, whose extra is installed."""
    try:
        if _model_file.model_format(path) == ".skops":
            _model_file._skops()
    except (ValueError, ImportError) as exc:
        raise InputError(f"--save-model {exc}") from None


def _save(model, path, X=None):
    _model_file.save_model(model, path)
    how = _model_file.FORMATS[_model_file.model_format(path)][2]
    return (
        f"Best pipeline saved to {path} (scikit-learn {sklearn.__version__}; "
        f"load it with {how})"
    )


def _check_onnx(path):
    """ONNX export needs the onnx extra."""
    from ._onnx import _skl2onnx

    try:
        _skl2onnx()
    except ImportError as exc:
        raise InputError(f"--export-onnx {path}: {exc}") from None


def _export_onnx(model, path, X, dtype=None):
    """The ONNX graph takes one input per column the pipeline reads: the
    columns it drops (identifier-like, empty, ``--drop``) are left out, as the
    predict command lets them be. ``dtype`` (``--onnx-dtype``) is the type
    of its numeric inputs, None for `to_onnx`'s default."""
    from ._onnx import to_onnx

    if hasattr(X, "columns"):
        X = X[_columns_read(model[0])]
    onx = to_onnx(model, X[:1], dtype=dtype, options={"zipmap": False})
    path.write_bytes(onx.SerializeToString())
    inputs = ", ".join(i.name for i in onx.graph.input)
    precision = dtype or ("float32" if hasattr(X, "columns") else X.dtype)
    return (
        f"Best pipeline exported to {path} (ONNX, {precision}: labels and "
        f"probabilities; inputs: {inputs})"
    )


def _columns_read(preprocess):
    """The columns a fitted ColumnTransformer passes to a transformer."""
    return [
        column
        for _, transformer, columns in preprocess.transformers_
        if transformer != "drop"
        for column in columns
    ]


def _plot_loss_curve(model, path, X=None):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return (
            "No loss-curve plot: matplotlib is not installed "
            "(pip install 'skbackprop[plot]')."
        )
    import matplotlib.pyplot as plt

    from ._plot import LossCurveDisplay

    try:
        display = LossCurveDisplay.from_estimator(model)
        net = model[-1]
        display.ax_.set_title(
            f"TwoLayerClassifier(learning_rate={net.learning_rate}, "
            f"n_hidden={net.n_hidden})"
        )
        display.figure_.savefig(path, dpi=100)
    finally:
        plt.close("all")
    return f"Loss curve of the best model written to {path}"
