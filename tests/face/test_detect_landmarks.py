"""Face detection and 478-point landmarks on the real photos (astronaut, grace_hopper)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from argen_rl.face import landmarks as L
from argen_rl.face.detect import Box, haar_face_present, make_detector
from argen_rl.face.landmarks import FaceMesh, inter_ocular


def _inside(pts: np.ndarray, box: Box, slack: float = 0.25) -> np.ndarray:
    sx, sy = slack * box.w, slack * box.h
    return ((pts[:, 0] >= box.x - sx) & (pts[:, 0] <= box.x + box.w + sx)
            & (pts[:, 1] >= box.y - sy) & (pts[:, 1] <= box.y + box.h + sy))


@pytest.mark.parametrize("name", ["haar", "mediapipe"])
def test_detectors_find_the_real_faces(name, astronaut, grace_hopper):
    det = make_detector(name)
    assert make_detector(name) is det                      # one instance per process
    for img, centre in [(astronaut, (222, 125)), (grace_hopper, (265, 245))]:
        boxes = det.detect(img)
        assert boxes, f"{name} found no face"
        b = boxes[0]
        assert b.x < centre[0] < b.x + b.w and b.y < centre[1] < b.y + b.h
        assert 60 < b.w < 300
        assert all(boxes[i].area >= boxes[i + 1].area for i in range(len(boxes) - 1))


@pytest.mark.parametrize("name", ["haar", "mediapipe"])
def test_detectors_find_nothing_in_blank_and_noise(name):
    det = make_detector(name)
    blank = np.full((256, 256, 3), 128, np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    assert det.detect_batch(np.stack([blank, noise])) == [[], []]


def test_haar_face_present_batch(astronaut):
    small = cv2.resize(astronaut, (256, 256))
    frames = np.stack([small, np.zeros_like(small), small[:, ::-1].copy()])
    assert haar_face_present(frames).tolist() == [True, False, True]


def test_bad_input_fails_loudly():
    with pytest.raises(ValueError, match="HxWx3"):
        make_detector("haar").detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        make_detector("haar").detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match="unknown face detector"):
        make_detector("dlib")


def test_landmarks_land_inside_the_face_box(astronaut, grace_hopper):
    mesh = FaceMesh()
    for img in (astronaut, grace_hopper):
        lm = mesh.landmarks(img)
        assert lm.shape == (478, 2) and lm.dtype == np.float32
        box = make_detector("mediapipe").detect(img)[0]
        assert _inside(lm, box).mean() > 0.98
        # anatomy: subject's right eye on the image's left, brows above eyes, mouth below nose
        assert lm[L.RIGHT_EYE_OUTER, 0] < lm[L.RIGHT_EYE_INNER, 0] < lm[L.LEFT_EYE_INNER, 0] < lm[L.LEFT_EYE_OUTER, 0]
        assert lm[L.RIGHT_BROW_INNER, 1] < lm[L.RIGHT_EYE_INNER, 1]
        assert lm[L.NOSE_TIP, 1] < lm[L.UPPER_LIP_TOP, 1] < lm[L.LOWER_LIP_BOTTOM, 1] < lm[L.CHIN, 1]
        assert lm[L.MOUTH_RIGHT, 0] < lm[L.UPPER_LIP_TOP, 0] < lm[L.MOUTH_LEFT, 0]
        iris = lm[list(L.RIGHT_IRIS)]
        eye = lm[list(L.RIGHT_EYE)]
        assert eye[:, 0].min() < iris[0, 0] < eye[:, 0].max()
        assert 0.25 * box.w < inter_ocular(lm) < 0.8 * box.w


def test_no_face_gives_none_and_nan_rows(grace_hopper):
    mesh = FaceMesh()
    assert mesh.landmarks(np.zeros((200, 200, 3), np.uint8)) is None
    small = cv2.resize(grace_hopper, (256, 300))
    vid = mesh.landmarks_video(np.stack([small, np.zeros_like(small), small]))
    assert vid.shape == (3, 478, 2)
    assert np.isnan(vid[1]).all() and np.isfinite(vid[[0, 2]]).all()


def test_tracking_agrees_with_per_frame_detection(grace_hopper):
    """Tracking mode (optional, faster) stays close to detecting every frame (the default)."""
    base = cv2.resize(grace_hopper, (256, 300))
    frames = np.stack([np.roll(base, s, axis=1) for s in range(0, 24, 2)])   # face slides right
    mesh = FaceMesh()
    tracked = mesh.landmarks_video(frames, tracking=True)
    static = mesh.landmarks_video(frames)
    err = np.linalg.norm(tracked - static, axis=-1)
    iod = inter_ocular(static).mean()
    assert np.mean(err) < 0.02 * iod and np.max(err) < 0.1 * iod
    # the points follow the 2 px/frame shift
    dx = np.diff(static[:, L.NOSE_TIP, 0])
    assert np.allclose(dx, 2.0, atol=1.0)


def test_videos_do_not_leak_into_each_other(astronaut, grace_hopper):
    """Tracking state is reset per call: a video's first frame does not depend on the previous video."""
    mesh = FaceMesh()
    grace = cv2.resize(grace_hopper, (256, 300))
    fresh = mesh.landmarks(grace)
    mesh.landmarks_video(np.stack([cv2.resize(astronaut, (256, 300))] * 3), tracking=True)   # another face
    first = mesh.landmarks_video(np.stack([grace, grace]), tracking=True)[0]
    assert np.linalg.norm(first - fresh, axis=-1).mean() < 0.02 * inter_ocular(fresh)


def test_per_frame_detection_is_deterministic(grace_hopper):
    """Same frame, same points: what lets AUs of a still face read exactly 0 (au.py)."""
    small = cv2.resize(grace_hopper, (256, 300))
    vid = FaceMesh().landmarks_video(np.stack([small] * 4))
    assert np.array_equal(vid[0], vid[3]) and np.array_equal(vid[1], vid[2])
