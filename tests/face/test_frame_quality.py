"""Frame quality (ARGen supp. Eq. 22, 25, 26) on the real photos and degraded copies."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from argen_rl.config import ConfigError, validate_config
from argen_rl.face.quality import QualityThresholds, frame_quality, frame_quality_batch, quality_reasons


def test_real_photos_pass(astronaut, grace_hopper):
    for img in (astronaut, grace_hopper, cv2.resize(astronaut, (128, 128), interpolation=cv2.INTER_AREA)):
        q = frame_quality(img)
        assert quality_reasons(q) == [], q


def test_blurred_copy_is_flagged_as_blurred(astronaut, grace_hopper):
    for img in (astronaut, grace_hopper):
        sharp, blurred = frame_quality_batch(np.stack([img, cv2.GaussianBlur(img, (0, 0), 2.0)]))
        assert blurred.sharpness < 0.1 * sharp.sharpness
        reasons = quality_reasons(blurred)
        assert len(reasons) == 1 and reasons[0].startswith("blurred")
        assert abs(blurred.brightness - sharp.brightness) < 1.0      # blur keeps the mean


def test_dark_bright_flat_small(astronaut):
    dark = (astronaut * 0.15).astype(np.uint8)
    bright = np.clip(astronaut.astype(int) + 170, 0, 255).astype(np.uint8)
    flat = np.full_like(astronaut, 128)
    small = cv2.resize(astronaut, (48, 60))
    assert any(r.startswith("too dark") for r in quality_reasons(frame_quality(dark)))
    assert any(r.startswith("too bright") for r in quality_reasons(frame_quality(bright)))
    assert any(r.startswith("low contrast") for r in quality_reasons(frame_quality(flat)))
    q = frame_quality(small)
    assert q.min_side == 48 and any(r.startswith("too small") for r in quality_reasons(q))


def test_exact_values_on_a_known_image():
    img = np.zeros((10, 20, 3), np.uint8)
    img[:, 10:] = 200                           # half black, half grey 200
    q = frame_quality(img)
    assert q.brightness == pytest.approx(100.0) and q.contrast == pytest.approx(100.0)
    assert q.min_side == 10 and q.sharpness > 0


def test_thresholds_come_from_config():
    thr = validate_config({"min_sharpness": 5000}, QualityThresholds, "face.yaml")
    assert thr.min_sharpness == 5000
    with pytest.raises(ConfigError, match="min_sharpnes: unknown key"):
        validate_config({"min_sharpnes": 1}, QualityThresholds, "face.yaml")
