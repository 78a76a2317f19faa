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
from argen_rl.data.trust import dataset_trust, file_error
from argen_rl.paths import Root, UnsafePathError, check_name
from argen_rl.types import Emotion

KINDS = ("auto", "dfew", "ferv39k", "ckplus", "folder")
_MARKERS = (("dfew", "EmoLabel_DataSplit"), ("ferv39k", "4_setups"), ("ckplus", "cohn-kanade-images"))


def detect_kind(root: Path) -> str:
    """Which layout ``root`` holds, from its top-level folders."""
    root = Path(root)
    if not root.is_dir():
        raise _not_a_dir(root)
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
                 verify: bool = False, include_contempt: bool = True, progress: bool = True,
                 follow_symlinks: bool = False) -> DatasetIndex:
    """Index a dataset in its official layout.

    kind: auto | dfew | ferv39k | ckplus | folder. frames_dir: the frame folder relative to
    ``root`` when it is not the usual one (DFEW: Clip/clip_224x224, also tried:
    Clip/clip_224x224_16f, Clip/clip_112x112, Clip/original; FERV39k: 2_ClipsforFaceCrop;
    CK+: cohn-kanade-images; folder: a sub-folder holding the <emotion>/ folders).
    verify: decode every frame now and skip clips that fail (default: lazily, see module doc).
    include_contempt: CK+ only; False lists contempt sequences as skipped (7-class tasks).
    follow_symlinks: accept clip folders / files that are symlinks to places outside ``root``
    (default False: they are skipped with that reason; see ``argen_rl.paths``). Names read from
    the split files (``..``, absolute paths, separators, control characters) are never followed.
    """
    root = Path(root)
    if kind not in KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; expected one of: {', '.join(KINDS)}")
    if kind == "auto":
        kind = detect_kind(root)
    elif not root.is_dir():
        raise _not_a_dir(root)
    trust = dataset_trust(root, follow_symlinks)
    if kind == "ckplus":
        index = read_ckplus(root, frames_dir, include_contempt=include_contempt, trust=trust)
    else:
        index = {"dfew": read_dfew, "ferv39k": read_ferv39k, "folder": read_folder}[kind](root, frames_dir, trust=trust)
    _fill_subjects(index, trust)
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


def _not_a_dir(root: Path) -> FileNotFoundError | NotADirectoryError:
    if root.exists():
        return NotADirectoryError(f"dataset root is not a folder: {root} (give the folder that holds the dataset)")
    return FileNotFoundError(f"dataset root not found: {root}")


MAX_BAD_SUBJECT_NOTES = 5


def _fill_subjects(index: DatasetIndex, trust: Root) -> None:
    """Clips without a subject get theirs from ``<root>/clips.csv`` (streamed; only the index's
    clips are kept, so a huge sidecar costs no memory). A subject that is not a safe name
    (``argen_rl.paths.check_name``) is dropped with a note: subjects become file names later."""
    sidecar = index.root / "clips.csv"
    wanted = {c.clip_id for c in index.clips if not c.subject}
    if not wanted or not sidecar.is_file():
        return
    why = trust.escape(sidecar)
    if why:
        index.notes.append(f"clips.csv not read: {why}")
        return
    subjects: dict[str, str] = {}
    bad = 0
    try:
        with open(sidecar, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            key = "index_id" if "index_id" in header else "clip_id"
            if "subject" not in header or key not in header:
                return
            ik, isub = header.index(key), header.index("subject")
            for line, row in enumerate(reader, 2):
                if len(row) <= max(ik, isub) or row[ik] not in wanted or not row[isub]:
                    continue
                try:
                    subjects.setdefault(row[ik], check_name(row[isub], "subject"))
                except UnsafePathError as err:
                    bad += 1
                    if bad <= MAX_BAD_SUBJECT_NOTES:
                        index.notes.append(f"clips.csv:{line}: {err}; subject ignored")
    except (ValueError, csv.Error, OSError) as err:
        index.notes.append(f"clips.csv not read: {file_error(err)}")
        return
    if bad > MAX_BAD_SUBJECT_NOTES:
        index.notes.append(f"clips.csv: {bad - MAX_BAD_SUBJECT_NOTES} more rows with an unsafe subject ignored")
    index.clips = [c if c.subject or c.clip_id not in subjects else dataclasses.replace(c, subject=subjects[c.clip_id])
                   for c in index.clips]
