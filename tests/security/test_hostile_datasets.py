"""Datasets downloaded from strangers: names with ``..``, absolute paths, separators, control
characters and NUL bytes, clip folders / frames / videos that are symlinks to a folder OUTSIDE the
dataset, a 0-byte mp4, JPEGs with the wrong extension, a Radiance HDR posing as a frame.

Each test asserts: only the honest clips are indexed; every hostile entry is skipped with a clear
one-line reason; nothing under the sentinel folder is opened or listed by Python (audit hook) or
read by C code (atime), and nothing is created there; the dataset's tree hash is unchanged.
"""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from argen_rl.data import load_clip_frames, read_dataset
from argen_rl.types import Emotion
from argen_rl.video_io import write_image
from tests.security.conftest import audited, one_line, touched_inside, tree_hash


def _frames(folder, face, n=6, ext=".jpg"):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        write_image(folder / f"{i:05d}{ext}", np.clip(face.astype(int) + 5 * i, 0, 255).astype(np.uint8))


def _read_everything(root, honest: list[str], **kw):
    """Index (lazy, then verified) and load every indexed clip, as the pipeline would; only the
    ``honest`` clip ids may be indexed."""
    index = read_dataset(root, progress=False, **kw)
    assert [c.clip_id for c in index.clips] == honest
    for clip in index.clips:
        load_clip_frames(clip, n=4)
    verified = read_dataset(root, progress=False, verify=True, **kw)
    assert [c.clip_id for c in verified.clips] == honest
    return index, verified


def _assert_sentinel_untouched(seen, sentinel):
    assert touched_inside(seen, sentinel.path) == [], "a file outside the dataset root was opened or listed"
    assert sentinel.read_by_c() == [], "a file outside the dataset root was read (atime changed)"
    assert sentinel.unchanged(), "something was created or removed outside the dataset root"


def _reasons(index) -> dict[str, str]:
    for s in index.skipped:
        assert one_line(s.reason), s
    return {s.clip_id: s.reason for s in index.skipped}


@pytest.fixture
def hostile_dfew(tmp_path, sentinel, face64):
    root = tmp_path / "DFEW"
    clips = root / "Clip" / "clip_224x224"
    _frames(clips / "00001", face64)                                   # the one honest clip
    clips.joinpath("00004").symlink_to(sentinel.clip, target_is_directory=True)   # folder -> outside
    _frames(clips / "00005", face64, 3)
    (clips / "00005" / "00004.jpg").symlink_to(sentinel.clip / "00001.jpg")       # one frame -> outside
    (clips / "00006.mp4").symlink_to(sentinel.video)                              # video -> outside
    (clips / "00008.mp4").write_bytes(b"")                                        # 0-byte mp4
    rel_escape = os.path.relpath(sentinel.clip, clips)                            # ../../../elsewhere/...
    rows = ["video_name,label", "1,1", f"{rel_escape},2", f"{sentinel.clip},3", "4,4", "5,5", "6,6",
            "00\x0107,1", "8,7", "..\\..\\x,2", "a/b,3"]
    split = root / "EmoLabel_DataSplit"
    (split / "test(single-labeled)").mkdir(parents=True)
    (split / "train(single-labeled)").mkdir(parents=True)
    (split / "test(single-labeled)" / "set_1.csv").write_text("\n".join(rows) + "\n")
    (split / "test(single-labeled)" / "set_5.csv").write_bytes(b"video_name,label\n1\x00,1\n")  # NUL
    return root


def test_a_split_file_that_is_not_text_is_skipped_whole(hostile_dfew, tmp_path):
    split = hostile_dfew / "EmoLabel_DataSplit"
    (split / "train(single-labeled)" / "set_2.csv").write_bytes(b"video_name,label\n\xff\xfe1,1\n")
    index = read_dataset(hostile_dfew, progress=False)
    assert [c.clip_id for c in index.clips] == ["00001"]
    (entry,) = [s for s in index.skipped if s.clip_id == "set_2.csv"]
    assert "not UTF-8" in entry.reason and one_line(entry.reason)


def test_dfew_reader_stays_inside_its_root(hostile_dfew, sentinel):
    before = tree_hash(hostile_dfew)
    with audited() as seen:
        index, verified = _read_everything(hostile_dfew, ["00001"])
    reasons = _reasons(index)
    assert "symlink leaves the dataset root" in reasons["00004"]
    assert "symlink leaves the dataset root" in reasons["00005"]          # one frame was a link out
    assert "symlink leaves the dataset root" in reasons["00006"]
    assert "empty video file (0 bytes)" in reasons["00008"]
    bad_names = [r for cid, r in reasons.items() if "video_name" in r]
    assert len([r for r in bad_names if "path separator" in r]) >= 4      # ../.., absolute, \\, a/b
    assert any("control character" in r for r in bad_names)
    assert any("control character ('\\x00')" in r for r in bad_names)             # the NUL row of set_5.csv
    _assert_sentinel_untouched(seen, sentinel)
    assert tree_hash(hostile_dfew) == before


def test_follow_symlinks_is_an_explicit_opt_in(hostile_dfew, sentinel):
    index = read_dataset(hostile_dfew, progress=False, follow_symlinks=True)
    # links are followed only when asked; names with '..' / absolute paths never are
    assert {"00001", "00004", "00005", "00006"} <= {c.clip_id for c in index.clips}
    assert not any(sentinel.path.name in c.clip_id for c in index.clips)


def test_ferv39k_reader_stays_inside_its_root(tmp_path, sentinel, face64):
    root = tmp_path / "FERV39k"
    faces = root / "2_ClipsforFaceCrop"
    _frames(faces / "Daily" / "Happy" / "0001", face64)
    (faces / "Daily" / "Angry").mkdir(parents=True)
    (faces / "Daily" / "Angry" / "0002").symlink_to(sentinel.clip, target_is_directory=True)
    setup = root / "4_setups" / "All_scenes"
    setup.mkdir(parents=True)
    rel_escape = os.path.relpath(sentinel.clip, faces)
    (setup / "train_All.csv").write_text("\n".join([
        "Daily/Happy/0001 Happy", f"{rel_escape} Sad", f"{sentinel.clip} Fear", "Daily/Angry/0002 Angry",
        "Daily\\Happy\\0001 Happy", "Daily/Sad/" + "x" * 300 + " Sad", "Daily/Happy/0009 " + "Z" * 5000]) + "\n")
    before = tree_hash(root)
    with audited() as seen:
        index, verified = _read_everything(root, ["Daily_Happy_0001"])
    reasons = list(_reasons(index).values())
    assert sum("contains '..'" in r or "absolute path" in r for r in reasons) == 2
    assert any("symlink leaves the dataset root" in r for r in reasons)
    assert any("backslash" in r for r in reasons) and any("longer than 255 bytes" in r for r in reasons)
    assert all(len(r) < 400 for r in reasons)                     # the 5000-char label is not echoed
    _assert_sentinel_untouched(seen, sentinel)
    assert tree_hash(root) == before


def test_ckplus_reader_stays_inside_its_root(tmp_path, sentinel, face64):
    root = tmp_path / "CK+"
    images = root / "cohn-kanade-images"
    _frames(images / "S001" / "001", face64, ext=".png")
    images.joinpath("S002").symlink_to(sentinel.path, target_is_directory=True)   # subject -> outside
    (images / "S003").mkdir()
    (images / "S003" / "001").symlink_to(sentinel.clip, target_is_directory=True)  # sequence -> outside
    for subj, seq in (("S001", "001"), ("S002", "secret_clip"), ("S003", "001")):
        (root / "Emotion" / subj / seq).mkdir(parents=True)
        (root / "Emotion" / subj / seq / f"{subj}_{seq}_00000006_emotion.txt").write_text("   5.0000000e+00\n")
    before = tree_hash(root)
    with audited() as seen:
        index, verified = _read_everything(root, ["S001_001"])
    reasons = _reasons(index)
    assert "symlink leaves the dataset root" in reasons["S002"]
    assert "symlink leaves the dataset root" in reasons["S003_001"]
    _assert_sentinel_untouched(seen, sentinel)
    assert tree_hash(root) == before


def _hdr_bytes(h=64, w=64) -> bytes:
    ok, buf = cv2.imencode(".hdr", np.full((h, w, 3), 0.5, np.float32))
    assert ok
    return buf.tobytes()


def test_folder_reader_links_empty_videos_and_disguised_frames(tmp_path, sentinel, face64):
    root = tmp_path / "folder"
    _frames(root / "happy" / "honest", face64)
    (root / "happy" / "linked").symlink_to(sentinel.clip, target_is_directory=True)
    (root / "happy" / "linked_video.mp4").symlink_to(sentinel.video)
    (root / "happy" / "empty.mp4").write_bytes(b"")
    root.joinpath("sad").symlink_to(sentinel.path, target_is_directory=True)      # emotion folder -> outside
    # a JPEG saved under .png names decodes (content decides), and its truncation is still caught
    disguised = root / "happy" / "jpeg_as_png"
    disguised.mkdir()
    jpeg = cv2.imencode(".jpg", face64)[1].tobytes()
    for i in range(1, 5):
        (disguised / f"{i:05d}.png").write_bytes(jpeg)
    cut = root / "happy" / "cut_jpeg_as_png"
    cut.mkdir()
    (cut / "00001.png").write_bytes(jpeg[: len(jpeg) // 2])
    png_as_jpg = root / "happy" / "png_as_jpg"
    png_as_jpg.mkdir()
    (png_as_jpg / "00001.jpg").write_bytes(cv2.imencode(".png", face64)[1].tobytes())
    hdr = root / "happy" / "hdr_as_jpg"                    # OpenCV would decode it; we never let it
    hdr.mkdir()
    (hdr / "00001.jpg").write_bytes(_hdr_bytes())
    before = tree_hash(root)
    with audited() as seen:
        index = read_dataset(root, progress=False)
        verified = read_dataset(root, progress=False, verify=True)
        for clip in verified.clips:
            load_clip_frames(clip, n=4)
    lazy = _reasons(index)
    assert "symlink leaves the dataset root" in lazy["happy_linked"]
    assert "symlink leaves the dataset root" in lazy["happy_linked_video"]
    assert "empty video file (0 bytes)" in lazy["happy_empty"]
    assert "symlink leaves the dataset root" in lazy["sad"]
    kept = {c.clip_id for c in verified.clips}
    assert kept == {"happy_honest", "happy_jpeg_as_png", "happy_png_as_jpg"}
    reasons = _reasons(verified)
    assert "truncated" in reasons["happy_cut_jpeg_as_png"]
    assert "not JPEG/PNG/WebP/BMP by its content" in reasons["happy_hdr_as_jpg"]
    frames = load_clip_frames(next(c for c in verified.clips if c.clip_id == "happy_jpeg_as_png"), n=2)
    assert frames.shape == (2, 64, 64, 3) and frames.std() > 10          # real pixels, not grey padding
    _assert_sentinel_untouched(seen, sentinel)
    assert tree_hash(root) == before


@pytest.mark.parametrize("originals", ["symlink", "copy"])
def test_augmented_mirror_never_links_or_copies_outside(hostile_dfew, sentinel, tmp_path, originals):
    from argen_rl.augment.layout import make_layout

    out = tmp_path / "augmented"
    layout = make_layout("dfew", hostile_dfew, out, originals=originals)
    dest = tmp_path / "mirror"
    before = tree_hash(hostile_dfew)
    with audited() as seen:
        layout.mirror(dest, [Emotion.FEAR])
    escaping = [str(p) for p in dest.rglob("*")
                if p.is_symlink() and not os.path.realpath(p).startswith(str(hostile_dfew.resolve()))]
    assert escaping == []
    assert not (dest / "Clip" / "clip_224x224" / "00004").exists()
    assert (dest / "Clip" / "clip_224x224" / "00001").exists()
    _assert_sentinel_untouched(seen, sentinel)
    assert tree_hash(hostile_dfew) == before


def test_augmented_root_is_read_through_its_links_to_the_original(tmp_path, face64):
    """The augment writer's own symlinks (new root -> original) are followed; nothing else is."""
    from argen_rl.augment.layout import make_layout

    src = tmp_path / "DFEW"
    _frames(src / "Clip" / "clip_224x224" / "00001", face64)
    (src / "EmoLabel_DataSplit" / "test(single-labeled)").mkdir(parents=True)
    (src / "EmoLabel_DataSplit" / "test(single-labeled)" / "set_1.csv").write_text("video_name,label\n1,1\n")
    out = tmp_path / "aug"
    make_layout("dfew", src, out).mirror(out, [Emotion.FEAR])
    (out / "_argen_augment").mkdir()
    (out / "_argen_augment" / "run.json").write_text('{"source": "%s"}' % src.resolve())
    assert [c.clip_id for c in read_dataset(out, progress=False).clips] == ["00001"]
    (out / "_argen_augment" / "run.json").write_text('{"source": "/"}')      # a forged source: not a dataset
    assert read_dataset(out, progress=False).clips == []
