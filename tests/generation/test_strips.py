"""A strip per emotion on a real face (the demo report's figure)."""
from __future__ import annotations

import numpy as np

from argen_rl.generation.strips import STRIP_EMOTIONS, emotion_strips
from argen_rl.generation.warp import WarpGenerator


def test_one_row_per_emotion_starting_at_the_reference(grace_hopper):
    gen = WarpGenerator()
    image, rows = emotion_strips(gen, grace_hopper, side=48, frames=8, size=96, steps=4)
    assert image.dtype == np.uint8 and image.shape == (48 * len(STRIP_EMOTIONS), 48 * 7, 3)
    assert [r["emotion"] for r in rows] == [e.value for e in STRIP_EMOTIONS]
    assert all(r["frames"][0] == 0 and r["frames"][-1] == 7 for r in rows)
    # ASI-style intensities: the prototype's AUs, each in 1..5
    assert all(1.0 <= v <= 5.0 for r in rows for v in r["target_aus"].values())
    # the first tile of every row is the same reference; later tiles differ from it
    first = image[:, 48:96]
    for k in range(1, len(rows)):
        np.testing.assert_array_equal(first[:48], first[48 * k:48 * (k + 1)])
    assert np.abs(image[:48, 96 + 48 * 2:96 + 48 * 3].astype(int) - first[:48]).mean() > 1.0
