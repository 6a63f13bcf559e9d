"""The main job, `python -m skbackprop`: options, reports, files and errors."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris

from skbackprop import _cli
from skbackprop.__main__ import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def iris_csv(tmp_path):
    """Iris with string labels in the middle column."""
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    rows = [[*x[:2], name, *x[2:]] for x, name in zip(X, names, strict=True)]
    header = ["sepal length", "sepal width", "species", "petal length", "petal width"]
    return write_csv(tmp_path / "iris.csv", header, rows)


def run(argv, capsys):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_csv_run_prints_table_best_params_accuracy_and_confusion_matrix(
    iris_csv, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    model_path = tmp_path / "models" / "best.joblib"
    status, out, err = run(
        [
            "--data", iris_csv, "--target", "species",
            "--learning-rate", "0.5,2", "--n-hidden", "2", "8",
            "--cv", "2", "--output", tmp_path / "plots",
            "--save-model", model_path,
        ],
        capsys,
    )  # fmt: skip

    assert status == 0, err
    assert "on iris.csv" in out
    assert "112 training samples, 38 held out, 4 features, 3 classes" in out
    assert "4 candidates x 2 folds = 8 fits" in out
    # One table row per candidate: rank, learning_rate, n_hidden, mean ± std, time.
    table = re.findall(
        r"^\s*(\d)\s+(\S+)\s+(\d+)\s+([\d.]+) ± ([\d.]+)\s+[\d.]+ s$", out, re.M
    )
    assert sorted((lr, h) for _, lr, h, _, _ in table) == [
        ("0.5", "2"), ("0.5", "8"), ("2.0", "2"), ("2.0", "8")
    ]  # fmt: skip
    assert [rank for rank, *_ in table] == sorted(rank for rank, *_ in table)
    best_lr, best_h = table[0][1], table[0][2]
    assert f"Best parameters: learning_rate={best_lr}, n_hidden={best_h}" in out

    # The saved model is the refitted best pipeline; the printed held-out
    # accuracy and confusion matrix are its own on the held-out split.
    model = joblib.load(model_path)
    net = model[-1]
    assert (str(net.learning_rate), str(net.n_hidden)) == (best_lr, best_h)
    X, y = _cli.read_csv(iris_csv, "species")
    _, X_test, _, y_test = _cli.split(X, y, cv=2, random_state=0)
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert accuracy == pytest.approx(model.score(X_test, y_test), abs=5e-5)
    assert accuracy > 0.85
    matrix = re.search(r"predicted class\):\n(.*?)\n\n", out, re.S).group(1)
    lines = matrix.splitlines()
    assert lines[0].split() == ["setosa", "versicolor", "virginica"]
    counts = np.array([line.split()[1:] for line in lines[1:]], dtype=int)
    assert counts.sum() == len(y_test)
    assert np.trace(counts) == round(accuracy * len(y_test))

    if _has("matplotlib"):
        png = tmp_path / "plots" / "loss_curve.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert f"written to {png}" in out
    assert not list(tmp_path.glob("*.png"))  # nothing outside --output


def test_default_run_on_digits(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run([], capsys)

    assert status == 0, err
    assert "on digits" in out
    assert "4 candidates x 3 folds = 12 fits" in out
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert accuracy > 0.93
    matrix = re.search(r"predicted class\):\n(.*?)\n\n", out, re.S).group(1)
    assert matrix.splitlines()[0].split() == [str(d) for d in range(10)]
    assert len(matrix.splitlines()) == 11
    if _has("matplotlib"):
        assert (tmp_path / "loss_curve.png").exists()
    else:
        assert "No loss-curve plot: matplotlib is not installed" in out


def test_progress_is_shown(capsys, monkeypatch):
    """Progress bars where scikit-learn's callbacks and rich exist, else one line
    per fit."""
    search = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0)
    _cli._show_progress(search, remote=False)
    callbacks = getattr(search, "_skl_callbacks", [])
    if _has("sklearn.callback") and _has("rich"):
        assert [type(c).__name__ for c in callbacks] == ["ProgressBar"]
        assert search.verbose == 0
    else:
        assert callbacks == []
        assert search.verbose == 2

    # A remote dask cluster cannot reach the bars' local socket.
    remote = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0)
    _cli._show_progress(remote, remote=True)
    assert getattr(remote, "_skl_callbacks", []) == []
    assert remote.verbose == 2


def test_without_matplotlib_no_plot_and_success(
    iris_csv, tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = run(
        ["--data", iris_csv, "--target", "species", "--n-hidden", "4",
         "--learning-rate", "1", "--cv", "2", "--output", tmp_path],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert "No loss-curve plot: matplotlib is not installed" in out
    assert "skbackprop[plot]" in out
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("argv, threads", [([], 1), (["--blas-threads", "2"], 2)])
def test_blas_threads_limit_the_search(iris_csv, tmp_path, capsys, monkeypatch,
                                       argv, threads):  # fmt: skip
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    with threadpool_limits(limits=threads, user_api="blas"):
        expected = blas_threads()  # capped by the BLAS build and environment
    seen = []
    fit = _cli.GridSearchCV.fit

    def recording_fit(self, *args, **kwargs):
        seen.extend(blas_threads())
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(_cli.GridSearchCV, "fit", recording_fit)
    status, _, err = run(
        ["--data", iris_csv, "--target", "species", "--n-hidden", "2",
         "--learning-rate", "1", "--cv", "2", "--output", tmp_path, *argv],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert seen and seen == expected


def test_target_defaults_to_last_column(tmp_path, capsys):
    X, y = load_iris(return_X_y=True)
    path = write_csv(tmp_path / "t.csv", ["a", "b", "c", "d", "label"],
                     np.column_stack([X, y]).tolist())  # fmt: skip
    X_read, y_read = _cli.read_csv(path)
    np.testing.assert_allclose(X_read, X)
    assert_array_equal(y_read, y)  # "0.0", "1.0" read as the integers 0, 1
    assert y_read.dtype.kind == "i"


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffa,label\n1,u\n2,v\n".encode())
    X, y = _cli.read_csv(path, "label")
    assert_array_equal(X, [[1.0], [2.0]])
    assert_array_equal(y, ["u", "v"])
    assert_array_equal(_cli.read_csv(path, None)[0], X)  # "a" is a feature


def one_line_error(status, err, *fragments):
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    assert lines[0].startswith("python -m skbackprop: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    "header, rows, target, fragments",
    [
        (["a", "b", "y"], [[1, 2, "u"], [3, 4, "v"]], "label",
         ["no column 'label'", "its columns are: a, b, y"]),
        (["a", "b", "y"], [[1, 2, "u"], [3, "oops", "v"]], "y",
         ["feature column 'b' is not numeric", "line 3 holds 'oops'"]),
        (["a", "b", "y"], [[1, "", "u"], [3, 4, "v"]], "y",
         ["feature column 'b' is not numeric", "line 2 is empty"]),
        (["a", "b", "y"], [[1, "inf", "u"], [3, 4, "v"]], "y",
         ["feature column 'b' holds 'inf' on line 2"]),
        (["a", "b", "y"], [[1, 2, "u"], [3, 4, "u"], [5, 6, "u"]], "y",
         ["target column 'y' has a single class ('u')"]),
        (["a", "b", "y"], [[1, 2, 0.25], [3, 4, 1.5]], "y",
         ["target column 'y' holds continuous numbers"]),
        (["a", "b", "y"], [[1, 2, "u"], [3, 4]], "y",
         ["line 3: 2 fields, but the header has 3"]),
        (["y"], [["u"], ["v"]], "y", ["no feature column besides 'y'"]),
        (["a", "y"], [], "y", ["has a header but no data rows"]),
    ],
)  # fmt: skip
def test_bad_csv_gives_one_line_error(tmp_path, capsys, header, rows, target,
                                      fragments):  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", header, rows)
    status, _, err = run(["--data", path, "--target", target], capsys)
    one_line_error(status, err, *fragments)


def test_too_few_samples_per_class_for_the_folds(tmp_path, capsys):
    rows = [[i, i % 7, "big"] for i in range(40)] + [[i, 1, "small"] for i in range(4)]
    path = write_csv(tmp_path / "few.csv", ["a", "b", "y"], rows)
    status, _, err = run(["--data", path, "--target", "y", "--cv", "5"], capsys)
    one_line_error(status, err, "class 'small' has 3 training sample(s)",
                   "fewer than the 5 cross-validation folds")  # fmt: skip


def test_missing_file_and_target_without_data(tmp_path, capsys):
    status, _, err = run(["--data", tmp_path / "nope.csv"], capsys)
    one_line_error(status, err, "cannot read", "nope.csv")
    status, _, err = run(["--target", "y"], capsys)
    one_line_error(status, err, "--target needs --data")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--learning-rate", "-1"], "'-1' is not a positive number"),
        (["--learning-rate", "nan"], "'nan' is not a positive number"),
        (["--n-hidden", "2.5"], "'2.5' is not a positive integer"),
        (["--n-hidden", "0"], "'0' is not a positive integer"),
        (["--cv", "1"], "'1' is not an integer of at least 2"),
        (["--n-jobs", "0"], "'0' is not a non-zero integer"),
        (["--blas-threads", "0"], "'0' is not a positive integer"),
        (["--dask-local", "2", "--scheduler", "tcp://x:1"], "not allowed with"),
    ],
)
def test_bad_options_are_usage_errors(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_dask_options_without_dask_name_the_extra(iris_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    status, _, err = run(
        ["--data", iris_csv, "--target", "species", "--dask-local", "2"], capsys
    )
    one_line_error(status, err, "pip install 'skbackprop[dask]'")


def test_command_line_exit_status_and_stderr(tmp_path):
    """The real `python -m skbackprop` process: no traceback, non-zero exit."""
    path = write_csv(tmp_path / "bad.csv", ["a", "y"], [["x", "u"], [1, "v"]])
    result = subprocess.run(
        [sys.executable, "-m", "skbackprop", "--data", str(path), "--target", "y"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"python -m skbackprop: error: {path}: feature column 'a' is not numeric: "
        "line 2 holds 'x'"
    ]
    assert result.stdout == ""


def test_bench_is_dispatched(monkeypatch):
    calls = []
    fake = type(sys)("skbackprop._benchmark")
    fake.main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "skbackprop._benchmark", fake)
    assert main(["bench", "--quick"]) == 0
    assert calls == [["--quick"]]


def _has(module):
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False
