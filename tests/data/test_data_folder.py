"""Generic folder reader: frame folders and mp4 files under <emotion>/ folders."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.data import detect_kind, load_clip_frames, read_dataset
from argen_rl.types import Emotion
from argen_rl.video_io import write_mp4


def test_folder_layout(tmp_path, write_frames, face64):
    root = tmp_path / "mine"
    write_frames(root / "Happiness" / "clip_a", 12)
    write_frames(root / "fear" / "b", 30)
    video = np.stack([np.roll(face64, i, axis=1) for i in range(9)])
    write_mp4(root / "anger" / "c.mp4", video, fps=8)
    (root / "anger" / "notes.txt").write_text("ignored")
    (root / "anger" / "stray.jpg").write_bytes(b"x")
    (root / "sad" / "empty").mkdir(parents=True)
    write_frames(root / "bored" / "d", 5)
    (root / "README.txt").write_text("top-level files are ignored")

    assert detect_kind(root) == "folder"
    index = read_dataset(root)
    assert all(c.subject is None for c in index.clips)
    (root / "clips.csv").write_text("index_id,subject\nfear_b,P07\nnot_a_clip,P99\n")   # subject sidecar
    index = read_dataset(root)
    assert {c.clip_id: c.subject for c in index.clips} == {"Happiness_clip_a": None, "fear_b": "P07", "anger_c": None}
    clips = {c.clip_id: c for c in index.clips}
    assert set(clips) == {"Happiness_clip_a", "fear_b", "anger_c"}
    assert clips["Happiness_clip_a"].emotion is Emotion.HAPPY
    assert clips["anger_c"].emotion is Emotion.ANGRY and clips["anger_c"].video_path is not None
    reasons = {s.clip_id: s.reason for s in index.skipped}
    assert "unknown emotion 'bored'" in reasons["bored_d"]
    assert "no frame files" in reasons["sad_empty"]
    assert "neither a frame folder nor a video" in reasons["anger_stray"]
    v = load_clip_frames(clips["anger_c"])
    assert v.shape == (16, 64, 64, 3)
    assert np.array_equal(v[8], v[15])                     # 9 decoded frames, last repeated
    assert load_clip_frames(clips["anger_c"], n=None).shape[0] == 9
    assert load_clip_frames(clips["fear_b"]).shape[0] == 16


def test_unknown_layout_and_kind(tmp_path):
    (tmp_path / "stuff").mkdir()
    with pytest.raises(ValueError, match="cannot tell the layout"):
        read_dataset(tmp_path)
    with pytest.raises(ValueError, match="unknown dataset kind"):
        read_dataset(tmp_path, kind="affectnet")
    with pytest.raises(FileNotFoundError):
        read_dataset(tmp_path / "nope")
