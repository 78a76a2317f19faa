"""Image-level pieces of the AU-warp generator: face crop, piecewise-affine warp, mouth fill.

- ``align_face``: a square, eye-levelled crop of the reference with a margin round the mesh, so
  every generated video is face-centred at the requested size.
- ``PiecewiseAffineWarp``: Delaunay triangles over the 478 mesh points plus fixed border anchors.
  A frame is warped by rasterising the *destination* triangles into an index image (one
  ``cv2.fillConvexPoly`` per triangle), gathering each pixel's destination->source affine and
  sampling the reference once with ``cv2.remap``: a few ms per 256^2 frame, against ~20 ms for
  per-triangle ``warpAffine`` + masks and ~640 ms for scikit-image's PiecewiseAffineTransform.
- ``fill_mouth``: where the warp opens the lips, the stretched lip-line texture is painted over
  with a dark mouth cavity and upper/lower teeth bands (what a FER network looks for).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
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


class PiecewiseAffineWarp:
    """Backward piecewise-affine warp of one source image over a fixed triangulation."""

    def __init__(self, src_points: np.ndarray, triangles: np.ndarray, size: int):
        self.src = np.asarray(src_points, np.float64)
        self.tri = triangles
        self.size = size
        ys, xs = np.mgrid[0:size, 0:size]
        self._xs = xs.astype(np.float32)
        self._ys = ys.astype(np.float32)
        self.calls = 0   # number of frames warped (the generator's cost counter)

    def maps(self, dst_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel source coordinates (map_x, map_y) for a destination point set."""
        dst = np.asarray(dst_points, np.float64)
        D = dst[self.tri]                      # (M, 3, 2)
        S = self.src[self.tri]
        # affine dst -> src per triangle, closed form: L = [s1-s0, s2-s0] [d1-d0, d2-d0]^-1
        e1, e2 = D[:, 1] - D[:, 0], D[:, 2] - D[:, 0]
        f1, f2 = S[:, 1] - S[:, 0], S[:, 2] - S[:, 0]
        det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        ok = np.abs(det) > 1e-6                # zero-area destination triangles cover no pixel
        inv_det = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        L = np.empty((len(D), 2, 2))
        for r in range(2):                     # row r of L: source coordinate r
            L[:, r, 0] = (f1[:, r] * e2[:, 1] - f2[:, r] * e1[:, 1]) * inv_det
            L[:, r, 1] = (f2[:, r] * e1[:, 0] - f1[:, r] * e2[:, 0]) * inv_det
        t = S[:, 0] - np.einsum("mij,mj->mi", L, D[:, 0])
        A = np.zeros((len(D) + 1, 6), np.float32)
        A[:-1, [0, 1, 3, 4]] = L.reshape(-1, 4)
        A[:-1, [2, 5]] = t
        A[-1] = (1, 0, 0, 0, 1, 0)             # pixels outside every triangle (index -1): identity
        index = np.full((self.size, self.size), -1, np.int32)
        pts = np.round(D * 16).astype(np.int32)   # 4 bits of sub-pixel precision
        for m in np.flatnonzero(ok):
            cv2.fillConvexPoly(index, pts[m], int(m), lineType=cv2.LINE_8, shift=4)
        Ap = A[index]                          # (H, W, 6)
        map_x = Ap[..., 0] * self._xs + Ap[..., 1] * self._ys + Ap[..., 2]
        map_y = Ap[..., 3] * self._xs + Ap[..., 4] * self._ys + Ap[..., 5]
        return map_x, map_y

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


def close_mouth_texture(image: np.ndarray, points: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """Copy of ``image`` with the open mouth's interior (teeth, dark corners) inpainted from the
    surrounding lips, so that closing the mouth by warping squeezes lip colour, not teeth."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(MOUTH_POLYGON)]).astype(np.int32)], 255)
    r = max(int(round(0.035 * frame.iod)), 1)
    for corner in (78, 308):          # the dark mouth corners extend past the inner-lip polygon
        cv2.circle(mask, tuple(int(v) for v in np.round(points[corner])), r, 255, -1)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return cv2.inpaint(image, mask, max(r, 3), cv2.INPAINT_TELEA)


# mouth-cavity colours (RGB): a dark red-brown cavity, off-white teeth
_CAVITY = np.array([42, 18, 20], np.float32)
_UPPER_TEETH = np.array([240, 234, 220], np.float32)
_LOWER_TEETH = np.array([200, 190, 176], np.float32)


def _poly_mask(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(poly * 16).astype(np.int32)], 255, lineType=cv2.LINE_AA, shift=4)
    return m.astype(np.float32) / 255.0


def mouth_opening(points: np.ndarray, frame: FaceFrame) -> float:
    """Inner-lip gap at the mouth centre in pixels (0 for a closed mouth)."""
    gap = (points[[87, 14, 317]] - points[[82, 13, 312]]) @ frame.ey
    return float(max(gap.mean(), 0.0))


def teeth_exposure(aus: dict[int, float]) -> tuple[float, float]:
    """Visible height of (upper, lower) teeth in IOD units for the AU intensities of a frame.

    Lips, not the jaw, uncover teeth: raised corners / upper lip (AU12, AU10) bare the upper
    teeth, a depressed lower lip (AU16) the lower ones; a dropped jaw with relaxed lips (AU26)
    shows mostly dark cavity. This matters: a FER network reads bright teeth as a smile, so a
    surprised mouth must stay dark.
    """
    up = 0.015 + 0.11 * min(1.0, (max(aus.get(12, 0.0), 0.0) + max(aus.get(10, 0.0), 0.0)) / 5.0)
    lo = 0.01 + 0.04 * min(1.0, max(aus.get(16, 0.0), 0.0) / 5.0)
    return up, lo


def fill_mouth(image: np.ndarray, points: np.ndarray, frame: FaceFrame, upper_teeth: float = 0.015,
               lower_teeth: float = 0.01, opacity: float = 1.0, min_gap_px: float = 1.0) -> np.ndarray:
    """Paint the open-mouth polygon of ``points`` as a cavity with teeth; in place, returns image.

    Upper teeth show below the upper inner lip by min(``upper_teeth`` IOD, 0.6 gap), lower teeth
    above the lower lip by min(``lower_teeth`` IOD, 0.3 gap) (see ``teeth_exposure``).
    ``opacity`` < 1 lets a reference's own open mouth show through (early frames of a clip).
    """
    gap = mouth_opening(points, frame)
    if gap < min_gap_px or opacity <= 0:
        return image
    poly = points[list(MOUTH_POLYGON)]
    x0, y0 = np.floor(poly.min(0)).astype(int) - 2
    x1, y1 = np.ceil(poly.max(0)).astype(int) + 3
    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image
    off = np.array([x0, y0], np.float64)
    shape = (y1 - y0, x1 - x0)
    mouth = _poly_mask(shape, poly - off)
    upper = points[list(INNER_UPPER_LIP)] - off
    lower = points[list(INNER_LOWER_LIP)] - off
    # teeth are tallest at the front and vanish into the corners (the dental arch recedes)
    u = (points[list(INNER_UPPER_LIP)] - points[[78, 308]].mean(0)) @ frame.ex
    half = max(float(np.abs(u).max()), 1.0)
    arch = np.sqrt(np.clip(1.0 - (u / half) ** 2, 0.0, 1.0))[:, None]
    t_up = min(upper_teeth * frame.iod, 0.6 * gap) * arch * frame.ey
    t_lo = min(lower_teeth * frame.iod, 0.3 * gap) * arch * frame.ey
    upper_teeth = _poly_mask(shape, np.concatenate([upper, (upper + t_up)[::-1]])) * mouth
    lower_teeth = _poly_mask(shape, np.concatenate([lower, (lower - t_lo)[::-1]])) * mouth
    # shading: teeth recede into shadow towards the corners, with a dark seam between teeth
    # (central incisors ~0.12 IOD wide, then laterals and canines ~0.09)
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    centre = points[[13, 14]].mean(0) - off
    tu = ((xs - centre[0]) * frame.ex[0] + (ys - centre[1]) * frame.ex[1]) / frame.iod
    half_w = max(abs(float((points[308] - points[78]) @ frame.ex)) / 2.0 / frame.iod, 0.05)
    shade = np.clip(1.0 - 0.6 * (tu / half_w) ** 2, 0.3, 1.0)
    seams = np.abs(tu)[..., None] - np.array([0.0, 0.12, 0.21, 0.30], np.float32)
    shade *= 1.0 - 0.22 * np.exp(-0.5 * (seams / 0.007) ** 2).max(-1)
    shade = shade[..., None]
    colour = np.broadcast_to(_CAVITY, shape + (3,)).copy()
    colour = colour * (1 - upper_teeth[..., None]) + _UPPER_TEETH * shade * upper_teeth[..., None]
    colour = colour * (1 - lower_teeth[..., None]) + _LOWER_TEETH * shade * lower_teeth[..., None]
    m = opacity * cv2.GaussianBlur(mouth, (3, 3), 0)[..., None]
    roi = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.clip(roi * (1 - m) + colour * m, 0, 255).astype(np.uint8)
    return image


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
