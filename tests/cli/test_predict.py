"""`python -m skbackprop predict`: a saved model's predictions for a CSV file."""

import io
import subprocess
import sys

import numpy as np
import pytest
from _helpers import MIXED_HEADER, ROOT, mixed_rows, one_line_error, run, write_csv
from _optional import require
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import load_model
from skbackprop.__main__ import main
from skbackprop._cli.reading import exact_floats

pd = require("pandas")
require("skops")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained by the command line on a file with every kind of column,
    and a second file of the same kind to predict."""
    folder = tmp_path_factory.mktemp("predict")
    train = write_csv(folder / "train.csv", MIXED_HEADER, mixed_rows())
    model = folder / "model.skops"
    status = main(["--data", str(train), "--drop", "noise", "--n-hidden", "4",
                   "--learning-rate", "1", "--cv", "2", "--output", str(folder),
                   "--save-model", str(model)])  # fmt: skip
    assert status == 0
    rows = mixed_rows(n=40, seed=1)
    rows[0][2] = "purple"  # a category never seen in training
    new = write_csv(folder / "new.csv", MIXED_HEADER, rows)
    return model, new, rows


def predict(argv, capsys):
    return run(["predict", *argv], capsys)


def test_predictions_follow_the_rows_with_probabilities(trained, capsys):
    model_path, new, rows = trained
    status, out, err = predict(["--model", model_path, "--data", new], capsys)
    assert status == 0, err

    table = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(table.columns) == [
        *MIXED_HEADER,
        "prediction",
        "probability_no",
        "probability_yes",
    ]
    # The input's rows, in order and as written, then the model's predictions.
    assert table[MIXED_HEADER].values.tolist() == [[str(v) for v in r] for r in rows]
    model = load_model(model_path)
    # Only empty cells are missing: "NA" in colour is a category.
    X = pd.read_csv(new, keep_default_na=False, na_values=[""])
    assert "NA" in set(X["colour"])
    assert_array_equal(table["prediction"], model.predict(X))
    probabilities = table[["probability_no", "probability_yes"]].astype(float)
    assert_allclose(probabilities, model.predict_proba(X), rtol=1e-15)
    assert_allclose(probabilities.sum(axis=1), 1.0)

    # The target column is no feature; the accuracy on the labelled rows.
    labelled = [r for r in rows if r[-1] != ""]
    right = np.mean(model.predict(X)[X["outcome"].notna()] == [r[-1] for r in labelled])
    assert err.strip().splitlines()[:2] == [
        "Note: 1 row holds values of 'colour' not seen in training ('purple'); it "
        "is encoded as all zeros.",
        f"Accuracy on {new}: {right:.4f} ({len(labelled)} labelled rows; "
        f"{len(rows) - len(labelled)} without a label)",
    ]
    assert right > 0.8


def test_predictions_to_a_file(trained, tmp_path, capsys):
    model_path, new, rows = trained
    output = tmp_path / "out" / "predictions.csv"
    status, out, err = predict(
        ["--model", model_path, "--data", new, "--output", output], capsys
    )
    assert status == 0, err
    assert err == ""
    assert f"Predictions for {len(rows)} rows written to {output}" in out
    assert "Accuracy on" in out
    assert len(pd.read_csv(output)) == len(rows)


def test_without_the_target_column_no_accuracy(trained, tmp_path, capsys):
    model_path, _, rows = trained
    header = MIXED_HEADER[:-1]
    new = write_csv(tmp_path / "unlabelled.csv", header, [r[:-1] for r in rows])
    status, out, err = predict(["--model", model_path, "--data", new], capsys)
    assert status == 0, err
    # No accuracy; only the note on the category never seen in training.
    assert err.splitlines() == [
        "Note: 1 row holds values of 'colour' not seen in training ('purple'); it "
        "is encoded as all zeros."
    ]
    assert len(pd.read_csv(io.StringIO(out))) == len(rows)


def test_columns_the_model_does_not_use_may_be_left_out(trained, tmp_path, capsys):
    model_path, _, rows = trained
    kept = ["size", "colour"]
    new = write_csv(tmp_path / "lean.csv", kept,
                    [[r[1], r[2]] for r in rows])  # fmt: skip
    status, out, err = predict(["--model", model_path, "--data", new], capsys)
    assert status == 0, err
    assert list(pd.read_csv(io.StringIO(out)).columns[:2]) == kept


@pytest.mark.parametrize(
    "edit, fragments",
    [
        (lambda h, r: ([c for c in h if c != "size"], [x[:1] + x[2:] for x in r]),
         ["has no column 'size', which the model needs"]),
        (lambda h, r: ([*h, "extra"], [[*x, 1] for x in r]),
         ["has a column 'extra' that the model was not trained on"]),
        (lambda h, r: (h, [x[:1] + ["big"] + x[2:] for x in r]),
         ["column 'size' must be numeric, but line 2 holds 'big'"]),
        (lambda h, r: (h, [x[:1] + ["inf"] + x[2:] for x in r]),
         ["column 'size' holds inf on line 2"]),
    ],
)  # fmt: skip
def test_bad_files_give_one_line_errors(trained, tmp_path, capsys, edit, fragments):
    model_path, _, rows = trained
    header, edited = edit(MIXED_HEADER, [list(r) for r in rows])
    new = write_csv(tmp_path / "bad.csv", header, edited)
    status, out, err = predict(["--model", model_path, "--data", new], capsys)
    one_line_error(status, err, *fragments)
    assert out == ""


def test_bad_model_files(trained, tmp_path, capsys):
    _, new, _ = trained
    status, _, err = predict(["--model", tmp_path / "m.pkl", "--data", new], capsys)
    one_line_error(status, err, "predict runs scikit-learn pipelines saved by "
                   "--save-model", "ends in .skops", "or .joblib")  # fmt: skip
    onnx = tmp_path / "penguins.onnx"
    onnx.write_bytes(b"an ONNX model")
    status, _, err = predict(["--model", onnx, "--data", new], capsys)
    one_line_error(status, err, f"--model {onnx} is an ONNX model", "predict runs "
                   "scikit-learn pipelines saved by --save-model (.skops or .joblib)",
                   "run an ONNX model with onnxruntime")  # fmt: skip
    status, _, err = predict(["--model", "-", "--data", "-"], capsys)
    one_line_error(status, err, "--model -: the model must be a file (.skops or "
                   ".joblib), not standard input")  # fmt: skip
    garbage = tmp_path / "m.skops"
    garbage.write_bytes(b"not a zip file")
    status, _, err = predict(["--model", garbage, "--data", new], capsys)
    one_line_error(status, err, f"cannot load the model {garbage}")


def test_bad_output_path_fails_before_reading_the_model(tmp_path, capsys):
    a_file = write_csv(tmp_path / "a_file", ["x"], [[1]])
    status, _, err = predict(
        ["--model", tmp_path / "missing.skops", "--data", tmp_path / "missing.csv",
         "--output", a_file / "p.csv"],
        capsys,
    )  # fmt: skip
    one_line_error(status, err, "--output", "not a directory")


def test_predict_to_a_closed_pipe_is_no_error(trained, tmp_path):
    """`predict ... | head -1`: the reader stops early, and that is fine."""
    model_path, _, _ = trained
    # Far more than a pipe's buffer of predictions.
    new = write_csv(tmp_path / "many.csv", MIXED_HEADER, mixed_rows(n=4000, seed=2))
    command = (
        f"{sys.executable} -m skbackprop predict --model {model_path} "
        f"--data {new} | head -1"
    )
    result = subprocess.run(command, shell=True, capture_output=True, text=True,
                            cwd=ROOT, timeout=120)  # fmt: skip
    assert result.stdout.startswith("name,size,colour")
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr


# ------------------------------------------------------------------ multilabel
@pytest.mark.parametrize("to_file", [False, True])
@pytest.mark.parametrize("n_labels", [2, 3])
def test_a_multilabel_model_predicts_a_column_per_label(
    tmp_path, capsys, to_file, n_labels
):
    """A model fitted on an indicator matrix: a 0/1 prediction column and a
    probability column per label."""
    from sklearn.datasets import make_multilabel_classification
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skbackprop import TwoLayerClassifier
    from skbackprop._deploy.model_file import save_model

    X, Y = make_multilabel_classification(120, 4, n_classes=n_labels, random_state=0)
    X = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    net = TwoLayerClassifier(n_hidden=8, max_iter=100, random_state=0)
    model = make_pipeline(StandardScaler(), net).fit(X, Y)
    model_path, data = tmp_path / "multilabel.skops", tmp_path / "new.csv"
    save_model(model, model_path)
    X.to_csv(data, index=False)
    output = tmp_path / "predictions.csv"

    argv = ["--model", model_path, "--data", data]
    status, out, err = predict(argv + (["--output", output] if to_file else []), capsys)

    assert status == 0, err
    table = pd.read_csv(output if to_file else io.StringIO(out), **exact_floats(pd))
    labels = range(n_labels)
    assert list(table.columns) == [
        *X.columns,
        *(f"prediction_{k}" for k in labels),
        *(f"probability_{k}" for k in labels),
    ]
    assert_array_equal(table[[f"prediction_{k}" for k in labels]], model.predict(X))
    assert_allclose(
        table[[f"probability_{k}" for k in labels]], model.predict_proba(X), rtol=1e-15
    )
    assert "Accuracy" not in out + err


def test_an_unnamed_first_column_keeps_its_empty_header(tmp_path, capsys):
    """R and pandas head their row names with an empty name: the predictions
    write the header as the file does."""
    header = ["", *MIXED_HEADER[1:]]
    train = write_csv(tmp_path / "train.csv", header,
                      [[i, *r[1:]] for i, r in enumerate(mixed_rows())])  # fmt: skip
    model_path = tmp_path / "m.skops"
    status, out, err = run(["--data", train, "--n-hidden", "4", "--learning-rate",
                            "1", "--cv", "2", "--output", tmp_path, "--save-model",
                            model_path], capsys)  # fmt: skip
    assert status == 0, err
    assert "Unnamed" not in out
    rows = mixed_rows(n=40, seed=1)
    new = write_csv(tmp_path / "rownames.csv", header,
                    [[i, *r[1:]] for i, r in enumerate(rows)])  # fmt: skip
    output = tmp_path / "p.csv"
    status, out, err = predict(
        ["--model", model_path, "--data", new, "--output", output], capsys
    )
    assert status == 0, err
    first = output.read_text().splitlines()[0]
    assert first.startswith(",size,colour,noise,blank,outcome,prediction,")
    status, out, err = predict(["--model", model_path, "--data", new], capsys)
    assert status == 0, err
    assert out.splitlines()[0] == first


def test_unknown_categories_and_labels_are_noted(trained, tmp_path, capsys):
    model_path, _, rows = trained
    rows = [list(r) for r in rows]
    rows[0][2], rows[1][2], rows[2][2] = "Atlantis", "Atlantis", "purple"
    rows[3][-1], rows[4][-1] = "Dodo", "Dodo"
    rows[5][-1] = "maybe"
    new = write_csv(tmp_path / "new.csv", MIXED_HEADER, rows)
    output = tmp_path / "p.csv"
    status, out, err = predict(
        ["--model", model_path, "--data", new, "--output", output], capsys
    )
    assert status == 0, err
    assert out.splitlines()[1].startswith("Note: 3 rows hold values of 'colour'")
    words = " ".join(out.split())
    assert (
        "Note: 3 rows hold values of 'colour' not seen in training ('Atlantis', "
        "'purple'); they are encoded as all zeros." in words
    )
    assert (
        "Note: 3 rows have labels the model does not know ('Dodo', 'maybe'): they "
        "count as wrong." in words
    )
    # The accuracy counts them as wrong: they are labelled rows.
    written = pd.read_csv(output, dtype=str, keep_default_na=False)
    labelled = written["outcome"] != ""
    right = (written["prediction"] == written["outcome"])[labelled].mean()
    assert f"Accuracy on {new}: {right:.4f} ({labelled.sum()} labelled rows" in out


def test_unknown_categories_of_several_columns_make_one_bounded_note():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from skbackprop import TwoLayerClassifier
    from skbackprop._cli.predict import unseen_category_notes

    columns = [f"c{i}" for i in range(8)]
    train = pd.DataFrame({c: ["a", "b"] * 5 for c in columns})
    encoder = Pipeline([("onehot", OneHotEncoder(handle_unknown="ignore"))])
    model = Pipeline([
        ("prep", ColumnTransformer([("categorical", encoder, columns)])),
        ("net", TwoLayerClassifier(n_hidden=2, max_iter=5)),
    ]).fit(train, [0, 1] * 5)  # fmt: skip
    new = pd.DataFrame({c: [f"z{i}" for i in range(50)] for c in columns})
    new.loc[0, "c0"] = None  # missing, not unseen
    (note,) = unseen_category_notes(model, new)
    assert note.startswith("Note: 50 rows hold values not seen in training, in "
                           "'c0' ('z1', 'z2', ... (49 in all)), 'c1' ('z0', 'z1', "
                           "... (50 in all)), 'c2' ")  # fmt: skip
    assert "(8 in all); they are encoded as all zeros." in note
    assert len(note) < 300
    assert unseen_category_notes(model, train) == []
