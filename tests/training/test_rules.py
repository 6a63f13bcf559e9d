"""The rules of a fit, read from summaries: the summaries of chunks add up to
the summary of all rows, so a rule decides alike on data in memory and on data
spread over a cluster; and each of its messages is written once."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.utils.class_weight import compute_sample_weight

from skbackprop._training import rules

CHUNKS = [slice(0, 0), slice(0, 7), slice(7, 8), slice(8, 40), slice(40, 40)]


def _labels():
    rng = np.random.RandomState(0)
    return {
        "integers": rng.choice([3, 1, 2], 40, p=[0.6, 0.3, 0.1]),
        "strings": np.array(["b", "a", "c", "a"] * 10, dtype=object),
        "indicator": (rng.uniform(size=(40, 3)) > 0.5).astype(int),
    }


@pytest.mark.parametrize("kind", ["integers", "strings", "indicator"])
def test_the_summaries_of_chunks_add_up_to_the_summary_of_all_rows(kind):
    y = _labels()[kind]
    whole = rules.summarise_targets(y)
    merged = rules.merge_targets([rules.summarise_targets(y[c]) for c in CHUNKS])
    assert merged.rows == whole.rows == 40
    assert merged.width == whole.width
    assert_array_equal(merged.labels, whole.labels)
    assert_array_equal(merged.counts, whole.counts)
    assert_array_equal(rules.like_y(merged), rules.like_y(whole))
    if kind != "indicator":
        assert_array_equal(whole.labels, np.unique(y))
        assert whole.counts.sum() == 40


@pytest.mark.parametrize("class_weight", [None, "balanced", {1: 2.0, 2: 0.0, 3: 1.5}])
@pytest.mark.parametrize("sample_weight", [None, "uniform", "with zeros"])
def test_weights_summarised_by_chunks_are_those_of_all_rows(
    class_weight, sample_weight
):
    y = _labels()["integers"]
    rng = np.random.RandomState(1)
    sw = {
        None: None,
        "uniform": rng.uniform(0.5, 2, 40),
        "with zeros": np.r_[np.zeros(20), rng.uniform(0, 2, 20)],
    }[sample_weight]
    weights = rules.class_weights(class_weight, rules.summarise_targets(y))

    def summary(rows):
        w = None if sw is None else sw[rows]
        return rules.summarise_weights(
            w, rules.loss_weights(w, y[rows], weights), len(y[rows])
        )

    whole = summary(slice(None))
    merged = rules.merge_weights([summary(c) for c in CHUNKS])
    assert merged == whole
    rules.check_weights(merged)  # nothing to complain about
    # The weights normalised chunk by chunk are those normalised in memory, up
    # to the order in which the total is added.
    w = rules.loss_weights(sw, y, weights)
    total = rules.share(w, 40, whole.top)
    s = rules.normalised(w, 40, whole.top, total, np.float64)
    chunk_total = math.fsum(
        rules.share(None if w is None else w[c], len(y[c]), merged.top) for c in CHUNKS
    )
    by_chunks = np.concatenate(
        [
            rules.normalised(
                None if w is None else w[c],
                len(y[c]),
                merged.top,
                chunk_total,
                np.float64,
            )
            for c in CHUNKS
        ]
    )
    np.testing.assert_allclose(by_chunks, s, rtol=1e-15)
    assert s.sum() == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("class_weight", ["balanced", {1: 2.0, 2: 0.5, 3: 1.0}])
def test_class_weights_from_the_counts_are_scikit_learns(class_weight):
    y = _labels()["integers"]
    weights = rules.class_weights(class_weight, rules.summarise_targets(y))
    # bit for bit: a fit weighs its rows as compute_sample_weight does
    assert_array_equal(
        rules.loss_weights(None, y, weights), compute_sample_weight(class_weight, y)
    )


def test_a_weight_summary_says_what_is_wrong():
    y = np.array([0, 1, 1, 0])
    cases = [
        (np.array([1.0, -2.0, 1.0, 1.0]), None, "contains negative values"),
        (np.zeros(4), None, "sums to zero"),
        (np.ones(4), rules.ClassWeights(np.array([0, 1]), np.zeros(2)), "sums to zero"),
        (np.full(4, 1e308), rules.ClassWeights(np.array([0, 1]), np.full(2, 10.0)),
         "contains NaN or infinity"),
    ]  # fmt: skip
    for sw, weights, message in cases:
        summary = rules.summarise_weights(sw, rules.loss_weights(sw, y, weights), 4)
        with pytest.raises(ValueError, match=f"^sample_weight {message}"):
            rules.check_weights(summary)
        prefix = r"^Invalid sample_weight_val \(X_val has 4 samples\): "
        with pytest.raises(ValueError, match=f"{prefix}sample_weight {message}"):
            rules.check_weights(summary, validation=True)


def test_the_hold_out_sizes():
    y = np.r_[np.zeros(60, int), np.ones(30, int), np.full(9, 2), [7]]  # 7: alone
    sizes = rules.hold_out_sizes(rules.summarise_targets(y), 0.1)
    assert sizes.n_val == 10  # ceil(0.1 * 99): class 7 cannot be held out
    assert_array_equal(sizes.strata, [0, 1, 2])
    assert_array_equal(sizes.alone, [7])
    # A hold-out with less room than there are classes is a plain random draw.
    assert rules.hold_out_sizes(rules.summarise_targets(y), 0.02).strata is None
    # An indicator matrix is never stratified.
    Y = np.c_[y == 0, y == 1]
    sizes = rules.hold_out_sizes(rules.summarise_targets(Y), 0.1)
    assert (sizes.n_val, sizes.strata, len(sizes.alone)) == (10, None, 0)
    with pytest.raises(ValueError, match="of 100 samples and keep samples to train"):
        rules.hold_out_sizes(rules.summarise_targets(y), 0.999)


def test_class_weights_need_1d_labels():
    summary = rules.summarise_targets(np.eye(3, dtype=int))
    assert rules.class_weights(None, summary) is None
    with pytest.raises(
        ValueError, match="^class_weight is not supported for multilabel"
    ):
        rules.class_weights("balanced", summary)


MESSAGES = [
    "sample_weight contains NaN or infinity.",
    "sample_weight contains negative values.",
    "sample_weight sums to zero",
    "Invalid sample_weight_val (X_val has",
    "class_weight is not supported for multilabel y.",
    "class_weight must map classes to finite non-negative numbers",
    "early_stopping=True cannot hold out validation_fraction=",
    "X_val and y_val must be passed together.",
    "sample_weight_val is the weights of a validation set",
    "mixes labels that cannot be sorted together",
]


@pytest.mark.parametrize("message", MESSAGES)
def test_each_message_of_the_rules_is_written_once(message):
    package = Path(rules.__file__).parents[1]
    sources = [p.read_text() for p in package.rglob("*.py")]
    # a message may be cut across lines of adjacent string literals
    joined = [re.sub(r'"\s*\n\s*f?"', "", source) for source in sources]
    assert sum(source.count(message) for source in joined) == 1
    assert message in re.sub(r'"\s*\n\s*f?"', "", Path(rules.__file__).read_text())
