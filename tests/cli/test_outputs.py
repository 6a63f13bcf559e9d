"""The files the command line writes: none is an input or another output, each
is checked before any work and written whole or not at all; pickles are loaded
only knowingly."""

import contextlib
import dataclasses
import errno
import io
import os
import stat
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from _helpers import ROOT, assert_readable, one_line_error, run, write_csv
from _optional import require
from hypothesis import event, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from skbackprop import load_model
from skbackprop.__main__ import main
from skbackprop._cli import main as _cli
from skbackprop._cli import outputs as _outputs
from skbackprop._cli.reading import InputError
from skbackprop._deploy import model_file as _model_file
from skbackprop._deploy.atomic import atomic_path

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# The smallest search: one candidate, two folds.
TINY = ["--cv", "2", "--n-hidden", "2", "--learning-rate", "1"]
TOO_LONG = "n" * 300  # longer than any file system's longest file name
FULL_DISK = OSError(errno.ENOSPC, "No space left on device")


def iris_rows(n=40):
    X, y = load_iris(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(y))[:n]
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return [[*X[i], names[i]] for i in rows]


def train_csv(folder, name="train.csv"):
    """A 40-row training file, labels in the last column."""
    return write_csv(Path(folder) / name, ["a", "b", "c", "d", "species"], iris_rows())


def tree(folder):
    """Everything under ``folder``: each file's bytes, each link's target and
    each directory, by relative path."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_dir():
            found[key] = ("dir",)
        else:
            found[key] = ("file", path.read_bytes())
    return found


@contextlib.contextmanager
def chdir(path):
    """Work in ``path`` for a while (contextlib.chdir, before Python 3.11)."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def temporaries(folder):
    return [p for p in Path(folder).rglob("*") if ".tmp-" in p.name]


@pytest.fixture
def no_work(monkeypatch):
    """Records whether the data was read or the search started."""
    done = []
    monkeypatch.setattr(_cli, "read_training_csv", lambda *a: done.append("read"))
    monkeypatch.setattr(_cli.GridSearchCV, "fit", lambda *a, **k: done.append("fit"))
    return done


def half_then_full_disk(real_write):
    """A writer that writes half of what ``real_write(path)`` writes, then
    fails as a full disk does."""

    def write(path):
        with tempfile.TemporaryDirectory() as scratch:
            whole = Path(scratch) / Path(path).name
            real_write(whole)
            data = whole.read_bytes()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        raise FULL_DISK

    return write


# ------------------------------------------------------------- atomic_path
def test_atomic_path_replaces_the_file_at_once(tmp_path):
    target = tmp_path / "m.bin"
    target.write_bytes(b"old")
    with atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".bin"
        assert temporary.exists() and target.read_bytes() == b"old"
        temporary.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.bin"]


@pytest.mark.parametrize("error", [FULL_DISK, KeyboardInterrupt()])
@pytest.mark.parametrize("existed", [True, False])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(
    tmp_path, error, existed
):
    target = tmp_path / "predictions.csv"
    if existed:
        target.write_bytes(b"a,b\n1,2\n" * 1000)
    before = tree(tmp_path)
    with pytest.raises(type(error)), atomic_path(target) as temporary:
        temporary.write_bytes(b"a,b\n3,")  # half a row, then the disk is full
        raise error
    assert tree(tmp_path) == before


def test_a_new_file_gets_the_mode_open_gives_and_a_replaced_one_keeps_its_own(
    tmp_path,
):
    (tmp_path / "by_open").write_bytes(b"")
    with atomic_path(tmp_path / "new") as temporary:
        temporary.write_bytes(b"x")
    mode = stat.S_IMODE((tmp_path / "by_open").stat().st_mode)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == mode

    kept = tmp_path / "kept"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    with atomic_path(kept) as temporary:
        temporary.write_bytes(b"new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "v1.skops"
    real.write_bytes(b"old")
    link = tmp_path / "current.skops"
    link.symlink_to(real)
    with atomic_path(link) as temporary:
        temporary.write_bytes(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_the_temporary_name_of_a_long_name_fits(tmp_path):
    target = tmp_path / ("m" * 249 + ".skops")  # 255 bytes, the usual most
    with atomic_path(target) as temporary:
        temporary.write_bytes(b"x")
    assert target.read_bytes() == b"x"


# ------------------------------------------- checks before any work (training)
@pytest.fixture
def in_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["--export-onnx", "train.csv"],
        ["--export-onnx", "{dir}/train.csv"],
        ["--export-onnx", "./sub/../train.csv"],
        ["--export-onnx", "link.onnx"],  # a link to the data
        ["--export-onnx", "hard.onnx"],  # a hard link to the data
        ["--save-model", "train.csv"],
        ["--save-model", "data.skops", "--data", "data.skops"],
        ["--save-model", "m.skops", "--export-onnx", "TRAIN.csv"],
    ],
)
def test_an_output_is_never_the_data(in_folder, capsys, no_work, argv):
    train_csv(in_folder)
    (in_folder / "sub").mkdir()
    (in_folder / "link.onnx").symlink_to("train.csv")
    os.link(in_folder / "train.csv", in_folder / "hard.onnx")
    if "TRAIN.csv" in argv:  # the data under another name, on any file system
        os.link(in_folder / "train.csv", in_folder / "TRAIN.csv")
    if "data.skops" in argv:  # a CSV file named like a model
        os.link(in_folder / "train.csv", in_folder / "data.skops")
    argv = [a.format(dir=in_folder) for a in argv]
    if "--data" not in argv:
        argv = ["--data", "train.csv", *argv]
    before = tree(in_folder)
    status, out, err = run(argv, capsys)
    one_line_error(status, err, "is the --data file", "overwrite an input")
    assert out == "" and no_work == []
    assert tree(in_folder) == before


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--save-model", "m.skops", "--export-onnx", "m.skops"],
         "--export-onnx m.skops is the same file as --save-model m.skops"),
        (["--export-onnx", "m.skops", "--save-model", "m.skops"],
         "--export-onnx m.skops is the same file as --save-model m.skops"),
        (["--export-onnx", "m.onnx", "--save-model", "./m.onnx"],
         "--export-onnx m.onnx is the same file as --save-model m.onnx"),
        (["--export-onnx", "plots/loss_curve.png", "--output", "plots"],
         "--output plots/loss_curve.png is the same file as --export-onnx"),
        (["--output", "{dir}", "--save-model", "loss_curve.png"],
         "loss_curve.png is the same file as --save-model loss_curve.png"),
        (["--export-onnx", "old.onnx", "--save-model", "same.skops"],
         "--export-onnx old.onnx is the same file as --save-model same.skops"),
    ],
)  # fmt: skip
def test_outputs_never_collide(in_folder, capsys, no_work, argv, fragment):
    train_csv(in_folder)
    (in_folder / "old.onnx").write_bytes(b"an earlier export")
    (in_folder / "same.skops").symlink_to("old.onnx")
    argv = ["--data", "train.csv", *(a.format(dir=in_folder) for a in argv)]
    before = tree(in_folder)
    status, out, err = run(argv, capsys)
    one_line_error(status, err, fragment, "give each output a path of its own")
    assert out == "" and no_work == []
    assert tree(in_folder) == before


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--export-onnx", "m.csv"], "--export-onnx m.csv: the file name must end"),
        (["--export-onnx", "m"], "--export-onnx m: the file name must end in .onnx"),
        (["--export-onnx", "m.onnx.bak"], "must end in .onnx"),
        (["--save-model", "m.onnx"], "--save-model m.onnx: a model file ends in"),
        (["--save-model", "m.pkl"], ".skops or .joblib"),
    ],
)  # fmt: skip
def test_an_output_has_the_suffix_of_its_format(in_folder, capsys, no_work, argv,
                                                 fragment):  # fmt: skip
    train_csv(in_folder)
    status, out, err = run(["--data", "train.csv", *argv], capsys)
    one_line_error(status, err, fragment)
    assert out == "" and no_work == []
    assert sorted(os.listdir(in_folder)) == ["train.csv"]


@pytest.mark.parametrize(
    "argv, option",
    [
        (["--save-model", f"new/a/{TOO_LONG}.skops"], "--save-model"),
        (["--export-onnx", f"new/{TOO_LONG}/m.onnx"], "--export-onnx"),
        (["--output", f"new/a/{TOO_LONG}"], "--output"),
        (["--save-model", "new/m.skops", "--output", TOO_LONG], "--output"),
        (["--export-onnx", "/proc/m.onnx"], "--export-onnx"),
        (["--export-onnx", "/proc/new/m.onnx"], "--export-onnx"),
    ],
)
def test_a_path_that_cannot_be_created_fails_before_the_search(
    in_folder, capsys, no_work, argv, option
):
    """Tried for real: a folder and a file are created, and removed again."""
    train_csv(in_folder)
    status, out, err = run(["--data", "train.csv", *argv], capsys)
    one_line_error(status, err, option, "cannot be written")
    assert out == "" and no_work == []
    assert sorted(os.listdir(in_folder)) == ["train.csv"]  # no folder left


def test_a_checked_path_leaves_no_folder_when_a_later_step_fails(in_folder, capsys):
    """Folders are made when a file is written: a run that fails on its data
    leaves no empty folders."""
    train_csv(in_folder)
    status, _, err = run(
        ["--data", "train.csv", "--target", "colour", "--save-model",
         "new/a/m.skops", "--output", "plots/new"], capsys
    )  # fmt: skip
    one_line_error(status, err, "no column 'colour'")
    assert sorted(os.listdir(in_folder)) == ["train.csv"]


def test_an_existing_output_that_is_no_regular_file_is_refused(in_folder, capsys,
                                                                no_work):  # fmt: skip
    train_csv(in_folder)
    os.mkfifo(in_folder / "pipe.onnx")
    status, _, err = run(["--data", "train.csv", "--export-onnx", "pipe.onnx"], capsys)
    one_line_error(status, err, "--export-onnx pipe.onnx: is not a regular file")
    status, _, err = run(["--data", "train.csv", "--export-onnx", os.devnull], capsys)
    one_line_error(status, err, "is not a regular file")
    assert no_work == []


def every_output():
    """The outputs of a run with every output option."""
    args = _cli._parser().parse_args(
        ["--save-model", "m.skops", "--export-onnx", "m.onnx", "--output", "plots"]
    )
    return _outputs.planned_outputs(args)


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda out, data, other: data, "overwrite an input"),
        (lambda out, data, other: other, "give each output a path of its own"),
        (lambda out, data, other: out.with_suffix(".bak"), "must end in|ends in"),
        (lambda out, data, other: out.parent / TOO_LONG / out.name,
         "cannot be written"),
        (lambda out, data, other: data / out.name, "is not a directory"),
    ],
)  # fmt: skip
def test_every_planned_output_gets_every_check(in_folder, edit, fragment):
    """A new output gets the checks by being one entry of `planned_outputs`."""
    data = train_csv(in_folder)
    outputs = every_output()
    for i, output in enumerate(outputs):
        other = outputs[(i + 1) % len(outputs)].path
        edited = dataclasses.replace(output, path=edit(output.path, data, other))
        changed = [*outputs[:i], edited, *outputs[i + 1 :]]
        with pytest.raises(InputError, match=fragment) as info:
            _outputs.check_outputs(changed, inputs=[("--data", data)])
        assert output.option in str(info.value)
    _outputs.check_outputs(outputs, inputs=[("--data", data)])
    assert sorted(os.listdir(in_folder)) == ["train.csv"]


# ------------------------------------------------ writes, whole or not at all
def test_every_output_replaces_its_file_rather_than_writing_in_it(in_folder, capsys):
    """An earlier file's other name still shows the earlier bytes: each file was
    written apart and renamed into place."""
    require("onnx")
    train_csv(in_folder)
    outputs = every_output()
    for output in outputs:
        output.path.parent.mkdir(exist_ok=True)
        output.path.write_bytes(b"earlier")
        os.link(output.path, in_folder / f"{output.path.name}.earlier")
    status, _, err = run(
        ["--data", "train.csv", *TINY, "--save-model", "m.skops",
         "--export-onnx", "m.onnx", "--output", "plots"], capsys
    )  # fmt: skip
    assert status == 0, err
    for output in outputs:
        assert (in_folder / f"{output.path.name}.earlier").read_bytes() == b"earlier"
        assert output.path.read_bytes() != b"earlier"
    assert temporaries(in_folder) == []


def test_a_link_to_a_file_in_a_new_folder_is_written_through(in_folder, capsys):
    train_csv(in_folder)
    (in_folder / "current.joblib").symlink_to("models/v2/m.joblib")
    status, _, err = run(["--data", "train.csv", *TINY, "--save-model",
                          "current.joblib"], capsys)  # fmt: skip
    assert status == 0, err
    assert (in_folder / "current.joblib").is_symlink()
    assert hasattr(joblib.load(in_folder / "models/v2/m.joblib"), "predict")


def test_missing_folders_are_created_and_said_on_the_files_line(in_folder, capsys):
    require("matplotlib")
    train_csv(in_folder)
    (in_folder / "old").mkdir()
    status, out, err = run(["--data", "train.csv", *TINY, "--save-model",
                            "nodir/sub/m.joblib", "--output", "plots/new"],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert (in_folder / "nodir/sub/m.joblib").is_file()
    text = " ".join(out.split())
    assert (
        "Best pipeline saved to nodir/sub/m.joblib (created the folder nodir/sub; "
        "scikit-learn"
    ) in text
    assert (
        "Held-out confusion matrix written to plots/new/confusion_matrix.csv "
        "(created the folder plots/new)"
    ) in text
    # said once: the plot goes to the folder made for the matrix
    assert text.count("created the folder") == 2
    assert "Loss curve of the best model written to plots/new/loss_curve.png" in text
    status, out, err = run(["--data", "train.csv", *TINY, "--save-model",
                            "old/m.joblib", "--output", "plots/new"],
                           capsys)  # fmt: skip
    assert status == 0 and "created the folder" not in out, err


def test_files_of_the_current_folder_say_so(in_folder, capsys):
    require("matplotlib")
    train_csv(in_folder)
    status, out, err = run(["--data", "train.csv", *TINY, "--save-model",
                            "m.joblib"], capsys)  # fmt: skip
    assert status == 0, err
    assert "Best pipeline saved to ./m.joblib (scikit-learn" in out
    assert "Held-out confusion matrix written to ./confusion_matrix.csv\n" in out
    assert "Loss curve of the best model written to ./loss_curve.png\n" in out


def test_a_failed_write_leaves_no_folder_it_created(in_folder, capsys, monkeypatch):
    train_csv(in_folder)
    before = tree(in_folder)
    model_writer_fails(monkeypatch, ".joblib")
    status, _, err = run(["--data", "train.csv", *TINY, "--output", "plots",
                          "--save-model", "new/sub/m.joblib"], capsys)  # fmt: skip
    one_line_error(status, err, "cannot write new/sub/m.joblib: No space left")
    assert tree(in_folder) == before


def test_no_folder_is_created_for_a_plot_that_is_not_drawn(in_folder, capsys):
    """Without matplotlib the plot is skipped; were it the only file of a new
    folder, no empty folder would stay behind."""
    output = _outputs.Output(
        "--output", in_folder / "new/loss_curve.png",
        lambda model, path, X: "No loss-curve plot", suffixes=(".png",),
    )  # fmt: skip
    _outputs.write_outputs([output], None, None)
    assert not (in_folder / "new").exists()
    assert capsys.readouterr().out == "No loss-curve plot\n"


def test_long_paths_and_many_inputs_stay_within_the_width(in_folder, capsys):
    require("onnx")
    header = [f"column_{i}" for i in range(12)]
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=12).round(3), "ab"[i % 2]] for i in range(40)]
    write_csv(in_folder / "wide.csv", [*header, "y"], rows)
    folder = "/".join(["a folder with a rather long name"] * 3)
    status, out, err = run(["--data", "wide.csv", *TINY, "--output", folder,
                            "--save-model", f"{folder}/m.joblib",
                            "--export-onnx", f"{folder}/m.onnx"],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert assert_readable(out + err) is None
    assert f"{folder}/m.onnx (created the folder" not in " ".join(out.split())
    assert "... (12 in all))" in out


def model_writer_fails(monkeypatch, suffix):
    save, load, how = _model_file.FORMATS[suffix]

    def failing(model, path):
        half_then_full_disk(lambda whole: save(model, whole))(path)

    monkeypatch.setitem(_model_file.FORMATS, suffix, (failing, load, how))


def onnx_writer_fails(monkeypatch, suffix):
    real = Path.write_bytes

    def write_bytes(self, data):
        if self.suffix != ".onnx":
            return real(self, data)
        half_then_full_disk(lambda whole: real(whole, data))(self)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


def confusion_writer_fails(monkeypatch, suffix):
    from skbackprop._cli import report as _cli_report

    real = _cli_report.write_confusion_matrix

    def write(path, *args):
        half_then_full_disk(lambda whole: real(whole, *args))(path)

    monkeypatch.setattr(_cli_report, "write_confusion_matrix", write)


def plot_writer_fails(monkeypatch, suffix):
    from matplotlib.figure import Figure

    real = Figure.savefig

    def savefig(self, path, **kwargs):
        half_then_full_disk(lambda whole: real(self, whole, **kwargs))(path)

    monkeypatch.setattr(Figure, "savefig", savefig)


@pytest.mark.parametrize(
    "fail, option, path",
    [
        (model_writer_fails, "--save-model", "m.skops"),
        (model_writer_fails, "--save-model", "models/m.joblib"),
        (onnx_writer_fails, "--export-onnx", "m.onnx"),
        (confusion_writer_fails, "--output", "confusion_matrix.csv"),
        (plot_writer_fails, "--output", "loss_curve.png"),
    ],
)
def test_a_failed_write_after_the_search_keeps_the_earlier_file(
    in_folder, capsys, monkeypatch, fail, option, path
):
    if option == "--export-onnx":
        require("onnx")
    train_csv(in_folder)
    earlier = in_folder / path
    earlier.parent.mkdir(exist_ok=True)
    earlier.write_bytes(os.urandom(5000))
    before = tree(in_folder)
    fail(monkeypatch, earlier.suffix)
    argv = ["--data", "train.csv", *TINY]
    if option != "--output":
        argv += [option, path]
    status, _, err = run(argv, capsys)
    one_line_error(status, err, "cannot write", path, "No space left on device")
    after = tree(in_folder)
    assert after[path] == before[path]
    assert temporaries(in_folder) == []
    if option == "--output":  # the only outputs here: the plot is written last
        written = {name for name in after if name not in before}
        assert written <= {"confusion_matrix.csv"}
        assert {name: after[name] for name in before} == before


# ------------------------------------------------------------------ predict
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A model trained by the command line, as .skops and as .joblib."""
    require("skops")
    folder = tmp_path_factory.mktemp("models")
    data = train_csv(folder)
    skops_file = folder / "m.skops"
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["--data", str(data), *TINY, "--output", str(folder),
                       "--save-model", str(skops_file)])  # fmt: skip
    assert status == 0
    joblib_file = folder / "m.joblib"
    joblib.dump(load_model(skops_file), joblib_file)
    return data, skops_file, joblib_file


@pytest.fixture
def predict_folder(models, tmp_path, monkeypatch):
    """A folder holding the data and both models, as the current directory."""
    for path in models:
        os.link(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--data", "train.csv", "--output", "train.csv"], "is the --data file"),
        (["--output", "train.csv", "--data", "train.csv"], "is the --data file"),
        (["--data", "train.csv", "--output", "{dir}/train.csv"], "is the --data file"),
        (["--data", "{dir}/train.csv", "--output", "train.csv"], "is the --data file"),
        (["--data", "train.csv", "--output", "link.csv"], "is the --data file"),
        (["--data", "train.csv", "--output", "hard.txt"], "is the --data file"),
        (["--data", "train.csv", "--output", "m.skops"], "is the --model file"),
        (["--data", "train.csv", "--output", "p.tsv"], "must end in .csv or .txt"),
        (["--data", "train.csv", "--output", "p.csv.gz"], "must end in .csv or .txt"),
        (["--data", "train.csv", "--output", "p"], "must end in .csv or .txt"),
        (["--data", "train.csv", "--output", f"new/{TOO_LONG}.csv"],
         "cannot be written"),
        (["--data", "train.csv", "--output", "/proc/p.csv"], "cannot be written"),
    ],
)  # fmt: skip
def test_predict_never_overwrites_its_input_and_checks_before_loading(
    predict_folder, capsys, monkeypatch, argv, fragment
):
    (predict_folder / "link.csv").symlink_to("train.csv")
    os.link(predict_folder / "train.csv", predict_folder / "hard.txt")
    loaded = []
    monkeypatch.setattr(_model_file, "load_model", lambda *a, **k: loaded.append(1))
    before = tree(predict_folder)
    argv = [a.format(dir=predict_folder) for a in argv]
    status, out, err = run(["predict", "--model", "m.skops", *argv], capsys)
    one_line_error(status, err, "--output", fragment)
    assert out == "" and loaded == []
    assert tree(predict_folder) == before


@pytest.mark.parametrize("name", ["p.csv", "P.CSV", "p.txt", "out/new/p.csv"])
def test_predict_writes_predictions_to_csv_and_txt_files(predict_folder, capsys,
                                                          name):  # fmt: skip
    pd = require("pandas")
    status, out, err = run(["predict", "--model", "m.skops", "--data", "train.csv",
                            "--output", name], capsys)  # fmt: skip
    assert status == 0, err
    assert len(pd.read_csv(predict_folder / name)) == 40
    assert temporaries(predict_folder) == []
    folder = os.path.dirname(name)
    line = f"Predictions for 40 rows written to {name if folder else './' + name}"
    if folder:
        line += f" (created the folder {folder})"
    assert f"{line}\n" in out


@pytest.mark.parametrize("existed", [True, False])
def test_a_failed_predict_keeps_the_earlier_predictions(
    predict_folder, capsys, monkeypatch, existed
):
    pd = require("pandas")
    earlier = predict_folder / "p.csv"
    if existed:
        earlier.write_text("name,prediction\n" + "x,setosa\n" * 500)
    before = tree(predict_folder)
    real = pd.DataFrame.to_csv

    def to_csv(self, path, **kwargs):
        half_then_full_disk(lambda whole: real(self, whole, **kwargs))(path)

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    status, _, err = run(["predict", "--model", "m.skops", "--data", "train.csv",
                          "--output", "p.csv"], capsys)  # fmt: skip
    one_line_error(status, err, "cannot write p.csv", "No space left on device")
    assert tree(predict_folder) == before


class RunsCode:
    """A pickle that creates a folder when it is loaded: any code could run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.mark.parametrize("order", ["model first", "data first"])
def test_predict_loads_a_pickle_only_when_trusted(predict_folder, capsys, order):
    marker = predict_folder / "code_ran"
    joblib.dump(RunsCode(marker), predict_folder / "shady.joblib")
    options = [["--model", "shady.joblib"], ["--data", "train.csv"]]
    if order == "data first":
        options.reverse()
    argv = ["predict", *options[0], *options[1]]
    status, out, err = run(argv, capsys)
    one_line_error(status, err, "--model shady.joblib is a pickle",
                   "runs whatever code", "--trust-pickle", ".skops")  # fmt: skip
    assert not marker.exists() and out == ""

    # Trusted, it is loaded, and its code runs: the warning is no figure of speech.
    status, _, err = run([*argv, "--trust-pickle"], capsys)
    assert marker.is_dir()
    one_line_error(status, err, "not a classifier or regressor fitted on named columns")


def test_predict_with_a_trusted_joblib_model(predict_folder, capsys):
    status, out, err = run(["predict", "--trust-pickle", "--model", "m.joblib",
                            "--data", "train.csv"], capsys)  # fmt: skip
    assert status == 0, err
    assert out.startswith("a,b,c,d,species,prediction")


def test_load_model_refuses_a_pickle_with_allow_pickle_false(tmp_path):
    marker = tmp_path / "code_ran"
    joblib.dump(RunsCode(marker), tmp_path / "shady.joblib")
    with pytest.raises(ValueError, match="is a pickle .* allow_pickle=True"):
        load_model(tmp_path / "shady.joblib", allow_pickle=False)
    assert not marker.exists()
    load_model(tmp_path / "shady.joblib")  # by default, as before: it is documented
    assert marker.is_dir()


def test_help_readme_and_docstring_say_that_pickles_run_code(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ".joblib (a pickle: loading it runs code from the file" in text
    assert (
        "--trust-pickle load a .joblib model: .joblib and .pkl files are pickles, "
        "and loading one runs whatever code the file holds" in text
    )
    doc = " ".join(load_model.__doc__.split())
    assert "``.joblib`` and ``.pkl`` files are pickles: loading one runs code" in doc
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`.joblib` and `.pkl` files are pickles" in readme
    assert "--trust-pickle" in readme


# ----------------------------------------------------------- the property
EXISTING = {
    "train.csv": None,  # the data
    "old.skops": b"an earlier model",
    "old.onnx": b"an earlier export",
    "notes.txt": b"the user's notes",
    "sub/loss_curve.png": b"an earlier plot",
}
LINKS = {"link.onnx": "train.csv", "sub/link.skops": "../old.skops"}
MODEL_PATHS = ["train.csv", "old.skops", "new.skops", "m.joblib", "deep/er/m.skops",
               "old.onnx", "link.onnx", "sub/link.skops", "notes.txt",
               "sub/loss_curve.png", "sub", "m.pkl"]  # fmt: skip
ONNX_PATHS = ["train.csv", "old.onnx", "new.onnx", "deep/er/m.onnx", "link.onnx",
              "old.skops", "sub/loss_curve.png", "deep/er/m.skops",
              "m.onnx"]  # fmt: skip
OUTPUT_DIRS = [".", "sub", "deep/plots", "train.csv", "notes.txt/x", "deep/er"]


def spelled(folder, path, how):
    """``path`` written another way: as given, absolute, or through ``..``."""
    return {"as is": path, "absolute": str(folder / path),
            "dotted": f"sub/../{path}"}[how]  # fmt: skip


def make_folder(folder):
    for name, data in EXISTING.items():
        (folder / name).parent.mkdir(exist_ok=True)
        if data is None:
            train_csv(folder, name)
        else:
            (folder / name).write_bytes(data)
    for name, target in LINKS.items():
        (folder / name).symlink_to(target)


def is_whole(path):
    """The file loads as what its suffix says."""
    if path.suffix in (".skops", ".joblib"):
        return hasattr(load_model(path), "predict")
    if path.suffix == ".onnx":
        import onnx

        onnx.checker.check_model(onnx.load(path))
        return True
    from matplotlib.image import imread

    return imread(path).ndim == 3


@settings(max_examples=max(1, round(settings.default.max_examples * 0.15)))
@given(
    model=st.none() | st.sampled_from(MODEL_PATHS),
    onnx_path=st.none() | st.sampled_from(ONNX_PATHS),
    output=st.none() | st.sampled_from(OUTPUT_DIRS),
    how=st.sampled_from(["as is", "absolute", "dotted"]),
    order=st.permutations(range(5)),
)
def test_no_file_but_a_declared_output_ever_changes(model, onnx_path, output, how,
                                                    order):  # fmt: skip
    require("onnx")
    with tempfile.TemporaryDirectory() as name, chdir(name):
        folder = Path(name).resolve()
        make_folder(folder)
        options = [["--data", spelled(folder, "train.csv", how)], TINY]
        for option, path in [("--save-model", model), ("--export-onnx", onnx_path),
                             ("--output", output)]:  # fmt: skip
            options.append([] if path is None else [option, spelled(folder, path, how)])
        argv = [a for i in order for a in options[i]]
        # Only new files, each of its own name and suffix: the run must succeed.
        fresh = model in {"new.skops", "m.joblib", "deep/er/m.skops", None} and (
            onnx_path in {"new.onnx", "m.onnx", None}
            and output in {".", "deep/plots", None}
        )
        before = tree(folder)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(argv)
        after = tree(folder)
        event(f"exit status {status}")
        declared = {p for p in (model, onnx_path) if p is not None}
        declared.add(os.path.join(output or ".", "loss_curve.png"))
        declared = {os.path.normpath(os.path.realpath(p)) for p in declared}
        if status != 0:
            assert not fresh, err.getvalue()
            assert after == before, err.getvalue()
            assert len(err.getvalue().strip().splitlines()) == 1
            return
        for key, value in before.items():
            if os.path.realpath(key) not in declared:
                assert after[key] == value, key
        for path in declared:
            assert is_whole(Path(path)), path
        assert temporaries(folder) == []
