"""The synthetic sample dataset: long-tailed, deterministic, readable in all four layouts,
neutral clips with a frontal face in every frame."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from argen_rl.data import build_sample_dataset, class_counts, read_dataset, scarce_classes
from argen_rl.data.sample import make_sample_clips
from argen_rl.types import Emotion

E = Emotion


@pytest.fixture(scope="module")
def clips():
    return make_sample_clips(seed=0)


def test_sample_clips_long_tailed_and_deterministic(clips):
    counts = class_counts(c for c in clips)
    assert counts[E.HAPPY] >= 10 and counts[E.NEUTRAL] >= 10 and counts[E.SAD] >= 10
    assert scarce_classes(counts) == [E.SURPRISE, E.DISGUST, E.FEAR]
    lengths = [len(c.frames) for c in clips]
    assert min(lengths) >= 8 and max(lengths) <= 24 and sum(n < 16 for n in lengths) >= 7
    assert all(c.frames.shape[1:] == (224, 224, 3) and c.frames.dtype == np.uint8 for c in clips)
    assert len({c.subject for c in clips}) == 4
    again = make_sample_clips(seed=0)
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(clips, again))
    other = make_sample_clips(seed=1)
    assert not all(a.frames.shape == b.frames.shape and np.array_equal(a.frames, b.frames)
                   for a, b in zip(clips, other))


def test_sample_neutral_clips_keep_a_frontal_face(clips):
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    for c in clips:
        if c.emotion is not E.NEUTRAL:
            continue
        for f in c.frames[:: max(1, len(c.frames) // 4)]:
            faces = cascade.detectMultiScale(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), 1.1, 5, minSize=(60, 60))
            assert len(faces) >= 1, f"no frontal face in neutral clip {c.clip_id}"


@pytest.mark.parametrize("layout", ["dfew", "ferv39k", "ckplus", "folder"])
def test_sample_layouts_read_back(sample_root, layout):
    root = sample_root(layout)
    assert "SYNTHETIC" in (root / "README.txt").read_text()
    index = read_dataset(root, verify=True, progress=False)
    assert index.name == layout
    counts = class_counts(index.clips)
    assert {e: counts[e] for e in (E.HAPPY, E.SURPRISE, E.DISGUST, E.FEAR)} == \
        {E.HAPPY: 12, E.SURPRISE: 3, E.DISGUST: 2, E.FEAR: 3}
    # subjects: CK+ ids from its folders, the other layouts from the clips.csv sidecar
    assert all(c.subject for c in index.clips) and len({c.subject for c in index.clips}) == 4
    if layout == "dfew":
        assert not index.skipped and {c.fold for c in index.clips} == {1, 2, 3, 4, 5}
    if layout == "ckplus":
        assert counts[E.CONTEMPT] == 1 and {c.subject for c in index.clips} == {"S100", "S101", "S102", "S103"}
        assert [s.reason for s in index.skipped] == ["no emotion file: CK+ leaves this sequence unlabelled"]
        assert all(index.facs[c.clip_id] for c in index.clips if c.emotion is not E.NEUTRAL)
        assert {c.clip_id for c in index.clips} == set(index.facs)


def test_sample_rebuild_and_refuse_foreign_folder(tmp_path):
    root = build_sample_dataset(tmp_path / "s", seed=0)
    build_sample_dataset(root, seed=0)                                  # replaces its own output
    foreign = tmp_path / "mydata"
    (foreign / "keep.txt").parent.mkdir()
    (foreign / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        build_sample_dataset(foreign)
    assert (foreign / "keep.txt").read_text() == "precious"
    with pytest.raises(ValueError, match="unknown sample layout"):
        build_sample_dataset(tmp_path / "x", layout="affectnet")
