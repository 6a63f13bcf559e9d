"""The main job, `python -m skbackprop`: options, reports, files and errors."""

import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from _helpers import MIXED_HEADER, ROOT, mixed_rows, one_line_error, run, write_csv
from _optional import require
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import ParameterGrid

from skbackprop import TwoLayerClassifier, load_model
from skbackprop.__main__ import main
from skbackprop._cli import main as _cli
from skbackprop._cli import outputs as _outputs
from skbackprop._cli.reading import read_training_csv
from skbackprop._cli.text import WIDTH

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def iris_csv(tmp_path):
    """Iris with string labels in the middle column."""
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    rows = [[*x[:2], name, *x[2:]] for x, name in zip(X, names, strict=True)]
    header = ["sepal length", "sepal width", "species", "petal length", "petal width"]
    return write_csv(tmp_path / "iris.csv", header, rows)


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
    table = read_training_csv(iris_csv, "species")
    held_out = _cli.split(table.X, table.y, cv=2, random_state=0)
    X_test, y_test = held_out.X_test, held_out.y_test
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert accuracy == pytest.approx(model.score(X_test, y_test), abs=5e-5)
    assert accuracy > 0.85
    matrix = re.search(r"predicted class[^)]*\):\n(.*?)\n\n", out, re.S).group(1)
    lines = matrix.splitlines()
    assert lines[0].split() == ["'setosa'", "'versicolor'", "'virginica'"]
    counts = np.array([line.split()[1:] for line in lines[1:]], dtype=int)
    assert counts.sum() == len(y_test)
    assert np.trace(counts) == round(accuracy * len(y_test))

    if _has("matplotlib"):
        png = tmp_path / "plots" / "loss_curve.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert f"written to {png}" in " ".join(out.split())
    assert not list(tmp_path.glob("*.png"))  # nothing outside --output


def test_default_run_on_digits(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run([], capsys)

    assert status == 0, err
    assert "on digits" in out
    assert "4 candidates x 3 folds = 12 fits" in out
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert accuracy > 0.93
    matrix = re.search(r"predicted class[^)]*\):\n(.*?)\n\n", out, re.S).group(1)
    assert matrix.splitlines()[0].split() == [str(d) for d in range(10)]
    assert len(matrix.splitlines()) == 11
    if _has("matplotlib"):
        assert (tmp_path / "loss_curve.png").exists()
    else:
        assert "No loss-curve plot: matplotlib is not installed" in out


def test_progress_is_shown(capsys, monkeypatch):
    """Progress bars where scikit-learn's callbacks and rich exist, else a mark
    per fit; scikit-learn's line per fit only with --verbose."""
    search = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0)
    marks = _cli._show_progress(search, remote=False)
    callbacks = getattr(search, "_skl_callbacks", [])
    assert search.verbose == 0
    if _has("sklearn.callback") and _has("rich"):
        assert [type(c).__name__ for c in callbacks] == ["ProgressBar"]
        assert marks is None
    else:
        assert callbacks == []
        assert isinstance(marks, _cli.FitMarks) and search.scoring.progress is marks

    # A remote dask cluster cannot reach the bars' local socket.
    remote = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0)
    marks = _cli._show_progress(remote, remote=True)
    assert getattr(remote, "_skl_callbacks", []) == []
    assert remote.verbose == 0 and isinstance(marks, _cli.FitMarks)

    loud = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0)
    assert _cli._show_progress(loud, remote=False, verbose=True) is None
    assert loud.verbose == 2 and getattr(loud, "_skl_callbacks", []) == []


@pytest.mark.parametrize("verbose", [False, True])
def test_without_progress_bars_the_fits_are_counted_once(
    iris_csv, tmp_path, capsys, monkeypatch, verbose
):
    """No bars: one count of the fits, a mark per fit, and scikit-learn's line
    per fit (with its own count, then ours is left out) only when asked."""
    if _has("sklearn.callback"):
        monkeypatch.delattr("sklearn.callback.ProgressBar", raising=False)
    status, out, err = run(
        ["--data", iris_csv, "--target", "species", "--learning-rate", "1", "2",
         "--n-hidden", "2", "--cv", "3", "--output", tmp_path,
         *(["-v"] if verbose else [])],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    ours, theirs = "2 candidates x 3 folds = 6 fits", "totalling 6 fits"
    if verbose:
        assert out.count(theirs) == 1 and ours not in out
        assert out.count("[CV] END") == 6
    else:
        assert out.count(ours) == 1 and theirs not in out
        assert "[CV]" not in out
        assert f"{ours}\n  ......\n" in out


def test_parallel_fits_without_bars_say_why_no_marks_show(
    iris_csv, tmp_path, capsys, monkeypatch
):
    if _has("sklearn.callback"):
        monkeypatch.delattr("sklearn.callback.ProgressBar", raising=False)
    monkeypatch.setattr("joblib.effective_n_jobs", lambda n_jobs: 2)
    status, out, err = run(
        ["--data", iris_csv, "--target", "species", "--learning-rate", "1", "2",
         "--n-hidden", "2", "--cv", "2", "--n-jobs", "2", "--output", tmp_path],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert (
        "2 candidates x 2 folds = 4 fits\n  (the fits run in worker processes, "
        "which print no marks; --verbose lists each fit)\n"
    ) in out
    assert "[CV]" not in out and "totalling" not in out


def test_fit_marks_are_grouped_and_bounded(capsys):
    marks = _cli.FitMarks()
    for _ in range(250):
        marks()
    marks.end()
    lines = capsys.readouterr().out.splitlines()
    assert [line.count(".") for line in lines] == [100, 100, 50]
    assert lines[0] == "  " + " ".join(["." * 10] * 10)
    assert max(map(len, lines)) <= WIDTH
    # A copy sent to a worker process marks nothing.
    assert pickle.loads(pickle.dumps(marks)) is None


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


def test_target_defaults_to_last_column(tmp_path):
    X, y = load_iris(return_X_y=True)
    rows = [[*x, label] for x, label in zip(X.tolist(), y.tolist(), strict=True)]
    path = write_csv(tmp_path / "t.csv", ["a", "b", "c", "d", "label"], rows)
    table = read_training_csv(path)
    np.testing.assert_allclose(table.X.to_numpy(), X)
    assert_array_equal(table.y, y)  # "0", "1", "2": the integers 0, 1, 2
    assert table.y.dtype.kind == "i"
    assert table.target == "label"


@pytest.mark.parametrize(
    "labels, expected",
    [
        # Two classes, however equal as numbers: labels are text as written.
        (["01", "1", "01", "1"], ["01", "1", "01", "1"]),
        (["1.0", "2.0", "1.0", "2.0"], ["1.0", "2.0", "1.0", "2.0"]),
        (["+1", "-1", "+1", "-1"], ["+1", "-1", "+1", "-1"]),
        # -0 is not how an integer is written: "-0" and "0" are two classes.
        (["-0", "0", "-0", "0"], ["-0", "0", "-0", "0"]),
        # pandas' missing-value markers are labels like any other.
        (["None", "NA", "null", "NaN"], ["None", "NA", "null", "NaN"]),
        # Canonical integers are integers, exactly, beyond float64's 2**53.
        (["9007199254740993", "-4", "0", "-4"], [9007199254740993, -4, 0, -4]),
        # Beyond 64 bits they stay text.
        (["9223372036854775808", "1", "1", "1"],
         ["9223372036854775808", "1", "1", "1"]),
    ],
)  # fmt: skip
def test_labels_are_read_exactly_as_written(tmp_path, labels, expected):
    rows = [[i % 2 + 0.5, label] for i, label in enumerate(labels)]
    table = read_training_csv(write_csv(tmp_path / "t.csv", ["a", "y"], rows))
    assert table.y.tolist() == expected
    assert len(np.unique(table.y)) == len(set(labels))


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffa,label\n1,u\n2,v\n".encode())
    table = read_training_csv(path, "label")
    assert list(table.X.columns) == ["a"]
    assert_array_equal(table.X["a"], [1.0, 2.0])
    assert_array_equal(table.y, ["u", "v"])
    assert list(read_training_csv(path, None).X.columns) == ["a"]


@pytest.mark.parametrize("sep", [";", "\t", "|", " ", "  "])
def test_field_separator_is_read_from_the_header(tmp_path, sep):
    lines = ["a,b" + ",label", "1,x,u", "2,y,v", "2,x,u"]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(line.replace(",", sep) for line in lines) + "\n")
    table = read_training_csv(path)
    assert list(table.X.columns) == ["a", "b"]
    assert table.X["a"].tolist() == [1, 2, 2]
    assert table.X["b"].tolist() == ["x", "y", "x"]
    assert table.y.tolist() == ["u", "v", "u"]


def test_a_comma_in_the_header_makes_commas_the_separator(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a b,c;d,label\n1,2,u\n3,4,v\n")
    assert list(read_training_csv(path).X.columns) == ["a b", "c;d"]


@pytest.mark.parametrize(
    "header, rows, target, fragments",
    [
        (["a", "b", "y"], [[1, 2, "u"], [3, 4, "v"]], "label",
         ["no column 'label'", "its columns are: 'a', 'b', 'y'"]),
        # Numbers are parsed strictly: 5_1 is not 51 (Python's float says it is).
        (["a", "b", "y"], [[1, 2, "u"], [3, "5_1", "v"], [4, 4, "u"]], "y",
         ["column 'b' is numeric but line 3 holds '5_1'", "--drop b"]),
        (["a", "b", "y"], [[1, "1,5", "u"], [3, 2, "v"], [4, 4, "u"]], "y",
         ["column 'b' is numeric but line 2 holds '1,5'"]),
        (["a", "b", "y"], [[1, "inf", "u"], [3, 4, "v"]], "y",
         ["column 'b' holds inf on line 2: features must be finite"]),
        (["a", "b", "y"], [[1, "-1e400", "u"], [3, 4, "v"]], "y",
         ["column 'b' holds -inf on line 2: features must be finite"]),
        # Finite, but too large for the scaler: its square overflows.
        (["a", "b", "y"], [[1, "1e308", "u"], [3, 4, "v"], [3, 4, "v"]], "y",
         ["column 'b' holds 1e+308 on line 2, too large to standardize"]),
        (["a", "b", "y"], [[1, 4, "u"], [3, "-1e308", "v"], [3, 4, "v"]], "y",
         ["column 'b' holds -1e+308 on line 3, too large to standardize"]),
        (["a", "b", "y"], [[1, 2, "u"], [3, 4, "u"], [5, 6, "u"]], "y",
         ["target column 'y' has a single class ('u')"]),
        # A quantity: a regression, which two rows cannot score.
        (["a", "b", "y"], [[1, 2, 0.25], [3, 4, 1.5]], "y",
         ["2 rows with a target value are too few to score a regression with "
          "--cv 3: it needs at least 8"]),
        (["a", "y"], [[1, 0.5], [2, 0.5], [3, 0.5]], "y",
         ["target column 'y' holds a single value (0.5); a regression needs values "
          "that vary"]),
        (["a", "y"], [[1, 0.5], [2, "1e400"], [3, 1.5]], "y",
         ["target column 'y' holds inf on line 3, which cannot be regressed"]),
        (["a", "b", "y"], [[1, 2, "u"], [3, 4, "v", 5]], "y",
         ["cannot parse", "Expected 3 fields in line 3, saw 4"]),
        (["a", "y"], [[1, ""], [2, ""]], "y", ["target column 'y' has no labels"]),
        (["a", "y"], [[1, "NA"], [2, "NA"]], "y",
         ["target column 'y' has a single class ('NA')"]),
        (["id", "y"], [["p", "u"], ["q", "v"], ["r", "u"]], "y",
         ["no feature column left to train on"]),
        (["y"], [["u"], ["v"]], "y", ["no feature column besides 'y'"]),
        (["a", "y"], [], "y", ["has a header but no data rows"]),
    ],
)  # fmt: skip
def test_bad_csv_gives_one_line_error(tmp_path, capsys, header, rows, target,
                                      fragments):  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", header, rows)
    status, _, err = run(["--data", path, "--target", target], capsys)
    one_line_error(status, err, *fragments)


def test_a_last_column_that_is_no_target_says_it_was_taken_by_default(tmp_path, capsys):
    rows = [[u, 0.5 + i] for i, u in enumerate("uvuvuv")] + [["u", "n/a"]]
    path = write_csv(tmp_path / "t.csv", ["y", "score"], rows)
    status, _, err = run(["--data", path], capsys)
    one_line_error(status, err, "target column 'score' holds numbers, but line 8 "
                   "holds 'n/a'", "no --target given, so the last column is the "
                   "target")  # fmt: skip
    status, _, err = run(["--data", path, "--target", "score"], capsys)
    assert "no --target given" not in err


def test_too_few_samples_per_class_for_the_folds(tmp_path, capsys):
    """A class with fewer rows than a held-out row and one per fold need is
    trained on, not scored; the run says so and goes on."""
    rows = [[i, i % 7, "big"] for i in range(40)] + [[i, 1, "small"] for i in range(4)]
    rows += [[i, 2, "mid"] for i in range(40)]
    path = write_csv(tmp_path / "few.csv", ["a", "b", "y"], rows)
    status, out, err = run(["--data", path, "--target", "y", "--cv", "5",
                            "--n-hidden", "2", "--learning-rate", "1",
                            "--output", tmp_path], capsys)  # fmt: skip
    assert status == 0, err
    assert "Trained on, not scored: 1 class, 4 rows (fewer than the 7" in out
    assert "'small': 4" in out


def test_missing_file_and_target_without_data(tmp_path, capsys):
    status, _, err = run(["--data", tmp_path / "nope.csv"], capsys)
    one_line_error(status, err, "cannot read", "nope.csv")
    status, _, err = run(["--target", "y"], capsys)
    one_line_error(status, err, "--target, --drop, --keep, --categorical, "
                   "--na-values and --task need --data")  # fmt: skip
    for option, value in [
        ("--drop", "y"),
        ("--keep", "y"),
        ("--categorical", "y"),
        ("--na-values", "y"),
        ("--task", "regression"),
    ]:
        status, _, err = run([option, value], capsys)
        one_line_error(status, err, "need --data")


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


def test_the_default_step_is_a_learning_rate_to_try():
    # The default grid holds learning_rate="auto"; it can be written out too.
    args = _cli._parser().parse_args(["--learning-rate", "0.5,AUTO", "1"])
    assert args.learning_rate == [0.5, "auto", 1.0]
    with pytest.raises(SystemExit):
        _cli._parser().parse_args(["--learning-rate", "automatic"])


def test_dask_options_without_dask_name_the_extra(tmp_path, capsys, monkeypatch):
    """Checked first: before the data is read and the run's header printed."""
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    for where in (["--dask-local", "2"], ["--scheduler", "tcp://127.0.0.1:1"]):
        status, out, err = run(["--data", tmp_path / "nope.csv", *where], capsys)
        one_line_error(status, err, "need dask.distributed",
                       "pip install 'skbackprop[dask]'")  # fmt: skip
        assert out == ""


def test_command_line_exit_status_and_stderr(tmp_path):
    """The real `python -m skbackprop` process: no traceback, non-zero exit."""
    path = write_csv(tmp_path / "bad.csv", ["a", "y"],
                     [[1, "u"], ["x", "v"], [2, "u"]])  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "skbackprop", "--data", str(path), "--target", "y"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"python -m skbackprop: error: {path}: column 'a' is numeric but line 3 "
        "holds 'x', which is not a number; correct it, name it missing with "
        "--na-values x (only empty cells are missing), or --drop a"
    ]
    assert result.stdout == ""


def test_bench_is_dispatched(monkeypatch):
    calls = []
    fake = type(sys)("skbackprop._bench.main")
    fake.main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "skbackprop._bench.main", fake)
    assert main(["bench", "--quick"]) == 0
    assert calls == [["--quick"]]


def _has(module):
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


# --------------------------------------------------------- real-world files
@pytest.fixture
def mixed_csv(tmp_path):
    return write_csv(tmp_path / "mixed.csv", MIXED_HEADER, mixed_rows())


def test_real_world_csv_trains_and_says_what_it_did(mixed_csv, tmp_path, capsys):
    model_path = tmp_path / "m.skops"
    require("skops")
    status, out, err = run(
        ["--data", mixed_csv, "--drop", "noise", "--n-hidden", "4",
         "--learning-rate", "1", "--cv", "2", "--output", tmp_path,
         "--save-model", model_path],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert "target 'outcome'" in out
    assert "Dropped 2 rows without a label in 'outcome' (lines 9, 42)." in out
    lines = re.findall(r"^\s+(\d+) (.*?): (.*)$", out, re.M)
    assert lines == [
        ("1", "numeric, imputed (median) and standardized", "size"),
        ("1", "categorical, imputed (most frequent) and one-hot encoded", "colour"),
        ("1", "identifier-like (row numbers, IDs, mostly unique text), dropped; "
         "--keep overrides", "name"),
        ("1", "empty (no value at all), dropped", "blank"),
        ("1", "dropped by --drop", "noise"),
    ]  # fmt: skip
    assert "118 training samples, 40 held out, 2 features, 2 classes" in out
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert accuracy > 0.85

    # The preprocessing is part of the saved pipeline, which names its columns.
    model = load_model(model_path)
    prep = model["prep"]
    assert [(name, list(cols)) for name, _, cols in prep.transformers] == [
        ("numeric", ["size"]), ("categorical", ["colour"]),
        ("unused", ["name", "blank", "noise"]),
    ]  # fmt: skip
    assert list(model.feature_names_in_) == [c for c in MIXED_HEADER if c != "outcome"]
    assert model.target_name_ == "outcome"
    # Predicting on a DataFrame of the same file: no feature-name warning, and
    # an unseen category or a missing value is no error.
    pd = require("pandas")
    frame = pd.read_csv(mixed_csv)
    frame.loc[0, "colour"] = "purple"
    frame.loc[1, "size"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predicted = model.predict(frame)
        assert_array_equal(model.predict(frame.drop(columns="outcome")), predicted)
    assert set(predicted) == {"no", "yes"}


def test_preprocessing_is_fitted_inside_cross_validation(mixed_csv):
    """Each fold's imputer and encoder see that fold's training rows only."""
    table = read_training_csv(mixed_csv)
    search = _cli.make_search([1.0], [2], cv=2, n_jobs=None, random_state=0,
                              columns=table.columns)  # fmt: skip
    search.set_params(return_train_score=False)
    fitted = []
    fit = _cli.ColumnTransformer.fit_transform

    def recording_fit_transform(self, X, *args, **kwargs):
        fitted.append(len(X))
        return fit(self, X, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_cli.ColumnTransformer, "fit_transform", recording_fit_transform)
        search.fit(table.X, table.y)
    n = len(table.y)
    assert n == 158
    assert sorted(fitted) == [79, 79, 158]  # two training folds, then the refit


def test_penguins_as_shipped(tmp_path, capsys):
    """The README's example file: string columns and NA cells, as it comes.
    Only empty cells are missing unless --na-values says otherwise."""
    palmerpenguins = require("palmerpenguins")
    path = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    argv = ["--data", path, "--target", "species", "--n-hidden", "8",
            "--learning-rate", "1", "--cv", "3", "--output", tmp_path]  # fmt: skip
    status, out, err = run(argv, capsys)
    one_line_error(status, err, "column 'bill_length_mm' is numeric but line 5 "
                   "holds 'NA'", "--na-values NA")  # fmt: skip
    status, out, err = run([*argv, "--na-values", "NA"], capsys)
    assert status == 0, err
    # year (2007, 2008, 2009) may be a code: the run suggests --categorical.
    assert re.search(r"^  Integer columns of 3 to 10 values, perhaps category "
                     r"codes: year \(--categorical", out, re.M)  # fmt: skip
    assert "5 numeric, imputed (median) and standardized" in out
    assert (
        "2 categorical, imputed (most frequent) and one-hot encoded: island, sex" in out
    )
    assert "258 training samples, 86 held out, 7 features, 3 classes" in out
    assert float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1)) > 0.95


def test_reading_a_csv_without_pandas_names_the_extra(iris_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    status, out, err = run(["--data", iris_csv], capsys)
    one_line_error(status, err, "needs pandas", "pip install 'skbackprop[csv]'")
    assert out == ""


def test_drop_names_a_column_of_the_file(iris_csv, capsys):
    status, _, err = run(["--data", iris_csv, "--drop", "colour"], capsys)
    one_line_error(status, err, "--drop colour: ", "has no such column")
    status, _, err = run(["--data", iris_csv, "--drop", "petal width"], capsys)
    one_line_error(status, err, "--drop petal width: it is the target column")


# ------------------------------------------------------------------ outputs
@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["--save-model", "{file}/model.skops"], ["--save-model", "not a directory"]),
        (["--save-model", "{dir}"], ["--save-model", "is a directory"]),
        (["--save-model", "{dir}/model.pkl"], ["ends in .skops or .joblib"]),
        (["--output", "{file}/plots"], ["--output", "not a directory"]),
    ],
)
def test_output_paths_are_checked_before_the_data_and_search(
    iris_csv, tmp_path, capsys, monkeypatch, argv, fragments
):
    a_file = write_csv(tmp_path / "a_file", ["x"], [[1]])
    argv = [a.format(file=a_file, dir=tmp_path) for a in argv]
    searched = []
    monkeypatch.setattr(_cli.GridSearchCV, "fit", lambda *a, **k: searched.append(1))
    monkeypatch.setattr(_cli, "read_training_csv", lambda *a: searched.append(1))
    status, out, err = run(["--data", iris_csv, *argv], capsys)
    one_line_error(status, err, *fragments)
    assert searched == [] and out == ""


def test_skops_model_without_skops_names_the_extra(iris_csv, tmp_path, capsys,
                                                    monkeypatch):  # fmt: skip
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    status, out, err = run(
        ["--data", iris_csv, "--save-model", tmp_path / "m.skops"], capsys
    )
    one_line_error(status, err, "need skops", "pip install 'skbackprop[skops]'")
    assert out == ""


def test_model_is_saved_before_the_plot(iris_csv, tmp_path, capsys, monkeypatch):
    """A plot that fails after the search does not lose the trained model."""

    def failing_plot(model, path, X=None):
        raise OSError("disk full")

    monkeypatch.setattr(_outputs, "_plot_loss_curve", failing_plot)
    model_path = tmp_path / "models" / "best.joblib"
    status, out, err = run(
        ["--data", iris_csv, "--target", "species", "--n-hidden", "2",
         "--learning-rate", "1", "--cv", "2", "--output", tmp_path,
         "--save-model", model_path],
        capsys,
    )  # fmt: skip
    one_line_error(status, err, "cannot write", "loss_curve.png", "disk full")
    assert f"Best pipeline saved to {model_path}" in out
    assert joblib.load(model_path)[-1].n_hidden == 2


def test_default_grid_contains_the_default_model_first(iris):
    """One candidate of the default search is TwoLayerClassifier() itself, and
    it is the first: GridSearchCV gives a tie to the first candidate."""
    X, y = iris
    search = _cli.make_search(_cli.DEFAULT_LEARNING_RATES, _cli.DEFAULT_N_HIDDEN,
                              cv=2, n_jobs=None, random_state=0)  # fmt: skip
    default = TwoLayerClassifier(random_state=0).fit(X, y)
    same = []
    for candidate in ParameterGrid(search.param_grid):
        net = clone(search.estimator).set_params(**candidate)[-1].fit(X, y)
        same.append(
            all(
                np.array_equal(a, b)
                for a, b in zip(net.coefs_, default.coefs_, strict=True)
            )  # fmt: skip
        )
    assert sum(same) == 1 and same[0]


def test_a_tie_goes_to_the_default_model(iris):
    X, y = iris
    search = _cli.make_search(_cli.DEFAULT_LEARNING_RATES, _cli.DEFAULT_N_HIDDEN,
                              cv=2, n_jobs=None, random_state=0)  # fmt: skip
    # every candidate scores the same: the first one is chosen
    search.set_params(scoring=lambda estimator, X, y: 1.0, refit=True).fit(X, y)
    assert search.best_params_ == {"net__learning_rate": "auto", "net__n_hidden": 32}


def test_drop_may_be_repeated():
    args = _cli._parser().parse_args(["--drop", "a", "--drop", "b c", "d"])
    assert args.drop == ["a", "b c", "d"]
    assert _cli._parser().parse_args([]).drop == []


def test_onnx_export_after_the_model_and_before_the_plot(
    mixed_csv, tmp_path, capsys, monkeypatch
):
    onnx = require("onnx")
    onnxruntime = require("onnxruntime")
    written = []
    for name in ("_save", "_export_onnx", "_plot_loss_curve"):
        function = getattr(_outputs, name)

        def recording(model, path, X=None, function=function, name=name):
            written.append(name)
            return function(model, path, X)

        monkeypatch.setattr(_outputs, name, recording)
    model_path, onnx_path = tmp_path / "m.joblib", tmp_path / "onnx" / "m.onnx"
    status, out, err = run(
        ["--data", mixed_csv, "--drop", "noise", "--n-hidden", "4",
         "--learning-rate", "1", "--cv", "2", "--output", tmp_path,
         "--save-model", model_path, "--export-onnx", onnx_path],
        capsys,
    )  # fmt: skip
    assert status == 0, err
    assert written == ["_save", "_export_onnx", "_plot_loss_curve"]
    assert f"Best pipeline exported to {onnx_path}" in out
    # the columns the pipeline drops (identifier-like, empty, --drop) are no inputs
    assert "ONNX, float32: labels and probabilities; inputs: size, colour)" in (
        " ".join(out.split())
    )
    graph = onnx.load(onnx_path).graph
    assert [put.name for put in graph.input] == ["size", "colour"]

    from skbackprop import onnx_inputs

    model = joblib.load(model_path)
    X = read_training_csv(mixed_csv).X
    session = onnxruntime.InferenceSession(
        str(onnx_path), providers=["CPUExecutionProvider"]
    )
    read = X[["size", "colour"]]
    labels, proba = session.run(None, onnx_inputs(onnx.load(onnx_path), read))
    assert_array_equal(labels, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)


def test_onnx_path_is_checked_before_the_search(iris_csv, tmp_path, capsys):
    a_file = write_csv(tmp_path / "a_file", ["x"], [[1]])
    status, out, err = run(
        ["--data", iris_csv, "--export-onnx", a_file / "m.onnx"], capsys
    )
    one_line_error(status, err, "--export-onnx", "not a directory")
    assert out == ""
