"""Generic folder reader: ``<root>/<emotion>/<clip>/`` frame folders or ``<root>/<emotion>/<clip>.mp4``.

Emotion folder names go through ``Emotion.parse`` (case-insensitive, aliases such as
"Happiness" or "anger"). Clips under an unknown emotion name, empty clip folders and stray
files that are neither a frame folder nor a video are listed as skipped. Files directly in
``<root>`` (README, CSV) and hidden entries are ignored. Clip ids are ``<emotion>_<clip>``.
"""
from __future__ import annotations

from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.data.trust import frames_trust
from argen_rl.paths import MAX_FOLDER_ENTRIES, Root, UnsafePathError, check_name, shown_id
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import VIDEO_EXTS, FrameReadError, list_frames

_IGNORED_SUFFIXES = (".txt", ".csv", ".json", ".md", ".yaml", ".yml")


def read_folder(root: Path, frames_dir: str | None = None, trust: Root | None = None) -> DatasetIndex:
    root = Path(root)
    trusted = trust or Root.of(root)
    base = (Path(frames_dir) if Path(frames_dir).is_absolute() else root / frames_dir) if frames_dir else root
    if not base.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {base}")
    clips = frames_trust(trusted, base, frames_dir)
    index = DatasetIndex("folder", root, [])
    for emo_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        why = clips.escape(emo_dir)
        if why:
            index.skip(shown_id(emo_dir.name), emo_dir, f"emotion folder {why}; folder ignored")
            continue
        try:
            emotion = Emotion.parse(emo_dir.name)
        except ValueError as err:
            emotion, why = None, str(err)   # a folder name: at most 255 bytes
        for entry in sorted(emo_dir.iterdir()):
            if entry.name.startswith(".") or (entry.is_file() and entry.suffix.lower() in _IGNORED_SUFFIXES):
                continue
            clip_id = f"{emo_dir.name}_{entry.stem}"
            try:
                check_name(entry.name, "clip name")
                clips.check(entry, "clip")
            except UnsafePathError as err:
                index.skip(shown_id(clip_id), entry, str(err))
                continue
            if emotion is None:
                index.skip(clip_id, entry, why)
            elif entry.is_dir():
                try:
                    frames = list_frames(entry, clips, MAX_FOLDER_ENTRIES)
                except (UnsafePathError, FrameReadError) as err:
                    index.skip(clip_id, entry, str(err))
                    continue
                if frames:
                    index.clips.append(Clip(clip_id, emotion, frames=frames, dataset="folder"))
                else:
                    index.skip(clip_id, entry, "clip folder has no frame files")
            elif entry.suffix.lower() in VIDEO_EXTS:
                if entry.stat().st_size == 0:
                    index.skip(clip_id, entry, "empty video file (0 bytes)")
                else:
                    index.clips.append(Clip(clip_id, emotion, video_path=entry, dataset="folder"))
            else:
                index.skip(clip_id, entry, f"neither a frame folder nor a video file ({', '.join(VIDEO_EXTS)})")
    return index
