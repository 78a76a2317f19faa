"""Each AU's motion field and shading layer acts where FACS says and nowhere else; shading keeps
the reference's colour; a smile's texture is flattened; the mouth interior is shaded."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.generation.appearance import LAYERS, SHADOW_TINT, SkinShading, apply_gain, neutral_texture, smile_regions
from argen_rl.generation.au_motion import AU_FIELDS, SUPPORTED_AUS, AUMotionModel
from argen_rl.generation.warp import WarpGenerator
from argen_rl.generation.warp_engine import MouthStyle, fill_mouth, mouth_opening, teeth_in_gap


@pytest.fixture(scope="module", params=["grace_hopper", "astronaut"])
def ref(request, grace_hopper, astronaut):
    img = {"grace_hopper": grace_hopper, "astronaut": astronaut}[request.param]
    return WarpGenerator().reference(img, 256)


def _landmark_levels(P: np.ndarray) -> dict[str, float]:
    return {"eye": float(P[[33, 133, 362, 263], 1].mean()), "brow": float(P[[105, 334, 107, 336], 1].mean()),
            "nose": float(P[1, 1]), "mouth": float(P[[13, 14], 1].mean()), "lower_lip": float(P[17, 1]),
            "corners": float(P[[61, 291], 1].mean())}


# where each AU's *motion* may act (face frame: v down, IOD units; levels from the landmarks)
FIELD_ZONES = {
    1: ("above", "eye", 0.02), 2: ("above", "eye", 0.02), 4: ("above", "eye", 0.02),
    5: ("eyes", None, 0.0), 7: ("eyes", None, 0.0),
    6: ("below", "eye", -0.02), 9: ("above", "lower_lip", -0.02), 10: ("between", ("eye", "lower_lip"), 0.0),
    11: ("between", ("eye", "lower_lip"), 0.0), 12: ("below", "eye", 0.15), 15: ("below", "nose", 0.0),
    16: ("below", "nose", 0.0), 17: ("below", "nose", 0.0), 20: ("below", "nose", 0.0), 23: ("below", "nose", 0.0),
    24: ("below", "nose", 0.0), 25: ("below", "nose", 0.0), 26: ("below", "nose", 0.0), 27: ("below", "nose", 0.0),
}


def _zone(P: np.ndarray, spec) -> np.ndarray:
    kind, level, margin = spec
    lv = _landmark_levels(P)
    v = P[:, 1]
    if kind == "above":
        return v <= lv[level] + margin
    if kind == "below":
        return v >= lv[level] + margin
    if kind == "between":
        return (v >= lv[level[0]]) & (v <= lv[level[1]])
    # the eyes: lids and the lid skin round them
    return (np.abs(np.abs(P[:, 0]) - 0.5) < 0.35) & (np.abs(v - lv["eye"]) < 0.3)


@pytest.mark.parametrize("au", SUPPORTED_AUS)
def test_each_au_field_moves_its_region_and_no_other(ref, au):
    m: AUMotionModel = ref.motion
    assert m.fields is AU_FIELDS
    d = m.basis(au) * 5.0 / m.frame.iod                     # IOD units at intensity E
    mag = np.hypot(*d.T)
    inside = _zone(m.face_points, FIELD_ZONES[au])
    assert mag.max() > 0.02, f"AU{au} barely moves ({mag.max():.3f} IOD)"
    assert mag[~inside].max(initial=0.0) < 1e-3, f"AU{au} moves points outside its region"


@pytest.mark.parametrize("au", SUPPORTED_AUS)
def test_intensity_zero_is_the_identity_field(ref, au):
    assert not ref.motion.displacement({au: 0.0}).any()
    assert ref.shading.log_gain({au: 0.0}) is None


# where each AU's *shading* may act: (upper, lower) bounds as (level, offset)
LAYER_ZONES = {
    1: (None, ("eye", -0.05)), 2: (None, ("eye", -0.05)), 4: (("brow", -0.35), ("eye", 0.12)),
    6: (("eye", -0.12), ("mouth", 0.15)), 7: (("eye", -0.08), ("eye", 0.35)),
    9: (("brow", -0.15), ("mouth", 0.1)), 10: (("eye", 0.1), ("mouth", 0.3)), 11: (("eye", 0.1), ("mouth", 0.3)),
    12: (("eye", 0.1), ("mouth", 0.3)), 15: (("corners", -0.1), None), 17: (("lower_lip", -0.1), None),
    20: (("corners", -0.2), ("corners", 0.25)),
}


@pytest.mark.parametrize("au", sorted(LAYERS))
def test_each_au_shading_darkens_its_region_and_no_other(ref, au):
    s: SkinShading = ref.shading
    g = s.basis(au)
    lv = _landmark_levels(s.P)
    top, bottom = LAYER_ZONES[au]
    inside = np.ones(s.shape, bool)
    if top is not None:
        inside &= s.V >= lv[top[0]] + top[1]
    if bottom is not None:
        inside &= s.V <= lv[bottom[0]] + bottom[1]
    mass = np.abs(g)
    assert mass.max() > 0.08, f"AU{au}'s layer barely shades ({mass.max():.3f})"
    assert mass[inside].sum() / mass.sum() > 0.97, f"AU{au}'s layer leaks out of its region"
    assert g.min() < -0.08                                   # it has a dark crease / shadow


def test_shading_keeps_the_references_colour(ref):
    s = ref.shading
    shaded = s.shade(ref.image, {4: 5.0, 9: 5.0, 12: 5.0, 17: 5.0}).astype(np.float64)
    img = ref.image.astype(np.float64)
    dark = s.log_gain({4: 5.0, 9: 5.0, 12: 5.0, 17: 5.0}) < -0.15
    assert dark.sum() > 50
    # luminance drops; chromaticity (r, g, b) / sum stays close (shadows only a little warmer)
    assert (shaded[dark].sum(1) < img[dark].sum(1)).mean() > 0.95
    chroma = lambda x: x / np.maximum(x.sum(1, keepdims=True), 1.0)
    assert np.abs(chroma(shaded[dark]) - chroma(img[dark])).mean() < 0.03
    # outside the face (background, hair) nothing changes
    assert np.array_equal(shaded[:8].astype(np.uint8), ref.image[:8])


def test_shading_in_the_gains_box_equals_shading_the_whole_frame(ref):
    """``apply_gain`` shades only the box of non-zero gain, channel-first; the definition is the
    whole frame at once, channel-last: image x exp(gain x tint), rounded. Same uint8 frame (at most
    1 grey level on < 0.1 % of pixels, for a different exp rounding)."""
    g = ref.shading.log_gain({1: 3.0, 4: 4.0, 9: 4.0, 10: 3.0, 12: 2.0, 17: 3.0})
    assert 0.1 < (g != 0).mean() < 0.9                  # a box smaller than the frame
    slow = np.clip(ref.image.astype(np.float32) * np.exp(g[..., None] * SHADOW_TINT) + 0.5, 0, 255).astype(np.uint8)
    fast = apply_gain(ref.image, g)
    diff = np.abs(fast.astype(int) - slow)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    assert np.array_equal(apply_gain(ref.image, np.zeros_like(g)), ref.image)


def test_skin_mask_is_the_face_not_the_background(ref):
    s = ref.shading
    cheek = np.round(ref.points[[205, 425]]).astype(int)
    assert all(s.skin[y, x] > 0.8 for x, y in cheek)
    assert s.skin[:5].max() < 0.05 and s.skin[:, :5].max() < 0.05


def test_smile_texture_is_flattened(astronaut):
    ref = WarpGenerator().reference(astronaut, 256)
    s = ref.shading
    region = smile_regions(s) > 0.5
    import cv2

    def band(img):
        lum = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32) + 8
        return np.abs(np.log(cv2.GaussianBlur(lum, (0, 0), 1.3)) - np.log(cv2.GaussianBlur(lum, (0, 0), 9.0)))

    before = band(ref.image)[region].mean()
    after = band(neutral_texture(ref.image, s, 1.0))[region].mean()
    assert region.sum() > 300 and after < 0.6 * before          # measured: 0.083 -> 0.045
    assert np.array_equal(neutral_texture(ref.image, s, 0.0), ref.image)


def test_mouth_interior_is_shaded_in_the_references_colours(grace_hopper):
    ref = WarpGenerator().reference(grace_hopper, 256)
    pts = ref.points + ref.motion.displacement({26: 5.0})
    from argen_rl.generation.au_motion import FaceFrame

    frame = FaceFrame.from_landmarks(pts)
    img = ref.warp.warp(ref.image, np.concatenate([pts, ref.anchors]))
    up, lo, caps = teeth_in_gap({26: 5.0})
    out = fill_mouth(img.copy(), pts, frame, up, lo, 1.0, style=ref.mouth_style, caps=caps)
    poly = np.round(pts[[82, 13, 312, 317, 14, 87]]).astype(int)
    x0, y0 = poly.min(0) + 1
    x1, y1 = poly.max(0) - 1
    cavity = out[y0:y1, x0:x1].astype(float)
    assert cavity.mean() < 70                                 # a dark hollow ...
    assert cavity.std() > 3                                   # ... that is shaded, not a flat fill
    # the cavity is the lips' own hue in shadow: red dominates
    assert cavity[..., 0].mean() > cavity[..., 2].mean()
    # a dim photo gets dim teeth
    dim = MouthStyle.from_reference((ref.image * 0.5).astype(np.uint8), ref.points)
    assert np.mean(dim.upper_teeth) < 0.8 * np.mean(ref.mouth_style.upper_teeth)
    # teeth take the photo's white balance: grace_hopper is warm-lit, so are her teeth; the same
    # photo with red and blue swapped (a cold cast) gets cold teeth
    r, _, b = ref.mouth_style.upper_teeth
    cold = MouthStyle.from_reference(np.ascontiguousarray(ref.image[..., ::-1]), ref.points)
    assert r > 1.2 * b and cold.upper_teeth[2] > cold.upper_teeth[0]


def test_teeth_follow_the_lips_not_the_jaw():
    up, lo, caps = teeth_in_gap({26: 5.0})          # a dropped jaw: a dark opening
    assert up < 0.02 and lo == 0.0
    up, lo, caps = teeth_in_gap({10: 5.0, 16: 5.0})  # lips pulled apart over a closed jaw: teeth
    assert up > 0.1 and lo > 0.1 and caps[0] + caps[1] > 0.85


def _turned(src: np.ndarray, dst: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Triangles whose orientation in ``dst`` is opposite to ``src`` (a fold), both areas > 0.3 px^2."""
    def area(P):
        a, b, c = P[tri[:, 0]], P[tri[:, 1]], P[tri[:, 2]]
        return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    a0, a1 = area(src), area(dst)
    return (np.sign(a0) != np.sign(a1)) & (np.abs(a0) > 0.3) & (np.abs(a1) > 0.3)


def test_brow_and_jaw_fields_do_not_fold_the_eyes_or_lips(ref):
    """AU4 pushed the brow past the lashes (lid and iris triangles turned over: the eye drawn as a
    dark streak) and the jaw left the intermediate lip rings behind (13 lip triangles turned over on
    grace_hopper: a jagged seam). The brow now stops short of the lid and the rings move with the
    lips: no lid or iris triangle folds under AU4, no triangle at all under the jaw on a closed
    mouth (the open-mouthed astronaut's own lips are checked by the neutralising test)."""
    from argen_rl.face import landmarks as lm

    src, tri = ref.warp.src, ref.warp.tri
    eyes = np.array(lm.RIGHT_EYE + lm.LEFT_EYE + lm.RIGHT_IRIS + lm.LEFT_IRIS)
    dst = np.concatenate([ref.points + ref.motion.displacement({4: 5.0}), ref.anchors])
    assert not np.isin(tri[_turned(src, dst, tri)], eyes).any()
    if ref.neutralise.get("mouth_opening_iod") is None:
        from argen_rl.generation.au_motion import LOWER_LIP_RINGS, UPPER_LIP_RINGS

        corners = {r[0] for r in UPPER_LIP_RINGS} | {r[-1] for r in UPPER_LIP_RINGS}
        up = np.array(sorted(set(sum(UPPER_LIP_RINGS, ())) - corners))
        lo = np.array(sorted(set(sum(LOWER_LIP_RINGS, ())) - corners))
        slit = np.isin(tri, up).any(1) & np.isin(tri, lo).any(1)     # across the closed lips: opens
        for au in (26, 27):
            dst = np.concatenate([ref.points + ref.motion.displacement({au: 5.0}), ref.anchors])
            assert (_turned(src, dst, tri) & ~slit).sum() == 0


def test_brow_lowering_stops_short_of_the_lid(ref):
    from argen_rl.face import landmarks as lm

    m = ref.motion
    P = m.face_points
    Q = m.frame.to_face(m.points + m.displacement({4: 5.0}))
    for brow, eye in ((lm.RIGHT_BROW, lm.RIGHT_EYE), (lm.LEFT_BROW, lm.LEFT_EYE)):
        top = eye[12]                                                     # upper-lid margin over the pupil
        b = min(brow[5:], key=lambda i: abs(P[i, 0] - P[top, 0]))         # the brow's lower edge above it
        before, after = P[top, 1] - P[b, 1], Q[top, 1] - Q[b, 1]
        assert Q[b, 1] - P[b, 1] > 0.05                                   # lowered ...
        assert after > 0.1 * before                                       # ... never onto the lashes
        assert abs(Q[top, 1] - P[top, 1]) <= 0.016                        # the margin is only pressed


def test_fear_brows_are_raised_sad_brows_slant(ref):
    """FACS: 1+2+4 raises the whole brow and draws it together (AU1 cancels AU4's lowering medially,
    AU2 laterally); 1+4 without AU2 leaves the outer brow lowered (the oblique brow of sadness)."""
    from argen_rl.face import landmarks as lm

    m = ref.motion
    outer, inner = [lm.RIGHT_BROW_OUTER, lm.LEFT_BROW_OUTER], [lm.RIGHT_BROW_INNER, lm.LEFT_BROW_INNER]
    fear = m.frame.to_face(m.points + m.displacement({1: 4.0, 2: 4.0, 4: 4.0})) - m.face_points
    sad = m.frame.to_face(m.points + m.displacement({1: 4.0, 4: 4.0})) - m.face_points
    assert fear[outer, 1].max() < 0 and fear[inner, 1].max() < 0       # v down: negative = raised
    # the outer brow stays lowered and the brow slants: the inner end far above the outer one
    assert sad[outer, 1].min() > 0.03 and sad[inner, 1].max() < 0
    assert (sad[outer, 1] - sad[inner, 1]).min() > 0.1
    assert np.all(np.abs(fear[inner, 0]) > 0.02)                      # still drawn together


def test_au4_lowers_the_inner_brow_heads_most(ref):
    """FACS AU4 (corrugator, depressor supercilii, procerus): the brows are pulled down and together
    most at their inner heads, the oblique V of anger; the outer ends move a fraction of that."""
    from argen_rl.face import landmarks as lm

    m = ref.motion
    outer, inner = [lm.RIGHT_BROW_OUTER, lm.LEFT_BROW_OUTER], [lm.RIGHT_BROW_INNER, lm.LEFT_BROW_INNER]
    d = m.frame.to_face(m.points + m.displacement({4: 4.0})) - m.face_points
    assert d[inner, 1].min() > 0.1                                   # inner heads down > 0.1 IOD
    assert d[inner, 1].min() > 2.5 * d[outer, 1].max() > 0.0        # a V (the flat field before: 1.7-1.9x)
    assert np.all(np.sign(d[inner, 0]) == -np.sign(m.face_points[inner, 0]))   # drawn together
