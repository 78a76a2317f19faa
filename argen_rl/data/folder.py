"""Generic folder reader: ``<root>/<emotion>/<clip>/`` frame folders or ``<root>/<emotion>/<clip>.mp4``.

Emotion folder names go through ``Emotion.parse`` (case-insensitive, aliases such as
"Happiness" or "anger"). Clips under an unknown emotion name, empty clip folders and stray
files that are neither a frame folder nor a video are listed as skipped. Files directly in
``<root>`` (README, CSV) and hidden entries are ignored. Clip ids are ``<emotion>_<clip>``.
"""
from __future__ import annotations

from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import VIDEO_EXTS, list_frames

_IGNORED_SUFFIXES = (".txt", ".csv", ".json", ".md", ".yaml", ".yml")


def read_folder(root: Path, frames_dir: str | None = None) -> DatasetIndex:
    root = Path(root)
    base = root / frames_dir if frames_dir else root
    if not base.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {base}")
    index = DatasetIndex("folder", root, [])
    for emo_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        try:
            emotion = Emotion.parse(emo_dir.name)
        except ValueError as err:
            emotion, why = None, str(err)
        for entry in sorted(emo_dir.iterdir()):
            if entry.name.startswith(".") or (entry.is_file() and entry.suffix.lower() in _IGNORED_SUFFIXES):
                continue
            clip_id = f"{emo_dir.name}_{entry.stem}"
            if emotion is None:
                index.skip(clip_id, entry, why)
            elif entry.is_dir():
                frames = list_frames(entry)
                if frames:
                    index.clips.append(Clip(clip_id, emotion, frames=frames, dataset="folder"))
                else:
                    index.skip(clip_id, entry, "clip folder has no frame files")
            elif entry.suffix.lower() in VIDEO_EXTS:
                index.clips.append(Clip(clip_id, emotion, video_path=entry, dataset="folder"))
            else:
                index.skip(clip_id, entry, f"neither a frame folder nor a video file ({', '.join(VIDEO_EXTS)})")
    return index
