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
    if len(raw) > 40:
        raise ValueError(f"label {shorten(raw)} is not an emotion name or 0..6")
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
    """Stream one split file ("Scene/Emotion/id Emotion" per line) into ``index``.

    A line seen before gets the first one's outcome from a dict lookup (a hostile split file may
    repeat one line 10^6 times: no re-validation, no stat, one skip entry)."""
    outcome: dict[tuple[str, str], tuple[str, str]] = {}
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
            key = (parts[0], parts[1])
            if key not in outcome:
                clip_id, reason, clip = _line(parts[0], parts[1], frames, frames_root, split, seen)
                if clip is not None:
                    seen.add(clip_id)
                    index.clips.append(clip)
                    reason = "listed twice; the first entry is kept"
                else:
                    index.skip(clip_id, where, reason)
                if len(outcome) < 5_000_000:
                    outcome[key] = (clip_id, reason)
            else:
                index.skip(outcome[key][0], where, outcome[key][1])


def _line(rel: str, raw: str, frames: Root, frames_root: Path, split: str,
          seen: set[str]) -> tuple[str, str, Clip | None]:
    """(clip id, skip reason, clip) of one split line; the clip is None when skipped."""
    try:
        rel_parts = check_relpath(rel, "clip path")
    except UnsafePathError as err:
        return shown_id(rel), f"{err}; line ignored", None
    clip_id = "_".join(rel_parts)
    try:
        emotion = parse_label(raw)
    except ValueError as err:
        return clip_id, str(err), None
    if clip_id in seen:
        return clip_id, "listed twice; the first entry is kept", None
    folder = frames_root.joinpath(*rel_parts)
    if not folder.is_dir():
        return clip_id, "clip folder not found", None
    try:
        clip_frames = list_frames(frames.check(folder, "clip folder"), frames, MAX_FOLDER_ENTRIES)
    except (UnsafePathError, FrameReadError) as err:
        return clip_id, str(err), None
    if not clip_frames:
        return clip_id, "clip folder has no frame files", None
    return clip_id, "", Clip(clip_id, emotion, frames=clip_frames, split=split, dataset="ferv39k")
