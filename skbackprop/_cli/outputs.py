"""The files a run of ``python -m skbackprop`` writes, and when.

Each file is an `Output`: its option, its path, the suffixes its name may end
in, the function that writes it and, if needed, a check of what it takes
besides (an installed extra). `planned_outputs` lists them in the order they
are written: the model files first, so that a failing plot cannot lose a
trained model, the loss-curve plot last. `check_outputs` checks every output
before the data is read, the same way for each: it is no input of the run and
no other output, its name ends in one of its suffixes, and a file can really be
created in its folder; so a bad path fails at once rather than after the
search, and no file the user has is overwritten but the ones named as outputs.
`write_outputs` writes them once the search is done, each through
`atomic_path`, so that a failed write leaves the earlier file whole.

A new output is an entry of `planned_outputs`, its writer, and its option in
the "output" group of `options.build_parser`, which the entry names (a file in
the ``--output`` folder needs none: its name goes into that option's help).
"""

import contextlib
import functools
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import sklearn
from sklearn.base import is_regressor

from .._deploy import model_file as _model_file
from .._deploy.atomic import atomic_path, create_new, temporary_name
from .errors import InputError
from .task import network
from .text import listing, wrapped

LOSS_CURVE_PNG = "loss_curve.png"
CONFUSION_CSV = "confusion_matrix.csv"


@dataclass
class Output:
    """A file the run writes once the search is done.

    ``write(model, path, X)`` writes it from the best pipeline ``model``
    (``X``: the training features, for a writer that needs a sample of the
    input), through `atomic_path`, and returns the line to print.
    ``check(path)``, if given, raises an `InputError` when the file could not
    be written for a reason of its own (a missing extra). ``suffixes`` are the
    endings its name may have, in lower case. `check_outputs` tries all of
    it before the data is read.
    """

    option: str
    path: Path
    write: object
    check: object = None
    suffixes: tuple = field(kw_only=True)


def planned_outputs(args):
    """The files of the run, in the order they are written: the model files
    first, so that a failing plot cannot lose a trained model."""
    outputs = []
    if args.save_model is not None:
        outputs.append(
            Output(
                "--save-model",
                args.save_model,
                _save,
                _check_model_path,
                suffixes=tuple(_model_file.FORMATS),
            )
        )
    if args.export_onnx is not None:
        export = _export_onnx
        if getattr(args, "onnx_dtype", None) is not None:
            export = functools.partial(_export_onnx, dtype=args.onnx_dtype)
        outputs.append(
            Output(
                "--export-onnx",
                args.export_onnx,
                export,
                _check_onnx,
                suffixes=(".onnx",),
            )
        )
    outputs.append(
        Output(
            "--output",
            args.output / CONFUSION_CSV,
            write_confusion_matrix,
            suffixes=(".csv",),
        )
    )
    outputs.append(
        Output(
            "--output",
            args.output / LOSS_CURVE_PNG,
            _plot_loss_curve,
            suffixes=(".png",),
        )
    )
    return outputs


def check_outputs(outputs, inputs=()):
    """Every output can be written and overwrites nothing it should not.

    Checked before the data is read, so that a bad path fails at once rather
    than after the search: first that no output is an input or another output
    (``inputs``: the run's ``(option, path)`` input files, a path None being
    none), then, output by output, its own check, its suffix and its folder.
    """
    inputs = [(option, path) for option, path in inputs if path is not None]
    for i, output in enumerate(outputs):
        _check_kind(output.path, output.option)
        _check_apart(output, inputs, outputs[:i])
    for output in outputs:
        if output.check is not None:
            output.check(output.path)
        _check_suffix(output)
        try_writing(output.path, output.option)


def _check_apart(output, inputs, earlier):
    """``output`` is none of the ``inputs`` and none of the ``earlier`` outputs."""
    for option, path in inputs:
        if same_file(output.path, path):
            raise InputError(
                f"{output.option} {output.path} is the {option} file {path}: "
                "writing it would overwrite an input; give the output a path of "
                "its own"
            )
    for other in earlier:
        if same_file(output.path, other.path):
            raise InputError(
                f"{output.option} {output.path} is the same file as "
                f"{other.option} {other.path}: give each output a path of its own"
            )


def same_file(a, b):
    """Whether the paths ``a`` and ``b`` name one file: the same file when
    both exist (through links, hard or symbolic), else the same resolved
    path."""
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(
        os.path.realpath(b)
    )


def _check_kind(path, option):
    """``path`` is a regular file, or nothing yet; not a read-only file."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet; `try_writing` tries its folder
    except OSError as exc:
        raise InputError(
            f"{option} {path}: cannot be written: {exc.strerror or exc}"
        ) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{option} {path}: is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise InputError(
            f"{option} {path}: is not a regular file (a device, a pipe); give "
            "a path for a file"
        )
    if not os.access(path, os.W_OK):
        raise InputError(
            f"{option} {path}: is read-only; make it writable to replace it, or "
            "choose another path"
        )


def _check_suffix(output):
    if Path(output.path).suffix.lower() not in output.suffixes:
        raise InputError(
            f"{output.option} {output.path}: the file name must end in "
            f"{' or '.join(output.suffixes)}"
        )


def try_writing(path, option):
    """Create ``path``'s missing folders, a temporary file in its folder and,
    if it does not exist, ``path`` itself; remove all of them again.

    So a folder that cannot be created or written, and a name the file system
    refuses (too long, say), fail here, before any work. What did not exist
    before does not exist after, whether the check passes or fails: the
    folders are made again when the file is written.
    """
    target = Path(os.path.realpath(path))
    created = []
    try:
        _make_folders(target.parent, created, f"{option} {path}")
        create_new(temporary_name(target)).unlink()
        if not os.path.lexists(target):
            create_new(target).unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"{option} {path}: cannot be written: {reason}") from None
    finally:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _make_folders(folder, created, what):
    """Create ``folder`` and its missing parents, appending each to
    ``created``, outermost first; ``what`` names the output in an error."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{what}: {folder} is not a directory")
    for folder in reversed(missing):
        folder.mkdir()
        created.append(folder)


@contextlib.contextmanager
def folder_for(path):
    """Create the missing folders of the file ``path`` names, following a
    link, as ``mkdir -p`` does; yield the folder as the user named it if it
    was created (to say so), else None.

    When the body fails, or writes no file at ``path``, the folders created
    here are removed again: a failed or skipped write leaves no trace.
    """
    created = []
    real = Path(os.path.realpath(path))
    _make_folders(real.parent, created, str(path))
    try:
        yield shown_folder(path, real.parent) if created else None
    except BaseException:
        _remove(created)
        raise
    if not os.path.lexists(real):
        _remove(created)


def _remove(folders):
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def shown_folder(path, real):
    """The folder of ``path`` as the user wrote it, or ``real``, where a link
    points, when that is elsewhere."""
    named = Path(path).parent
    return named if os.path.realpath(named) == str(real) else real


def shown(path):
    """``path`` as the run prints it: a bare file name as ``./name``, so that
    a file written to the current folder says so."""
    path = Path(path)
    return f"{os.curdir}{os.sep}{path}" if path.parent == Path() else str(path)


def created_note(message, path, folder):
    """``message``, which reports writing ``path``, saying after the path
    that its ``folder`` was created (None: nothing was)."""
    if folder is None:
        return message
    before, path, after = message.partition(f" {shown(path)}")
    if not path:  # a message that names no file: nothing was written
        return message
    if after.startswith(" ("):  # one parenthesis, the note first
        return f"{before}{path} (created the folder {folder}; {after[2:]}"
    return f"{before}{path} (created the folder {folder}){after}"


def write_outputs(outputs, model, X):
    """Write every output in order, each reported on a line of its own that
    says when its folder was created; an error names the file and ends the
    run."""
    for output in outputs:
        try:
            with folder_for(output.path) as folder:
                message = output.write(model, output.path, X)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise InputError(f"cannot write {output.path}: {reason}") from None
        print(wrapped(created_note(message, output.path, folder)))


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
        f"Best pipeline saved to {shown(path)} (scikit-learn {sklearn.__version__}; "
        f"load it with {how})"
    )


def _check_onnx(path):
    """ONNX export needs the onnx extra."""
    from .._deploy.onnx import _skl2onnx

    try:
        _skl2onnx()
    except ImportError as exc:
        raise InputError(f"--export-onnx {path}: {exc}") from None


def _export_onnx(model, path, X, dtype=None):
    """The ONNX graph takes one input per column the pipeline reads: the
    columns it drops (identifier-like, empty, ``--drop``) are left out, as the
    predict command lets them be. ``dtype`` (``--onnx-dtype``) is the type
    of its numeric inputs, None for `to_onnx`'s default.

    A classifier's graph gives the labels and the probabilities as two
    arrays (``zipmap`` off); a regression pipeline's gives one output,
    ``variable``, the predictions in the target's units as a column of shape
    ``(n, 1)``."""
    from .._deploy.onnx import to_onnx

    if hasattr(X, "columns"):
        X = X[_columns_read(model[0])]
    regression = is_regressor(model)
    # zipmap is an option of classifiers: skl2onnx refuses it for a regressor
    options = {} if regression else {"zipmap": False}
    onx = to_onnx(model, X[:1], dtype=dtype, options=options)
    with atomic_path(path) as temporary:
        temporary.write_bytes(onx.SerializeToString())
    inputs = listing(i.name for i in onx.graph.input)
    precision = dtype or ("float32" if hasattr(X, "columns") else X.dtype)
    if regression:
        (output,) = (o.name for o in onx.graph.output)
        gives = f"predictions in the target's units, output {output!r} of shape (n, 1)"
    else:
        gives = "labels and probabilities"
    return (
        f"Best pipeline exported to {shown(path)} (ONNX, {precision}: {gives}; "
        f"inputs: {inputs})"
    )


def _columns_read(preprocess):
    """The columns a fitted ColumnTransformer passes to a transformer."""
    return [
        column
        for _, transformer, columns in preprocess.transformers_
        if transformer != "drop"
        for column in columns
    ]


def write_confusion_matrix(model, path, X=None, held_out=None):
    """The held-out confusion matrix in full: ``held_out`` is ``(y_test,
    y_pred)``, which the run binds once it has predicted the held-out set."""
    from .report import TABLE_CLASSES, write_confusion_matrix

    with atomic_path(path) as temporary:
        write_confusion_matrix(temporary, *held_out, model.classes_)
    n_classes = len(model.classes_)
    whole = f" (all {n_classes} classes)" if n_classes > TABLE_CLASSES else ""
    return f"Held-out confusion matrix{whole} written to {shown(path)}"


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

    from .._estimators.plot import LossCurveDisplay

    net = network(model)
    # A regressor is fitted to the standardized target, and its loss is of that.
    scaled = "\ntarget standardized" if net is not model[-1] else ""
    try:
        display = LossCurveDisplay.from_estimator(net)
        display.ax_.set_title(
            f"{type(net).__name__}(learning_rate={net.learning_rate}, "
            f"n_hidden={net.n_hidden}){scaled}"
        )
        with atomic_path(path) as temporary:
            # "tight": the picture grows to hold the whole title
            display.figure_.savefig(temporary, dpi=100, bbox_inches="tight")
    finally:
        plt.close("all")
    return f"Loss curve of the best model written to {shown(path)}"
