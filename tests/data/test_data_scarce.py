"""Class counts and the ARGen §3 scarce rule (count well below total/7, optionally recall < 50%)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from argen_rl.data import class_counts, load_recall_report, scarce_classes, scarce_threshold
from argen_rl.types import EMOTIONS7, Clip, Emotion

E = Emotion
# DFEW-like shape: total 700 -> total/7 = 100
COUNTS = {E.HAPPY: 180, E.SAD: 140, E.NEUTRAL: 160, E.ANGRY: 120, E.SURPRISE: 60, E.DISGUST: 10, E.FEAR: 30}


def test_class_counts_order_and_zeros():
    clips = [Clip(str(i), e, frames=[Path("x.jpg")]) for i, e in enumerate([E.FEAR, E.HAPPY, E.FEAR])]
    counts = class_counts(clips)
    assert list(counts) == list(EMOTIONS7)
    assert counts[E.FEAR] == 2 and counts[E.HAPPY] == 1 and counts[E.SAD] == 0


def test_scarce_rule_counts_only():
    assert scarce_threshold(COUNTS) == pytest.approx(50.0)
    assert scarce_classes(COUNTS) == [E.DISGUST, E.FEAR]                 # 60 is not < 50
    assert scarce_classes(COUNTS, ratio=0.7) == [E.SURPRISE, E.DISGUST, E.FEAR]
    with pytest.raises(ValueError, match="ratio"):
        scarce_classes(COUNTS, ratio=0)
    with pytest.raises(ValueError, match="no clips"):
        scarce_classes({e: 0 for e in EMOTIONS7})


def test_scarce_rule_with_recall():
    recall = {E.SURPRISE: 0.45, E.DISGUST: 0.10, E.FEAR: 0.62}
    # fear is rare but recognised well enough -> not scarce when a recall report is given
    assert scarce_classes(COUNTS, recall, ratio=0.7) == [E.SURPRISE, E.DISGUST]
    with pytest.raises(ValueError, match="no value for: fear"):
        scarce_classes(COUNTS, {E.SURPRISE: 0.4, E.DISGUST: 0.1}, ratio=0.7)
    with pytest.raises(ValueError, match="fraction"):
        scarce_classes(COUNTS, {E.DISGUST: 12.0, E.FEAR: 0.3})


def test_load_recall_report(tmp_path):
    j = tmp_path / "r.json"
    j.write_text(json.dumps({"recall": {"Surprise": 0.41, "disgust": 0.05, "fear": 0.3}}))
    assert load_recall_report(j) == {E.SURPRISE: 0.41, E.DISGUST: 0.05, E.FEAR: 0.3}
    c = tmp_path / "r.csv"
    c.write_text("emotion,recall\nhappiness,88.0\nfear,31.5\n")       # percentages
    assert load_recall_report(c) == {E.HAPPY: pytest.approx(0.88), E.FEAR: pytest.approx(0.315)}
    bad = tmp_path / "bad.csv"
    bad.write_text("class,acc\nfear,0.3\n")
    with pytest.raises(ValueError, match="emotion,recall"):
        load_recall_report(bad)
