"""FERV39k reader (official layout).

::

    <root>/4_setups/All_scenes/train_All.csv     # space separated, no header: "Scene/Emotion/id Emotion"
    <root>/4_setups/All_scenes/test_All.csv
    <root>/2_ClipsforFaceCrop/<Scene>/<Emotion>/<id>/*.jpg

The label column is an emotion name (Angry, Disgust, Fear, Happy, Neutral, Sad, Surprise ->
``Emotion.parse``); an integer 0..6 is read in that (alphabetical) order. ``Clip.split`` is
train/test; clip ids are the relative path with "/" replaced by "_" (file-name safe).
"""
from __future__ import annotations

from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.data.trust import file_error, frames_trust
from argen_rl.paths import MAX_FOLDER_ENTRIES, Root, UnsafePathError, check_relpath, shorten, shown_id
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import FrameReadError, list_frames

FRAME_DIRS = ("2_ClipsforFaceCrop",)
NAMES = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")


def parse_label(raw: str) -> Emotion:
    if raw.isdigit():
        i = int(raw)
        if not 0 <= i < len(NAMES):
            raise ValueError(f"label {i} outside 0..6 (FERV39k: 0 Angry .. 6 Surprise)")
        return Emotion.parse(NAMES[i])
    return Emotion.parse(raw)


def read_ferv39k(root: Path, frames_dir: str | None = None, trust: Root | None = None) -> DatasetIndex:
    root = Path(root)
    trusted = trust or Root.of(root)
    index = DatasetIndex("ferv39k", root, [])
    setup = root / "4_setups" / "All_scenes"
    files = [(s, setup / f"{s}_All.csv") for s in ("train", "test") if (setup / f"{s}_All.csv").is_file()]
    if not files:
        raise FileNotFoundError(f"no FERV39k split files: expected {setup}/train_All.csv and test_All.csv")
    frames_root = Path(frames_dir) if frames_dir and Path(frames_dir).is_absolute() else root / (frames_dir or FRAME_DIRS[0])
    frames = frames_trust(trusted, frames_root, frames_dir)
    seen: set[str] = set()
    for split, path in files:
        why = trusted.escape(path)
        if why:
            index.skip(path.name, path, f"split file {why}; file ignored")
            continue
        try:
            _read_split(index, frames, frames_root, split, path, seen)
        except (ValueError, OSError) as err:     # UnicodeDecodeError is a ValueError
            index.skip(path.name, path, file_error(err))
    return index


def _read_split(index: DatasetIndex, frames: Root, frames_root: Path, split: str, path: Path,
                seen: set[str]) -> None:
    """Stream one split file ("Scene/Emotion/id Emotion" per line) into ``index``."""
    with open(path, encoding="utf-8-sig") as fh:
        for line_no, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            where = f"{path}:{line_no}"
            if len(parts) != 2:
                index.skip(shown_id(parts[0]), where, f"malformed line {shorten(line.strip())} "
                           "(expected 'Scene/Emotion/id Emotion')")
                continue
            rel, raw = parts
            try:
                rel_path = check_relpath(rel, "clip path")
            except UnsafePathError as err:
                index.skip(shown_id(rel), where, f"{err}; line ignored")
                continue
            clip_id = "_".join(rel_path.parts)
            try:
                emotion = parse_label(raw)
            except ValueError as err:
                index.skip(clip_id, where, str(err))   # parse_label quotes at most the label token
                continue
            if clip_id in seen:
                index.skip(clip_id, where, "listed twice; the first entry is kept")
                continue
            folder = frames_root.joinpath(*rel_path.parts)
            if not folder.is_dir():
                index.skip(clip_id, folder, "clip folder not found")
                continue
            try:
                clip_frames = list_frames(frames.check(folder, "clip folder"), frames, MAX_FOLDER_ENTRIES)
            except (UnsafePathError, FrameReadError) as err:
                index.skip(clip_id, folder, str(err))
                continue
            if not clip_frames:
                index.skip(clip_id, folder, "clip folder has no frame files")
                continue
            seen.add(clip_id)
            index.clips.append(Clip(clip_id, emotion, frames=clip_frames, split=split, dataset="ferv39k"))
