"""Face detection: OpenCV's Haar cascade (the paper's r_F detector) and mediapipe's BlazeFace.

Both detectors run offline from files that ship inside installed wheels:

- ``haar``: ``cv2.data.haarcascades/haarcascade_frontalface_default.xml`` (Viola-Jones, Intel
  licence / BSD). ARGen's face reward r_F (Eq. 16) counts frames in which it finds a face.
  ``Box.score`` is the number of merged raw detections (``detectMultiScale2``), >= min_neighbors.
- ``mediapipe``: the BlazeFace short-range model shipped by mediapipe 0.10.21 (Apache-2.0),
  for faces within ~2 m of the camera (all our face crops and generated videos).
  ``Box.score`` is its probability in [0, 1].

Heavy objects (cascade, mediapipe graph) are built lazily, once per process.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import cv2
import numpy as np


@dataclass(frozen=True)
class Box:
    """A face box in pixel coordinates of the input image (top-left x, y; width, height)."""

    x: int
    y: int
    w: int
    h: int
    score: float

    @property
    def area(self) -> int:
        return self.w * self.h

    def expand(self, margin: float, width: int, height: int) -> "Box":
        """Grow by ``margin`` of the box size on each side, square it, clip to the image."""
        side = max(self.w, self.h) * (1.0 + 2.0 * margin)
        cx, cy = self.x + self.w / 2.0, self.y + self.h / 2.0
        x0, y0 = int(round(max(0.0, cx - side / 2))), int(round(max(0.0, cy - side / 2)))
        x1, y1 = int(round(min(width, cx + side / 2))), int(round(min(height, cy + side / 2)))
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0), self.score)

    def crop(self, img: np.ndarray) -> np.ndarray:
        return img[self.y:self.y + self.h, self.x:self.x + self.w]


class FaceDetector(Protocol):
    name: str

    def detect(self, img: np.ndarray) -> list[Box]: ...

    def detect_batch(self, frames: np.ndarray | Sequence[np.ndarray]) -> list[list[Box]]: ...


def check_image(img: np.ndarray) -> np.ndarray:
    """Fail loudly on anything that is not a uint8 HxWx3 RGB image."""
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[-1] != 3:
        got = getattr(img, "shape", type(img).__name__)
        raise ValueError(f"expected a uint8 HxWx3 RGB image, got {got}")
    if img.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {img.dtype}")
    if min(img.shape[:2]) < 1:
        raise ValueError(f"empty image of shape {img.shape}")
    return img


def _largest_first(boxes: list[Box]) -> list[Box]:
    return sorted(boxes, key=lambda b: (b.area, b.score), reverse=True)


HAAR_CASCADE = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"


@functools.lru_cache(maxsize=None)
def _haar_cascade(path: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise FileNotFoundError(f"could not load the Haar cascade {path} (opencv-python 4.x ships it)")
    return cascade


class HaarDetector:
    """OpenCV Viola-Jones frontal-face cascade on the grey, histogram-equalised image."""

    name = "haar"

    def __init__(self, scale_factor: float = 1.1, min_neighbors: int = 5, min_size_frac: float = 0.08,
                 cascade_path: Path = HAAR_CASCADE) -> None:
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size_frac = min_size_frac   # smallest face side as a fraction of the image's short side
        self.cascade_path = Path(cascade_path)

    def detect(self, img: np.ndarray) -> list[Box]:
        gray = cv2.equalizeHist(cv2.cvtColor(check_image(img), cv2.COLOR_RGB2GRAY))
        side = max(16, int(self.min_size_frac * min(gray.shape)))
        rects, neighbours = _haar_cascade(str(self.cascade_path)).detectMultiScale2(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(side, side))
        boxes = [Box(int(x), int(y), int(w), int(h), float(n))
                 for (x, y, w, h), n in zip(np.asarray(rects).reshape(-1, 4), np.ravel(neighbours))]
        return _largest_first(boxes)

    def detect_batch(self, frames: np.ndarray | Sequence[np.ndarray]) -> list[list[Box]]:
        return [self.detect(f) for f in frames]


_MP_LOCK = threading.Lock()   # mediapipe graphs are not re-entrant


@functools.lru_cache(maxsize=None)
def _mediapipe_face_detection(min_confidence: float):
    from mediapipe.python.solutions import face_detection

    # model_selection=0: the short-range BlazeFace model shipped inside the mediapipe wheel.
    return face_detection.FaceDetection(model_selection=0, min_detection_confidence=min_confidence)


class MediapipeDetector:
    """mediapipe 0.10.21 BlazeFace short-range detector (relative boxes scaled to pixels).

    ``min_confidence=0.6``: on uniform noise BlazeFace reports ~0.50, on real faces 0.77-0.94.
    """

    name = "mediapipe"

    def __init__(self, min_confidence: float = 0.6) -> None:
        self.min_confidence = min_confidence

    def detect(self, img: np.ndarray) -> list[Box]:
        img = check_image(img)
        h, w = img.shape[:2]
        with _MP_LOCK:
            result = _mediapipe_face_detection(self.min_confidence).process(np.ascontiguousarray(img))
        boxes = []
        for det in result.detections or []:
            rb = det.location_data.relative_bounding_box
            x0, y0 = max(0, int(round(rb.xmin * w))), max(0, int(round(rb.ymin * h)))
            x1, y1 = min(w, int(round((rb.xmin + rb.width) * w))), min(h, int(round((rb.ymin + rb.height) * h)))
            if x1 > x0 and y1 > y0:
                boxes.append(Box(x0, y0, x1 - x0, y1 - y0, float(det.score[0])))
        return _largest_first(boxes)

    def detect_batch(self, frames: np.ndarray | Sequence[np.ndarray]) -> list[list[Box]]:
        return [self.detect(f) for f in frames]


DETECTORS = {"haar": HaarDetector, "mediapipe": MediapipeDetector}


@functools.lru_cache(maxsize=None)
def make_detector(name: str = "haar") -> FaceDetector:
    """``"haar"`` (the paper's r_F detector) or ``"mediapipe"`` (stronger, BlazeFace); cached."""
    try:
        return DETECTORS[name]()
    except KeyError:
        raise ValueError(f"unknown face detector {name!r}; expected one of {sorted(DETECTORS)}") from None


def haar_face_present(frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """(T,) bool: does the Haar cascade find at least one face in each frame (ARGen Eq. 16's p_f)."""
    det = make_detector("haar")
    return np.array([len(b) > 0 for b in det.detect_batch(frames)], dtype=bool)
