"""The classification benchmark's expected calibration error (benchmarks/bench_classification.py)."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
from bench_classification import expected_calibration_error  # noqa: E402


def test_ece_of_a_calibrated_bin_is_zero():
    # 10 rows at confidence 0.8, 8 of them right: accuracy equals confidence in the only bin.
    proba = np.tile([0.8, 0.2], (10, 1))
    y = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(y, proba, np.array([0, 1])) == pytest.approx(0.0)


def test_ece_weighs_the_gap_of_each_bin_by_its_rows():
    classes = np.array(["a", "b", "c"])
    # Bin (13/15, 14/15]: 2 rows at 0.9, both right (gap 0.1).
    # Bin (7/15, 8/15]: 2 rows at 0.5, one right (gap 0). Bin (14/15, 1]: 1 row at 1.0, wrong (gap 1).
    proba = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.0, 0.0, 1.0]])
    y = np.array(["a", "b", "a", "a", "a"])
    expected = (2 * 0.1 + 2 * 0.0 + 1 * 1.0) / 5
    assert expected_calibration_error(y, proba, classes) == pytest.approx(expected)


def test_ece_bins_are_closed_on_the_right():
    # 0.6 is the upper edge of bin (8/15, 9/15] and 0.62 lies in the next: with one bin for
    # both, the gaps (+0.4, -0.62) would partly cancel.
    proba = np.array([[0.6, 0.4], [0.62, 0.38]])
    y = np.array([0, 1])
    assert expected_calibration_error(y, proba, np.array([0, 1])) == pytest.approx((0.4 + 0.62) / 2)
