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
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import list_frames

FRAME_DIRS = ("2_ClipsforFaceCrop",)
NAMES = ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise")


def parse_label(raw: str) -> Emotion:
    if raw.isdigit():
        i = int(raw)
        if not 0 <= i < len(NAMES):
            raise ValueError(f"label {i} outside 0..6 (FERV39k: 0 Angry .. 6 Surprise)")
        return Emotion.parse(NAMES[i])
    return Emotion.parse(raw)


def read_ferv39k(root: Path, frames_dir: str | None = None) -> DatasetIndex:
    root = Path(root)
    index = DatasetIndex("ferv39k", root, [])
    setup = root / "4_setups" / "All_scenes"
    files = [(s, setup / f"{s}_All.csv") for s in ("train", "test") if (setup / f"{s}_All.csv").is_file()]
    if not files:
        raise FileNotFoundError(f"no FERV39k split files: expected {setup}/train_All.csv and test_All.csv")
    frames_root = Path(frames_dir) if frames_dir and Path(frames_dir).is_absolute() else root / (frames_dir or FRAME_DIRS[0])
    seen: set[str] = set()
    for split, path in files:
        for line_no, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            where = f"{path}:{line_no}"
            if len(parts) != 2:
                index.skip(parts[0], where, f"malformed line {line!r} (expected 'Scene/Emotion/id Emotion')")
                continue
            rel, raw = parts
            clip_id = rel.strip("/").replace("/", "_")
            try:
                emotion = parse_label(raw)
            except ValueError as err:
                index.skip(clip_id, where, str(err))
                continue
            if clip_id in seen:
                index.skip(clip_id, where, "listed twice; the first entry is kept")
                continue
            folder = frames_root / rel
            if not folder.is_dir():
                index.skip(clip_id, folder, "clip folder not found")
                continue
            frames = list_frames(folder)
            if not frames:
                index.skip(clip_id, folder, "clip folder has no frame files")
                continue
            seen.add(clip_id)
            index.clips.append(Clip(clip_id, emotion, frames=frames, split=split, dataset="ferv39k"))
    return index
