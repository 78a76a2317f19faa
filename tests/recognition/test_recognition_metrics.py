"""WAR / UAR / per-class recall on crafted labels (exact values worked out by hand)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from argen_rl.recognition.eval import recognition_metrics
from argen_rl.types import Emotion


def test_war_uar_and_recall_exact():
    # classes: 0 happy x4, 4 surprise x2, 6 fear x1  (no sad/neutral/angry/disgust test clips)
    y_true = [0, 0, 0, 0, 4, 4, 6]
    y_pred = [0, 0, 0, 1, 4, 0, 0]
    m = recognition_metrics(y_true, y_pred)
    assert m.war == pytest.approx(4 / 7)               # 3 happy + 1 surprise correct of 7
    assert m.recall[Emotion.HAPPY] == pytest.approx(3 / 4)
    assert m.recall[Emotion.SURPRISE] == pytest.approx(1 / 2)
    assert m.recall[Emotion.FEAR] == 0.0
    assert math.isnan(m.recall[Emotion.DISGUST])       # no disgust clip: undefined, not 0
    assert m.uar == pytest.approx((3 / 4 + 1 / 2 + 0) / 3)
    assert m.confusion[0, 1] == 1 and m.confusion[4, 0] == 1 and m.confusion.sum() == 7
    row = m.as_row()
    assert row["WAR"] == pytest.approx(400 / 7) and row["AR-surprise"] == pytest.approx(50)


def test_uar_differs_from_war_on_imbalanced_data():
    # always predicting the majority class: WAR high, UAR = 1 / number of classes present
    y_true = np.array([0] * 90 + [5] * 10)
    m = recognition_metrics(y_true, np.zeros(100, int))
    assert m.war == pytest.approx(0.9) and m.uar == pytest.approx(0.5)


def test_perfect_predictions_and_bad_input():
    y = np.arange(7).repeat(3)
    m = recognition_metrics(y, y)
    assert m.war == 1.0 and m.uar == 1.0 and all(r == 1.0 for r in m.recall.values())
    with pytest.raises(ValueError, match="equal-length"):
        recognition_metrics([0, 1], [0])
    with pytest.raises(ValueError, match="0..6"):
        recognition_metrics([0, 7], [0, 1])
