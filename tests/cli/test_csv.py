"""Reading users' files: identifiers, missing values, labels, dates, codes,
separators, duplicate names and streams, for training and for `predict`."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import ROOT, dated_frame, one_line_error, run, write_csv
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import load_model
from skbackprop._cli.dates import DateFeatures, is_date_column
from skbackprop._cli.dialect import decimal_mark
from skbackprop._cli.reading import exact_floats, read_training_csv

pd = require("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = ["--n-hidden", "4", "--learning-rate", "1", "--cv", "2"]
# The models these tests save as .joblib are their own: predict may unpickle them.
TRUST = ["--trust-pickle"]


def sorted_rows(n=120, seed=0):
    """A file sorted by class, where a row number would leak the label: a
    weak feature ``x`` and a category ``c``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = "a" if i < n // 2 else "b"
        x = rng.normal(0.5 if label == "b" else 0.0)
        rows.append([f"{x:.4f}", rng.choice(["p", "q"]), label])
    return rows


# ------------------------------------------------------------- identifiers
@pytest.mark.parametrize(
    "make_column",
    [
        lambda n, rng: list(range(1, n + 1)),  # R's row names
        lambda n, rng: list(range(n)),  # pandas' index
        lambda n, rng: rng.permutation(n).tolist(),  # shuffled row numbers
        lambda n, rng: (rng.permutation(n) + 1).tolist(),
        lambda n, rng: rng.choice(10**6, n, replace=False).tolist(),  # unique
    ],
)
@pytest.mark.parametrize("name", ["", "Unnamed: 0", "rownames", "serial", "x2"])
def test_row_numbers_and_unique_integers_are_dropped(tmp_path, make_column, name):
    rng = np.random.default_rng(1)
    rows = sorted_rows()
    column = make_column(len(rows), rng)
    path = write_csv(tmp_path / "t.csv", [name, "x", "c", "y"],
                     [[v, *r] for v, r in zip(column, rows, strict=True)])  # fmt: skip
    table = read_training_csv(path)
    read_as = "Unnamed: 0" if name == "" else name
    assert table.columns.identifier == [read_as]
    assert table.columns.numeric == ["x"]
    # --keep overrides the choice: the column is then a numeric feature; an
    # empty header is named "" or as pandas names it.
    for kept_name in [read_as, *([""] if name == "" else [])]:
        kept = read_training_csv(path, keep=[kept_name])
        assert kept.columns.identifier == []
        assert kept.columns.numeric == [read_as, "x"]


def test_row_name_headers_name_an_identifier_in_the_first_column_only(tmp_path):
    """A first column headed as pandas and R head row names is dropped even
    with repeated values; elsewhere the header says nothing."""
    rows = sorted_rows()
    path = write_csv(tmp_path / "t.csv", ["rownames", "x", "index", "y"],
                     [[i % 3, r[0], i % 4, r[2]]
                      for i, r in enumerate(rows)])  # fmt: skip
    table = read_training_csv(path)
    assert table.columns.identifier == ["rownames"]
    assert table.columns.numeric == ["x", "index"]


@pytest.mark.parametrize("name", ["ID", "Id", "id", "sample_id", "patientID", "ids"])
def test_integer_ids_with_repeats_are_dropped_under_an_id_name(tmp_path, name):
    """A sample ID seen on several rows (645 distinct values in 699 rows):
    identifier-like by its name; the same numbers under another name are used."""
    rng = np.random.default_rng(2)
    rows = sorted_rows()
    ids = rng.integers(1000, 1100, len(rows))
    assert len(rows) > len(set(ids)) > len(rows) / 2
    data = [[i, *r] for i, r in zip(ids, rows, strict=True)]
    table = read_training_csv(
        write_csv(tmp_path / "t.csv", [name, "x", "c", "y"], data)
    )
    assert table.columns.identifier == [name]
    other = read_training_csv(
        write_csv(tmp_path / "u.csv", ["acid", "x", "c", "y"], data)
    )
    assert other.columns.identifier == []
    assert other.columns.numeric == ["acid", "x"]


def test_integer_quantities_are_not_identifiers(tmp_path):
    """Repeated integers, floats unique on every row, and files too small to
    say stay features."""
    rng = np.random.default_rng(3)
    rows = sorted_rows()
    data = [[int(rng.integers(0, 50)), f"{rng.normal():.6f}", *r] for r in rows]
    table = read_training_csv(write_csv(tmp_path / "t.csv", ["age", "w", "x", "c", "y"],
                                        data))  # fmt: skip
    assert table.columns.identifier == []
    assert table.columns.numeric == ["age", "w", "x"]
    small = write_csv(tmp_path / "s.csv", ["a", "y"], [[1, "u"], [2, "v"]])
    assert read_training_csv(small).columns.numeric == ["a"]


def test_row_numbers_do_not_leak_a_sorted_label_into_the_run_or_onnx(tmp_path, capsys):
    """On a file sorted by class, row numbers alone would predict the label;
    they are dropped, and the ONNX export does not take them as an input."""
    onnxruntime = require("onnxruntime")
    rows = sorted_rows(n=200)
    path = write_csv(tmp_path / "r.csv", ["", "x", "c", "y"],
                     [[i + 1, *r] for i, r in enumerate(rows)])  # fmt: skip
    onnx_path, model_path = tmp_path / "m.onnx", tmp_path / "m.skops"
    require("skops")
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path,
                            "--export-onnx", onnx_path, "--save-model", model_path],
                           capsys)  # fmt: skip
    assert status == 0, err
    # The column without a header is called what it is, not pandas' name for it.
    words = " ".join(out.split())
    assert "dropped; --keep overrides: the unnamed first column (row names)" in words
    assert "Unnamed" not in out
    assert "2 features" in out
    accuracy = float(out.split("Held-out accuracy: ")[1].split()[0])
    assert accuracy < 0.9  # the honest figure: x and c say little
    import onnx

    from skbackprop import onnx_inputs

    onx = onnx.load(onnx_path)
    assert [i.name for i in onx.graph.input] == ["x", "c"]
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    session = onnxruntime.InferenceSession(
        onnx_path, providers=["CPUExecutionProvider"]
    )
    labels, _ = session.run(None, onnx_inputs(onx, frame[["x", "c"]]))
    assert_array_equal(labels, load_model(model_path).predict(frame))


# ---------------------------------------------------------- missing values
def test_only_empty_cells_are_missing(tmp_path):
    """None, NA or null are labels and categories as written; an empty label
    drops its row."""
    rng = np.random.default_rng(4)
    levels = ["None", "Some", "Marked", "NA"]
    rows = [[f"{rng.normal(k):.3f}", ["None", "null", "x"][i % 3], levels[k]]
            for i, k in enumerate(rng.integers(0, 4, 84))]  # fmt: skip
    rows[5][2] = ""
    path = write_csv(tmp_path / "t.csv", ["x", "c", "y"], rows)
    table = read_training_csv(path)
    assert sorted(set(table.y)) == sorted(levels)
    assert len(table.y) == 83
    assert table.notes == ["Dropped 1 row without a label in 'y' (line 7)."]
    assert set(table.X["c"]) == {"None", "null", "x"}
    assert table.columns.categorical == ["c"]


def test_na_values_make_feature_cells_missing_but_never_labels(tmp_path, capsys):
    rng = np.random.default_rng(5)
    rows = [[f"{rng.normal(i % 2):.3f}", ["p", "q"][i % 2], ["NA", "?"][i % 2]]
            for i in range(60)]  # fmt: skip
    rows[3][0], rows[4][0], rows[5][1] = "NA", "?", "NA"
    path = write_csv(tmp_path / "t.csv", ["x", "c", "y"], rows)
    status, _, err = run(["--data", path, *FAST], capsys)
    one_line_error(status, err, "column 'x' is numeric but line 5 holds 'NA'",
                   "--na-values NA")  # fmt: skip
    table = read_training_csv(path, na_values=["NA", "?"])
    assert table.X["x"].isna().sum() == 2
    assert table.X["c"].isna().sum() == 1
    assert table.X["x"].dtype.kind == "f"
    assert sorted(set(table.y)) == ["?", "NA"]
    assert len(table.y) == 60
    model_path = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *FAST, "--na-values", "NA,?",
                            "--output", tmp_path, "--save-model", model_path],
                           capsys)  # fmt: skip
    assert status == 0, err
    # predict reads the cells as training did, and the labels as written.
    predict = ["predict", "--model", model_path, "--data", path, *TRUST]
    status, out, err = run(predict, capsys)
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert set(table["prediction"]) <= {"NA", "?"}
    assert "(60 labelled rows)" in err


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    "weight, value",
    [
        (lambda w: str(w), lambda w: w),  # integers, as a weight in pounds
        (lambda w: f"{w}.0", lambda w: w),  # the same, as pandas writes floats
        (lambda w: str(w % 400), lambda w: w % 400),  # about 210 distinct values
    ],
)
def test_a_quantity_is_a_regression_target_read_as_numbers(tmp_path, weight, value):
    rng = np.random.default_rng(13)
    weights = rng.integers(1600, 5000, 300)
    rows = [[f"{rng.normal():.3f}", weight(w)] for w in weights]
    path = write_csv(tmp_path / "cars.csv", ["x", "Weight_in_lbs"], rows)
    table = read_training_csv(path, "Weight_in_lbs")
    assert table.choice.task == "regression"
    assert table.y.dtype == np.float64
    assert_array_equal(table.y, value(weights))
    assert "--task classification overrides" in table.choice.line()


def test_many_integers_are_a_quantity_unless_asked_to_be_classes(tmp_path):
    rng = np.random.default_rng(14)
    rows = [[f"{rng.normal():.3f}", str(i % 150)] for i in range(300)]
    path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
    assert read_training_csv(path).choice.task == "regression"
    table = read_training_csv(path, task="classification")
    assert table.y.dtype.kind == "i" and len(set(table.y)) == 150
    assert table.choice.line().startswith(
        "Task: classification, as --task asks; the rule would give regression"
    )
    # Names are classes however many there are.
    rows = [[f"{rng.normal():.3f}", f"n{i}"] for i in range(300)]
    path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
    table = read_training_csv(path)
    assert table.choice.task == "classification" and len(set(table.y)) == 300


def test_a_decimal_comma_target_is_a_quantity(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x;y\n" + "".join(f"{i % 4};{i % 3},5\n" for i in range(30)))
    table = read_training_csv(path)
    assert table.choice.task == "regression"
    assert_array_equal(table.y, [i % 3 + 0.5 for i in range(30)])


def test_minus_zero_is_a_class_of_its_own_in_training_and_predict(tmp_path, capsys):
    rng = np.random.default_rng(6)
    rows = [[f"{rng.normal(3 * (i % 2)):.3f}", ["0", "-0"][i % 2]] for i in range(80)]
    path = write_csv(tmp_path / "t.csv", ["x", "y"], rows)
    table = read_training_csv(path)
    assert table.y.tolist() == [r[1] for r in rows]
    model_path = tmp_path / "m.joblib"
    status, _, err = run(["--data", path, *FAST, "--output", tmp_path,
                          "--save-model", model_path], capsys)  # fmt: skip
    assert status == 0, err
    predict = ["predict", "--model", model_path, "--data", path, *TRUST]
    status, out, err = run(predict, capsys)
    assert status == 0, err
    written = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert set(written["prediction"]) == {"0", "-0"}
    assert "probability_-0" in written.columns
    assert float(err.split("Accuracy on ")[1].split(": ")[1].split()[0]) > 0.9


# ------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "values, is_date",
    [
        (["2024-02-29", "1970-01-01", None], True),
        (["2024/02/29", "1999/12/31"], True),
        (["2024-02-29T13:30", "2024-03-01 00:00:01.5"], True),
        (["2023-02-29", "2024-01-01"], False),  # no such day
        (["2024-13-01"], False),
        (["20240101", "20240102"], False),  # a code, or a number
        (["2024-01", "2024-02"], False),
        (["01/02/2024"], False),  # which of day and month comes first?
        (["2024-01-02T03:04+01:00"], False),  # time zones are not read
        (["2024-01-02", "soon"], False),
        (["2024/01-02"], False),
    ],
)
def test_dates_are_iso_and_strict(values, is_date):
    assert is_date_column(pd.Series(values, dtype=object)) is is_date


def test_date_features_are_day_year_month_weekday_and_hour():
    X = pd.DataFrame({
        "d": ["1970-01-01", "2024-02-29", None, ""],
        "t": ["2024-03-01T06:30", "2024-03-01 18:00:00", "", None],
    })  # fmt: skip
    dates = DateFeatures().fit(X)
    assert dates.with_time_ == [False, True]
    assert dates.get_feature_names_out().tolist() == [
        "d_day", "d_year", "d_month", "d_weekday",
        "t_day", "t_year", "t_month", "t_weekday", "t_hour",
    ]  # fmt: skip
    out = dates.transform(X)
    day = (np.datetime64("2024-02-29") - np.datetime64("1970-01-01")).astype(int)
    assert_allclose(out[0, :4], [0, 1970, 1, 3])  # a Thursday
    assert_allclose(out[1, :4], [day, 2024, 2, 3])
    assert np.isnan(out[2:, :4]).all()
    assert_allclose(out[0, 4:], [day + 1, 2024, 3, 4, 6.5])
    assert_allclose(out[1, 8], 18.0)
    assert np.isnan(out[2:, 4:]).all()
    with pytest.raises(ValueError, match="'2024-02-30' in date column 'd'"):
        dates.transform(X.assign(d=["2024-02-30", None, None, None]))


def test_dates_become_numbers_in_training_predict_and_saved_models(tmp_path, capsys):
    require("skops")
    frame = dated_frame()
    frame.loc[3, "date"] = ""  # a missing date is imputed
    path = tmp_path / "weather.csv"
    frame.to_csv(path)  # with pandas' index, as R and pandas write row names
    model_path = tmp_path / "m.skops"
    status, out, err = run(["--data", path, "--n-hidden", "8", "--learning-rate", "1",
                            "--cv", "2", "--output", tmp_path,
                            "--save-model", model_path], capsys)  # fmt: skip
    assert status == 0, err
    assert (
        "1 dates as day, year, month, weekday (and hour), imputed, standardized: date"
        in out
    )
    assert "identifier-like" in out and ": the unnamed first column" in out
    assert "2 features" in out
    model = load_model(model_path)
    assert [name for name, _, _ in model[0].transformers_][:3] == [
        "numeric",
        "categorical",
        "dates",
    ]
    # Later dates than any seen in training extrapolate: they are numbers.
    new = dated_frame(n=40, seed=8)
    new["date"] = [d.replace("2012", "2031") for d in new["date"]]
    new.to_csv(tmp_path / "new.csv")
    status, out, err = run(["predict", "--model", model_path,
                            "--data", tmp_path / "new.csv"], capsys)  # fmt: skip
    assert status == 0, err
    assert float(err.split(": ")[1].split()[0]) > 0.7
    new.loc[5, "date"] = "2031/02/30"
    new.to_csv(tmp_path / "bad.csv")
    status, _, err = run(["predict", "--model", model_path,
                          "--data", tmp_path / "bad.csv"], capsys)  # fmt: skip
    one_line_error(status, err, "column 'date' holds dates, but line 7 holds "
                   "'2031/02/30'")  # fmt: skip


def test_onnx_export_with_dates_fails_before_the_search(tmp_path, capsys):
    require("skl2onnx")
    path = tmp_path / "weather.csv"
    dated_frame().to_csv(path, index=False)
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path,
                            "--export-onnx", tmp_path / "m.onnx"], capsys)  # fmt: skip
    one_line_error(status, err, "ONNX export cannot include date columns (date)",
                   "--drop date")  # fmt: skip
    assert "Cross-validated" not in out
    assert not (tmp_path / "m.onnx").exists()
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path,
                            "--drop", "date", "--export-onnx", tmp_path / "m.onnx"],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert (tmp_path / "m.onnx").exists()


def test_seattle_weather_as_shipped(tmp_path, capsys):
    """vega_datasets' file: dates written YYYY/MM/DD, five kinds of weather."""
    vega_datasets = require("vega_datasets")
    path = Path(vega_datasets.__file__).parent / "_data" / "seattle-weather.csv"
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path], capsys)
    assert status == 0, err
    assert "4 numeric, imputed (median) and standardized" in out
    assert ": date\n" in out
    assert "5 features, 5 classes" in out


# ------------------------------------------------------- categorical codes
def coded_rows(n=150, seed=9):
    rng = np.random.default_rng(seed)
    store = rng.integers(1, 6, n)  # codes 1..5: store 2 and 4 sell well
    rows = [[s, f"{rng.normal():.3f}", "good" if s in (2, 4) else "poor"]
            for s in store]  # fmt: skip
    return rows


def test_integer_codes_are_suggested_and_declared_categorical(tmp_path, capsys):
    path = write_csv(tmp_path / "t.csv", ["store", "x", "sales"], coded_rows())
    table = read_training_csv(path)
    assert table.columns.numeric == ["store", "x"]
    assert table.notes == [
        "Integer columns of 3 to 10 values, perhaps category codes: store "
        "(--categorical COLUMN one-hot encodes one)."
    ]
    table = read_training_csv(path, categorical=["store"])
    assert table.columns.categorical == ["store"]
    assert table.notes == []
    assert set(table.X["store"]) == {"1", "2", "3", "4", "5"}  # text, as written
    model_path = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *FAST, "--categorical", "store",
                            "--output", tmp_path, "--save-model", model_path],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert "one-hot encoded: store" in out
    assert float(out.split("Held-out accuracy: ")[1].split()[0]) == 1.0
    predict = ["predict", "--model", model_path, "--data", path, *TRUST]
    status, out, err = run(predict, capsys)
    assert status == 0, err
    assert err.startswith(f"Accuracy on {path}: 1.0000")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--categorical", "nope"], "--categorical nope: "),
        (["--keep", "sales"], "--keep sales: it is the target column"),
        (["--drop", "x", "--keep", "x"], "--drop and --keep/--categorical both name x"),
    ],
)
def test_column_options_name_columns_of_the_file(tmp_path, capsys, argv, fragment):
    path = write_csv(tmp_path / "t.csv", ["store", "x", "sales"], coded_rows())
    status, _, err = run(["--data", path, *argv], capsys)
    one_line_error(status, err, fragment)


@pytest.mark.parametrize("option", ["--target", "--drop", "--keep", "--categorical"])
@pytest.mark.parametrize("name, meant", [("STORE", "store"), ("Stor", "store"),
                                         (" x", "x")])  # fmt: skip
def test_a_column_named_but_for_case_is_suggested(tmp_path, capsys, option, name,
                                                  meant):  # fmt: skip
    path = write_csv(tmp_path / "t.csv", ["store", "x", "sales"], coded_rows())
    status, _, err = run(["--data", path, option, name], capsys)
    one_line_error(status, err, f"did you mean {meant!r}?")


def test_no_suggestion_for_a_column_unlike_any(tmp_path, capsys):
    path = write_csv(tmp_path / "t.csv", ["store", "x", "sales"], coded_rows())
    status, _, err = run(["--data", path, "--target", "price"], capsys)
    one_line_error(status, err, "has no column 'price'")
    assert "did you mean" not in err


# ------------------------------------------------------------ True / False
def test_a_true_false_column_with_an_empty_cell(tmp_path, capsys):
    """Numbers in training, in predict and in ONNX, with or without empty
    cells: an empty cell is a missing value, imputed."""
    require("skl2onnx")
    rng = np.random.default_rng(10)
    flags = rng.integers(0, 2, 80).astype(bool)
    rows = [[str(f), f"{rng.normal():.3f}", "y" if f else "n"] for f in flags]
    path = write_csv(tmp_path / "t.csv", ["flag", "x", "label"], rows)
    model_path = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path,
                            "--save-model", model_path,
                            "--export-onnx", tmp_path / "m.onnx"], capsys)  # fmt: skip
    assert status == 0, err
    assert "inputs: flag, x" in out
    rows[1][0] = ""
    new = write_csv(tmp_path / "new.csv", ["flag", "x", "label"], rows)
    predict = ["predict", "--model", model_path, "--data", new, *TRUST]
    status, out, err = run(predict, capsys)
    assert status == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == 80
    table = read_training_csv(new)
    assert table.columns.numeric == ["flag", "x"]
    flag = table.X["flag"]
    assert flag.dtype.kind == "f" and np.isnan(flag[1])
    assert flag.drop(index=1).tolist() == [float(f) for f in np.delete(flags, 1)]


# ------------------------------------------------- separators, names, pipes
def test_a_tab_separated_file_whose_header_holds_a_comma(tmp_path):
    path = tmp_path / "t.tsv"
    rows = ["size, cm\tcolour\tlabel"] + [f"{i % 5}.5\t{'rb'[i % 2]}\t{'uv'[i % 2]}"
                                          for i in range(10)]  # fmt: skip
    path.write_text("\n".join(rows) + "\n")
    table = read_training_csv(path)
    assert list(table.X.columns) == ["size, cm", "colour"]
    assert table.X["size, cm"].tolist()[:2] == [0.5, 1.5]


def test_semicolons_with_commas_in_the_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b;label\n" + "red, dark;2;u\nblue;3;v\n" * 3)
    table = read_training_csv(path)
    assert list(table.X.columns) == ["a", "b"]
    assert table.X["a"].tolist() == ["red, dark", "blue"] * 3


@pytest.mark.parametrize(
    "lines, mark",
    [
        (["a;b", "1,5;x", "2;y"], ","),
        (["a\tb", "-0,25\tx", "1,5e-05\ty"], ","),
        (["a;b", "NA;x", "1,5;y", "2,5;z"], ","),  # a marker among numbers
        (["a;b", "1.5;x", "2;y"], "."),
        (["a,b", "1,5", "2,5"], "."),  # a comma cannot be both
        (["a;b", "1,2,3;x", "4,5,6;y"], None),  # codes, not numbers
        (["a;b", '"1,2,3";x', "4;y"], None),
        (["a;b", "red, dark;x", "blue;y"], None),
        (["a;b", "NA;x", "NA;y", "1,5;z"], None),  # mostly markers
        (["a;b", "1,5;x", "1.5;y"], None),  # two conventions in one column
        (["a;b", "1;x", "2;y"], None),  # integers say nothing
    ],
)
def test_the_decimal_mark_is_found_from_whole_cells(lines, mark):
    separator = "\t" if "\t" in lines[0] else lines[0][1]
    assert decimal_mark(lines, separator) == mark


def test_semicolons_and_decimal_commas_in_training_and_predict(tmp_path, capsys):
    """The usual European export: ';' between fields, ',' in numbers. The
    measurements are numbers in training and in predict, which writes its
    rows as it reads them."""
    require("skops")
    frame = require("palmerpenguins").load_penguins()
    path = tmp_path / "euro.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False)
    assert path.read_text().splitlines()[1].startswith("Adelie;Torgersen;39,1;18,7;")
    table = read_training_csv(path, target="species")
    assert table.notes[0] == "Read as ';'-separated with decimal commas."
    measurements = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                    "body_mass_g"]  # fmt: skip
    assert table.columns.numeric == [*measurements, "year"]
    assert table.columns.categorical == ["island", "sex"]
    assert_allclose(table.X[measurements], frame[measurements])
    model_path = tmp_path / "m.skops"
    status, out, err = run(["--data", path, "--target", "species", *FAST,
                            "--output", tmp_path, "--save-model", model_path],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert "\n  Read as ';'-separated with decimal commas.\n" in out
    assert "5 numeric, imputed (median) and standardized: bill_length_mm" in out
    model = load_model(model_path)
    assert (model.separator_, model.decimal_) == (";", ",")

    status, out, err = run(["predict", "--model", model_path, "--data", path], capsys)
    assert status == 0, err
    assert out.splitlines()[1].startswith("Adelie;Torgersen;39,1;18,7;181,0;3750,0;")
    written = pd.read_csv(io.StringIO(out), sep=";", decimal=",", **exact_floats(pd))
    X = frame.drop(columns="species")
    assert_array_equal(written["prediction"], model.predict(X))
    probabilities = [f"probability_{c}" for c in model.classes_]
    assert_allclose(written[probabilities], model.predict_proba(X), rtol=1e-15)
    assert float(err.split("Accuracy on ")[1].split(": ")[1].split()[0]) > 0.9


def test_predict_reads_decimal_commas_its_first_lines_do_not_show(tmp_path, capsys):
    """A file whose first thousand lines hold integers only is read with the
    decimal mark of the file the model was trained on."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=80)
    rows = [[f"{v:.2f}".replace(".", ","), "uv"[int(v > 0)]] for v in x]
    path = tmp_path / "t.csv"
    path.write_text("x;y\n" + "".join(f"{a};{b}\n" for a, b in rows))
    model_path = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *FAST, "--output", tmp_path,
                            "--save-model", model_path], capsys)  # fmt: skip
    assert status == 0, err
    new = tmp_path / "new.csv"
    new.write_text("x;y\n" + "1;v\n" * 1000 + "-2,5;u\n")
    predict = ["predict", "--model", model_path, "--data", new, *TRUST]
    status, out, err = run(predict, capsys)
    assert status == 0, err
    written = pd.read_csv(io.StringIO(out), sep=";", decimal=",", dtype=str)
    assert written["x"].iloc[-1] == "-2,5"
    assert written["prediction"].iloc[-1] == "u"


@pytest.mark.parametrize(
    "header, names",
    [("a,b,a,y", "a"), ("a, a ,y", "a"), ("x,b,x,b,y", "x, b")],
)
def test_duplicate_column_names_are_refused(tmp_path, capsys, header, names):
    path = tmp_path / "t.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + "\n".join(",".join(["1"] * (width - 1) + [lab])
                                              for lab in "uvuv") + "\n")  # fmt: skip
    status, _, err = run(["--data", path], capsys)
    one_line_error(status, err, f"column name(s) used more than once: {names}")


@pytest.mark.parametrize("data", ["-", "/dev/stdin"])
def test_training_and_predict_read_a_pipe(tmp_path, data):
    rows = sorted_rows(n=80)
    path = write_csv(tmp_path / "t.csv", ["x", "c", "y"], rows)
    text = path.read_text()
    model_path = tmp_path / "m.joblib"
    result = subprocess.run(
        [sys.executable, "-m", "skbackprop", "--data", data, *FAST,
         "--output", str(tmp_path), "--save-model", str(model_path)],
        input=text, capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "60 training samples, 20 held out" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "skbackprop", "predict", "--model", str(model_path),
         "--data", data, "--trust-pickle"],
        input=text, capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert out[["x", "c", "y"]].values.tolist() == rows
    assert "(80 labelled rows)" in result.stderr
    if data == "-":  # standard input is named the same way in every line
        assert "Accuracy on standard input: " in result.stderr
        assert "60 rows of standard input;" in result.stderr


def test_an_empty_pipe_is_empty(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "skbackprop", "--data", "-"],
        input="", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "python -m skbackprop: error: standard input is empty"
    ]


# ------------------------------------------------------ numbers that overflow
def test_a_number_that_overflows_is_refused_whatever_pandas_reads(tmp_path, capsys):
    """pandas 3 reads -1e400 as -inf, pandas 2 as text: both are refused."""
    path = write_csv(tmp_path / "t.csv", ["a", "b", "y"],
                     [[1, "-1e400", "u"], [3, 4, "v"], [2, 5, "u"]])  # fmt: skip
    status, _, err = run(["--data", path], capsys)
    one_line_error(status, err, "column 'b' holds -inf on line 2")
