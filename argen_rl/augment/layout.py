"""Write generated clips into a copy of a dataset's own layout (DFEW, FERV39k, generic folder).

The new root mirrors the original: folders that receive new clips (and the split-CSV folders)
are real directories in the new root; everything else is a symlink to the original (default)
or a copy (``originals="copy"``). Split CSVs are always COPIES, rebuilt as "original text +
one row per generated clip", so the original files are never opened for writing. A generated
clip's frames go to a fresh folder with an id that cannot collide (non-numeric ``argen_...``
ids; DFEW's are 5-digit numbers), and every write checks that its target lies inside the new
root and not behind a symlink.

Generated clips only ever join TRAINING splits: DFEW's train(single-labeled)/set_1..5.csv (so
they have no fold and never reach a test split), FERV39k's train_All.csv; the folder layout has
no split. A DFEW clip generated from an identity frame of source clip X does NOT join the train
split of the fold whose test split lists X: the identity image is a frame of that test clip, so
training on it would leak the test clip's face into its own fold.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from argen_rl.io_utils import atomic_path
from argen_rl.data.trust import dataset_trust
from argen_rl.types import Emotion

LAYOUTS = ("dfew", "ferv39k", "folder")
SAMPLE_MARKER = "README.txt"


@dataclass(frozen=True)
class NewClip:
    """A generated clip as the layout sees it."""

    clip_id: str          # our id (folder name)
    emotion: Emotion      # its (final) label
    subject: str = ""
    source: str = ""      # e.g. "argen:<generator_id>"
    frames: int = 0
    source_clip: str = ""  # the original clip the identity frame came from ("" if unknown)


def inside(path: Path, root: Path) -> bool:
    """``path`` lies inside ``root`` with no symlink on the way (so writing there is safe)."""
    path, root = Path(path), Path(root)
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    cur = root
    for part in rel.parts:
        cur = cur / part
        if cur.is_symlink():
            return False
    return True


def _csv_text(rows: Iterable[list], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def copy_and_append(src: Path, dest: Path, extra: str) -> Path:
    """``dest`` = the bytes of ``src`` (streamed, never read whole), a newline if it lacks one,
    then ``extra``; written atomically. The original is only ever opened for reading."""
    with atomic_path(dest) as tmp:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            if fout.tell():
                fin.seek(-1, os.SEEK_END)
                if fin.read(1) != b"\n":
                    fout.write(b"\n")
            fout.write(extra.encode("utf-8"))
    return dest


class LayoutWriter:
    """Base: mirror the original, place new clips, rebuild CSV copies. One subclass per layout."""

    kind = ""
    copied: tuple[str, ...] = ()        # top-level paths copied (not linked): CSV folders

    def __init__(self, source: Path, target: Path, frames_dir: str | None = None,
                 originals: str = "symlink", follow_symlinks: bool = False) -> None:
        self.source, self.target = Path(source).resolve(), Path(target).resolve()
        self.trust = dataset_trust(self.source, follow_symlinks)   # the rules of the data readers
        self.left_out: list[str] = []
        """Original entries not mirrored because they lead outside the original root (with why)."""
        if originals not in ("symlink", "copy"):
            raise ValueError(f"originals must be 'symlink' or 'copy', got {originals!r}")
        self.originals = originals
        self.frames_dir = frames_dir
        for a, b, what in ((self.target, self.source, "inside the original dataset"),
                           (self.source, self.target, "a parent of the original dataset")):
            if a == b or b in a.parents:
                raise ValueError(f"the augmented root {self.target} must not be {what} ({self.source})")

    # -- layout specifics ----------------------------------------------------------------------
    def real_dirs(self, emotions: Iterable[Emotion]) -> list[Path]:
        """Relative folders that must be real directories in the new root (they receive clips)."""
        raise NotImplementedError

    def clip_dir(self, clip: NewClip) -> Path:
        """Absolute frame folder of a new clip in the new root."""
        raise NotImplementedError

    def index_id(self, clip: NewClip) -> str:
        """The id ``argen_rl.data.read_dataset`` will give the clip in this layout."""
        raise NotImplementedError

    def rebuild_csvs(self, clips: list[NewClip]) -> list[Path]:
        """Rewrite the split-CSV copies as original + rows for ``clips``; returns the files written."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def mirror(self, dest: Path, emotions: Iterable[Emotion]) -> None:
        """Build the mirror of the original under ``dest`` (a fresh folder)."""
        real = {Path(p) for p in self.real_dirs(emotions)}
        needed = set(real)
        for p in real:
            needed.update(p.parents)
        copied = {Path(p) for p in self.copied} | {Path("clips.csv")}

        def walk(rel: Path) -> None:
            (dest / rel).mkdir(parents=True, exist_ok=True)
            for entry in sorted((self.source / rel).iterdir()):
                r = rel / entry.name
                if rel == Path(".") and entry.name == SAMPLE_MARKER and _is_sample_marker(entry):
                    continue    # the copy is not "the sample dataset" (build_sample_dataset may replace those)
                why = self.trust.escape(entry)
                if why:         # a symlink out of the original: never linked or copied into the new root
                    self.left_out.append(f"{r.as_posix()}: {why}")
                    continue
                if r in needed and entry.is_dir():
                    walk(r)
                elif r in copied or self.originals == "copy":
                    if entry.is_dir():
                        shutil.copytree(entry, dest / r, symlinks=False, ignore=self._escaping)
                    else:
                        shutil.copy2(entry, dest / r)
                else:
                    os.symlink(entry.resolve(), dest / r, target_is_directory=entry.is_dir())
        walk(Path("."))
        for p in real:
            (dest / p).mkdir(parents=True, exist_ok=True)

    def _escaping(self, folder: str, names: list[str]) -> list[str]:
        """copytree's ignore: entries under ``folder`` that lead outside the original root."""
        out = []
        for n in names:
            why = self.trust.escape(Path(folder) / n)
            if why:
                rel = (Path(folder) / n).relative_to(self.source) if Path(folder).is_relative_to(self.source) else n
                self.left_out.append(f"{Path(rel).as_posix()}: {why}")
                out.append(n)
        return out

    def source_file(self, rel: str | Path) -> Path | None:
        """An original file to read (split CSV, sidecar), or None if absent or leading outside the root."""
        p = self.source / rel
        return p if p.is_file() and self.trust.escape(p) is None else None

    def temp_dirs(self, emotions: Iterable[Emotion]) -> list[Path]:
        """Folders of the new root this writer puts clips into (where a killed run's temps lie)."""
        return sorted({self.clip_dir(NewClip("argen_probe", e)).parent for e in emotions})

    def csv_dirs(self) -> list[Path]:
        """Folders of the new root holding this writer's CSV copies."""
        return [self.target / p for p in self.copied]

    def check_writable(self, path: Path) -> Path:
        if not inside(path, self.target):
            raise RuntimeError(f"refusing to write {path}: not inside the augmented root {self.target} "
                               "(or behind a symlink to the original dataset)")
        return path

    def rebuild_clips_csv(self, clips: list[NewClip]) -> Path | None:
        """The optional clips.csv subject sidecar: original rows + one per new clip."""
        src = self.source_file("clips.csv")
        if src is None:
            return None
        with open(src, newline="", encoding="utf-8-sig", errors="replace") as fh:
            header = next(csv.reader(fh), [])
        values = lambda c: {"clip_id": c.clip_id, "index_id": self.index_id(c), "emotion": c.emotion.value,  # noqa: E731
                            "subject": c.subject, "source": c.source, "frames": c.frames}
        rows = [[values(c).get(h, "") for h in header] for c in clips]
        return copy_and_append(src, self.check_writable(self.target / "clips.csv"), _csv_text(rows))


def _is_sample_marker(path: Path) -> bool:
    from argen_rl.data.sample import is_sample_dataset

    return is_sample_dataset(path.parent)


class DFEWLayout(LayoutWriter):
    """EmoLabel_DataSplit/{train,test}(single-labeled)/set_k.csv + Clip/clip_224x224/<id>/."""

    kind = "dfew"
    copied = ("EmoLabel_DataSplit",)

    def _frames_rel(self) -> Path:
        from argen_rl.data.dfew import find_frames_root

        root = find_frames_root(self.source, self.frames_dir)
        try:
            return root.resolve().relative_to(self.source)
        except ValueError:
            return Path("Clip/clip_224x224")   # frames kept outside the root: new clips go here

    def real_dirs(self, emotions):
        return [self._frames_rel()]

    def clip_dir(self, clip):
        return self.check_writable(self.target / self._frames_rel() / clip.clip_id)

    def index_id(self, clip):
        return clip.clip_id

    def rebuild_csvs(self, clips):
        from argen_rl.data.dfew import SPLITS

        written = []
        for split in SPLITS:
            for k in range(1, 6):
                rel = Path("EmoLabel_DataSplit") / f"{split}(single-labeled)" / f"set_{k}.csv"
                src = self.source_file(rel)
                if src is None:
                    continue
                # new clips join the TRAIN splits (DFEW label = EMOTIONS7 index + 1) except the one
                # whose fold tests their source clip; test splits stay original
                extra = ""
                if split == "train":
                    held = self._test_ids(k)
                    extra = _csv_text([[c.clip_id, c.emotion.index + 1] for c in clips
                                       if _dfew_id(c.source_clip) not in held])
                written.append(copy_and_append(src, self.check_writable(self.target / rel), extra))
        if not written:
            raise FileNotFoundError(f"{self.source}: no DFEW split CSVs to extend")
        return written


    def _test_ids(self, k: int) -> set[str]:
        """Clip ids listed in test(single-labeled)/set_k.csv of the original (5-digit form)."""
        src = self.source_file(Path("EmoLabel_DataSplit") / "test(single-labeled)" / f"set_{k}.csv")
        if src is None:
            return set()
        with open(src, newline="", encoding="utf-8-sig", errors="replace") as fh:   # streamed
            rows = csv.reader(fh)
            next(rows, None)
            return {_dfew_id(r[0]) for r in rows if r}


def _dfew_id(clip_id: str) -> str:
    """DFEW ids are written '1' or '00001' in different files; compare the 5-digit form."""
    clip_id = str(clip_id or "").strip()
    return clip_id.zfill(5) if clip_id.isdigit() else clip_id


class FERV39kLayout(LayoutWriter):
    """4_setups/All_scenes/{train,test}_All.csv + 2_ClipsforFaceCrop/<Scene>/<Emotion>/<id>/."""

    kind = "ferv39k"
    copied = ("4_setups",)

    def __init__(self, *args, scene: str = "ARGen_generated", **kw) -> None:
        super().__init__(*args, **kw)
        self.scene = scene

    def _frames_rel(self) -> Path:
        from argen_rl.data.ferv39k import FRAME_DIRS

        return Path(self.frames_dir or FRAME_DIRS[0])

    def real_dirs(self, emotions):
        return [self._frames_rel()]

    def _rel(self, clip: NewClip) -> str:
        return f"{self.scene}/{clip.emotion.value.capitalize()}/{clip.clip_id}"

    def clip_dir(self, clip):
        if (self.source / self._frames_rel() / self.scene).exists():
            raise FileExistsError(f"the original already has a scene folder {self.scene!r}")
        return self.check_writable(self.target / self._frames_rel() / self._rel(clip))

    def index_id(self, clip):
        return self._rel(clip).replace("/", "_")

    def rebuild_csvs(self, clips):
        rel = Path("4_setups") / "All_scenes"
        written = []
        for split in ("train", "test"):
            src = self.source_file(rel / f"{split}_All.csv")
            if src is None:
                continue
            extra = _csv_text([[self._rel(c), c.emotion.value.capitalize()] for c in clips],
                              delimiter=" ") if split == "train" else ""
            written.append(copy_and_append(src, self.check_writable(self.target / rel / src.name), extra))
        if not written:
            raise FileNotFoundError(f"{self.source}: no FERV39k split files to extend")
        return written


class FolderLayout(LayoutWriter):
    """<emotion>/<clip>/ frame folders (the emotion folder's existing spelling is kept)."""

    kind = "folder"

    def _emotion_dir(self, emotion: Emotion) -> Path:
        base = Path(self.frames_dir) if self.frames_dir else Path(".")
        src = self.source / base
        for d in sorted(src.iterdir()) if src.is_dir() else []:
            if d.is_dir() and not d.name.startswith((".", "_")):
                try:
                    if Emotion.parse(d.name) is emotion:
                        return base / d.name
                except ValueError:
                    continue
        return base / emotion.value

    def real_dirs(self, emotions):
        return [self._emotion_dir(e) for e in emotions]

    def clip_dir(self, clip):
        return self.check_writable(self.target / self._emotion_dir(clip.emotion) / clip.clip_id)

    def index_id(self, clip):
        return f"{self._emotion_dir(clip.emotion).name}_{clip.clip_id}"

    def rebuild_csvs(self, clips):
        return []      # no split files: the folders are the labels


def make_layout(kind: str, source: Path, target: Path, frames_dir: str | None = None,
                originals: str = "symlink", follow_symlinks: bool = False) -> LayoutWriter:
    classes = {"dfew": DFEWLayout, "ferv39k": FERV39kLayout, "folder": FolderLayout}
    if kind not in classes:
        raise ValueError(f"cannot write generated clips into a {kind!r} dataset; supported layouts: "
                         f"{', '.join(LAYOUTS)} (for CK+, augment a folder-layout export)")
    return classes[kind](source, target, frames_dir=frames_dir, originals=originals, follow_symlinks=follow_symlinks)
