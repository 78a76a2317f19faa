"""``read_dataset``: layout auto-detection, dispatch to the per-dataset readers, optional verify.

Frame decodability is checked LAZILY by default: indexing lists frame files (cheap even for
DFEW's ~1.6 M frames) and skips clips whose folder is missing or empty, while a corrupt frame
surfaces as ``FrameReadError`` from ``load_clip_frames``, which callers catch and report.
``verify=True`` decodes every frame at index time (with a progress bar) and moves clips with an
undecodable frame into ``DatasetIndex.skipped``; use it once on a new copy of a dataset
(``argen data summary --verify``).

Optional subject sidecar: DFEW, FERV39k and plain folders carry no subject ids. If the root holds
a ``clips.csv`` with ``subject`` and ``index_id`` (or ``clip_id``) columns, as the sample
dataset does, clips without a subject get theirs from it (needed for per-subject sFVD).
"""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from tqdm.auto import tqdm

from argen_rl.data.ckplus import read_ckplus
from argen_rl.data.dfew import read_dfew
from argen_rl.data.ferv39k import read_ferv39k
from argen_rl.data.folder import read_folder
from argen_rl.data.frames import verify_clip
from argen_rl.data.index import DatasetIndex
from argen_rl.types import Emotion

KINDS = ("auto", "dfew", "ferv39k", "ckplus", "folder")
_MARKERS = (("dfew", "EmoLabel_DataSplit"), ("ferv39k", "4_setups"), ("ckplus", "cohn-kanade-images"))


def detect_kind(root: Path) -> str:
    """Which layout ``root`` holds, from its top-level folders."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"dataset root not found: {root}")
    for kind, marker in _MARKERS:
        if (root / marker).is_dir():
            return kind
    for d in root.iterdir():
        if d.is_dir() and not d.name.startswith("."):
            try:
                Emotion.parse(d.name)
                return "folder"
            except ValueError:
                pass
    raise ValueError(f"cannot tell the layout of {root}: expected EmoLabel_DataSplit/ (DFEW), 4_setups/ "
                     "(FERV39k), cohn-kanade-images/ (CK+) or <emotion>/ folders (generic)")


def read_dataset(root: Path, kind: str = "auto", frames_dir: str | None = None, *,
                 verify: bool = False, include_contempt: bool = True, progress: bool = True) -> DatasetIndex:
    """Index a dataset in its official layout.

    kind: auto | dfew | ferv39k | ckplus | folder. frames_dir: the frame folder relative to
    ``root`` when it is not the usual one (DFEW: Clip/clip_224x224, also tried:
    Clip/clip_224x224_16f, Clip/clip_112x112, Clip/original; FERV39k: 2_ClipsforFaceCrop;
    CK+: cohn-kanade-images; folder: a sub-folder holding the <emotion>/ folders).
    verify: decode every frame now and skip clips that fail (default: lazily, see module doc).
    include_contempt: CK+ only; False lists contempt sequences as skipped (7-class tasks).
    """
    root = Path(root)
    if kind not in KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; expected one of: {', '.join(KINDS)}")
    if kind == "auto":
        kind = detect_kind(root)
    elif not root.is_dir():
        raise FileNotFoundError(f"dataset root not found: {root}")
    if kind == "ckplus":
        index = read_ckplus(root, frames_dir, include_contempt=include_contempt)
    else:
        index = {"dfew": read_dfew, "ferv39k": read_ferv39k, "folder": read_folder}[kind](root, frames_dir)
    _fill_subjects(index)
    if verify:
        kept = []
        for clip in tqdm(index.clips, desc=f"verify {index.name}", unit="clip", disable=not progress):
            err = verify_clip(clip)
            if err is None:
                kept.append(clip)
            else:
                index.skip(clip.clip_id, clip.video_path or (clip.frames[0].parent if clip.frames else ""), err)
        index.clips = kept
    return index


def _fill_subjects(index: DatasetIndex) -> None:
    sidecar = index.root / "clips.csv"
    if not sidecar.is_file() or all(c.subject for c in index.clips):
        return
    with open(sidecar, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or ())
        key = "index_id" if "index_id" in fields else "clip_id"
        if "subject" not in fields or key not in fields:
            return
        subjects = {row[key]: row["subject"] for row in reader if row.get(key) and row.get("subject")}
    index.clips = [c if c.subject or c.clip_id not in subjects else dataclasses.replace(c, subject=subjects[c.clip_id])
                   for c in index.clips]
