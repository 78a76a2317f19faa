"""DFEW reader (official layout).

::

    <root>/EmoLabel_DataSplit/train(single-labeled)/set_1.csv .. set_5.csv
    <root>/EmoLabel_DataSplit/test(single-labeled)/set_1.csv .. set_5.csv   # header: video_name,label
    <root>/Clip/clip_224x224/00001/*.jpg                                    # one folder per clip

Labels 1..7 = happy, sad, neutral, angry, surprise, disgust, fear (``Emotion.from_index(label-1)``).
Every clip is in the test CSV of exactly one set: that set number is ``Clip.fold`` (use
:func:`argen_rl.data.folds.dfew_split` for the train/test clips of a fold). DFEW has no subject ids.
"""
from __future__ import annotations

import csv
from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.data.trust import file_error, frames_trust
from argen_rl.paths import MAX_FOLDER_ENTRIES, Root, UnsafePathError, check_name, shorten, shown_id
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import VIDEO_EXTS, FrameReadError, list_frames

# Frame-folder names DFEW is distributed with, tried in this order when frames_dir is not given.
FRAME_DIRS = ("Clip/clip_224x224", "Clip/clip_224x224_16f", "Clip/clip_112x112", "Clip/original",
              "clip_224x224", "clip_224x224_16f")
SPLITS = ("train", "test")


def _csv_files(root: Path) -> list[tuple[str, int, Path]]:
    out = []
    for split in SPLITS:
        for k in range(1, 6):
            p = root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / f"set_{k}.csv"
            if p.is_file():
                out.append((split, k, p))
    return out


def find_frames_root(root: Path, frames_dir: str | None) -> Path:
    if frames_dir is not None:
        p = Path(frames_dir)
        return p if p.is_absolute() else root / p
    for name in FRAME_DIRS:
        if (root / name).is_dir():
            return root / name
    return root / FRAME_DIRS[0]


def _clip_source(frames: Root, frames_root: Path, video_name: str) -> tuple[Path, list[Path] | None, Path | None]:
    """Frame folder or video file of one clip: the id zero-padded to 5 digits, then unpadded.

    Raises ``UnsafePathError`` (symlink out of the root) or ``FrameReadError`` (too many entries).
    """
    names = [video_name] + ([video_name.lstrip("0") or "0"] if video_name.isdigit() else [])
    for name in names:
        d = frames_root / name
        if d.is_dir():
            frames.check(d, "clip folder")
            return d, list_frames(d, frames, MAX_FOLDER_ENTRIES), None
        for ext in VIDEO_EXTS:
            v = frames_root / f"{name}{ext}"
            if v.is_file():
                return v, None, frames.check(v, "video file")
    return frames_root / names[0], None, None


def _read_split_csv(path: Path) -> tuple[dict[str, set[int]], list[tuple[str, str, str]]]:
    """One split CSV streamed row by row -> ({video: labels}, [(id, where, reason) skips]).

    Raises ValueError (not UTF-8 text, not CSV, wrong header) for the whole file.
    """
    labels: dict[str, set[int]] = {}
    skips: list[tuple[str, str, str]] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if not {"video_name", "label"} <= set(header):
            raise ValueError(f"CSV header is {shorten(','.join(header))}, expected video_name,label; file ignored")
        iv, il = header.index("video_name"), header.index("label")
        for line, row in enumerate(reader, 2):
            vid = row[iv].strip() if iv < len(row) else ""
            raw = row[il].strip() if il < len(row) else ""
            vid = vid.zfill(5) if vid.isdigit() else vid   # CSV "1" -> folder "00001"
            where = f"{path}:{line}"
            if not vid:
                skips.append((f"{path.name}:{line}", str(path), "row without video_name"))
                continue
            try:
                if vid not in labels:   # validated once per distinct name (10^6 rows of one clip: once)
                    check_name(vid, "video_name")
            except UnsafePathError as err:
                skips.append((shown_id(vid), where, f"{err}; row ignored"))
                continue
            try:
                label = int(float(raw))
            except (ValueError, OverflowError):
                skips.append((vid, where, f"label {shorten(raw)} is not a number"))
                continue
            if not 1 <= label <= 7:
                skips.append((vid, where, f"label {label} outside 1..7 (DFEW: 1 happy .. 7 fear)"))
                continue
            labels.setdefault(vid, set()).add(label)
    return labels, skips


def read_dfew(root: Path, frames_dir: str | None = None, trust: Root | None = None) -> DatasetIndex:
    root = Path(root)
    trusted = trust or Root.of(root)
    index = DatasetIndex("dfew", root, [])
    files = _csv_files(root)
    if not files:
        raise FileNotFoundError(f"no DFEW split files under {root}/EmoLabel_DataSplit/"
                                "(train|test)(single-labeled)/set_<k>.csv")
    labels: dict[str, dict[int, Path]] = {}   # video -> label -> first CSV giving it
    test_fold: dict[str, int] = {}
    train_sets: dict[str, set[int]] = {}
    for split, k, path in files:
        why = trusted.escape(path)
        if why:
            index.skip(path.name, path, f"split CSV {why}; file ignored")
            continue
        try:
            file_labels, skips = _read_split_csv(path)
        except (ValueError, csv.Error, OSError) as err:   # UnicodeDecodeError is a ValueError
            index.skip(path.name, path, file_error(err))
            continue
        for clip_id, where, reason in skips:
            index.skip(clip_id, where, reason)
        for vid, found in file_labels.items():
            for label in found:
                labels.setdefault(vid, {}).setdefault(label, path)
            if split == "test":
                test_fold.setdefault(vid, k)
            else:
                train_sets.setdefault(vid, set()).add(k)
    frames_root = find_frames_root(root, frames_dir)
    frames = frames_trust(trusted, frames_root, frames_dir)
    bad = {s.clip_id for s in index.skipped}
    for vid in sorted(labels):
        if vid in bad:  # a label problem in any CSV row makes the clip's label untrustworthy
            continue
        if len(labels[vid]) > 1:
            index.skip(vid, "", f"conflicting labels {sorted(labels[vid])} in "
                       f"{', '.join(p.parent.name + '/' + p.name for p in labels[vid].values())}")
            continue
        label = next(iter(labels[vid]))
        try:
            src, clip_frames, video = _clip_source(frames, frames_root, vid)
        except (UnsafePathError, FrameReadError) as err:
            index.skip(vid, frames_root / vid, str(err))
            continue
        if clip_frames is None and video is None:
            index.skip(vid, src, "clip folder (or video file) not found")
            continue
        if clip_frames is not None and not clip_frames:
            index.skip(vid, src, "clip folder has no frame files")
            continue
        if video is not None and video.stat().st_size == 0:
            index.skip(vid, src, "empty video file (0 bytes)")
            continue
        index.clips.append(Clip(vid, Emotion.from_index(label - 1),
                                frames=clip_frames, video_path=video, fold=test_fold.get(vid), dataset="dfew"))
        if vid in train_sets:
            index.train_sets[vid] = frozenset(train_sets[vid])
    return index

