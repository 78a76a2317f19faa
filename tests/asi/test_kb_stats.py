from pathlib import Path

import numpy as np

from argen_rl.asi.kb_stats import apply_centres, au_centres_from_facs, au_centres_from_video
from argen_rl.types import Clip, Emotion


def _clip(cid, emo):
    return Clip(cid, emo, frames=[Path(f"{cid}.png")])


def test_facs_centres_skip_uncoded_and_keep_allowed_aus(kb):
    clips = [_clip("a", Emotion.SURPRISE), _clip("b", Emotion.SURPRISE), _clip("c", Emotion.FEAR)]
    facs = {"a": {1: 4.0, 2: 2.0, 26: 0.0}, "b": {1: 2.0, 12: 3.0}, "c": {20: 5.0}}
    centres = au_centres_from_facs(facs, clips)
    assert centres[Emotion.SURPRISE] == {1: 3.0, 2: 2.0, 12: 3.0}
    stored = apply_centres(kb, centres, low=1.0, high=3.5)
    assert stored["surprise"] == {1: 3.0, 2: 2.0}            # AU12 is not allowed for surprise
    assert stored["fear"] == {20: 3.5}                        # clipped to the sampling range
    inten = kb.sample_intensities([kb.record("surprise-prototype")], np.random.default_rng(0))
    assert abs(inten[1] - 3.0) <= 0.5 and abs(inten[2] - 2.0) <= 0.5


def test_video_centres_measure_the_peak_of_a_real_clip(grace_hopper):
    """grace_hopper with the lower face pulled down in the second frame: AU26 (jaw drop) registers."""
    import cv2

    from argen_rl.face.au import AU_SET, make_au_estimator
    from argen_rl.face.landmarks import MOUTH_LEFT, MOUTH_RIGHT, FaceMesh

    img = np.ascontiguousarray(grace_hopper[44:556])                  # 512 x 512, proportions kept
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    mouth_y = float(FaceMesh().landmarks(img)[[MOUTH_LEFT, MOUTH_RIGHT], 1].mean())
    src = np.where(ys > mouth_y, mouth_y + (ys - mouth_y) / 1.3, ys).astype(np.float32)
    opened = cv2.remap(img, xs, src, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    est = make_au_estimator("geometric")
    centres = au_centres_from_video([(Emotion.SURPRISE, np.stack([img, opened]))], est.estimate, AU_SET)
    c = centres[Emotion.SURPRISE]
    assert set(c) == set(AU_SET)
    assert c[26] > 0.5 and c[1] == c[2] == 0.0 and min(c.values()) >= 0.0   # jaw moved, brows did not
