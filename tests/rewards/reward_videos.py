"""Helpers building hand-made videos and requests for the reward tests."""
from __future__ import annotations

import cv2
import numpy as np

from argen_rl.types import Emotion, GenParams, GenRequest, Video


def square_face(img: np.ndarray, size: int = 256) -> np.ndarray:
    """Centre-crop to a square and resize to the generation size (256, as the paper's videos)."""
    h, w = img.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(img[y:y + s, x:x + s], (size, size), interpolation=cv2.INTER_AREA)


def make_request(image: np.ndarray, steps: int = 10, target_aus: dict[int, float] | None = None,
                 emotion: Emotion = Emotion.SURPRISE) -> GenRequest:
    return GenRequest(image=image, prompt="a person", emotion=emotion,
                      target_aus=target_aus or {}, params=GenParams(steps=steps))


def static_video(frame: np.ndarray, n: int = 16) -> Video:
    return Video(np.repeat(frame[None], n, axis=0))
