"""CK+ reader on a fixture in the official layout: subjects, FACS, contempt flag, unlabelled
sequences, bad codes, corrupt PNG."""
from __future__ import annotations

import pytest

from argen_rl.data import class_counts, load_clip_frames, read_dataset, scarce_classes
from argen_rl.types import Emotion
from argen_rl.video_io import FrameReadError


@pytest.fixture
def ck_root(tmp_path, write_frames):
    root = tmp_path / "CK+"

    def seq(subj, s, n, code=None, facs=None):
        stem = f"{subj}_{s}_"
        write_frames(root / "cohn-kanade-images" / subj / s, n, names=[f"{stem}{i + 1:08d}.png" for i in range(n)])
        peak = f"{stem}{n:08d}"
        if code is not None:
            (root / "Emotion" / subj / s).mkdir(parents=True, exist_ok=True)
            (root / "Emotion" / subj / s / f"{peak}_emotion.txt").write_text(f"   {code}\n")
        if facs is not None:
            (root / "FACS" / subj / s).mkdir(parents=True, exist_ok=True)
            (root / "FACS" / subj / s / f"{peak}_facs.txt").write_text(facs)

    seq("S005", "001", 11, "3.0000000e+00", "   9.0000000e+00   0.0000000e+00\n   1.5000000e+01   2.0000000e+00\n")
    seq("S010", "002", 14, "7.0000000e+00", "   1.0000000e+00   3.0000000e+00\n   2.0000000e+00   4.0000000e+00\n")
    seq("S010", "003", 12, "2.0000000e+00", "   1.4000000e+01   0.0000000e+00\n")     # contempt
    seq("S011", "001", 10)                                                            # unlabelled
    seq("S011", "002", 10, "9.0000000e+00")                                           # code out of range
    seq("S012", "004", 18, "5.0000000e+00", "   6.0000000e+00   E\n")                 # bad FACS line
    bad = root / "cohn-kanade-images" / "S012" / "004" / "S012_004_00000001.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)                              # corrupt PNG
    return root


def test_ckplus_index(ck_root):
    index = read_dataset(ck_root)
    assert index.name == "ckplus"
    clips = {c.clip_id: c for c in index.clips}
    assert set(clips) == {"S005_001", "S010_002", "S010_003", "S012_004"}
    assert clips["S005_001"].emotion is Emotion.DISGUST and clips["S005_001"].subject == "S005"
    assert clips["S010_002"].emotion is Emotion.SURPRISE and clips["S010_002"].subject == "S010"
    assert clips["S010_003"].emotion is Emotion.CONTEMPT
    assert index.facs["S005_001"] == {9: 0.0, 15: 2.0}
    assert index.facs["S010_002"] == {1: 3.0, 2: 4.0}
    assert "S012_004" not in index.facs and any("S012_004" in n for n in index.notes)
    reasons = {s.clip_id: s.reason for s in index.skipped}
    assert "unlabelled" in reasons["S011_001"]
    assert "not an integer in 0..7" in reasons["S011_002"]
    counts = class_counts(index.clips)
    assert counts[Emotion.CONTEMPT] == 1 and Emotion.CONTEMPT not in scarce_classes(counts, ratio=1.0)
    assert load_clip_frames(clips["S005_001"]).shape == (16, 64, 64, 3)   # 11 frames padded


def test_ckplus_contempt_flag_and_corrupt_png(ck_root):
    seven = read_dataset(ck_root, "ckplus", include_contempt=False)
    assert Emotion.CONTEMPT not in {c.emotion for c in seven.clips}
    assert any(s.clip_id == "S010_003" and "contempt" in s.reason for s in seven.skipped)
    clip = next(c for c in seven.clips if c.clip_id == "S012_004")
    with pytest.raises(FrameReadError, match="S012_004_00000001.png"):
        load_clip_frames(clip)
    verified = read_dataset(ck_root, verify=True, progress=False)
    assert "S012_004" not in {c.clip_id for c in verified.clips}
    assert any(s.clip_id == "S012_004" and "corrupt" in s.reason for s in verified.skipped)
