"""The streaming clip dataset: DFER temporal sampling, crops, the bounded decode cache, seeded
per (epoch, index), frame folders and mp4 files of real faces, unreadable clips skipped."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from argen_rl.recognition.data import (Augment, ClipDataset, EpochBatches, FrameCache, Skipped, center_box,
                                       collate_clips, make_loader, random_resized_box, segment_indices,
                                       uniform_indices)
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import write_image, write_mp4


def test_segment_sampling_takes_one_frame_per_segment():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        idx = segment_indices(50, 16, rng)
        edges = np.linspace(0, 50, 17)
        assert len(idx) == 16 and np.all(idx >= np.floor(edges[:-1])) and np.all(idx < np.ceil(edges[1:]))
        assert np.all(np.diff(idx) > 0)
        seen.update(idx.tolist())
    assert len(seen) == 50                                    # every frame is reachable in training
    # test time: the middle of each segment, deterministic
    assert uniform_indices(32, 16).tolist() == list(range(1, 32, 2))
    assert uniform_indices(16, 16).tolist() == list(range(16))
    # short clips: every frame, then the last one repeated (as video_io.sample_indices)
    assert segment_indices(5, 8, rng).tolist() == [0, 1, 2, 3, 4, 4, 4, 4]
    assert uniform_indices(5, 8).tolist() == [0, 1, 2, 3, 4, 4, 4, 4]


def test_crop_boxes_stay_inside_and_cover_the_scale():
    rng = np.random.default_rng(1)
    areas = []
    for _ in range(300):
        y, x, h, w = random_resized_box(112, 150, rng, (0.3, 1.0), (3 / 4, 4 / 3))
        assert 0 <= y and y + h <= 112 and 0 <= x and x + w <= 150
        areas.append(h * w / (112 * 150))
    assert min(areas) < 0.4 and max(areas) > 0.85
    assert center_box(112, 150) == (0, 19, 112, 112)


def _write_clip(folder, frames):
    for i, f in enumerate(frames, 1):
        write_image(folder / f"{i:05d}.jpg", f)
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def disk_clips(tmp_path_factory, astronaut, grace_hopper):
    """Three real-face clips on disk: two frame folders (one non-square), one mp4, and one clip
    whose every frame is corrupt."""
    base = tmp_path_factory.mktemp("clips")
    pan = [np.ascontiguousarray(astronaut[20 + 6 * t: 420 + 6 * t, 40:440]) for t in range(24)]
    tall = [cv2.resize(grace_hopper, (200, 240)) for _ in range(10)]
    clips = [Clip("a", Emotion.HAPPY, frames=_write_clip(base / "a", pan)),
             Clip("g", Emotion.NEUTRAL, frames=_write_clip(base / "g", tall)),
             Clip("v", Emotion.SURPRISE, video_path=write_mp4(base / "v.mp4", np.stack(pan[:12]), fps=8))]
    bad = _write_clip(base / "bad", pan[:4])
    for f in bad:
        f.write_bytes(b"not a jpeg")
    clips.append(Clip("bad", Emotion.FEAR, frames=bad))
    return clips


def test_items_are_square_uint8_and_seeded_per_epoch(disk_clips):
    ds = ClipDataset(disk_clips[:3], frames=8, size=48, train=True, augment=Augment((0.5, 1.0)), seed=3)
    for i in range(3):
        frames, label, index, _ = ds[(i, 0)]
        assert frames.shape == (8, 48, 48, 3) and frames.dtype == np.uint8 and index == i
        assert label == disk_clips[i].emotion.index
    a, b = ds[(0, 5)][0], ds[(0, 5)][0]
    assert np.array_equal(a, b)                               # same (seed, epoch, index): same clip
    assert not np.array_equal(a, ds[(0, 6)][0])               # next epoch: other frames / crop
    other = ClipDataset(disk_clips[:3], frames=8, size=48, train=True, augment=Augment((0.5, 1.0)), seed=4)
    assert not np.array_equal(a, other[(0, 5)][0])
    test = ClipDataset(disk_clips[:3], frames=8, size=48, train=False)
    assert np.array_equal(test[(1, 0)][0], test[(1, 9)][0])  # evaluation ignores the epoch



def test_evaluation_is_a_centre_crop_without_stretching(disk_clips, grace_hopper):
    # the 200x240 (w x h) portrait: short side -> 48, height -> 58, the middle 48 rows kept
    test = ClipDataset(disk_clips[1:2], frames=4, size=48, train=False)
    got = test[(0, 0)][0][0].astype(float)
    want = cv2.resize(cv2.resize(grace_hopper, (200, 240)), (48, 58), interpolation=cv2.INTER_AREA)[5:53]
    assert np.abs(got - want).mean() < 6                      # JPEG round trip only
    squashed = cv2.resize(cv2.resize(grace_hopper, (200, 240)), (48, 48), interpolation=cv2.INTER_AREA)
    assert np.abs(got - squashed).mean() > np.abs(got - want).mean() + 2


def test_flip_and_jitter_change_pixels_not_shapes(disk_clips):
    plain = ClipDataset(disk_clips[:1], frames=4, size=32, train=True, augment=Augment((1.0, 1.0), flip=False, jitter=0.0))
    flips = ClipDataset(disk_clips[:1], frames=4, size=32, train=True, augment=Augment((1.0, 1.0), flip=True, jitter=0.0))
    x = plain[(0, 0)][0]
    flipped = [e for e in range(20) if np.array_equal(flips[(0, e)][0], plain[(0, e)][0][:, :, ::-1])]
    assert 4 <= len(flipped) <= 16                            # p = 0.5
    jit = ClipDataset(disk_clips[:1], frames=4, size=32, train=True, augment=Augment((1.0, 1.0), flip=False, jitter=0.4))
    y = jit[(0, 0)][0]
    assert y.shape == x.shape and np.abs(y.astype(int) - x.astype(int)).mean() > 1


def test_unreadable_clip_is_skipped_and_reported(disk_clips):
    ds = ClipDataset(disk_clips, frames=4, size=32, train=False)
    item = ds[(3, 0)]
    assert isinstance(item, Skipped) and item.clip_id == "bad" and "corrupt" in item.reason
    batch = collate_clips([ds[(i, 0)] for i in range(4)])
    assert batch["frames"].shape == (3, 4, 32, 32, 3) and batch["labels"].tolist() == [0, 2, 4]
    assert batch["skipped"] == [("bad", item.reason)]


def test_cache_is_bounded_and_hits_on_the_next_pass(disk_clips):
    cache = FrameCache(max_bytes=10_000)
    for k in range(10):
        cache.put(("f", k), np.zeros(3000, np.uint8))
    assert cache.nbytes <= 10_000 and len(cache) == 3
    assert cache.get(("f", 0)) is None and cache.get(("f", 9)) is not None
    ds = ClipDataset(disk_clips[:3], frames=8, size=32, train=False, cache_mb=64)
    first = [ds[(i, 0)][3] for i in range(3)]
    second = [ds[(i, 0)][3] for i in range(3)]
    assert all(h == 0 for h, _ in first) and all(m == 0 for _, m in second)
    tiny = ClipDataset(disk_clips[:3], frames=8, size=32, train=False, cache_mb=0.01)
    for _ in range(2):
        for i in range(3):
            tiny[(i, 0)]
    assert tiny.cache.nbytes <= 0.01 * 2**20


def test_epoch_batches_shuffle_per_epoch_and_skip_lone_clips():
    s = EpochBatches(9, 4, shuffle=True, seed=0, drop_single=True)
    e0 = [k for b in s for k in b]
    assert len(list(s)) == len(s) == 2 and len(e0) == 8 and {ep for _, ep in e0} == {0}
    s.set_epoch(1)
    e1 = [i for b in s for i, _ in b]
    assert [i for i, _ in e0] != e1 and all(ep == 1 for b in s for _, ep in b)
    ev = EpochBatches(9, 4, shuffle=False)
    assert [len(b) for b in ev] == [4, 4, 1] and len(ev) == 3


def test_loader_with_a_worker_matches_the_main_process(disk_clips):
    ds = ClipDataset(disk_clips, frames=4, size=32, train=True, augment=Augment((0.5, 1.0)), seed=0)
    batches = {}
    for workers in (0, 1):
        loader = make_loader(ds, batch_size=2, shuffle=True, seed=0, num_workers=workers)
        loader.batch_sampler.set_epoch(2)
        batches[workers] = list(loader)
    assert len(batches[0]) == len(batches[1]) == 2
    for b0, b1 in zip(batches[0], batches[1]):
        assert b0["index"].tolist() == b1["index"].tolist()
        assert (b0["frames"] == b1["frames"]).all() and b0["skipped"] == b1["skipped"]
    assert sum(len(b["skipped"]) for b in batches[1]) == 1
