"""Checks on what a client sends to /v1/augment; each failure is an ``InputError`` with its HTTP status.

Pure functions (no Ray, no FastAPI), so they are unit-tested directly and the ingress only maps
``InputError`` to a JSON 4xx response.
"""
from __future__ import annotations

import cv2
import numpy as np

from argen_rl.image_header import UPLOAD_FORMATS, image_info, sniff_format
from argen_rl.paths import shorten
from argen_rl.types import EMOTIONS7, Emotion
from argen_rl.video_io import decode_image_bytes


class InputError(ValueError):
    """Bad client input: ``status`` is the HTTP code (4xx), ``detail`` the message sent back."""

    def __init__(self, status: int, detail: str, **extra):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def parse_emotion(name: str) -> Emotion:
    """A 7-class emotion name (aliases accepted) or 422 listing the valid ones."""
    valid = [e.value for e in EMOTIONS7]
    try:
        e = Emotion.parse(name)
    except ValueError:
        e = None
    if e not in EMOTIONS7:
        raise InputError(422, f"unknown emotion {shorten(name)}; valid emotions: {', '.join(valid)}", valid=valid)
    return e


def check_count(count: int, max_count: int) -> int:
    if not 1 <= count <= max_count:
        raise InputError(422, f"count must be between 1 and {max_count}, got {count}")
    return count


MAX_SEED = 2**32 - 1


def check_seed(seed: int) -> int:
    """Seeds of a request's clips are seed .. seed+count-1; numpy accepts 0 .. 2**32-1."""
    if not 0 <= seed <= MAX_SEED - 64:
        raise InputError(422, f"seed must be between 0 and {MAX_SEED - 64}, got {seed}")
    return seed


def decode_upload(data: bytes, max_bytes: int, max_pixels: int, min_side: int) -> np.ndarray:
    """Upload bytes -> uint8 RGB image, or InputError: 400 empty/truncated, 413 too large, 415 not
    an allowed image, 422 too small.

    Only JPEG, PNG and WebP are decoded (``UPLOAD_FORMATS``, by magic bytes; the file name and
    content type the client sends are ignored), and only after the width x height read from the
    format's own header passed ``max_pixels``: a format no parser here knows (HDR, TIFF, BMP,
    GIF, ...) is 415 without being decoded.
    """
    if not data:
        raise InputError(400, "the uploaded image is empty")
    if len(data) > max_bytes:
        raise InputError(413, f"the upload is larger than the {max_bytes} byte limit")
    fmt = image_format(data)
    if fmt not in UPLOAD_FORMATS:
        what = f"a {fmt} image" if fmt else "not an image"
        raise InputError(415, f"the upload is {what}; send a {', '.join(UPLOAD_FORMATS)} image")
    info = image_info(data)
    if info is None:
        raise InputError(400, f"the uploaded {fmt} is truncated or corrupt (no readable size in its header)")
    if info.pixels > max_pixels:
        raise InputError(413, f"the image is {info.width}x{info.height} pixels; the limit is {max_pixels} pixels")
    try:
        img = decode_image_bytes(data, UPLOAD_FORMATS, max_pixels)
    except ValueError as err:   # a header that decodes to nothing / less: cut off in transfer or damaged
        detail = str(err) if "truncated" in str(err) else f"the uploaded {fmt} is truncated or corrupt"
        raise InputError(400, detail) from None
    h, w = img.shape[:2]
    if min(h, w) < min_side:
        raise InputError(422, f"the image is {w}x{h}; its shorter side must be at least {min_side} pixels")
    return img


def require_face(img: np.ndarray, mesh) -> None:
    """422 unless ``mesh`` (argen_rl.face.landmarks.FaceMesh, what the warp generator uses) finds a face."""
    if mesh.landmarks(img) is None:
        raise InputError(422, "no face found in the image; upload a photo with one clearly visible face")


def image_format(data: bytes) -> str | None:
    """The image format named by the file signature (magic bytes), or None."""
    for sig, name in _OTHER_SIGNATURES:
        if data.startswith(sig):
            return name
    return sniff_format(data)


# formats recognised only to name them in the 415 message (never decoded)
_OTHER_SIGNATURES = ((b"GIF8", "GIF"), (b"#?RADIANCE", "Radiance HDR"), (b"#?RGBE", "Radiance HDR"),
                     (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
                     (b"v/1\x01", "OpenEXR"), (b"PF\n", "PFM"), (b"Pf\n", "PFM"))


def downscale(img: np.ndarray, max_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return img
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
