"""A small, deliberately long-tailed SYNTHETIC sample dataset built from real face photos.

It is the default dataset of the demo and the fixture of the test suite. Every frame is a real
photograph that ships inside an installed package, moved by a simple real transformation:

- scikit-image ``data/astronaut.png`` (Eileen Collins, NASA photo, public domain; smiling);
- matplotlib ``mpl-data/sample_data/grace_hopper.jpg`` (US Navy photo, public domain; neutral).

Their mirror images count as two more "subjects", so there are four identities. A clip is one
photo under a slow zoom / pan / in-plane rotation with a brightness drift over 8..24 frames
(some shorter than 16 on purpose). Labels are nominal: except that happy clips come from the
smiling photo and neutral clips from the neutral one, the faces do NOT show the labelled
expression. The class sizes are long-tailed (surprise, disgust and fear scarce) so the scarce
rule, ASI, the generators and the recognisers all have something real to chew on.

Other face photos were looked for in the installed packages: ``skimage/data/camera.png`` is a
profile, ``lfw_subset.npy`` holds 25x25 crops (too small, LFW terms) and
``no_time_for_that_tiny.gif`` has no stated licence, so none of them is used.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from argen_rl.io_utils import atomic_dir
from argen_rl.types import EMOTIONS7, Emotion
from argen_rl.video_io import read_image, write_image, write_mp4

LAYOUTS = ("dfew", "ferv39k", "ckplus", "folder")
SIZE = 224
MARKER = "README.txt"

# Clips per class: long-tailed; total/7 = 50/7 = 7.1, so with ratio 0.5 the scarce threshold is
# 3.6 clips and surprise, disgust and fear (2-3 clips) are scarce.
CLASS_SIZES: dict[Emotion, int] = {
    Emotion.HAPPY: 12, Emotion.SAD: 10, Emotion.NEUTRAL: 12, Emotion.ANGRY: 8,
    Emotion.SURPRISE: 3, Emotion.DISGUST: 2, Emotion.FEAR: 3,
}

# FACS prototype AUs written to the CK+ layout's FACS files (EMFACS-style; intensities drawn 1..4).
_CK_PROTOTYPE_AUS: dict[Emotion, tuple[int, ...]] = {
    Emotion.HAPPY: (6, 12), Emotion.SAD: (1, 4, 15), Emotion.NEUTRAL: (),
    Emotion.ANGRY: (4, 5, 7, 23), Emotion.SURPRISE: (1, 2, 5, 26),
    Emotion.DISGUST: (9, 15, 16), Emotion.FEAR: (1, 2, 4, 5, 20, 26), Emotion.CONTEMPT: (14,),
}
CKPLUS_CODES: dict[Emotion, int] = {
    Emotion.NEUTRAL: 0, Emotion.ANGRY: 1, Emotion.CONTEMPT: 2, Emotion.DISGUST: 3,
    Emotion.FEAR: 4, Emotion.HAPPY: 5, Emotion.SAD: 6, Emotion.SURPRISE: 7,
}
FERV39K_SCENES = ("Daily_life", "Interview")


@dataclass(frozen=True)
class _Identity:
    name: str
    source: str
    image: np.ndarray
    center: tuple[float, float]   # face centre (x, y) in the photo
    face: float                   # face box side in pixels


@dataclass(frozen=True)
class SampleClip:
    clip_id: str
    emotion: Emotion
    subject: str
    source: str
    frames: np.ndarray            # uint8 T x 224 x 224 x 3
    fold: int                     # 1..5 (the DFEW set whose test split holds it)


def _identities() -> list[_Identity]:
    import matplotlib
    import skimage.data

    # Face boxes measured once with OpenCV's haarcascade_frontalface_default (x, y, w, h):
    # astronaut (177, 66, 95, 95), grace_hopper (155, 105, 222, 222).
    astro = skimage.data.astronaut()
    hopper = read_image(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    base = [
        ("astronaut", "skimage/data/astronaut.png", astro, (224.5, 113.5), 95.0),
        ("hopper", "matplotlib/sample_data/grace_hopper.jpg", hopper, (266.0, 216.0), 222.0),
    ]
    out = []
    for name, src, img, (cx, cy), face in base:
        out.append(_Identity(name, src, img, (cx, cy), face))
        w = img.shape[1]
        out.append(_Identity(f"{name}_mirror", src + " (mirrored)", np.ascontiguousarray(img[:, ::-1]),
                             (w - 1 - cx, cy), face))
    return out


def _render_clip(ident: _Identity, n_frames: int, rng: np.random.Generator, gentle: bool) -> np.ndarray:
    """One photo under a slow zoom / pan / rotation with brightness drift -> T x 224 x 224 x 3."""
    rot = 3.0 if gentle else 7.0
    zoom0, zoom1 = rng.uniform(0.95, 1.05), rng.uniform(0.92, 1.12 if gentle else 1.2)
    ang0, ang1 = rng.uniform(-rot, rot, size=2)
    pan = rng.uniform(-0.05, 0.05, size=(2, 2)) * SIZE      # start / end offset of the face
    gain0, gain1 = rng.uniform(0.85, 1.15, size=2)
    base_scale = SIZE / (2.1 * ident.face)                   # face ~ half the frame side
    frames = np.empty((n_frames, SIZE, SIZE, 3), np.uint8)
    for t in range(n_frames):
        u = t / max(n_frames - 1, 1)
        scale = base_scale * (zoom0 + (zoom1 - zoom0) * u)
        m = cv2.getRotationMatrix2D(ident.center, ang0 + (ang1 - ang0) * u, scale)
        off = pan[0] + (pan[1] - pan[0]) * u
        m[0, 2] += SIZE / 2 + off[0] - ident.center[0]
        m[1, 2] += SIZE * 0.46 + off[1] - ident.center[1]
        img = cv2.warpAffine(ident.image, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT101)
        gain = gain0 + (gain1 - gain0) * u
        frames[t] = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return frames


def make_sample_clips(seed: int = 0) -> list[SampleClip]:
    """The clips of the sample dataset (in memory), deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    idents = _identities()
    by_name = {i.name: i for i in idents}
    pools = {  # which photos a class draws from (labels are nominal except happy / neutral)
        Emotion.HAPPY: ["astronaut", "astronaut_mirror"],
        Emotion.NEUTRAL: ["hopper", "hopper_mirror"],
    }
    clips: list[SampleClip] = []
    n = 0
    for emo in EMOTIONS7:
        pool = pools.get(emo, [i.name for i in idents])
        offset = int(rng.integers(len(pool)))
        fold_offset = int(rng.integers(5))
        for k in range(CLASS_SIZES[emo]):
            n += 1
            # every class's first clip is short (< 16 frames) so padding is always exercised
            n_frames = int(rng.integers(8, 14)) if k == 0 else int(rng.integers(12, 25))
            ident = by_name[pool[(k + offset) % len(pool)]]
            frames = _render_clip(ident, n_frames, rng, gentle=emo is Emotion.NEUTRAL)
            clips.append(SampleClip(f"{n:05d}", emo, ident.name, ident.source, frames,
                                    fold=(k + fold_offset) % 5 + 1))
    return clips


# ---------------------------------------------------------------------------------- writers


def _write_frames(folder: Path, frames: np.ndarray, ext: str = ".jpg", prefix: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames, 1):
        name = f"{prefix}{i:08d}{ext}" if prefix else f"{i:05d}{ext}"   # CK+ names: S005_001_00000001.png
        write_image(folder / name, f)


def _write_csv(path: Path, rows: list[list], header: list[str] | None, delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _write_dfew(root: Path, clips: list[SampleClip]) -> dict[str, str]:
    for c in clips:
        _write_frames(root / "Clip" / "clip_224x224" / c.clip_id, c.frames)
    for k in range(1, 6):
        for split, keep in (("train", lambda c: c.fold != k), ("test", lambda c: c.fold == k)):
            rows = [[int(c.clip_id), c.emotion.index + 1] for c in clips if keep(c)]
            _write_csv(root / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / f"set_{k}.csv",
                       rows, ["video_name", "label"])
    return {c.clip_id: c.clip_id for c in clips}


def _write_ferv39k(root: Path, clips: list[SampleClip]) -> dict[str, str]:
    rows, ids = {"train": [], "test": []}, {}
    for i, c in enumerate(clips):
        name = c.emotion.value.capitalize()
        rel = f"{FERV39K_SCENES[i % 2]}/{name}/{c.clip_id}"
        _write_frames(root / "2_ClipsforFaceCrop" / rel, c.frames)
        rows["test" if c.fold == 1 else "train"].append([rel, name])
        ids[c.clip_id] = rel.replace("/", "_")
    for split, r in rows.items():
        _write_csv(root / "4_setups" / "All_scenes" / f"{split}_All.csv", r, None, delimiter=" ")
    return ids


def _write_ckplus(root: Path, clips: list[SampleClip], rng: np.random.Generator) -> dict[str, str]:
    subjects = {name: f"S{100 + i:03d}" for i, name in enumerate(sorted({c.subject for c in clips}))}
    seq_no: dict[str, int] = {}
    ids: dict[str, str] = {}
    extra = [  # CK+ also has contempt, and sequences that carry no emotion label
        SampleClip("contempt", Emotion.CONTEMPT, clips[0].subject, clips[0].source, clips[0].frames[::-1], 1),
        SampleClip("unlabelled", Emotion.NEUTRAL, clips[1].subject, clips[1].source, clips[1].frames, 1),
    ]
    for c in clips + extra:
        subj = subjects[c.subject]
        seq_no[subj] = seq_no.get(subj, 0) + 1
        seq = f"{seq_no[subj]:03d}"
        stem = f"{subj}_{seq}_"
        ids[c.clip_id] = f"{subj}_{seq}"
        gray = np.repeat(c.frames.mean(axis=3, keepdims=True).astype(np.uint8), 3, axis=3)  # CK+ is mostly grey
        _write_frames(root / "cohn-kanade-images" / subj / seq, gray, ".png", prefix=stem)
        peak = f"{stem}{len(c.frames):08d}"
        facs = "".join(f"   {au:.7e}   {float(rng.integers(1, 5)):.7e}\n" for au in _CK_PROTOTYPE_AUS[c.emotion])
        (root / "FACS" / subj / seq).mkdir(parents=True, exist_ok=True)
        (root / "FACS" / subj / seq / f"{peak}_facs.txt").write_text(facs)
        if c.clip_id != "unlabelled":
            (root / "Emotion" / subj / seq).mkdir(parents=True, exist_ok=True)
            (root / "Emotion" / subj / seq / f"{peak}_emotion.txt").write_text(
                f"   {float(CKPLUS_CODES[c.emotion]):.7e}\n")
    return ids


def _write_folder(root: Path, clips: list[SampleClip]) -> dict[str, str]:
    seen: set[Emotion] = set()
    for c in clips:
        if c.emotion not in seen:  # one clip per class as an mp4 file, the rest as frame folders
            seen.add(c.emotion)
            write_mp4(root / c.emotion.value / f"{c.clip_id}.mp4", c.frames, fps=8)
        else:
            _write_frames(root / c.emotion.value / c.clip_id, c.frames)
    return {c.clip_id: f"{c.emotion.value}_{c.clip_id}" for c in clips}


_README = """\
SYNTHETIC SAMPLE DATASET ({layout} layout) -- NOT real expression data.

Built by `argen data sample` (argen_rl/data/sample.py, seed {seed}) for the ARGen-RL demo and
test suite. Every frame is a real, public-domain photograph that ships inside an installed
Python package (scikit-image's astronaut.png, matplotlib's grace_hopper.jpg, and their mirror
images as two more "subjects"), moved by a slow zoom / pan / in-plane rotation with a brightness
drift. Labels are nominal: only the happy clips (smiling photo) and neutral clips (neutral
photo) show their label; the other faces do not express the emotion they are filed under.

Purpose: exercise the dataset readers, the scarce-class rule (the class sizes are deliberately
long-tailed: {sizes}), identity-frame selection (neutral clips keep a frontal face in every
frame), generation and recognition code paths. Never report recognition numbers on it.

clips.csv lists every clip with its subject and source photo; index_id is the clip id that
argen_rl.data.read_dataset gives it in this layout (and which it uses to fill Clip.subject).
"""


def build_sample_dataset(root: Path, layout: str = "dfew", seed: int = 0) -> Path:
    """Write the sample dataset in ``layout`` (dfew | ferv39k | ckplus | folder) at ``root``.

    Deterministic for ``seed``. The tree is built in a temporary sibling folder and renamed into
    place, so an interrupted build leaves nothing half-written. An existing sample dataset at
    ``root`` is replaced; any other existing non-empty folder raises ``FileExistsError``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown sample layout {layout!r}; expected one of: {', '.join(LAYOUTS)}")
    root = Path(root)
    if root.exists() and any(root.iterdir()) and not _is_sample(root):
        raise FileExistsError(f"{root} exists and is not an ARGen sample dataset; refusing to overwrite it")
    root.parent.mkdir(parents=True, exist_ok=True)
    clips = make_sample_clips(seed)
    with atomic_dir(root) as tmp:
        if layout == "dfew":
            ids = _write_dfew(tmp, clips)
        elif layout == "ferv39k":
            ids = _write_ferv39k(tmp, clips)
        elif layout == "ckplus":
            ids = _write_ckplus(tmp, clips, np.random.default_rng(seed + 1))
        else:
            ids = _write_folder(tmp, clips)
        _write_csv(tmp / "clips.csv",
                   [[c.clip_id, ids[c.clip_id], c.emotion.value, c.subject, c.source, len(c.frames), c.fold]
                    for c in clips],
                   ["clip_id", "index_id", "emotion", "subject", "source", "frames", "dfew_fold"])
        sizes = ", ".join(f"{e.value} {n}" for e, n in CLASS_SIZES.items())
        (tmp / MARKER).write_text(_README.format(layout=layout, seed=seed, sizes=sizes))
    return root


def _is_sample(root: Path) -> bool:
    readme = root / MARKER
    return readme.is_file() and readme.read_text(errors="replace").startswith("SYNTHETIC SAMPLE DATASET")


def default_sample_root(layout: str = "dfew", seed: int = 0) -> Path:
    """``runs/sample_<layout>`` under the project checkout (or the working directory when the
    package is installed elsewhere); the dataset is built there on first use.

    Safe to call from several processes at once (e.g. parallel test runs): the first builds the
    dataset under a file lock, the others wait and reuse it.
    """
    import fcntl

    pkg_root = Path(__file__).resolve().parents[2]
    base = (pkg_root if (pkg_root / "pyproject.toml").is_file() else Path.cwd()) / "runs"
    name = f"sample_{layout}" if seed == 0 else f"sample_{layout}_seed{seed}"
    root = base / name
    if _is_sample(root):
        return root
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _is_sample(root):
                build_sample_dataset(root, layout=layout, seed=seed)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root


# ------------------------------------------------------------ public hooks (augmentation writer)


def write_frame_folder(folder: Path, frames: np.ndarray, ext: str = ".jpg") -> None:
    """Write frames as ``00001.jpg, 00002.jpg, ...``: the frame-folder naming the DFEW, FERV39k
    and folder readers expect (used by ``argen_rl.augment`` to add generated clips)."""
    _write_frames(Path(folder), frames, ext)


def is_sample_dataset(root: Path) -> bool:
    """True when ``root`` carries the sample dataset's marker README."""
    return _is_sample(Path(root))
