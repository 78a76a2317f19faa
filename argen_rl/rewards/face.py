"""Face reward r_F (ARGen Eq. 16): the fraction of frames in which a face is found.

    r_F = (1/F) sum_f p_f,   p_f = 1 if OpenCV's frontal-face Haar cascade finds a face in frame f

The paper's supplement names OpenCV's Haar cascade as the detector; p_f is binary because the
cascade gives no calibrated probability. Detection is ``argen_rl.face.detect.haar_face_present``
(the face area's single implementation), so the reward and the rest of the project agree on what
"a face is present" means.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from argen_rl.rewards.steps import _check_pairs
from argen_rl.types import GenRequest, Video


def make_face_reward():
    """r_F per video = fraction of its frames with a Haar-detected face (0..1)."""
    from argen_rl.face.detect import haar_face_present

    def face_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        present = [np.asarray(haar_face_present(v.frames), dtype=bool) for v in videos]
        r_F = np.array([p.mean() for p in present], dtype=np.float64)  # ARGen Eq. 16
        first_missing = np.array([int(np.argmin(p)) if not p.all() else -1 for p in present])
        return r_F, {"face/first_missing_frame": first_missing}

    return face_reward
