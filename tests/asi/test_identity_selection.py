"""Identity frame selection on real photos (ARGen Eq. 6, supp. Eq. 22-26)."""
import cv2
import numpy as np
import pytest

from argen_rl.asi.identity import NO_FACE, candidate_indices, select_identity_frame
from argen_rl.face.au import make_au_estimator
from argen_rl.face.detect import make_detector
from argen_rl.face.landmarks import FaceMesh, MOUTH_LEFT, MOUTH_RIGHT
from argen_rl.face.quality import QualityThresholds


def stretch_lower_face(img: np.ndarray, mouth_y: int, amount: float) -> np.ndarray:
    """Pull everything below ``mouth_y`` downwards by ``amount`` (fraction of the lower part): the
    chin and lower lip move down, like a jaw drop, on a real photo."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    src_y = np.where(ys > mouth_y, mouth_y + (ys - mouth_y) / (1.0 + amount), ys).astype(np.float32)
    return cv2.remap(img, xs, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


@pytest.fixture(scope="module")
def tools():
    est = make_au_estimator("geometric")
    return make_detector("haar").detect, (lambda img: est.estimate(img, reference=None))


def _resize(img, size=256):
    """Centre square crop, then resize (keeps the face's proportions)."""
    h, w = img.shape[:2]
    m = min(h, w)
    y, x = (h - m) // 2, (w - m) // 2
    return cv2.resize(img[y:y + m, x:x + m], (size, size), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("name, make, reason", [
    ("blur", lambda f: cv2.GaussianBlur(f, (0, 0), 4), "blurred"),
    ("dark", lambda f: (f * 0.1).astype(np.uint8), "too dark"),
    ("bright", lambda f: np.clip(f.astype(int) + 200, 0, 255).astype(np.uint8), "too bright"),
    ("flat", lambda f: (128 + (f.astype(int) - 128) // 12).astype(np.uint8), "low contrast"),
    ("small", lambda f: cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA), "too small"),
    ("noface", lambda f: np.ascontiguousarray(f[:40, :40].repeat(6, 0).repeat(6, 1)), NO_FACE),
])
def test_each_filter_rejects_its_frame(grace_hopper, tools, name, make, reason):
    good = _resize(grace_hopper)
    bad = make(good)
    frames = [good, bad] if bad.shape == good.shape else None
    if frames is None:     # a smaller frame cannot share an array with the others: check it alone
        choice = select_identity_frame("c", bad[None], QualityThresholds(), *tools)
        assert choice.frame_index is None
    else:
        choice = select_identity_frame("c", np.stack(frames), QualityThresholds(), *tools)
        assert choice.frame_index == 0
    rej = choice.rejections
    assert len(rej) == 1 and any(r.startswith(reason) for r in rej[0].reasons), rej[0].reasons
    assert rej[0].quality is not None


def test_picks_the_least_expressive_frame_of_a_real_face_clip(grace_hopper, tools):
    """grace_hopper.jpg with its jaw progressively pulled down: the unmodified frame (index 2) has
    the lowest mean AU intensity, whatever its position."""
    img = _resize(grace_hopper, 320)
    lm = FaceMesh().landmarks(img)
    mouth_y = int(lm[[MOUTH_LEFT, MOUTH_RIGHT], 1].mean())
    frames = np.stack([stretch_lower_face(img, mouth_y, 0.25), stretch_lower_face(img, mouth_y, 0.12), img,
                       stretch_lower_face(img, mouth_y, 0.35)])
    choice = select_identity_frame("astro", frames, QualityThresholds(), *tools)
    assert not choice.rejections
    assert choice.frame_index == 2, choice.candidates
    means = [choice.candidates[i] for i in (2, 1, 0, 3)]
    assert means == sorted(means)          # more jaw drop -> more AU activity
    np.testing.assert_array_equal(choice.image, img)


def test_neutral_face_beats_a_smiling_one(astronaut, grace_hopper, tools):
    frames = np.stack([_resize(astronaut), _resize(grace_hopper), _resize(astronaut)])
    choice = select_identity_frame("mix", frames, QualityThresholds(), *tools)
    assert choice.frame_index == 1
    assert choice.candidates[1] < choice.candidates[0]


def test_candidate_indices():
    assert candidate_indices(5, 16).tolist() == [0, 1, 2, 3, 4]
    idx = candidate_indices(100, 16)
    assert len(idx) == 16 and idx[0] == 0 and idx[-1] == 99
    assert candidate_indices(7, None).tolist() == list(range(7))
