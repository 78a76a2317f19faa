"""Videos and their labels for the metrics: dataset clips or a folder of generated videos.

A generated folder holds video files (mp4/gif/...) or frame folders, each optionally with a JSON
sidecar ``<stem>.json`` (as the generation stage writes next to every video). The sidecar's
``emotion``, ``subject`` and ``context_id`` values are looked up at any nesting depth (e.g.
``{"request": {"emotion": "fear", "context_id": "c3"}}``).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from argen_rl.paths import Root
from argen_rl.types import Emotion
from argen_rl.video_io import (FRAME_EXTS, VIDEO_EXTS, FrameReadError, read_frame_folder,
                               read_video, sample_indices)


@dataclass
class VideoSet:
    videos: list[np.ndarray]
    ids: list[str]
    emotions: list[str | None]
    subjects: list[str | None]
    conditions: list[str | None]
    skipped: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.videos)


def _find_key(obj, key: str):
    if isinstance(obj, dict):
        if obj.get(key) not in (None, ""):
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    elif isinstance(obj, list):
        for v in obj:
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def _emotion_name(value) -> str | None:
    if value is None:
        return None
    try:
        return Emotion.parse(str(value)).value
    except ValueError:
        return None


def load_generated(folder: Path, frames: int = 16, emotions: Sequence[str] | None = None,
                   progress: bool = True) -> VideoSet:
    """Every video file / frame folder directly under ``folder`` with its sidecar labels."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"generated-video folder not found: {folder}")
    trust = Root.of(folder)            # argen_rl.paths: no symlink out of the folder is followed
    out = VideoSet([], [], [], [], [])
    items = []
    for p in sorted(folder.iterdir()):
        why = trust.escape(p)
        if why:
            out.skipped[p.stem] = why
        elif (p.is_file() and p.suffix.lower() in VIDEO_EXTS + (".gif",)) or \
                (p.is_dir() and any(f.suffix.lower() in FRAME_EXTS for f in p.iterdir())):
            items.append(p)
    # an mp4 and a gif preview of the same stem count once (prefer the mp4)
    by_stem: dict[str, Path] = {}
    for p in items:
        if p.stem not in by_stem or p.suffix.lower() != ".gif":
            by_stem[p.stem] = p
    wanted = {_emotion_name(e) for e in emotions} if emotions else None
    for stem, p in tqdm(sorted(by_stem.items()), desc="reading videos", disable=not progress, unit="video"):
        meta = {}
        side = p.with_suffix(".json") if p.is_file() else p.parent / f"{p.name}.json"
        if side.is_file():
            try:
                meta = json.loads(side.read_text())
            except json.JSONDecodeError as err:
                out.skipped[stem] = f"unreadable sidecar {side.name}: {err}"
                continue
        emotion = _emotion_name(_find_key(meta, "emotion"))
        if wanted is not None and emotion not in wanted:
            continue
        try:
            video = read_frame_folder(p) if p.is_dir() else _read_any(p)
        except (FrameReadError, OSError, ValueError) as err:
            out.skipped[stem] = str(err)
            continue
        out.videos.append(video[sample_indices(len(video), frames)])
        out.ids.append(stem)
        out.emotions.append(emotion)
        subject = _find_key(meta, "subject")
        out.subjects.append(None if subject is None else str(subject))
        cond = _find_key(meta, "context_id")
        out.conditions.append(None if cond is None else str(cond))
    if not out.videos:
        raise ValueError(f"{folder}: no readable videos{' of ' + ', '.join(sorted(wanted)) if wanted else ''} "
                         f"(skipped: {list(out.skipped.items())[:3]})")
    return out


def _read_any(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".gif":
        import imageio.v2 as imageio

        frames = [np.asarray(f)[..., :3] for f in imageio.mimread(path)]
        return np.stack(frames).astype(np.uint8)
    return read_video(path)[0]


def load_dataset_clips(root: Path, frames: int = 16, emotions: Sequence[str] | None = None,
                       max_clips: int | None = None, progress: bool = True) -> VideoSet:
    """Clips of a dataset root (any layout ``read_dataset`` knows), optionally some classes only."""
    from argen_rl.data import load_clip_frames, read_dataset

    index = read_dataset(Path(root), progress=progress)
    wanted = {_emotion_name(e) for e in emotions} if emotions else None
    clips = [c for c in index.clips if wanted is None or c.emotion.value in wanted]
    if max_clips is not None:
        clips = clips[:max_clips]
    out = VideoSet([], [], [], [], [], {s.clip_id: s.reason for s in index.skipped})
    for c in tqdm(clips, desc="reading clips", disable=not progress, unit="clip"):
        try:
            out.videos.append(load_clip_frames(c, n=frames))
        except FrameReadError as err:
            out.skipped[c.clip_id] = str(err)
            continue
        out.ids.append(c.clip_id)
        out.emotions.append(c.emotion.value)
        out.subjects.append(c.subject)
        out.conditions.append(None)
    if not out.videos:
        raise ValueError(f"{root}: no readable clips{' of ' + ', '.join(sorted(wanted)) if wanted else ''}")
    return out


def load_videos(path: Path, frames: int = 16, emotions: Sequence[str] | None = None,
                progress: bool = True) -> VideoSet:
    """A dataset root if ``read_dataset`` recognises it, else a folder of generated videos."""
    from argen_rl.data import detect_kind

    try:
        detect_kind(Path(path))
    except (ValueError, FileNotFoundError):
        return load_generated(path, frames, emotions, progress)
    return load_dataset_clips(path, frames, emotions, progress=progress)
