"""`argen data sample` and `argen data summary` through the real CLI app."""
from __future__ import annotations

import csv

from typer.testing import CliRunner

from argen_rl.cli import app

runner = CliRunner()


def test_sample_then_summary(tmp_path):
    root = tmp_path / "sample"
    res = runner.invoke(app, ["data", "sample", str(root), "--layout", "dfew", "--seed", "0"])
    assert res.exit_code == 0, res.output
    assert (root / "README.txt").is_file()
    out = tmp_path / "summary"
    res = runner.invoke(app, ["data", "summary", str(root), "--out", str(out), "--verify"])
    assert res.exit_code == 0, res.output
    assert "50 clips indexed, 0 skipped" in res.output
    assert "disgust" in res.output and "surprise, disgust, fear" in res.output
    png = out / "class_distribution.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    rows = {r["emotion"]: r for r in csv.DictReader(open(out / "class_counts.csv"))}
    assert rows["happy"]["count"] == "12" and rows["fear"]["scarce"] == "1" and rows["sad"]["scarce"] == "0"


def test_summary_reports_skips_and_recall(tmp_path, sample_root):
    root = sample_root("ckplus")
    recall = tmp_path / "recall.json"
    recall.write_text('{"surprise": 0.7, "disgust": 0.1, "fear": 0.2}')
    res = runner.invoke(app, ["data", "summary", str(root), "--out", str(tmp_path / "o"),
                              "--recall", str(recall), "--no-contempt"])
    assert res.exit_code == 0, res.output
    assert "unlabelled" in res.output and "contempt excluded" in res.output
    assert "and recall < 0.5): disgust, fear" in res.output
    skipped = list(csv.DictReader(open(tmp_path / "o" / "skipped.csv")))
    assert len(skipped) == 2


def test_summary_bad_root_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["data", "summary", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "dataset root not found" in res.output
    res = runner.invoke(app, ["data", "sample", str(tmp_path / "x"), "--layout", "nope"])
    assert res.exit_code == 2 and "unknown layout" in res.output


def test_summary_with_nothing_indexed_explains_why(tmp_path):
    root = tmp_path / "dfew"
    assert runner.invoke(app, ["data", "sample", str(root)]).exit_code == 0
    (root / "Clip" / "clip_224x224").rename(root / "Clip" / "frames_moved")
    res = runner.invoke(app, ["data", "summary", str(root), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "50 x clip folder (or video file) not found" in res.output
    assert (tmp_path / "o" / "class_distribution.png").is_file()
    res = runner.invoke(app, ["data", "summary", str(root), "--out", str(tmp_path / "o"),
                              "--frames-dir", "Clip/frames_moved"])
    assert res.exit_code == 0 and "50 clips indexed, 0 skipped" in res.output
