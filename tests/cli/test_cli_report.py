"""What the main job reports: rare classes, honest scores, readable output."""

import csv
import functools
import re
import warnings

import numpy as np
import pytest
from _helpers import assert_readable, run, write_csv
from _optional import require
from sklearn.datasets import load_iris
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV

from skbackprop import TwoLayerClassifier, load_model
from skbackprop.__main__ import main
from skbackprop._cli import task as _task
from skbackprop._cli.report import (
    confusion_lines,
    held_out_lines,
    held_out_scores,
    recall_line,
)
from skbackprop._cli.split import (
    SearchScorer,
    least_class_size,
    split,
    unscored_note,
)
from skbackprop._cli.text import (
    WIDTH,
    class_label,
    count,
    listing,
    together,
    wrapped,
)

require("pandas")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


QUICK = ["--cv", "2", "--n-hidden", "2", "--learning-rate", "1"]


def iris_rows(extra=()):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return [[*x, name] for x, name in zip(X, names, strict=True)] + list(extra)


@pytest.fixture
def iris_with_a_lonely_class(tmp_path):
    rows = iris_rows([[5.0, 3.0, 1.0, 0.2, "lonely"]])
    return write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "species"], rows)


@pytest.fixture
def short_fits(monkeypatch):
    """Networks that stop after 3 epochs: fast, and never converged."""
    monkeypatch.setattr(
        _task, "TwoLayerClassifier", functools.partial(TwoLayerClassifier, max_iter=3)
    )


def skewed_csv(path, seed=0, n=200, share=0.15, shift=0.8):
    """Two features, 'Yes' on about ``share`` of the rows, weakly separated."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < share, "Yes", "No")
    X = rng.normal(size=(n, 2))
    X[:, 0] += (y == "Yes") * shift
    rows = [[*x, label] for x, label in zip(X, y, strict=True)]
    return write_csv(path, ["a", "b", "default"], rows)


# ------------------------------------------------------------ rare classes
def test_a_class_of_one_row_is_trained_on_and_named(
    iris_with_a_lonely_class, tmp_path, capsys
):
    model = tmp_path / "m.joblib"
    status, out, err = run(["--data", iris_with_a_lonely_class, *QUICK,
                            "--output", tmp_path, "--save-model", model],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert (
        "Trained on, not scored: 1 class, 1 row (fewer than the 4 a class needs for "
        "a held-out row and one in each of 2 folds; rows per class): 'lonely': 1"
    ) in " ".join(out.split())
    assert "lonely" in load_model(model).classes_


def test_rare_rows_are_in_every_training_fold_and_never_scored():
    y = np.array(["a"] * 20 + ["b"] * 20 + ["c"] * 2 + ["d"])
    X = np.arange(len(y))[:, None]
    data = split(X, y, 3, random_state=0)
    assert data.unscored == {"c": 2, "d": 1}
    assert set(data.y_test) == {"a", "b"}
    rare = np.flatnonzero(np.isin(data.y_train, ["c", "d"]))
    assert len(rare) == 3 and len(data.folds) == 3
    for train, test in data.folds:
        assert set(rare) <= set(train) and not set(rare) & set(test)
    # Every scored row is tested exactly once.
    tested = np.concatenate([test for _, test in data.folds])
    assert sorted(tested) == sorted(set(range(len(data.y_train))) - set(rare))


def test_min_class_size_raises_the_bar_and_too_few_classes_is_one_line(
    tmp_path, capsys
):
    y = np.array(["a"] * 20 + ["b"] * 12 + ["c"] * 8)
    data = split(np.zeros((40, 1)), y, 2, random_state=0, min_class_size=10)
    assert data.unscored == {"c": 8} and set(data.y_test) == {"a", "b"}
    rows = [[i, "a"] for i in range(30)] + [[i, label] for i, label in
                                              enumerate("bbcd")]  # fmt: skip
    path = write_csv(tmp_path / "f.csv", ["x", "y"], rows)
    status, out, err = run(["--data", path, *QUICK], capsys)
    assert status == 1 and err.count("\n") == 1, err
    assert "fewer than two classes have the 4 rows a class needs" in err


def test_too_many_folds_says_why_a_class_needs_so_many_rows(tmp_path, capsys):
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    status, out, err = run(["--data", path, "--cv", "500"], capsys)
    assert status == 1 and err.count("\n") == 1 and out == "", err
    assert (
        "fewer than two classes have the 667 rows a class needs to be scored with "
        "--cv 500: a quarter of them held out, and the rest enough for one row in "
        "each of the 500 folds (rows of the largest classes: 'setosa': 50"
    ) in err
    assert err.rstrip().endswith("lower --cv, or add data")
    assert "--min-class-size" not in err


def test_min_class_size_below_the_least_is_refused_before_reading(tmp_path, capsys):
    status, out, err = run(["--data", tmp_path / "absent.csv", "--cv", "3",
                            "--min-class-size", "3"], capsys)  # fmt: skip
    assert status == 1 and err.count("\n") == 1 and out == "", err
    assert (
        "--min-class-size 3 is below the 4 rows a class needs to be scored with "
        "--cv 3 (one held-out row and one row in each fold); give at least 4"
    ) in err
    # Raised by --min-class-size, the bar is named as such.
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    status, _, err = run(["--data", path, "--min-class-size", "60"], capsys)
    assert status == 1 and "the 60 rows of --min-class-size" in err
    assert "lower --min-class-size, or add data" in err


def test_least_class_size_holds_a_row_out_and_one_per_fold():
    assert [least_class_size(cv) for cv in (2, 3, 4, 5, 10)] == [4, 4, 6, 7, 14]
    for cv in (2, 3, 5, 10):
        n = least_class_size(cv)
        y = np.array(["big"] * 97 + ["small"] * n)
        data = split(np.zeros((len(y), 1)), y, cv, random_state=1)
        assert data.unscored == {}
        assert (data.y_test == "small").sum() >= 1
        assert (data.y_train == "small").sum() >= cv


def test_the_folds_work_in_parallel_fits():
    y = np.array(["a"] * 20 + ["b"] * 20 + ["c"])
    X = np.random.default_rng(0).normal(size=(len(y), 2))
    data = split(X, y, 2, random_state=0)
    search = GridSearchCV(
        TwoLayerClassifier(n_hidden=2, max_iter=5),
        {"learning_rate": [0.5, 1.0]},
        cv=data.folds,
        n_jobs=2,
        scoring=SearchScorer("accuracy"),
        refit="score",
    )
    search.fit(data.X_train, data.y_train)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert list(search.best_estimator_.classes_) == ["a", "b", "c"]


# ------------------------------------------------------------ honest scores
def test_a_constant_model_on_a_skewed_target_is_called_out(tmp_path, capsys):
    path = skewed_csv(tmp_path / "skewed.csv")
    status, out, err = run(["--data", path, "--cv", "2", "--n-hidden", "2",
                            "--learning-rate", "0.0001", "--output", tmp_path],
                           capsys)  # fmt: skip
    assert status == 0, err
    text = " ".join(out.split())
    accuracy = float(re.search(r"Held-out accuracy: ([\d.]+)", out).group(1))
    assert "Held-out balanced accuracy: 0.5000" in text
    # in class order, as in the confusion matrix
    assert re.search(r"Recall per class \(held-out rows in parentheses\): "
                     r"'No': 1.00 \(\d+\), 'Yes': 0.00 \(\d+\)", text)  # fmt: skip
    assert (
        "Warning: the model predicts class 'No' for every held-out row: its accuracy "
        f"is the share of that class ({accuracy:.4f})"
    ) in text


def test_balanced_classes_get_no_balanced_accuracy_line(tmp_path, capsys):
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    status, out, err = run(["--data", path, *QUICK, "--output", tmp_path], capsys)
    assert status == 0, err
    assert "Held-out accuracy" in out and "balanced accuracy" not in out


def test_scoring_chooses_the_parameters(tmp_path, capsys):
    """On this file, accuracy prefers the network that predicts the majority,
    balanced accuracy the one that learned something."""
    path = skewed_csv(tmp_path / "skewed.csv")
    grid = ["--cv", "2", "--n-hidden", "4", "--learning-rate", "0.0001", "1",
            "--output", tmp_path]  # fmt: skip
    best = {}
    for scoring in ("accuracy", "balanced_accuracy"):
        status, out, err = run(["--data", path, *grid, "--scoring", scoring], capsys)
        assert status == 0, err
        assert f"Cross-validated {scoring} (2 folds" in out
        assert f"{scoring} (mean ± std)" in out
        found = re.search(
            rf"Best parameters: learning_rate=(\S+), n_hidden=4 \(cross-validated "
            rf"{scoring} ([\d.]+)\)",
            out,
        )
        best[scoring] = found.group(1)
    assert best == {"accuracy": "0.0001", "balanced_accuracy": "1.0"}


def test_the_held_out_score_by_the_chosen_metric(tmp_path, capsys):
    """A scorer the held-out lines do not show already gets a line of its
    own; accuracy, which they show, does not get a second one."""
    path = skewed_csv(tmp_path / "skewed.csv")
    grid = ["--cv", "2", "--n-hidden", "4", "--output", tmp_path]
    status, out, err = run(["--data", path, *grid, "--scoring", "f1_macro"], capsys)
    assert status == 0, err
    value = re.search(r"Held-out f1_macro: ([\d.]+) \((\d+) samples\)", out)
    assert 0 <= float(value.group(1)) <= 1
    status, out, err = run(["--data", path, *grid, "--scoring", "accuracy"], capsys)
    assert status == 0, err
    assert out.count("Held-out accuracy") == 1


def test_class_weight_reaches_the_network(tmp_path, capsys):
    path = skewed_csv(tmp_path / "skewed.csv")
    model = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *QUICK, "--class-weight", "balanced",
                            "--output", tmp_path, "--save-model", model],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert load_model(model)[-1].class_weight == "balanced"


@pytest.mark.parametrize(
    "scoring, fragment",
    [("accuracyy", "valid names include accuracy, balanced_accuracy"),
     ("adjusted_rand_score",
      "'adjusted_rand_score' is not a scikit-learn scorer for classification or "
      "regression")],
)  # fmt: skip
def test_unknown_scoring_is_a_usage_error(scoring, fragment, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--scoring", scoring])
    assert exit_.value.code == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    "scoring, lonely, fragment, instead",
    [
        ("f1", False, "--scoring f1 cannot score this target: ",
         "f1_macro, f1_weighted"),
        ("roc_auc", False, "--scoring roc_auc cannot score this target: ",
         "roc_auc_ovr"),
        ("neg_log_loss", True, "--scoring neg_log_loss cannot score this target "
         "(the model knows 1 class that no scored row has): ",
         "balanced_accuracy, f1_macro"),
    ],
)  # fmt: skip
def test_a_scorer_that_cannot_score_the_target_fails_before_the_search(
    tmp_path, capsys, monkeypatch, scoring, lonely, fragment, instead
):
    extra = [[5.0, 3.0, 1.0, 0.2, "lonely"]] if lonely else []
    rows = iris_rows(extra)
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], rows)
    monkeypatch.setattr(GridSearchCV, "fit", lambda *a, **k: pytest.fail("searched"))
    status, _, err = run(["--data", path, *QUICK, "--scoring", scoring], capsys)
    assert status == 1 and err.count("\n") == 1, err
    assert fragment in err and f"choose another, e.g. {instead}\n" in err


def test_a_long_label_is_cut_inside_its_quotes():
    assert class_label("Officer-involved shooting", 20) == "'Officer-involve...'"
    assert len(class_label("Officer-involved shooting", 20)) == 20
    assert class_label(123456789, 5) == "12..."


def test_a_few_classes_with_long_labels_say_why_no_table_shows():
    # five labels of 24 characters: a table would be wider than the report
    labels = np.array([f"Officer-involved event {k}" for k in range(5)])
    lines = confusion_lines(labels, np.roll(labels, 1), labels)
    assert lines[0] == (
        "Confusion matrix: its labels are too long to show its 5 classes as a table; "
        "its summary:"
    )


def test_labels_read_apart_whether_numbers_or_text():
    """3 and '3' are two labels, written apart in every list of the report."""
    y_test = np.array([3, 3, 8, 8, 8])
    y_pred = np.array([3, 8, 8, 8, 8])
    classes, counts = np.unique(y_test, return_counts=True)
    assert recall_line(y_test, y_pred, classes, counts) == (
        "Recall per class (held-out rows in parentheses): 3: 0.50 (2), 8: 1.00 (3)"
    )
    text = y_test.astype(str)
    assert recall_line(text, y_pred.astype(str), classes.astype(str), counts) == (
        "Recall per class (held-out rows in parentheses): '3': 0.50 (2), '8': 1.00 (3)"
    )
    lines = confusion_lines(text, y_pred.astype(str), classes.astype(str))
    assert lines[1].split() == ["'3'", "'8'"]
    assert unscored_note({5: 3}, 4, 3).endswith("rows per class): 5: 3")
    assert unscored_note({"5": 3}, 4, 3).endswith("rows per class): '5': 3")


def test_held_out_scores_of_a_class_no_held_out_row_has_warn_nothing():
    """A class trained on and not scored may be predicted: balanced accuracy
    counts it wrong, as scikit-learn does, without its warning."""
    y_test = np.array(["a", "a", "b", "b"])
    y_pred = np.array(["a", "lonely", "b", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = held_out_scores(y_test, y_pred)
        lines = held_out_lines(y_test, y_pred)
        confusion_lines(y_test, y_pred, np.array(["a", "b", "lonely"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = balanced_accuracy_score(y_test, y_pred)
    assert scores["balanced_accuracy"] == pytest.approx(expected) == 0.75
    assert "Held-out accuracy: 0.7500 (4 samples)" in lines


def test_max_iter_reaches_the_network_and_the_best_line(tmp_path, capsys):
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    model = tmp_path / "m.joblib"
    status, out, err = run(["--data", path, *QUICK, "--max-iter", "4",
                            "--output", tmp_path, "--save-model", model],
                           capsys)  # fmt: skip
    assert status == 0, err
    assert load_model(model)[-1].max_iter == 4
    assert "Best parameters: learning_rate=1.0, n_hidden=2, max_iter=4 (" in out
    assert "Raise --max-iter (now 4)" in " ".join(out.split())
    status, out, err = run(["--data", path, *QUICK, "--output", tmp_path], capsys)
    assert status == 0 and "max_iter=" not in out  # the default is not named


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "many"])
def test_max_iter_must_be_a_positive_integer(value, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--max-iter", value])
    assert exit.value.code == 2
    assert f"--max-iter: {value!r} is not a positive integer" in capsys.readouterr().err


def test_help_offers_max_iter(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--max-iter N" in capsys.readouterr().out


def test_wrapped_keeps_a_listings_count_whole():
    for n_words in range(10, 40):
        text = "word " * n_words + listing([f"column {i}" for i in range(8)])
        assert "(8 in all)" in wrapped(text).splitlines()[-1]
        assert_readable(wrapped(text))
    assert wrapped("a (8 in all) b") == "a (8 in all) b"
    items = [f"{i} -> {i + 1}: 2" for i in range(40)]
    lines = wrapped(", ".join(together(item) for item in items)).splitlines()
    assert len(lines) > 1 and all(len(line) <= WIDTH for line in lines)
    assert [item for line in lines for item in line.strip(" ,").split(", ")] == items


# ------------------------------------------------------------ readable output
def test_the_search_warnings_become_one_note(tmp_path, capsys, short_fits):
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    status, out, err = run(["--data", path, "--cv", "2", "--n-hidden", "2",
                            "--learning-rate", "1", "2", "--output", tmp_path,
                            "--scoring", "precision_macro"], capsys)  # fmt: skip
    assert status == 0, err
    text = " ".join(out.split())
    assert (
        "Note: 4 of 4 fits stopped at the iteration limit before converging (their "
        "scores are those of the unfinished networks); so did the best model, "
        "refitted on the training split. Raise --max-iter (now 3), or try larger "
        "--learning-rate values."
    ) in text
    assert "Warning:" not in err and "max_iter" not in err
    assert "ConvergenceWarning" not in out + err


def test_parallel_fits_warnings_are_counted_too(tmp_path, capsys, short_fits):
    path = write_csv(tmp_path / "iris.csv", ["a", "b", "c", "d", "s"], iris_rows())
    status, out, err = run(["--data", path, *QUICK, "--n-jobs", "2",
                            "--output", tmp_path], capsys)  # fmt: skip
    assert status == 0, err
    assert "Note: 2 of 2 fits stopped at the iteration limit" in " ".join(out.split())


def test_many_classes_and_columns_stay_within_the_width(
    tmp_path, capsys, short_fits, monkeypatch
):
    rng = np.random.default_rng(0)
    n_classes, per_class = 40, 5
    header = [
        f"a rather long and descriptive column name number {i}" for i in range(25)
    ]
    labels = [
        f"class number {i} with a very long label indeed" for i in range(n_classes)
    ]
    rows = [[*rng.normal(size=25).round(3), label]
            for label in labels for _ in range(per_class)]  # fmt: skip
    path = write_csv(tmp_path / ("a long file name " * 4 + ".csv"),
                     [*header, "the label column"], rows)  # fmt: skip
    monkeypatch.chdir(tmp_path)  # the paths of the outputs are short
    status, out, err = run(["--data", path, *QUICK], capsys)
    assert status == 0, err
    assert_readable(out + err)
    text = " ".join(out.split())
    assert (
        f"Confusion matrix: {n_classes} classes, too many to show as a table; its "
        "summary:"
    ) in text
    assert "The most frequent confusions (true -> predicted: rows):" in text
    assert "Recall of the 10 classes of lowest recall, of 40, lowest first" in text
    # where the full matrix is, said once
    assert text.count("confusion_matrix.csv") == 1
    assert (
        f"Held-out confusion matrix (all {n_classes} classes) written to "
        "./confusion_matrix.csv"
    ) in text
    with open(tmp_path / "confusion_matrix.csv", newline="") as f:
        matrix = list(csv.reader(f))
    assert matrix[0][1:] == sorted(labels) and len(matrix) == n_classes + 1
    assert (
        sum(int(n) for row in matrix[1:] for n in row[1:]) == n_classes * per_class // 4
    )


def test_a_thousand_classes_print_a_bounded_report(tmp_path, capsys, short_fits):
    labels = [f"class-{i:04d}" for i in range(1000)]
    rows = [[i % 7, (i * 13) % 11, label] for i, label in enumerate(labels * 4)]
    path = write_csv(tmp_path / "many.csv", ["a", "b", "y"], rows)
    status, out, err = run(["--data", path, *QUICK, "--output", tmp_path], capsys)
    assert status == 0, err
    assert len(out) + len(err) < 6000, len(out)
    assert "1000 classes; the 10 most frequent (rows): 'class-0000': 4" in out
    # With one row per class, no class can be scored: a short error.
    path = write_csv(tmp_path / "one.csv", ["a", "y"], [[i, s] for i, s in
                                                        enumerate(labels)])  # fmt: skip
    status, out, err = run(["--data", path, *QUICK], capsys)
    assert status == 1 and len(err) < 400, err


def test_listing_is_bounded():
    assert listing(range(3)) == "0, 1, 2"
    assert listing(range(1000)) == "0, 1, 2, 3, 4, 5, ... (1000 in all)"
    assert listing(["x" * 1000], quote=True) == "'" + "x" * 26 + "..."
    assert listing(np.array(["a"]), quote=True) == "'a'"
    assert (count(1, "class"), count(2, "class"), count(3, "fit")) == (
        "1 class", "2 classes", "3 fits")  # fmt: skip


def test_errors_listing_columns_are_bounded(tmp_path, capsys):
    header = [f"column {i}" for i in range(2000)]
    path = write_csv(tmp_path / "wide.csv", header, [list(range(2000))] * 3)
    status, _, err = run(["--data", path, "--target", "nope"], capsys)
    assert status == 1 and len(err) < 400, err
    assert "'column 0', 'column 1'" in err and "(2000 in all)" in err


# ------------------------------------------------------------------ predict
@pytest.mark.parametrize("suffix", [".skops", ".joblib"])
def test_predict_prints_the_held_out_scores_beside_its_accuracy(
    tmp_path, capsys, suffix
):
    if suffix == ".skops":
        require("skops.io")
    train = skewed_csv(tmp_path / "loans.csv")
    model = tmp_path / f"m{suffix}"
    status, out, err = run(["--data", train, *QUICK, "--output", tmp_path,
                            "--save-model", model], capsys)  # fmt: skip
    assert status == 0, err
    fitted = load_model(model)
    scores = fitted.held_out_scores_
    assert fitted.training_rows_ == 150 and scores["rows"] == 50
    assert f"Held-out accuracy: {scores['accuracy']:.4f} (50 samples)" in out

    trust = ["--trust-pickle"] if suffix == ".joblib" else []
    argv = ["predict", "--model", model, "--data", train, *trust]
    status, _, err = run(argv, capsys)
    assert status == 0, err
    text = " ".join(err.split())
    assert (
        f"The model was fitted on 150 rows of loans.csv; on the 50 rows held out "
        f"from it, its accuracy was {scores['accuracy']:.4f} and its balanced "
        f"accuracy {scores['balanced_accuracy']:.4f}."
    ) in text
    assert "Caveat: loans.csv has the name of the file the model was trained on" in text
    assert "150 of its rows were seen in training" in text

    other = tmp_path / "later.csv"
    other.write_text(train.read_text())
    status, _, err = run(["predict", "--model", model, "--data", other, *trust], capsys)
    assert status == 0, err
    assert "Caveat" not in err
    assert "If this file holds rows the model was trained on" in " ".join(err.split())


def test_predict_with_a_model_that_records_nothing_says_so(tmp_path, capsys):
    import joblib
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    path = skewed_csv(tmp_path / "f.csv")
    frame = pd.read_csv(path)
    model = make_pipeline(StandardScaler(), TwoLayerClassifier(n_hidden=2))
    model.fit(frame[["a", "b"]], frame["default"])
    model.target_name_ = "default"
    joblib.dump(model, tmp_path / "m.joblib")
    status, _, err = run(
        ["predict", "--model", tmp_path / "m.joblib", "--data", path, "--trust-pickle"],
        capsys,
    )
    assert status == 0, err
    assert "This model does not record its held-out scores" in err
