"""Piecewise-affine warp, face alignment and mouth fill on a real face."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from argen_rl.generation.au_motion import MOUTH_POLYGON, AUMotionModel, FaceFrame
from argen_rl.generation.warp import WarpGenerator
from argen_rl.generation.warp_engine import align_face, border_anchors, fill_mouth, mouth_opening


@pytest.fixture(scope="module")
def ref(grace_hopper):
    return WarpGenerator().reference(grace_hopper, 256)


def test_align_face_levels_eyes_and_centres_face(grace_hopper):
    from argen_rl.face.landmarks import FaceMesh

    pts = FaceMesh().landmarks(grace_hopper).astype(np.float64)
    face = align_face(grace_hopper, pts, 200, margin=0.3)
    assert face.image.shape == (200, 200, 3)
    fr = FaceFrame.from_landmarks(face.points)
    assert abs(fr.roll_deg) < 0.01
    lo, hi = face.points.min(0), face.points.max(0)
    np.testing.assert_allclose((lo + hi) / 2, [100, 100], atol=1.0)
    assert (hi - lo).max() == pytest.approx(200 / 1.6, rel=0.01)


def test_identity_warp_reproduces_image(ref):
    dst = np.concatenate([ref.points, ref.anchors])
    out = ref.warp.warp(ref.image, dst)
    assert np.abs(out.astype(int) - ref.image).max() <= 1


def test_translation_of_all_points_translates_image(ref):
    """Shifting every point (anchors included) by (+3, +2) px moves the content by (+3, +2)."""
    src = np.concatenate([ref.points, ref.anchors])
    shift = np.array([3.0, 2.0])
    out = ref.warp.warp(ref.image, src + shift)
    np.testing.assert_array_equal(out[40:200, 40:200], ref.image[38:198, 37:197])


def test_triangulation_covers_frame_and_separates_lips(ref):
    tri = ref.warp.tri
    n = len(ref.points)
    assert tri.max() == n + len(ref.anchors) - 1
    # every inner-lip slit triangle joins the upper and the lower lip (mouth can open cleanly)
    upper = {191, 80, 81, 82, 13, 312, 311, 310, 415}
    lower = {95, 88, 178, 87, 14, 317, 402, 318, 324}
    for t in tri:
        s = set(t.tolist())
        assert not (s <= upper), f"triangle {t} lies on the upper lip only"
    assert sum(1 for t in tri if set(t.tolist()) & upper and set(t.tolist()) & lower) >= 10
    assert len(border_anchors(256, 16)) == 16


def test_jaw_drop_opens_mouth_and_fill_paints_dark_cavity(ref):
    disp = ref.motion.displacement({26: 5.0})
    pts = ref.points + disp
    frame = FaceFrame.from_landmarks(pts)
    gap = mouth_opening(pts, frame)
    assert gap > 0.2 * frame.iod
    img = ref.warp.warp(ref.image, np.concatenate([pts, ref.anchors]))
    centre = np.round(pts[[13, 14]].mean(0)).astype(int)
    before = img[centre[1] - 2:centre[1] + 3, centre[0] - 2:centre[0] + 3].mean()
    fill_mouth(img, pts, frame, upper_teeth=0.015, lower_teeth=0.01)
    after = img[centre[1] - 2:centre[1] + 3, centre[0] - 2:centre[0] + 3].mean()
    assert after < 60 < before
    # the upper lip is not dragged down: its outer edge moves < 0.5 px
    assert np.abs(disp[[0, 37, 267]]).max() < 0.5


def test_au_fields_point_the_right_way(ref):
    m: AUMotionModel = ref.motion
    down = m.frame.ey
    assert (m.basis(1)[[107, 336]] @ down).max() < 0       # inner brows go up
    assert (m.basis(4)[[105, 334]] @ down).min() > 0       # brows go down
    assert (m.basis(12)[[61, 291]] @ down).max() < 0       # corners go up ...
    out = (m.basis(12)[291] - m.basis(12)[61]) @ m.frame.ex
    assert out > 0                                          # ... and apart
    assert (m.basis(15)[[61, 291]] @ down).min() > 0       # corners go down
    assert (m.basis(26)[[14, 152]] @ down).min() > 0       # lower lip and chin drop
    assert np.abs(m.basis(26)[[13, 0]] @ down).max() < 1e-9    # upper lip does not drop
    # fields are linear in intensity
    np.testing.assert_allclose(m.displacement({12: 2.0}), 2 * m.basis(12))


def test_folded_skin_is_drawn_in_front_of_what_it_folds_over():
    """A vertex pushed across its neighbours' edge turns triangles over (skin folding over skin).
    With ``folds_behind`` the turned-over triangles are drawn first, so where a fold overlaps
    unfolded skin the pixels sample through the unfolded triangles, not a mirrored copy."""
    from scipy.spatial import Delaunay

    from argen_rl.generation.warp_engine import PiecewiseAffineWarp

    src = np.array([[0, 0], [63, 0], [63, 63], [0, 63], [32, 20], [32, 44], [16, 32], [48, 32]], np.float64)
    tri = Delaunay(src).simplices.astype(np.int32)
    dst = src.copy()
    dst[4] = [32, 50]                    # the upper inner vertex pushed past the lower one

    def area(P):
        a, b, c = P[tri[:, 0]], P[tri[:, 1]], P[tri[:, 2]]
        return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    turned = np.flatnonzero(np.sign(area(src)) != np.sign(area(dst)))
    assert len(turned)
    cover = np.zeros((64, 64), np.int32)          # pixels a turned-over triangle covers
    for t in turned:
        cv2.fillConvexPoly(cover, np.round(dst[tri[t]]).astype(np.int32), 1)
    share = {}
    for behind in (False, True):
        idx = PiecewiseAffineWarp(src, tri, 64, folds_behind=behind).index(dst)
        fold = cover.astype(bool) & (idx >= 0)
        share[behind] = float(np.isin(idx[fold], turned).mean())
    assert share[False] > 0.5 and share[True] < 0.1, share


def test_raster_gives_every_pixel_centre_a_triangle_that_contains_it(ref):
    """The index raster's definition on a real expression with head roll: every pixel centre of
    the frame (the border anchors' hull) gets a triangle, and that triangle contains the centre
    (barycentric weights >= 0 to float precision); the unfolded mesh has no pixel left at -1."""
    from argen_rl.generation.dynamics import rigid

    pts = rigid(ref.points + ref.motion.displacement({1: 3.0, 2: 3.0, 5: 3.0, 26: 3.0}), ref.points.mean(0),
                1.2, 1.5, -0.8)
    dst = np.concatenate([pts, ref.anchors])
    idx = ref.warp.index(dst)
    assert idx.shape == (256, 256) and (idx >= 0).all()
    assert ref.warp.owner_weights(idx, dst).min() > -1e-6
    # the check itself: a pixel handed to a triangle far from it reads as far outside
    far = idx.copy()
    far[0, 0] = idx[-1, -1]
    assert ref.warp.owner_weights(far, dst)[0, 0] < -1.0


def _slow_maps(warp, dst: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The definition of the backward piecewise-affine maps, one triangle at a time: solve the
    3x3 system taking the destination triangle's corners to the source's (np.linalg.solve, float64)
    and apply it to the pixels the triangle owns; pixels of no triangle keep their own position."""
    ys, xs = np.mgrid[0:warp.size, 0:warp.size].astype(np.float64)
    mx, my = xs.copy(), ys.copy()
    for m in np.unique(index[index >= 0]):
        D = np.c_[dst[warp.tri[m]], np.ones(3)]
        coef = np.linalg.solve(D, warp.src[warp.tri[m]])        # rows: x, y, 1 -> (sx, sy)
        sel = index == m
        mx[sel] = coef[0, 0] * xs[sel] + coef[1, 0] * ys[sel] + coef[2, 0]
        my[sel] = coef[0, 1] * xs[sel] + coef[1, 1] * ys[sel] + coef[2, 1]
    return mx, my


def test_fast_maps_match_the_per_triangle_definition(ref):
    """``maps`` (closed-form affines of all triangles, evaluated per pixel) against the per-triangle solve
    on a real expression with head roll: the same source coordinate to 0.01 px (float32 maps; thin
    sliver triangles have large coefficients, and cv2.remap resolves only 1/32 px anyway), and the
    warped frames differ on < 0.1 % of pixels."""
    from argen_rl.generation.dynamics import rigid

    pts = rigid(ref.points + ref.motion.displacement({4: 4.0, 10: 4.0, 26: 4.0}), ref.points.mean(0), 1.2, 1.5, -0.8)
    dst = np.concatenate([pts, ref.anchors])
    mx, my = ref.warp.maps(dst)
    sx, sy = _slow_maps(ref.warp, dst, ref.warp.index(dst))
    assert mx.dtype == np.float32 and mx.shape == (256, 256)
    assert max(np.abs(mx - sx).max(), np.abs(my - sy).max()) < 0.01
    fast = cv2.remap(ref.image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(int)
    slow = cv2.remap(ref.image, sx.astype(np.float32), sy.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(int)
    # a source coordinate that moves by 0.001 px can cross one of remap's 1/32 px steps: on a sharp
    # edge that is a grey level or two, on a handful of pixels (measured: <= 2 levels on < 0.005 %)
    assert (np.abs(fast - slow) > 0).mean() < 1e-3


def test_flat_mouth_fill_paints_each_channel_its_own_colour(ref):
    """The fill is composited channel-first: with the flat style at full opacity the cavity well
    inside the opening is exactly the cavity colour, R, G and B each in its own channel, and
    nothing outside the mouth's box changes."""
    from argen_rl.generation.warp_engine import MouthStyle

    pts = ref.points + ref.motion.displacement({26: 5.0, 27: 3.0})
    frame = FaceFrame.from_landmarks(pts)
    img = ref.warp.warp(ref.image, np.concatenate([pts, ref.anchors]))
    before = img.copy()
    fill_mouth(img, pts, frame, upper_teeth=0.0, lower_teeth=0.0, style=MouthStyle.flat(), caps=(0.0, 0.0))
    centre = np.round(pts[[13, 14]].mean(0)).astype(int)
    core = img[centre[1] - 1:centre[1] + 2, centre[0] - 1:centre[0] + 2].reshape(-1, 3)
    np.testing.assert_array_equal(core, np.tile(MouthStyle.flat().cavity, (len(core), 1)).astype(np.uint8))
    ys, xs = np.nonzero((img != before).any(-1))
    poly = pts[list(MOUTH_POLYGON)]
    lo, hi = np.floor(poly.min(0)) - 2, np.ceil(poly.max(0)) + 3     # fill_mouth's box
    assert len(xs) > 50
    assert xs.min() >= lo[0] and xs.max() < hi[0] and ys.min() >= lo[1] and ys.max() < hi[1]
