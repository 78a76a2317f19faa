"""The original-vs-augmented experiment on the sample dataset in DFEW layout, with an augmented
root written the way the augmentation writer does (new rows in copies of the train CSVs + new
frame folders), and a corrupt frame that must be skipped and reported."""
from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from argen_rl.data import build_sample_dataset
from argen_rl.recognition.cli import app
from argen_rl.recognition.experiment import evaluation_splits, run_recognition, summarize, to_markdown
from argen_rl.recognition.train import RecognitionConfig
from argen_rl.video_io import read_frame_folder, write_image


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("rec")
    orig = build_sample_dataset(base / "dfew", "dfew", seed=0)
    aug = base / "dfew_aug"
    shutil.copytree(orig, aug)
    # two "generated" fear clips: frames of an existing fear clip, mirrored
    src_id = None
    with open(orig / "EmoLabel_DataSplit" / "test(single-labeled)" / "set_1.csv") as fh:
        rows = list(csv.DictReader(fh))
    src_id = next((r["video_name"] for r in rows if r["label"] == "7"), rows[0]["video_name"])
    frames = read_frame_folder(orig / "Clip" / "clip_224x224" / f"{int(src_id):05d}")
    for new_id in ("90001", "90002"):
        for i, f in enumerate(frames[:, :, ::-1], 1):
            write_image(aug / "Clip" / "clip_224x224" / new_id / f"{i:05d}.jpg", np.ascontiguousarray(f))
        for k in range(1, 6):
            with open(aug / "EmoLabel_DataSplit" / "train(single-labeled)" / f"set_{k}.csv", "a") as fh:
                fh.write(f"{new_id},7\n")
    # one corrupt frame in the original data: that clip is skipped and reported, not fatal
    bad = sorted((orig / "Clip" / "clip_224x224" / "00002").iterdir())
    for f in bad:
        f.write_bytes(b"not a jpeg")
    return orig, aug


def test_folds_cover_every_clip_once_as_test(roots):
    from argen_rl.data import read_dataset

    index = read_dataset(roots[0], progress=False)
    splits = evaluation_splits(index)
    assert [s[0] for s in splits] == ["1", "2", "3", "4", "5"]
    tested = [c.clip_id for _, _, test in splits for c in test]
    assert sorted(tested) == sorted(c.clip_id for c in index.clips)
    for _, train, test in splits:
        assert not {c.clip_id for c in train} & {c.clip_id for c in test}
    with pytest.raises(ValueError, match="fold"):
        evaluation_splits(index, folds=[9])


def test_original_vs_augmented_table(roots):
    orig, aug = roots
    cfg = RecognitionConfig(epochs=2, batch_size=8, width=8, input_size=32, frames=4, seed=0)
    res = run_recognition(orig, aug, ["res18_lstm"], cfg, folds=[1, 2], progress=False)
    assert [(r.data, r.fold) for r in res] == [("original", "1"), ("augmented", "1"),
                                                ("original", "2"), ("augmented", "2")]
    o1, a1 = res[0], res[1]
    assert a1.n_train == o1.n_train + 2 and a1.n_test == o1.n_test  # same test clips
    assert any("00002" in k for r in res for k in r.skipped)        # corrupt clip reported
    rows = summarize(res)
    assert [r["Data"] for r in rows] == ["original", "augmented"]
    war = np.mean([r.metrics.war for r in res if r.data == "original"]) * 100
    assert rows[0]["WAR"] == pytest.approx(war)
    assert rows[1]["dUAR"] == pytest.approx(rows[1]["UAR"] - rows[0]["UAR"])
    md = to_markdown(rows)
    assert "| Res18_LSTM | Original |" in md and "| Res18_LSTM | +ARGen |" in md and "AR-FE" in md


def test_cli_writes_csv_and_markdown(roots, tmp_path):
    orig, _ = roots
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run", "--data", str(orig), "--out", str(out), "--models",
                                 "vgg13_transformer", "--folds", "3", "--epochs", "1",
                                 "--input-size", "32", "--frames", "4", "--width", "8"])
    assert r.exit_code == 0, r.output
    assert "VGG13_Transformer" in r.output
    assert (out / "recognition.md").read_text().startswith("| Method | Data | WAR | UAR")
    assert (out / "recognition.csv").is_file() and (out / "recognition_folds.json").is_file()
    bad = CliRunner().invoke(app, ["run", "--data", str(orig), "--models", "res50_gru"])
    assert bad.exit_code != 0 and "res50_gru" in str(bad.exception)
