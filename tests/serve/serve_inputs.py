"""Real and broken uploads for the Serve tests (bytes as a client would send them)."""
from __future__ import annotations

import cv2
import numpy as np


def encode(img: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buf = cv2.imencode(ext, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def bad_uploads(face_jpeg: bytes) -> dict[str, tuple[bytes, int]]:
    """name -> (upload bytes, expected status) under the limits of ``TEST_LIMITS``."""
    import skimage.data

    rng = np.random.default_rng(0)
    return {
        "empty": (b"", 400),
        "not_an_image": (b"%PDF-1.4 this is a document, not a photo\n" * 20, 415),
        "truncated_jpeg": (face_jpeg[: len(face_jpeg) // 2], 400),
        "too_many_pixels": (encode(np.full((2100, 2000, 3), 128, np.uint8), ".png"), 413),
        "too_many_bytes": (encode(rng.integers(0, 256, (700, 700, 3), dtype=np.uint8), ".png"), 413),
        "no_face": (encode(skimage.data.coffee()), 422),
        "too_small": (encode(cv2.resize(skimage.data.astronaut(), (40, 40))), 422),
    }


TEST_LIMITS = {"max_upload_bytes": 1_000_000, "max_image_pixels": 4_000_000, "min_image_side": 64}
