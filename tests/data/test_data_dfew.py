"""DFEW reader on a DFEW-layout fixture written here: short clip, corrupt JPEG, missing folder,
labels out of range, conflicting labels, zero-padded ids, other frame-folder names, folds."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.data import dfew_folds, dfew_split, load_clip_frames, read_dataset
from argen_rl.types import Emotion
from argen_rl.video_io import FrameReadError

SPLIT = "EmoLabel_DataSplit"


def _csv(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("video_name,label\n" + "".join(f"{v},{l}\n" for v, l in rows))


@pytest.fixture
def dfew_root(tmp_path, write_frames):
    root = tmp_path / "DFEW"
    clips = root / "Clip" / "clip_224x224"
    write_frames(clips / "00001", 20)                       # happy, 20 frames
    write_frames(clips / "00002", 10)                       # sad, shorter than 16
    bad = write_frames(clips / "00003", 18)                 # neutral, one truncated JPEG
    bad[7].write_bytes(bad[7].read_bytes()[:-400])   # a cut-off download
    # 00004: listed in the CSV, no folder
    write_frames(clips / "00005", 16)                       # label 9 -> out of range
    write_frames(clips / "00006", 16)                       # label 1 in one CSV, 2 in another
    (clips / "00007").mkdir()                               # empty folder
    write_frames(clips / "00008", 16)                       # fear
    labels = {1: 1, 2: 2, 3: 3, 4: 4, 5: 9, 7: 5, 8: 7}
    folds = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 1, 7: 5, 8: 2}
    for k in range(1, 6):
        test = [(v, labels[v]) for v in labels if folds[v] == k]
        train = [(v, labels[v]) for v in labels if folds[v] != k]
        if k == 1:
            test.append((6, 1))
        if k == 2:
            train.append((6, 2))
        _csv(root / SPLIT / "test(single-labeled)" / f"set_{k}.csv", test)
        _csv(root / SPLIT / "train(single-labeled)" / f"set_{k}.csv", train)
    return root


def test_dfew_index_and_skip_reasons(dfew_root):
    index = read_dataset(dfew_root)                        # auto-detected
    assert index.name == "dfew"
    ids = {c.clip_id: c for c in index.clips}
    assert sorted(ids) == ["00001", "00002", "00003", "00008"]  # CSV says "1", folder is 00001
    assert ids["00001"].emotion is Emotion.HAPPY and ids["00002"].emotion is Emotion.SAD
    assert ids["00003"].emotion is Emotion.NEUTRAL and ids["00008"].emotion is Emotion.FEAR
    assert all(c.subject is None and c.dataset == "dfew" for c in index.clips)
    assert ids["00001"].fold == 1 and ids["00008"].fold == 2
    reasons = {s.clip_id: s.reason for s in index.skipped}
    assert "not found" in reasons["00004"]
    assert "outside 1..7" in reasons["00005"]
    assert "conflicting labels [1, 2]" in reasons["00006"]
    assert "no frame files" in reasons["00007"]
    assert len(index.skipped) == 4                          # each reported once, not once per CSV


def test_dfew_lazy_vs_verified_corrupt_frame(dfew_root):
    lazy = read_dataset(dfew_root, "dfew")
    clip = next(c for c in lazy.clips if c.clip_id == "00003")
    with pytest.raises(FrameReadError, match="00008.jpg"):
        load_clip_frames(clip, n=None)
    verified = read_dataset(dfew_root, "dfew", verify=True, progress=False)
    assert "00003" not in {c.clip_id for c in verified.clips}
    (entry,) = [s for s in verified.skipped if s.clip_id == "00003"]
    assert "00008.jpg" in entry.reason and ("truncated" in entry.reason or "corrupt" in entry.reason)


def test_dfew_sampling_pads_short_clip(dfew_root):
    index = read_dataset(dfew_root)
    short = next(c for c in index.clips if c.clip_id == "00002")
    frames = load_clip_frames(short)
    assert frames.shape == (16, 64, 64, 3) and frames.dtype == np.uint8
    assert np.array_equal(frames[9], frames[15])           # last frame repeated
    assert not np.array_equal(frames[0], frames[9])
    full = load_clip_frames(short, n=None)
    assert full.shape[0] == 10
    long = load_clip_frames(next(c for c in index.clips if c.clip_id == "00001"))
    assert long.shape[0] == 16


def test_dfew_other_frame_folder_and_folds(dfew_root):
    (dfew_root / "Clip" / "clip_224x224").rename(dfew_root / "Clip" / "clip_224x224_16f")
    auto = read_dataset(dfew_root)                         # found among the usual names
    assert len(auto.clips) == 4
    (dfew_root / "Clip" / "clip_224x224_16f").rename(dfew_root / "frames_elsewhere")
    missing = read_dataset(dfew_root)
    assert not missing.clips and all("not found" in s.reason for s in missing.skipped if s.clip_id in {"00001", "00002", "00003", "00008"})
    explicit = read_dataset(dfew_root, frames_dir="frames_elsewhere")
    assert len(explicit.clips) == 4
    splits = list(dfew_folds(explicit))
    assert [k for k, _, _ in splits] == [1, 2, 3, 4, 5]
    train, test = dfew_split(explicit, 2)
    assert {c.clip_id for c in test} == {"00002", "00008"}
    assert {c.split for c in test} == {"test"} and {c.split for c in train} == {"train"}
    assert not {c.clip_id for c in train} & {c.clip_id for c in test}
    with pytest.raises(ValueError, match="1..5"):
        dfew_split(explicit, 6)
