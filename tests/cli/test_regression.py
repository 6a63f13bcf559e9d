"""The command line on a target that holds a quantity: how the task is chosen,
the regression search and its report, the model file, and predict."""

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from _helpers import assert_readable, one_line_error, run, write_csv
from _optional import require
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_linnerud
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.pipeline import make_pipeline

from skbackprop import TRUSTED_TYPES, TwoLayerRegressor, load_model
from skbackprop._cli import main as _cli
from skbackprop._cli.reading import read_training_csv
from skbackprop._cli.regression import figure, held_out_lines
from skbackprop._cli.split import least_rows, split_quantities
from skbackprop._cli.task import MOST_CLASS_CODES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _words(text):
    """``text`` with its lines joined: the run wraps long lines."""
    return " ".join(text.split())


def _penguins():
    palmerpenguins = require("palmerpenguins")
    return Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"


def _vega(name):
    vega_datasets = require("vega_datasets")
    return Path(vega_datasets.__file__).parent / "_data" / name


def _cars_csv(folder, dated=True):
    """vega_datasets' cars as a CSV file: 406 cars, their miles per gallon (8
    missing), cylinders, weight, horsepower, model year (a date, or with
    ``dated`` False the year as a number) and origin."""
    pd = require("pandas")
    frame = pd.DataFrame(json.loads(_vega("cars.json").read_text()))
    if not dated:
        frame["Year"] = frame["Year"].str[:4].astype(int)
    path = folder / "cars.csv"
    frame.to_csv(path, index=False)
    return path


def _frame_csv(folder, name, X, y):
    """A CSV file of scikit-learn's data set ``X, y``, the target last."""
    header = [*(f"x{j}" for j in range(X.shape[1])), name]
    return write_csv(folder / f"{name}.csv", header, np.column_stack([X, y]).tolist())


# ------------------------------------------------------------- task choice
def _sklearn_target(folder, load, column=None):
    data = load(return_X_y=False)
    y = data.target if column is None else data.target[:, column]
    name = "target" if column is None else data.target_names[column]
    path = _frame_csv(folder, name, data.data, y)
    return path, name


@pytest.mark.parametrize(
    "source, task, holds",
    [
        # Classes coded as integers.
        ("iris", "classification", "3 distinct integers, no more than the 10"),
        ("digits", "classification", "10 distinct integers, no more than the 10"),
        ("penguins:year", "classification", "3 distinct integers"),
        # Class names.
        ("penguins:species", "classification", "text, such as 'Adelie'"),
        ("seattle-weather.csv:weather", "classification", "text, such as"),
        # Quantities: measures with decimals, integer measures, counts, ages, prices.
        ("penguins:bill_length_mm", "regression",
         "numbers with a fractional part, such as 39.1"),
        ("penguins:body_mass_g", "regression",
         "94 distinct integers, more than the 10"),
        ("diabetes", "regression", "214 distinct integers"),  # disease progression
        ("linnerud:Chins", "regression", "12 distinct integers"),  # counts
        ("la-riots.csv:age", "regression", "30 distinct integers"),  # age in years
        ("stocks.csv:price", "regression", "numbers with a fractional part"),
    ],
)  # fmt: skip
def test_the_task_of_real_targets(tmp_path, source, task, holds):
    na_values = ()
    if source.startswith("penguins:"):
        path, target, na_values = _penguins(), source.split(":")[1], ["NA"]
    elif ":" in source and source.split(":")[0].endswith(".csv"):
        name, target = source.split(":")
        path = _vega(name)
    elif source == "linnerud:Chins":
        data = load_linnerud()
        path = _frame_csv(tmp_path, "Chins", data.target, data.data[:, 0])
        target = "Chins"
    else:
        load = {"iris": load_iris, "digits": load_digits, "diabetes": load_diabetes}
        path, target = _sklearn_target(tmp_path, load[source])
    table = read_training_csv(path, target, na_values=na_values)
    assert table.choice.task == task
    assert holds in table.choice.holds
    if task == "regression":
        assert table.y.dtype == np.float64 and np.isfinite(table.y).all()
    other = "classification" if task == "regression" else "regression"
    assert table.choice.line().endswith(f"--task {other} overrides.")


def test_the_rule_draws_the_line_after_ten_distinct_integers(tmp_path):
    for k, task in [(MOST_CLASS_CODES, "classification"),
                    (MOST_CLASS_CODES + 1, "regression")]:  # fmt: skip
        rows = [[f"{np.sin(i):.3f}", i % k] for i in range(10 * k)]
        path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
        assert read_training_csv(path).choice.task == task


def test_na_values_are_missing_in_a_target_to_regress(tmp_path):
    """penguins.csv writes its two missing body masses NA: with --na-values NA
    their rows are left out; without it the run names the line to fix."""
    table = read_training_csv(_penguins(), "body_mass_g", na_values=["NA"])
    assert len(table.y) == 342
    assert "Dropped 2 rows without a value in 'body_mass_g' (lines 5, 273)." in (
        table.notes
    )


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["--target", "body_mass_g"],
         ["target column 'body_mass_g' holds numbers, but line 5 holds 'NA', which "
          "is not one: name it missing with --na-values NA, or empty the cell; or "
          "--task classification takes the values as classes"]),
        (["--target", "species", "--task", "regression", "--na-values", "NA"],
         ["--task regression needs a target of numbers, but target column "
          "'species'", "holds text ('Adelie' on line 2)", "--target"]),
        (["--target", "body_mass_g", "--na-values", "NA", "--class-weight",
          "balanced"],
         ["--class-weight applies to classification, and this run is a regression "
          "(as target 'body_mass_g' holds 94 distinct integers",
          "or give --task classification"]),
        (["--target", "body_mass_g", "--na-values", "NA", "--min-class-size", "5"],
         ["--min-class-size applies to classification"]),
        (["--target", "body_mass_g", "--na-values", "NA", "--scoring", "accuracy"],
         ["--scoring accuracy scores classification, and this run is a regression",
          "e.g. r2, neg_mean_absolute_error"]),
        (["--target", "species", "--na-values", "NA", "--scoring", "r2"],
         ["--scoring r2 scores regression, and this run is a classification"]),
    ],
)  # fmt: skip
def test_what_a_regression_refuses_before_the_search(tmp_path, capsys, argv, fragments):
    status, out, err = run(["--data", _penguins(), *argv, "--output", tmp_path], capsys)
    one_line_error(status, err, *fragments)
    assert out == ""
    assert not list(tmp_path.iterdir())


def test_a_scorer_that_cannot_score_the_target_fails_before_the_search(
    tmp_path, capsys
):
    rng = np.random.default_rng(3)
    rows = [[f"{x:.3f}", f"{x - 0.5:.3f}"] for x in rng.normal(size=60)]
    path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
    status, out, err = run(["--data", path, "--scoring", "neg_mean_squared_log_error",
                            "--output", tmp_path], capsys)  # fmt: skip
    one_line_error(status, err, "--scoring neg_mean_squared_log_error cannot score "
                   "this target", "e.g. r2, neg_mean_absolute_error")  # fmt: skip


def test_too_few_rows_for_the_folds_of_a_regression(tmp_path, capsys):
    assert least_rows(3) == 8 and least_rows(5) == 14
    for n, fails in [(7, True), (8, False)]:
        rows = [[f"{np.sin(i):.3f}", i + 0.5] for i in range(n)]
        path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
        status, out, err = run(["--data", path, "--n-hidden", "2", "--output",
                                tmp_path], capsys)  # fmt: skip
        if fails:
            one_line_error(
                status,
                err,
                "7 rows with a target value are too few to "
                "score a regression with --cv 3: it needs at least 8",
            )
        else:
            assert status == 0, err


def test_the_split_of_a_regression_is_shuffled_and_complete():
    X, y = load_diabetes(return_X_y=True)
    data = split_quantities(X, y, cv=4, random_state=0)
    assert (len(data.y_train), len(data.y_test)) == (331, 111)
    # Every training row is tested in exactly one fold, and trained on in the rest.
    tested = np.sort(np.concatenate([test for _, test in data.folds]))
    assert_array_equal(tested, np.arange(331))
    for train, test in data.folds:
        assert not set(train) & set(test) and len(train) + len(test) == 331
    # Shuffled: no fold is a block of consecutive rows, as unshuffled KFold's are.
    assert all(np.any(np.diff(np.sort(test)) > 1) for _, test in data.folds)
    again = split_quantities(X, y, cv=4, random_state=0)
    assert_array_equal(again.y_test, data.y_test)


# ----------------------------------------------------------------- search
def test_the_search_records_the_mean_absolute_error_of_each_fold():
    """The table's error column is the folds' mean absolute error of the
    candidate, in the target's units."""
    X, y = load_diabetes(return_X_y=True)
    data = split_quantities(X, y, cv=3, random_state=0)
    search = _cli.make_search(["auto"], [4], cv=data.folds, n_jobs=None,
                              random_state=0, scoring="r2", max_iter=40,
                              task="regression")  # fmt: skip
    net = search.estimator[-1]
    assert isinstance(net, TransformedTargetRegressor)
    assert isinstance(net.regressor, TwoLayerRegressor)
    search.fit(data.X_train, data.y_train)
    errors = []
    for train, test in data.folds:
        model = clone(search.estimator).set_params(**search.cv_results_["params"][0])
        model.fit(data.X_train[train], data.y_train[train])
        errors.append(
            mean_absolute_error(data.y_train[test], model.predict(data.X_train[test]))
        )
    results = search.cv_results_
    assert -results["mean_test_neg_mean_absolute_error"][0] == pytest.approx(
        np.mean(errors), rel=1e-10
    )
    assert results["param_net__regressor__learning_rate"][0] == "auto"


def test_penguins_body_mass_from_the_other_columns(tmp_path, capsys, monkeypatch):
    """The default grid on penguins' body mass: R² as a linear model's or
    better (flipper length alone explains about 0.76), the scores printed
    being the saved model's own, and predict scoring the file."""
    monkeypatch.chdir(tmp_path)
    path = _penguins()
    model_path = tmp_path / "mass.skops"
    status, out, err = run(["--data", path, "--target", "body_mass_g", "--na-values",
                            "NA", "--save-model", model_path, "--output",
                            tmp_path / "out"], capsys)  # fmt: skip
    assert status == 0, err
    words = _words(out)
    assert (
        "Grid search of preprocessing + TwoLayerRegressor (target standardized) on "
        "penguins.csv, target 'body_mass_g'" in words
    )
    assert (
        "Task: regression, as target 'body_mass_g' holds 94 distinct integers, more "
        "than the 10 that class codes may have; --task classification overrides."
        in words
    )
    assert (
        "256 training samples, 86 held out, 7 features, target from 2700 to 6300"
        in (words)
    )
    table = re.findall(r"^\s*(\d)\s+(\S+)\s+(\d+)\s+(-?[\d.]+) ± [\d.]+\s+([\d.]+) ± "
                       r"[\d.]+\s+[\d.]+ s$", out, re.M)  # fmt: skip
    assert sorted((lr, h) for _, lr, h, *_ in table) == [
        ("0.125", "16"), ("0.125", "32"), ("auto", "16"), ("auto", "32")
    ]  # fmt: skip
    assert "Confusion" not in out and "accuracy" not in out
    assert not (tmp_path / "out" / "confusion_matrix.csv").exists()
    assert (tmp_path / "out" / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"

    # The printed held-out scores are the saved model's on the held-out split.
    model = load_model(model_path)
    assert "skbackprop._estimators.regressor.TwoLayerRegressor" in TRUSTED_TYPES
    assert isinstance(model[-1], TransformedTargetRegressor)
    net = model[-1].regressor_
    assert (str(net.learning_rate), str(net.n_hidden)) == table[0][1:3]
    data = read_training_csv(path, "body_mass_g", na_values=["NA"])
    held_out = split_quantities(data.X, data.y, 3, 0)
    y_pred = model.predict(held_out.X_test)
    r2 = float(re.search(r"Held-out R²: ([\d.]+) \(86 samples\)", out).group(1))
    mae = re.search(r"Held-out mean absolute error: ([\d.]+) \(predicting the "
                    r"training median for every row: ([\d.]+)\)", out)  # fmt: skip
    assert r2 == pytest.approx(r2_score(held_out.y_test, y_pred), abs=5e-5)
    assert mae.group(1) == figure(mean_absolute_error(held_out.y_test, y_pred))
    assert float(mae.group(1)) < 0.5 * float(mae.group(2))
    assert model.held_out_scores_["r2"] == pytest.approx(r2, abs=5e-5)
    ridge = make_pipeline(_cli.preprocessing(data.columns), RidgeCV())
    ridge.fit(held_out.X_train, held_out.y_train)
    assert r2 > 0.8 and r2 >= ridge.score(held_out.X_test, held_out.y_test) - 0.01

    # predict writes a prediction column and scores the rows that have a mass.
    status, out, err = run(["predict", "--model", model_path, "--data", path,
                            "--output", tmp_path / "pred.csv"], capsys)  # fmt: skip
    assert status == 0, err
    pd = require("pandas")
    written = pd.read_csv(tmp_path / "pred.csv", keep_default_na=False)
    assert list(written.columns)[-2:] == ["year", "prediction"]
    known = written["body_mass_g"] != "NA"
    truth = written["body_mass_g"][known].astype(float)
    predicted = written["prediction"][known]
    words = _words(out)
    shown_r2 = float(re.search(r"R² on \S+: ([\d.]+), mean absolute error ([\d.]+) "
                               r"\(342 rows with a target value; 2 without one\)",
                               words).group(1))  # fmt: skip
    assert shown_r2 == pytest.approx(r2_score(truth, predicted), abs=5e-5)
    assert (
        f"on the 86 rows held out from it, its R² was {r2:.4f} and its mean "
        f"absolute error {mae.group(1)}." in words
    )
    assert "the scores above overstate how the model does on new rows" in words


def test_an_error_in_the_targets_units_reads_at_its_scale(tmp_path, capsys):
    """A squared error in grams squared is written to four figures, each
    spread to the decimal place of its mean, and no line is too long."""
    status, out, err = run(["--data", _penguins(), "--target", "body_mass_g",
                            "--na-values", "NA", "--scoring",
                            "neg_mean_squared_error", "--cv", "2", "--n-hidden", "8",
                            "--output", tmp_path], capsys)  # fmt: skip
    assert status == 0, err
    assert_readable(out)
    row = re.search(r"^\s*1\s+\S+\s+8\s+(\S+) ± (\S+)\s+(\S+) ± (\S+)\s+[\d.]+ s$",
                    out, re.M)  # fmt: skip
    mse, mse_std, mae, mae_std = row.groups()
    assert re.fullmatch(r"-\d{5}", mse) and re.fullmatch(r"\d+", mse_std)
    decimals = len(mae.partition(".")[2])
    assert len(mae.replace("-", "").replace(".", "").lstrip("0")) == 4  # figures
    assert len(mae_std.partition(".")[2]) == decimals
    assert f"(cross-validated neg_mean_squared_error {mse}, mean absolute error " in (
        _words(out)
    )
    # the held-out score by the metric that ranked the candidates, too: a root
    # mean squared error is at least the mean absolute error
    held = re.search(r"Held-out neg_mean_squared_error: (-\d+) \(\d+ samples\)", out)
    held_mae = re.search(r"Held-out mean absolute error: ([\d.]+) ", out)
    assert (-float(held.group(1))) ** 0.5 >= float(held_mae.group(1))


def test_held_out_lines_say_when_a_constant_does_better():
    rng = np.random.RandomState(0)
    y_train = rng.normal(size=200)
    y_test = rng.normal(size=100)
    good = held_out_lines(y_test, y_test + 0.1 * rng.normal(size=100), y_train)
    assert len(good) == 2 and good[0].startswith("Held-out R²: 0.99")
    # R² below 0: worse than the held-out mean
    worse = held_out_lines(y_test, -y_test, y_train)
    assert worse[2].startswith("Warning: the model predicts the held-out rows")
    # R² above 0 but a larger absolute error than the training median's, as on
    # a count that is mostly 0: the note says which error the model fits
    counts = np.r_[np.zeros(90), np.full(10, 10.0)]
    predicted = np.r_[np.full(90, 1.2), np.full(10, 9.0)]
    lines = held_out_lines(counts, predicted, np.zeros(50))
    assert float(lines[0].split()[2]) > 0
    assert lines[2].startswith("Note: predicting the training median for every row")
    assert "--scoring neg_mean_absolute_error" in _words(lines[2])
    assert_readable("\n".join(lines))


def test_fits_at_the_iteration_limit_are_told_to_raise_max_iter_alone(
    tmp_path, capsys, monkeypatch
):
    """The regressor's 'auto' step is the largest that is stable from the
    start: the note on fits cut short advises more epochs, not a larger step."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["--data", _penguins(), "--target", "body_mass_g",
                            "--na-values", "NA", "--max-iter", "3", "--cv", "2",
                            "--output", tmp_path / "out"], capsys)  # fmt: skip
    assert status == 0, err
    words = _words(out)
    assert "fits stopped at the iteration limit" in words
    assert "Raise --max-iter (now 3)." in words
    assert "Raise --max-iter (now 3), or try" not in words


@pytest.mark.parametrize("n_jobs", ["1", "2"])
def test_fits_that_diverged_are_counted_also_from_workers(
    tmp_path, capsys, monkeypatch, n_jobs
):
    """A step of 8 on standardized body masses diverges: the run says how
    many fits did, and that the best model did too, also when the fits ran
    in worker processes, whose warnings do not reach the run."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["--data", _penguins(), "--target", "body_mass_g",
                            "--na-values", "NA", "--learning-rate", "8",
                            "--n-hidden", "32", "--cv", "2", "--n-jobs", n_jobs,
                            "--output", tmp_path / "out"], capsys)  # fmt: skip
    assert status == 0, err
    words = _words(out)
    assert (
        "Note: 2 of 2 fits diverged: their training loss rose far above its start"
        in words
    )
    assert "so did the best model, refitted on the training split" in words
    assert "Try smaller --learning-rate values." in words


def test_a_search_without_divergence_has_no_note_of_one(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(["--data", _penguins(), "--target", "body_mass_g",
                            "--na-values", "NA", "--cv", "2",
                            "--output", tmp_path / "out"], capsys)  # fmt: skip
    assert status == 0, err
    assert "diverged" not in out


def test_cars_miles_per_gallon_beat_a_linear_model(tmp_path, capsys):
    """vega_datasets' cars: miles per gallon fall off with weight and power
    along a curve, which the network follows and a linear model cannot."""
    path = _cars_csv(tmp_path)
    status, out, err = run(["--data", path, "--target", "Miles_per_Gallon",
                            "--output", tmp_path / "out"], capsys)  # fmt: skip
    assert status == 0, err
    words = _words(out)
    assert "holds numbers with a fractional part, such as 17.5" in words
    assert "Dropped 8 rows without a value in 'Miles_per_Gallon'" in words
    assert "dropped; --keep overrides: Name" in words
    r2 = float(re.search(r"Held-out R²: ([\d.]+)", out).group(1))
    data = read_training_csv(path, "Miles_per_Gallon")
    held_out = split_quantities(data.X, data.y, 3, 0)
    ridge = make_pipeline(_cli.preprocessing(data.columns), RidgeCV())
    ridge.fit(held_out.X_train, held_out.y_train)
    assert r2 > ridge.score(held_out.X_test, held_out.y_test) > 0.75


# ------------------------------------------------------------------- ONNX
# Largest difference of the ONNX model's values from predict's, relative to the
# largest predicted value: a float32 graph rounds its inputs and each product
# and sum to float32; a float64 graph computes what predict computes, in
# another order (as in tests/deploy/test_onnx_regressor.py).
ONNX_TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def _predict_column(model_path, path, folder, capsys):
    """The predictions that ``python -m skbackprop predict`` writes for the
    rows of ``path``, as numbers."""
    status, out, err = run(["predict", "--model", model_path, "--data", path,
                            "--output", folder / "pred.csv"], capsys)  # fmt: skip
    assert status == 0, err
    pd = require("pandas")
    written = pd.read_csv(folder / "pred.csv", keep_default_na=False)
    return written["prediction"].to_numpy(dtype=float)


def _onnx_values(onnx_path, frame):
    """The ONNX model at ``onnx_path`` and its one output, run by onnxruntime
    on the rows of the DataFrame ``frame``."""
    onnx = require("onnx")
    onnxruntime = require("onnxruntime")
    from skbackprop import onnx_inputs

    onx = onnx.load(onnx_path)
    session = onnxruntime.InferenceSession(
        str(onnx_path), providers=["CPUExecutionProvider"]
    )
    (values,) = session.run(None, onnx_inputs(onx, frame))
    return onx, values


def _assert_predicts(onx, values, predicted, dtype):
    """The graph's one output ``variable``, a column of ``dtype`` declared
    ``(None, 1)``, holds ``predicted`` to the rounding of ``dtype``."""
    (output,) = onx.graph.output
    assert output.name == "variable"
    dims = [d.dim_value or None for d in output.type.tensor_type.shape.dim]
    assert dims == [None, 1]
    assert values.shape == (len(predicted), 1) and values.dtype == dtype
    atol = ONNX_TOLERANCE[dtype] * np.abs(predicted).max()
    np.testing.assert_allclose(values[:, 0], predicted, rtol=0, atol=atol)


def test_penguins_body_mass_in_onnx_is_what_predict_gives(tmp_path, capsys):
    """A regression run exports its pipeline to ONNX: one input per column it
    reads, and one output, which onnxruntime computes on every row of
    penguins.csv (the two without a body mass too) as predict does, to
    float32's rounding."""
    require("skl2onnx")
    pd = require("pandas")
    path = _penguins()
    model_path, onnx_path = tmp_path / "mass.skops", tmp_path / "mass.onnx"
    status, out, err = run(["--data", path, "--target", "body_mass_g", "--na-values",
                            "NA", "--save-model", model_path, "--export-onnx",
                            onnx_path, "--output", tmp_path / "out"],
                           capsys)  # fmt: skip
    assert status == 0, err
    # numeric columns first, then categorical ones, as the pipeline reads them
    columns = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "year",
               "species", "island", "sex"]  # fmt: skip
    assert (
        f"Best pipeline exported to {onnx_path} (ONNX, float32: predictions in the "
        "target's units, output 'variable' of shape (n, 1); inputs: "
        f"{', '.join(columns[:6])}, ... (7 in all))" in _words(out)
    )
    predicted = _predict_column(model_path, path, tmp_path, capsys)
    assert len(predicted) == 344
    assert predicted.std() > 500  # grams: the values compared vary by row

    # The file's rows as the run reads them: NA and empty cells are missing.
    frame = pd.read_csv(path, keep_default_na=False, na_values=["", "NA"])
    onx, values = _onnx_values(onnx_path, frame)
    assert [put.name for put in onx.graph.input] == columns
    _assert_predicts(onx, values, predicted, np.float32)


def test_cars_miles_per_gallon_in_onnx_are_what_predict_gives(tmp_path, capsys):
    """Cars' model years, written as dates, stop the export before the search,
    as in a classification; written as years, a number, the pipeline exports,
    and its float64 graph gives predict's miles per gallon on every row."""
    require("skl2onnx")
    pd = require("pandas")
    path = _cars_csv(tmp_path)
    onnx_path, model_path = tmp_path / "mpg.onnx", tmp_path / "mpg.skops"
    argv = [
        "--data",
        path,
        "--target",
        "Miles_per_Gallon",
        "--save-model",
        model_path,
        "--export-onnx",
        onnx_path,
        "--output",
        tmp_path / "out",
    ]
    status, out, err = run(argv, capsys)
    one_line_error(status, err, "ONNX export cannot include date columns (Year)",
                   "--drop Year")  # fmt: skip
    assert out == "" and not onnx_path.exists() and not model_path.exists()

    _cars_csv(tmp_path, dated=False)
    status, out, err = run([*argv, "--onnx-dtype", "float64"], capsys)
    assert status == 0, err
    assert (
        "(ONNX, float64: predictions in the target's units, output 'variable' of "
        "shape (n, 1); inputs: Cylinders, Displacement, Horsepower, Weight_in_lbs, "
        "Acceleration, Year, ... (7 in all))" in _words(out)
    )
    predicted = _predict_column(model_path, path, tmp_path, capsys)
    assert len(predicted) == 406 and predicted.std() > 5

    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    onx, values = _onnx_values(onnx_path, frame)
    # the cars' names, identifier-like, are dropped, and no input
    assert [put.name for put in onx.graph.input] == [
        "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration",
        "Year", "Origin",
    ]  # fmt: skip
    _assert_predicts(onx, values, predicted, np.float64)


# ---------------------------------------------------------------- predict
@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A regression pipeline saved by the command line, of y = 3 x on 40 rows."""
    folder = tmp_path_factory.mktemp("regression")
    rows = [[f"{x:.3f}", f"{3 * x:.3f}"] for x in np.linspace(-1, 1, 40)]
    path = write_csv(folder / "train.csv", ["x", "y"], rows)
    model = folder / "m.skops"
    status = _cli.main(["--data", str(path), "--n-hidden", "4", "--save-model",
                        str(model), "--output", str(folder)])  # fmt: skip
    assert status == 0
    return model


def test_predict_without_the_target_writes_predictions_alone(
    small_model, tmp_path, capsys
):
    path = write_csv(tmp_path / "new.csv", ["x"], [["0.5"], ["-0.25"]])
    status, out, err = run(["predict", "--model", small_model, "--data", path], capsys)
    assert status == 0, err
    pd = require("pandas")
    written = pd.read_csv(io.StringIO(out))
    assert list(written.columns) == ["x", "prediction"]
    assert written["prediction"].to_numpy() == pytest.approx([1.5, -0.75], abs=0.1)
    assert err == ""


def test_predict_names_a_target_cell_that_is_not_a_number(
    small_model, tmp_path, capsys
):
    path = write_csv(tmp_path / "new.csv", ["x", "y"], [["0.5", "1.5"], ["1", "n/a"]])
    status, out, err = run(["predict", "--model", small_model, "--data", path], capsys)
    one_line_error(status, err, "target column 'y' holds 'n/a' on line 3, which is "
                   "not a number")  # fmt: skip
    path = write_csv(tmp_path / "new.csv", ["x", "y"], [["0.5", "1.5"], ["1", ""]])
    status, out, err = run(["predict", "--model", small_model, "--data", path], capsys)
    assert status == 0, err
    assert re.search(r"Mean absolute error on \S+: [\d.]+ \(1 row with a target "
                     r"value; 1 without one; R² needs two\)", _words(err))  # fmt: skip


def test_the_help_says_how_the_task_is_chosen(capsys):
    with pytest.raises(SystemExit):
        _cli.main(["--help"])
    words = _words(capsys.readouterr().out)
    assert "--task {classification,regression}" in words
    assert (
        "numbers are a quantity to regress when one has a fractional part or when "
        "there are more than 10 distinct integers, else class codes" in words
    )
    assert "auto, 0.125 for regression" in words
    assert (
        "as an ONNX model to a .onnx file (the onnx extra): labels and probabilities "
        "of a classification, the predictions of a regression" in words
    )
