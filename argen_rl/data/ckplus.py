"""CK+ reader (official layout).

::

    <root>/cohn-kanade-images/S005/001/S005_001_00000001.png ...   # one folder per sequence
    <root>/Emotion/S005/001/S005_001_00000011_emotion.txt          # one float code 0..7
    <root>/FACS/S005/001/S005_001_00000011_facs.txt                 # lines "AU intensity"

Codes: 0 neutral, 1 anger, 2 contempt, 3 disgust, 4 fear, 5 happy, 6 sadness, 7 surprise.
Contempt is kept as ``Emotion.CONTEMPT`` unless ``include_contempt=False`` (7-class tasks), in
which case those sequences are listed as skipped. Sequences without an emotion file are CK+'s
unlabelled ones and are skipped with that reason. Subject ids (``S005``) are kept; FACS codes
go to ``DatasetIndex.facs[clip_id]`` (AU -> intensity; CK+ writes 0 when only presence is coded).
"""
from __future__ import annotations

from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.data.trust import frames_trust, read_text_head
from argen_rl.paths import MAX_FOLDER_ENTRIES, Root, UnsafePathError, check_name, shorten, shown_id
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import FrameReadError, list_frames

CODES = (Emotion.NEUTRAL, Emotion.ANGRY, Emotion.CONTEMPT, Emotion.DISGUST,
         Emotion.FEAR, Emotion.HAPPY, Emotion.SAD, Emotion.SURPRISE)
FRAME_DIRS = ("cohn-kanade-images",)


def read_emotion_code(path: Path) -> Emotion:
    text = read_text_head(path, 4096).split()
    if len(text) != 1:
        raise ValueError(f"expected one number, found {' '.join(text)[:40]!r}")
    value = float(text[0])
    code = int(round(value))
    if abs(value - code) > 1e-6 or not 0 <= code <= 7:
        raise ValueError(f"emotion code {value:g} is not an integer in 0..7")
    return CODES[code]


def read_facs(path: Path) -> dict[int, float]:
    """``*_facs.txt`` -> {AU: intensity}. Raises ValueError naming the bad line."""
    aus: dict[int, float] = {}
    for n, line in enumerate(read_text_head(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        try:
            au, inten = float(parts[0]), float(parts[1]) if len(parts) > 1 else 0.0
        except ValueError:
            raise ValueError(f"{path}:{n}: not 'AU intensity': {shorten(line.strip())}") from None
        aus[int(round(au))] = inten
    return aus


def _sequence_dirs(images: Path, frames: Root) -> list[tuple[Path, str | None]]:
    """``<images>/<subject>/<sequence>/`` folders with the reason each may not be read (or None).
    A subject folder that leads outside the root is reported once and never listed."""
    out: list[tuple[Path, str | None]] = []
    for subj in sorted(p for p in images.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            check_name(subj.name, "subject folder")
            frames.check(subj, "subject folder")
        except UnsafePathError as err:
            out.append((subj, str(err)))
            continue
        for seq in sorted(p for p in subj.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                check_name(seq.name, "sequence folder")
                frames.check(seq, "sequence folder")
                out.append((seq, None))
            except UnsafePathError as err:
                out.append((seq, str(err)))
    return out


def read_ckplus(root: Path, frames_dir: str | None = None, include_contempt: bool = True,
                trust: Root | None = None) -> DatasetIndex:
    root = Path(root)
    trusted = trust or Root.of(root)
    index = DatasetIndex("ckplus", root, [])
    images = Path(frames_dir) if frames_dir and Path(frames_dir).is_absolute() else root / (frames_dir or FRAME_DIRS[0])
    if not images.is_dir():
        raise FileNotFoundError(f"CK+ image folder not found: {images}")
    frames = frames_trust(trusted, images, frames_dir)
    for seq_dir, why in _sequence_dirs(images, frames):
        subject, seq = seq_dir.parent.name, seq_dir.name
        clip_id = f"{subject}_{seq}"
        if why:
            index.skip(shown_id(seq_dir.name if seq_dir.parent == images else clip_id), seq_dir, why)
            continue
        emo_files = [f for f in sorted((root / "Emotion" / subject / seq).glob("*_emotion.txt"))]
        if not emo_files:
            index.skip(clip_id, seq_dir, "no emotion file: CK+ leaves this sequence unlabelled")
            continue
        why = trusted.escape(emo_files[0])
        if why:
            index.skip(clip_id, emo_files[0], f"emotion file {why}")
            continue
        try:
            emotion = read_emotion_code(emo_files[0])
        except (ValueError, OSError) as err:
            index.skip(clip_id, emo_files[0], str(err))
            continue
        if emotion is Emotion.CONTEMPT and not include_contempt:
            index.skip(clip_id, seq_dir, "contempt excluded (include_contempt=False, 7-class task)")
            continue
        try:
            seq_frames = list_frames(seq_dir, frames, MAX_FOLDER_ENTRIES)
        except (UnsafePathError, FrameReadError) as err:
            index.skip(clip_id, seq_dir, str(err))
            continue
        if not seq_frames:
            index.skip(clip_id, seq_dir, "sequence folder has no frame files")
            continue
        for facs_file in sorted((root / "FACS" / subject / seq).glob("*_facs.txt"))[:1]:
            why = trusted.escape(facs_file)
            if why:
                index.notes.append(f"{clip_id}: FACS not read (file {why})")
                continue
            try:
                index.facs[clip_id] = read_facs(facs_file)
            except (ValueError, OSError) as err:
                index.notes.append(f"{clip_id}: FACS not read ({err})")
        index.clips.append(Clip(clip_id, emotion, frames=seq_frames, subject=subject, dataset="ckplus"))
    return index
