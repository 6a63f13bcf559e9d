"""`python -m skbackprop bench regdefaults`: the defaults of TwoLayerRegressor
against MLPRegressor's on real data. These check what is compared and how a
row is judged, on the quick version; no timing assertions."""

import numpy as np
import pytest
from _helpers import without_module
from _optional import require
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from skbackprop import TwoLayerRegressor
from skbackprop.__main__ import main
from skbackprop._bench import regression


def _data_set(name):
    return next(d for d in regression.DATA_SETS if d.name == name)


def test_quick_version_prints_a_row_per_data_set(capsys):
    require("palmerpenguins")
    assert regression.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "medians over 1 seeds" in out
    assert out.count("load average") == 2  # when the run starts and ends
    quick = tuple(regression.QUICK)
    rows = [line for line in out.splitlines() if line.startswith(quick)]
    assert [row.split()[0] for row in rows] == regression.QUICK
    for row in rows:
        assert row.endswith((" yes", " NO"))
        assert "1/1" in row or "0/1" in row  # seeds where skb is at least MLP
    assert "total fit time (sum of the medians): skb" in out
    assert "of 2 data sets" in out


def test_bench_command_passes_its_subset_and_seeds(capsys):
    argv = ["bench", "regdefaults", "--reg-subset", "diabetes", "--seeds", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "medians over 2 seeds" in out
    assert "\ndiabetes " in out and "\npenguins" not in out
    assert "/2" in out.split("\ndiabetes ")[1].splitlines()[0]


def test_unknown_data_set_is_an_error(capsys):
    with pytest.raises(SystemExit):
        regression.main(["--subset", "nosuchset"])
    assert "unknown data set(s) or group(s) ['nosuchset']" in capsys.readouterr().err


def test_a_fit_is_scored_on_the_held_out_rows_in_the_target_scale():
    X, y = _data_set("diabetes").load()
    split = train_test_split(X, y, test_size=0.25, random_state=0)
    fit = regression.fit_score(TwoLayerRegressor, 0, split)
    model = regression.model(TwoLayerRegressor, 0).fit(split[0], split[2])
    X_test, y_test = split[1], split[3]
    assert fit.r2 == pytest.approx(r2_score(y_test, model.predict(X_test)))
    assert fit.r2 < model.score(split[0], split[2])  # held out, not trained on
    assert fit.n_iter == model.regressor_[-1].n_iter_
    assert fit.seconds > 0
    # the targets were standardized for the network, and are not any more
    assert abs(model.predict(X_test).mean() - y_test.mean()) < 0.2 * y_test.std()


def test_a_row_is_judged_by_the_median_paired_difference_and_the_time():
    def fits(pairs, seconds):
        return [regression.Fit(r2, seconds, 10, warned=False) for r2 in pairs]

    # The median paired difference is +0.01 (seed by seed: +0.3, +0.01,
    # -0.02), where the medians of R² alone differ by -0.01.
    ours = fits([0.9, 0.48, 0.47], 1.0)
    theirs = fits([0.6, 0.47, 0.49], 2.0)
    stats = regression.summary({"skb": ours, "MLP": theirs})
    assert stats["diff"] == pytest.approx(0.01)
    assert stats["r2"]["skb"] - stats["r2"]["MLP"] == pytest.approx(-0.01)
    assert stats["at_least"] == 2 and stats["seeds"] == 3
    assert regression.is_ok(stats)
    slower = regression.summary({"skb": fits([0.9, 0.48, 0.47], 3.0), "MLP": theirs})
    assert not regression.is_ok(slower)
    worse = regression.summary({"skb": fits([0.5, 0.4, 0.3], 1.0), "MLP": theirs})
    assert worse["diff"] == pytest.approx(-0.1)
    assert not regression.is_ok(worse)


def test_a_row_that_misses_the_bar_is_followed_by_its_seeds(monkeypatch):
    def fits(r2s):
        return [regression.Fit(r2, 1.5, 7, r2 < 0.5) for r2 in r2s]

    missed = {"skb": fits([0.4, 0.45]), "MLP": fits([0.6, 0.55])}
    lines = regression.per_seed(missed)
    assert lines == [
        "  seed 0  R² 0.400 0.600  s 1.50 1.50  it 7 7  warn W/-",
        "  seed 1  R² 0.450 0.550  s 1.50 1.50  it 7 7  warn W/-",
    ]

    def recorded(estimator, seed, split):
        return missed["skb" if estimator is TwoLayerRegressor else "MLP"][seed]

    monkeypatch.setattr(regression, "fit_score", recorded)
    logged = []
    regression.run([_data_set("diabetes")], seeds=2, log=logged.append)
    assert logged[0].startswith("diabetes ") and logged[0].endswith(" NO")
    assert logged[1:] == lines


def test_california_is_read_from_disk_or_skipped(monkeypatch):
    asked = []

    def not_on_disk(**kwargs):
        asked.append(kwargs)
        raise OSError("Data not found and `download_if_missing` is False")

    monkeypatch.setattr(regression, "fetch_california_housing", not_on_disk)
    lines = []
    data_sets = [_data_set("california"), _data_set("diabetes")]
    results = regression.run(data_sets, seeds=1, log=lines.append)
    assert asked == [{"return_X_y": True, "download_if_missing": False}]
    assert list(results) == ["diabetes"]
    assert lines[0].startswith("california  skipped: not in scikit-learn's data")
    assert lines[1].startswith("diabetes ")


@pytest.mark.parametrize(
    "name, package, shape, target_range",
    [
        ("cars", "vega_datasets", (392, 8), (9, 47)),  # miles per gallon
        ("penguins", "palmerpenguins", (333, 9), (2700, 6300)),  # grams
    ],
)
def test_packaged_data_sets_hold_numbers_without_their_target(
    name, package, shape, target_range
):
    require(package)
    X, y = _data_set(name).load()
    assert X.shape == shape and y.shape == (shape[0],)
    assert np.isfinite(X).all() and np.isfinite(y).all()
    assert target_range[0] <= y.min() and y.max() <= target_range[1]
    correlations = [abs(np.corrcoef(X[:, j], y)[0, 1]) for j in range(X.shape[1])]
    assert max(correlations) < 0.99  # the target is not among the inputs


def test_islp_data_sets_name_the_missing_package(monkeypatch):
    without_module(monkeypatch, "ISLP")
    with pytest.raises(ImportError, match=r"skbackprop\[bench\].*ISLP") as error:
        _data_set("Boston").load()
    assert "bench regdefaults --reg-subset sklearn,packages" in str(error.value)


def test_a_data_set_whose_package_is_missing_is_skipped(monkeypatch):
    # python -m skbackprop bench --quick runs on a README install: the
    # packaged data sets are skipped, with the line that says what to install.
    without_module(monkeypatch, "palmerpenguins")
    lines = []
    data_sets = [_data_set("penguins"), _data_set("diabetes")]
    results = regression.run(data_sets, seeds=1, log=lines.append)
    assert list(results) == ["diabetes"]
    assert lines[0].startswith("penguins    skipped: The palmerpenguins data")
    assert "--reg-subset sklearn" in lines[0]
