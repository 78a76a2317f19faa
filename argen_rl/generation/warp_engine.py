"""Image-level pieces of the AU-warp generator: face crop, piecewise-affine warp, mouth fill.

- ``align_face``: a square, eye-levelled crop of the reference with a margin round the mesh, so
  every generated video is face-centred at the requested size.
- ``PiecewiseAffineWarp``: Delaunay triangles over the 478 mesh points plus fixed border anchors.
  A frame is warped by rasterising the *destination* triangles into an index image (a compiled
  loop, ``_paint``: every pixel centre takes the number of the last triangle, in drawing order,
  that contains it), evaluating each pixel's destination->source affine (``_affine_maps``) and
  sampling the reference once with ``cv2.remap``: ~1 ms per 256^2 frame. (One
  ``cv2.fillConvexPoly`` call per triangle, the previous raster, cost ~3 ms per frame, most of it
  the Python call overhead of ~970 triangles; per-triangle ``warpAffine`` + masks ~20 ms;
  scikit-image's PiecewiseAffineTransform ~640 ms.)
- ``fill_mouth``: where the warp opens the lips, the stretched lip-line texture is painted over
  with a dark mouth cavity and upper/lower teeth bands (what a FER network looks for).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numba
import numpy as np

from argen_rl.generation.au_motion import INNER_LOWER_LIP, INNER_UPPER_LIP, MOUTH_POLYGON, FaceFrame


@dataclass(frozen=True)
class AlignedFace:
    image: np.ndarray       # uint8 size x size x 3, eye line horizontal
    points: np.ndarray      # (478, 2) float64 landmarks in the crop
    matrix: np.ndarray      # (2, 3) affine: original image pixel -> crop pixel


def align_face(img: np.ndarray, points: np.ndarray, size: int, margin: float) -> AlignedFace:
    """Square crop of side ``size`` centred on the mesh, rotated so the eyes are level.

    ``margin`` is the fraction of the mesh's extent added on each side (0.3: the face mesh
    fills 1/1.6 of the frame, leaving hair, ears and chin room to move).
    """
    frame = FaceFrame.from_landmarks(points)
    rel = points - frame.origin
    uv = np.stack([rel @ frame.ex, rel @ frame.ey], axis=1)
    lo, hi = uv.min(0), uv.max(0)
    side = float((hi - lo).max()) * (1.0 + 2.0 * margin)
    centre_uv = (lo + hi) / 2.0
    centre = frame.origin + centre_uv[0] * frame.ex + centre_uv[1] * frame.ey
    s = size / side
    rot = np.stack([frame.ex, frame.ey])           # rows: image -> (u, v)
    M = np.zeros((2, 3))
    M[:, :2] = s * rot
    M[:, 2] = size / 2.0 - M[:, :2] @ centre
    crop = cv2.warpAffine(img, M, (size, size), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    pts = points @ M[:, :2].T + M[:, 2]
    return AlignedFace(crop, pts, M)


def border_anchors(size: int, n: int = 16) -> np.ndarray:
    """``n`` fixed points evenly spaced round the frame border (corners included)."""
    per_side = n // 4
    t = np.arange(per_side) / per_side * (size - 1)
    e = float(size - 1)
    top = np.stack([t, np.zeros_like(t)], 1)
    right = np.stack([np.full_like(t, e), t], 1)
    bottom = np.stack([e - t, np.full_like(t, e)], 1)
    left = np.stack([np.zeros_like(t), e - t], 1)
    return np.concatenate([top, right, bottom, left])


def triangulate(points: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """Delaunay triangles (M, 3) over mesh points + anchors, with a guaranteed mouth slit.

    The triangulation is computed on a copy whose inner lower lip is pushed 0.06 IOD down, so
    that a closed mouth still gets triangles *across* the lip line (upper inner lip to lower
    inner lip): opening the mouth then stretches only those, and never drags upper-lip texture
    downwards.
    """
    from scipy.spatial import Delaunay

    topo = points.copy()
    idx = list(INNER_LOWER_LIP[1:-1])
    topo[idx] += 0.06 * frame.iod * frame.ey
    return Delaunay(topo).simplices.astype(np.int32)


def _edges(T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge vectors p1 - p0, p2 - p0 of triangles ``T`` (M, 3, 2) and their determinant (twice
    the signed area: its sign is the triangle's orientation)."""
    e1, e2 = T[:, 1] - T[:, 0], T[:, 2] - T[:, 0]
    return e1, e2, e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]


_INSIDE_EPS = 1e-9     # barycentric tolerance: a pixel centre on a shared edge belongs to both sides


@numba.njit(cache=True, nogil=True)
def _paint(D: np.ndarray, order: np.ndarray, index: np.ndarray) -> None:
    """Write triangle m's number into every pixel of ``index`` whose centre (x, y) lies in the
    destination triangle ``D[m]`` (corners (3, 2), edges included), for m in ``order``: a later
    triangle overwrites an earlier one where they overlap (folds, shared edges)."""
    H, W = index.shape
    for m in order:
        x0, y0 = D[m, 0, 0], D[m, 0, 1]
        ax, ay = D[m, 1, 0] - x0, D[m, 1, 1] - y0
        bx, by = D[m, 2, 0] - x0, D[m, 2, 1] - y0
        det = ax * by - ay * bx
        if abs(det) <= 1e-6:           # zero-area triangles own no pixel
            continue
        inv = 1.0 / det
        box_lo = max(int(np.ceil(min(x0, x0 + ax, x0 + bx) - 1e-6)), 0)
        box_hi = min(int(np.floor(max(x0, x0 + ax, x0 + bx) + 1e-6)), W - 1)
        lo_y = max(int(np.ceil(min(y0, y0 + ay, y0 + by) - 1e-6)), 0)
        hi_y = min(int(np.floor(max(y0, y0 + ay, y0 + by) + 1e-6)), H - 1)
        # barycentric weights of corners 1 and 2 along a row: u = (u0 + du x'), v = (v0 + dv x'),
        # x' = x - x0; the row's span is where u, v, 1 - u - v >= 0 (a pixel of slack each side,
        # then the exact test per pixel)
        du, dv = by * inv, -ay * inv
        for y in range(lo_y, hi_y + 1):
            py = y - y0
            u0, v0 = -py * bx * inv, ax * py * inv
            lo, hi = -1e30, 1e30
            for c, d in ((u0, du), (v0, dv), (1.0 - u0 - v0, -du - dv)):   # c + d x' >= 0
                if d > 1e-12:
                    lo = max(lo, -c / d)
                elif d < -1e-12:
                    hi = min(hi, -c / d)
                elif c < -_INSIDE_EPS:
                    hi = -1e30
            if lo > hi:
                continue
            for x in range(max(box_lo, int(np.floor(x0 + lo)) - 1), min(box_hi, int(np.ceil(x0 + hi)) + 1) + 1):
                px = x - x0
                u = u0 + du * px
                v = v0 + dv * px
                if u >= -_INSIDE_EPS and v >= -_INSIDE_EPS and u + v <= 1.0 + _INSIDE_EPS:
                    index[y, x] = m


@numba.njit(cache=True, nogil=True)
def _affine_maps(index: np.ndarray, A: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> None:
    """map(x, y) = A[m] applied to (x, y), m = index[y, x]; A's last row (index -1: no triangle)
    is the identity. Rows of A: (a0, a1, a2, a3, a4, a5): x <- a0 x + a1 y + a2, y <- a3 x + a4 y + a5."""
    H, W = index.shape
    last = A.shape[0] - 1
    for y in range(H):
        fy = np.float32(y)
        for x in range(W):
            m = index[y, x]
            if m < 0:
                m = last
            fx = np.float32(x)
            map_x[y, x] = A[m, 0] * fx + A[m, 1] * fy + A[m, 2]
            map_y[y, x] = A[m, 3] * fx + A[m, 4] * fy + A[m, 5]


class PiecewiseAffineWarp:
    """Backward piecewise-affine warp of one source image over a fixed triangulation."""

    def __init__(self, src_points: np.ndarray, triangles: np.ndarray, size: int, folds_behind: bool = False):
        """``folds_behind`` (version 2): where the destination mesh folds (a triangle turned over
        relative to the source: skin pushed over its neighbour, e.g. a lowered brow over the lid),
        the turned-over triangles are drawn first, so the unfolded skin covers them instead of a
        mirrored copy of the source showing through."""
        self.src = np.asarray(src_points, np.float64)
        self.tri = triangles
        self.size = size
        self.folds_behind = folds_behind
        S = self.src[triangles]
        # per-triangle source constants of ``maps`` (the source mesh never changes)
        self._s0 = S[:, 0]
        self._f1, self._f2, src_det = _edges(S)
        self._src_sign = np.sign(src_det)
        ys, xs = np.mgrid[0:size, 0:size]
        self._xs = xs.astype(np.float32)
        self._ys = ys.astype(np.float32)
        self.calls = 0   # number of frames warped (the generator's cost counter)

    def identity_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Maps of the identity warp (frame 0)."""
        return self._xs, self._ys

    def maps(self, dst_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel source coordinates (map_x, map_y) for a destination point set."""
        dst = np.asarray(dst_points, np.float64)
        D = dst[self.tri]                      # (M, 3, 2)
        # affine dst -> src per triangle, closed form: L = [s1-s0, s2-s0] [d1-d0, d2-d0]^-1
        e1, e2, det = _edges(D)
        f1, f2 = self._f1, self._f2
        ok = np.abs(det) > 1e-6                # zero-area destination triangles cover no pixel
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)[:, None]
        L = np.empty((len(D), 2, 2))
        # column c of L for both source coordinates (rows) at once
        L[:, :, 0] = (f1 * e2[:, 1:2] - f2 * e1[:, 1:2]) * inv_det
        L[:, :, 1] = (f2 * e1[:, 0:1] - f1 * e2[:, 0:1]) * inv_det
        t = self._s0 - np.einsum("mij,mj->mi", L, D[:, 0])
        # one row per triangle (x <- a0 x + a1 y + a2, y <- a3 x + a4 y + a5), evaluated per pixel
        # by ``_affine_maps``; the last row, for pixels outside every triangle (index -1), is the identity
        A = np.empty((len(D) + 1, 6), np.float32)
        A[-1] = (1, 0, 0, 0, 1, 0)
        A[:-1, 0:2] = L[:, 0]
        A[:-1, 2] = t[:, 0]
        A[:-1, 3:5] = L[:, 1]
        A[:-1, 5] = t[:, 1]
        map_x = np.empty((self.size, self.size), np.float32)
        map_y = np.empty((self.size, self.size), np.float32)
        _affine_maps(self._raster(D, det, ok), A, map_x, map_y)
        return map_x, map_y

    def index(self, dst_points: np.ndarray) -> np.ndarray:
        """(H, W) int32: the triangle whose affine each destination pixel samples through (-1: none)."""
        D = np.asarray(dst_points, np.float64)[self.tri]
        det = _edges(D)[2]
        return self._raster(D, det, np.abs(det) > 1e-6)

    def owner_weights(self, index: np.ndarray, dst_points: np.ndarray) -> np.ndarray:
        """(H, W) the smallest barycentric weight of each pixel centre in the destination triangle
        ``index`` assigns it (NaN where -1): >= 0 (to float precision) where the triangle contains
        the pixel, negative by how far outside it lies (in units of the triangle). Checks a raster."""
        ys, xs = np.nonzero(index >= 0)
        D = np.asarray(dst_points, np.float64)[self.tri[index[ys, xs]]]
        e1, e2, det = _edges(D)
        qx, qy = xs - D[:, 0, 0], ys - D[:, 0, 1]
        u = (qx * e2[:, 1] - qy * e2[:, 0]) / det
        v = (e1[:, 0] * qy - e1[:, 1] * qx) / det
        out = np.full(index.shape, np.nan)
        out[ys, xs] = np.minimum(np.minimum(u, v), 1.0 - u - v)
        return out

    def _raster(self, D: np.ndarray, det: np.ndarray, ok: np.ndarray) -> np.ndarray:
        index = np.full((self.size, self.size), -1, np.int32)
        order = np.flatnonzero(ok)
        if self.folds_behind:
            turned = np.sign(det[order]) != self._src_sign[order]
            order = np.concatenate([order[turned], order[~turned]])
        _paint(D, order, index)          # D: a fresh (M, 3, 2) gather, contiguous; order: int64
        return index

    def warp(self, image: np.ndarray, dst_points: np.ndarray, alt: np.ndarray | None = None,
             alt_weight: float = 0.0) -> np.ndarray:
        """Warp ``image`` so its points land on ``dst_points``; with ``alt`` (an edited copy of
        the same image), the result is blended ``alt_weight`` towards it through the same maps."""
        map_x, map_y = self.maps(dst_points)
        self.calls += 1
        out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if alt is not None and alt_weight > 0:
            other = cv2.remap(alt, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            out = cv2.addWeighted(out, 1.0 - alt_weight, other, alt_weight, 0.0)
        return out


def close_mouth_texture(image: np.ndarray, points: np.ndarray, frame: FaceFrame, lip_tone: bool = False) -> np.ndarray:
    """Copy of ``image`` with the open mouth's interior (teeth, dark corners) inpainted from the
    surrounding lips, so that closing the mouth by warping squeezes lip colour, not teeth.
    ``lip_tone`` (version 2) also pulls the inpainted area to the lips' own median colour, so no
    pale, tooth-bright blob is left between closed lips."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(MOUTH_POLYGON)]).astype(np.int32)], 255)
    r = max(int(round(0.035 * frame.iod)), 1)
    for corner in (78, 308):          # the dark mouth corners extend past the inner-lip polygon
        cv2.circle(mask, tuple(int(v) for v in np.round(points[corner])), r, 255, -1)
    # version 2: the mesh's inner-lip contour of an open smile runs a little inside the lips'
    # edge, so grow the mask by ~0.045 IOD to take the teeth's last bright pixels and the dark
    # rim between teeth and lips too (closing squeezes that rim into a dark outline round the
    # closed lips; FER2013 on the neutralised astronaut: p(happy) 0.24 at 0.02 IOD, 0.14 at 0.045)
    grow = max(int(round(0.045 * frame.iod)), 1) if lip_tone else 1
    mask = cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
    out = cv2.inpaint(image, mask, max(r, 3), cv2.INPAINT_TELEA)
    if lip_tone:
        lips = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(points[list(OUTER_LIPS)]).astype(np.int32)], 1)
        lips[mask > 0] = 0
        if lips.any():
            tone = np.median(image[lips > 0].reshape(-1, 3), 0).astype(np.float32) * 0.9
            w = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), max(0.01 * frame.iod, 0.6))[..., None] * 0.8
            out = np.clip(out * (1 - w) + tone * w + 0.5, 0, 255).astype(np.uint8)
    return out


def draw_lip_seam(image: np.ndarray, points: np.ndarray, frame: FaceFrame, strength: float) -> np.ndarray:
    """Darken the line where closed lips meet, in place: a mouth that the warp closed has no seam of
    its own. The line is a smooth curve (a quadratic in the face frame fitted to the midpoints of
    the inner lips, corner to corner; the landmarks themselves zigzag by a pixel, which drew a
    jagged outline), ~0.012 IOD wide. ``strength`` in [0, 1] (max 35 % darker)."""
    if strength <= 0.01:
        return image
    mid = 0.5 * (points[list(INNER_UPPER_LIP)] + points[list(INNER_LOWER_LIP)])
    uv = frame.to_face(mid)
    coef = np.polyfit(uv[:, 0], uv[:, 1], 2)
    u = np.linspace(uv[:, 0].min(), uv[:, 0].max(), 24)
    seam = frame.origin + frame.iod * (u[:, None] * frame.ex + np.polyval(coef, u)[:, None] * frame.ey)
    x0, y0 = np.floor(seam.min(0)).astype(int) - 6
    x1, y1 = np.ceil(seam.max(0)).astype(int) + 7
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return image
    m = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.polylines(m, [np.round((seam - [x0, y0]) * 16).astype(np.int32)], False, 1.0, 1, cv2.LINE_AA, shift=4)
    m = cv2.GaussianBlur(m, (0, 0), max(0.012 * frame.iod, 0.9))
    m *= 0.35 * min(strength, 1.0) / max(float(m.max()), 1e-6)
    roi = image[y0:y1, x0:x1].transpose(2, 0, 1).astype(np.float32)     # channel-first, as in fill_mouth
    tint = _channels((0.8, 1.0, 1.05))
    image[y0:y1, x0:x1] = np.clip(roi * (1.0 - m * tint), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return image


@dataclass(frozen=True)
class MouthStyle:
    """Colours and shading of the painted mouth interior (RGB, 0..255).

    ``flat()`` is the first generator's flat fill (kept for ``WarpConfig.version = 1``);
    ``from_reference`` takes the cavity from the reference's own lip colour (a cavity is the
    lips' hue in deep shadow; the tongue a lighter, duller version) and the teeth brightness from
    the reference's skin luminance, so a dim photo gets dim teeth. ``shading`` > 0 shades the
    interior as a lit hollow: darkest under the upper lip and at the corners, the tongue catching
    light at the bottom, the upper teeth in the upper lip's shadow at their top.
    """

    cavity: tuple[float, float, float]
    tongue: tuple[float, float, float]
    upper_teeth: tuple[float, float, float]
    lower_teeth: tuple[float, float, float]
    shading: float = 0.0

    @classmethod
    def flat(cls) -> "MouthStyle":
        return cls((42, 18, 20), (42, 18, 20), (240, 234, 220), (200, 190, 176), 0.0)

    @classmethod
    def from_reference(cls, image: np.ndarray, points: np.ndarray) -> "MouthStyle":
        lips = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(lips, [np.round(points[list(OUTER_LIPS)]).astype(np.int32)], 1)
        cv2.fillPoly(lips, [np.round(points[list(MOUTH_POLYGON)]).astype(np.int32)], 0)
        lip = np.median(image[lips > 0].reshape(-1, 3), 0) if lips.any() else np.array([150.0, 90, 90])
        cheeks = _cheek_mask(image.shape[:2], points) > 0
        skin_y = float(np.median(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)[cheeks]))
        light = float(np.clip(skin_y / 170.0, 0.55, 1.05))
        cavity = tuple(float(v) for v in np.clip(lip * 0.24, 10, 70))
        tongue = tuple(float(v) for v in np.clip(lip * 0.55 + 10, 30, 170))
        # teeth inside a mouth are in the lips' shade: well below white, the lower ones darker; their
        # tint is the photo's white balance (the skin's chromaticity, desaturated: a warm-lit photo
        # gets warm teeth, not grey-blue ones next to orange skin)
        skin = np.median(image[cheeks].reshape(-1, 3), 0).astype(np.float64) if cheeks.any() else np.full(3, 150.0)
        tint = 1.0 + 0.3 * (skin / max(float(skin.mean()), 1.0) - 1.0)
        tint = tint * (np.array([1.03, 1.0, 0.9]) / tint.mean())          # teeth are a little yellow
        up = tuple(float(v) for v in np.clip(207.0 * light * tint, 0, 255))
        lo = tuple(float(v) for v in np.clip(167.0 * light * tint, 0, 255))
        return cls(cavity, tongue, up, lo, 1.0)


OUTER_LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)


def _cheek_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for poly in ((50, 101, 36, 205, 187, 123, 117, 118), (280, 330, 266, 425, 411, 352, 346, 347)):
        cv2.fillPoly(m, [np.round(points[list(poly)]).astype(np.int32)], 1)
    return m


def _poly_mask(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255.0


def mouth_opening(points: np.ndarray, frame: FaceFrame) -> float:
    """Inner-lip gap at the mouth centre in pixels (0 for a closed mouth)."""
    gap = (points[[87, 14, 317]] - points[[82, 13, 312]]) @ frame.ey
    return float(max(gap.mean(), 0.0))


def teeth_exposure(aus: dict[int, float]) -> tuple[float, float]:
    """Visible height of (upper, lower) teeth in IOD units for the AU intensities of a frame
    (version 1; version 2 uses ``teeth_in_gap``).

    Lips, not the jaw, uncover teeth: raised corners / upper lip (AU12, AU10) bare the upper
    teeth, a depressed lower lip (AU16) the lower ones; a dropped jaw with relaxed lips (AU26)
    shows mostly dark cavity. This matters: a FER network reads bright teeth as a smile, so a
    surprised mouth must stay dark.
    """
    up = 0.015 + 0.11 * min(1.0, (max(aus.get(12, 0.0), 0.0) + max(aus.get(10, 0.0), 0.0)) / 5.0)
    lo = 0.01 + 0.04 * min(1.0, max(aus.get(16, 0.0), 0.0) / 5.0)
    return up, lo


# lip and jaw travel of the version-2 fields at intensity 5 (IOD): what uncovers teeth
_UPPER_LIP_RAISE = {9: 0.05, 10: 0.12, 12: 0.05}
_LOWER_LIP_DROP = {16: 0.12, 20: 0.06, 25: 0.06}
_JAW_DROP = {26: 0.30, 27: 0.42}


def teeth_in_gap(aus: dict[int, float]) -> tuple[float, float, tuple[float, float]]:
    """(upper, lower) visible teeth heights (IOD) and their caps as fractions of the lip gap.

    The teeth stay where the jaw puts them: the part of the opening made by the *lips* moving
    (upper lip raised by AU9/10/12, lower lip pulled down by AU16/25) uncovers teeth; only the
    part made by the jaw dropping (AU26/27) is dark cavity. A raised upper lip over a closed jaw
    (disgust, a snarl) therefore shows the upper teeth and the lower ones meeting them, not a hole.
    """
    def travel(table: dict[int, float]) -> float:
        return sum(v * max(aus.get(au, 0.0), 0.0) / 5.0 for au, v in table.items())

    up, lo, jaw = travel(_UPPER_LIP_RAISE), travel(_LOWER_LIP_DROP), travel(_JAW_DROP)
    total = up + lo + jaw + 1e-6
    cap_up = float(np.clip(up / total + 0.1, 0.25, 0.9))
    cap_lo = float(np.clip(lo / total + 0.05, 0.15, 0.92 - cap_up))
    return 0.008 + up, lo, (cap_up, cap_lo)


def fill_mouth(image: np.ndarray, points: np.ndarray, frame: FaceFrame, upper_teeth: float = 0.015,
               lower_teeth: float = 0.01, opacity: float = 1.0, min_gap_px: float = 1.0,
               style: MouthStyle | None = None, caps: tuple[float, float] = (0.6, 0.3)) -> np.ndarray:
    """Paint the open-mouth polygon of ``points`` as a cavity with teeth; in place, returns image.

    Upper teeth show below the upper inner lip by min(``upper_teeth`` IOD, caps[0] x gap), lower
    teeth above the lower lip by min(``lower_teeth`` IOD, caps[1] x gap) (``teeth_exposure``).
    ``opacity`` < 1 lets a reference's own open mouth show through (early frames of a clip).
    """
    gap = mouth_opening(points, frame)
    if gap < min_gap_px or opacity <= 0.01:
        return image
    poly = points[_MOUTH_POLYGON]
    x0, y0 = np.floor(poly.min(0)).astype(int) - 2
    x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image
    off = np.array([x0, y0], np.float64)
    shape = (y1 - y0, x1 - x0)
    mouth = _poly_mask(shape, poly - off)
    upper = points[_INNER_UPPER] - off
    lower = points[_INNER_LOWER] - off
    # teeth are tallest at the front and vanish into the corners (the dental arch recedes)
    u = (points[_INNER_UPPER] - (points[78] + points[308]) / 2) @ frame.ex     # = points[[78, 308]].mean(0)
    half = max(float(np.abs(u).max()), 1.0)
    arch = np.sqrt(np.clip(1.0 - (u / half) ** 2, 0.0, 1.0))[:, None]
    t_up = min(upper_teeth * frame.iod, caps[0] * gap) * arch * frame.ey
    t_lo = min(lower_teeth * frame.iod, caps[1] * gap) * arch * frame.ey
    upper_teeth = _poly_mask(shape, np.concatenate([upper, (upper + t_up)[::-1]])) * mouth
    lower_teeth = (_poly_mask(shape, np.concatenate([lower, (lower - t_lo)[::-1]])) * mouth
                   if lower_teeth > 0 else None)
    # shading: teeth recede into shadow towards the corners, with a dark seam between teeth
    # (central incisors ~0.12 IOD wide, then laterals and canines ~0.09); coordinates along
    # (tu) and across (tv) the mouth as broadcast rows and columns
    centre = (points[13] + points[14]) / 2 - off
    xs = (np.arange(shape[1], dtype=np.float32) - np.float32(centre[0]))[None, :]
    ys = (np.arange(shape[0], dtype=np.float32) - np.float32(centre[1]))[:, None]
    tu = (xs * np.float32(frame.ex[0]) + ys * np.float32(frame.ex[1])) / np.float32(frame.iod)
    half_w = max(abs(float((points[308] - points[78]) @ frame.ex)) / 2.0 / frame.iod, 0.05)
    style = style or MouthStyle.flat()
    soft = style.shading > 0        # version 2: softer falloff and seams (teeth, not a grille)
    x2 = (tu / np.float32(half_w)) ** 2
    shade = np.clip(1.0 - (0.35 if soft else 0.6) * x2, 0.55 if soft else 0.3, 1.0)
    a_tu = np.abs(tu)
    seam = np.minimum(np.minimum(a_tu, np.abs(a_tu - 0.12)), np.minimum(np.abs(a_tu - 0.21), np.abs(a_tu - 0.30)))
    shade *= 1.0 - (0.09 if soft else 0.22) * np.exp(-0.5 * (seam / (0.01 if soft else 0.007)) ** 2)
    # colours are computed channel-first, (3, h, w), with per-channel constants as (3, 1, 1):
    # the same arithmetic per element as channel-last, but numpy's inner loops run along the rows
    # instead of over 3 channels (3-4x faster on a mouth-sized box)
    cavity = _channels(style.cavity)
    if soft:
        # a lit hollow: v = 0 under the upper inner lip .. 1 on the lower inner lip
        tv = xs * np.float32(frame.ey[0]) + ys * np.float32(frame.ey[1])
        top = float(((upper - centre) @ frame.ey).min())
        bottom = float(((lower - centre) @ frame.ey).max())
        v = np.clip((tv - top) / max(bottom - top, 1.0), 0.0, 1.0)
        tongue = np.clip((v - 0.35) / 0.65, 0.0, 1.0) ** 1.2 * np.clip(1.0 - x2, 0.0, 1.0)
        tongue *= style.shading * min(1.0, gap / (0.12 * frame.iod))     # a tongue shows in a wide mouth
        cavity = cavity * (1 - tongue) + _channels(style.tongue) * tongue
        cavity = cavity * (1.0 - 0.45 * style.shading * np.minimum(x2, 1.0))
        # the upper teeth sit in the upper lip's shadow at their top
        shade = shade * (1.0 - 0.35 * style.shading * np.exp(-np.clip(tv - top, 0, None) / max(0.02 * frame.iod, 0.7)))
    colour = cavity * (1 - upper_teeth) + _channels(style.upper_teeth) * shade * upper_teeth
    if lower_teeth is not None:
        colour = colour * (1 - lower_teeth) + _channels(style.lower_teeth) * shade * lower_teeth
    edge = max(0.012 * frame.iod, 0.8) if soft else 0.0
    m = opacity * (cv2.GaussianBlur(mouth, (0, 0), edge) if soft else cv2.GaussianBlur(mouth, (3, 3), 0))
    roi = image[y0:y1, x0:x1].transpose(2, 0, 1).astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(roi * (1 - m) + colour * m, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return image


_MOUTH_POLYGON = np.array(MOUTH_POLYGON)
_INNER_UPPER = np.array(INNER_UPPER_LIP)
_INNER_LOWER = np.array(INNER_LOWER_LIP)


def _channels(rgb: tuple[float, float, float]) -> np.ndarray:
    """An RGB colour as a (3, 1, 1) float32 column, to broadcast over channel-first images."""
    return np.asarray(rgb, np.float32).reshape(3, 1, 1)


def shade_smile_folds(image: np.ndarray, points: np.ndarray, frame: FaceFrame, amount: float) -> np.ndarray:
    """Darken soft nasolabial folds (nose wing -> outside the lip corner), in place.

    A smile's folds are shading, not geometry: without them a warped smile reads weakly as happy.
    ``amount`` in [0, 1] (AU12 intensity / 5 at this frame) scales the darkening (max 30 %).
    """
    if amount <= 0.01:
        return image
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    thick = max(int(round(0.035 * frame.iod)), 1)
    for ala, corner in ((129, 61), (358, 291)):
        out = np.sign((points[corner] - points[[61, 291]].mean(0)) @ frame.ex) * frame.ex
        start = points[ala] + 0.04 * frame.iod * out
        end = points[corner] + 0.08 * frame.iod * out + 0.06 * frame.iod * frame.ey
        mid = 0.5 * (start + end) + 0.05 * frame.iod * out
        curve = np.stack([start, mid, end])
        t = np.linspace(0, 1, 12)[:, None]
        pts = (1 - t) ** 2 * curve[0] + 2 * (1 - t) * t * curve[1] + t ** 2 * curve[2]
        cv2.polylines(mask, [np.round(pts * 16).astype(np.int32)], False, 1.0, thick, cv2.LINE_AA, shift=4)
    sigma = max(0.02 * frame.iod, 0.8)
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    mask *= 0.30 * min(amount, 1.0) / max(float(mask.max()), 1e-6)
    image[:] = np.clip(image.astype(np.float32) * (1.0 - mask[..., None]), 0, 255).astype(np.uint8)
    return image
