"""Appearance layers of the warp generator: what an Action Unit does to the skin's *shading*.

Many AUs are recognised mostly by appearance, not by landmark motion (the FACS manual, Ekman,
Friesen & Hager 2002, and Cohn, Ambadar & Ekman 2007 list each AU's "appearance changes"): the
nose wrinkler (AU9) is wrinkles across the root and down the sides of the nose and a deepened
upper nasolabial furrow; the brow lowerer (AU4) is vertical furrows between the brows and a
shadowed upper lid; AU1 / AU2 are horizontal forehead lines (centre / sides); the cheek raiser
(AU6) bunches the skin under the eyes (a bulge, the infraorbital furrow under it) and makes crow's
feet; AU10 / AU11 / AU12 deepen the nasolabial furrow; AU15 makes creases below the lip corners;
AU17 wrinkles the chin boss and deepens the furrow under the lower lip. A piecewise-affine warp
makes none of these, so this module paints them.

How (identity-preserving by construction):

- each layer is a *relief*: a height map in the reference's face frame (IOD units; a groove is
  negative, a bulge positive), drawn from the reference's landmarks. It is shaded like a lit
  surface (``SkinShading.shading``): grooves get ambient occlusion (darker at the bottom) and
  the wall facing away from the light is darker, the other lit, with the light direction taken
  from the reference's own shading (``light_direction``). So a crease is relief, not a line;
- shading is a *log-luminance gain*: the shaded image is ``reference * exp(gain)`` on every
  channel (with slightly warmer shadows, ``SHADOW_TINT``), so skin colour and the photo's
  lighting come from the reference (a crease on a dark, warm-lit face is a darker, warm crease);
- layers are weighted by a soft *skin mask* (a colour model of the reference's own cheeks inside
  the face-mesh hull), so hair, fringes, glasses frames and hats get no wrinkles;
- layers are defined at FACS intensity 5 and scale linearly with the AU intensity; the generator
  shades the reference *before* warping it, so creases move with the skin they belong to.

``neutral_texture`` does the opposite for a smiling reference: it flattens the shading a smile
leaves (nasolabial folds, bunched cheeks and lower lids, crow's feet) by dividing out the
band-pass part of the luminance inside those regions, in proportion to the measured smile.
"""
from __future__ import annotations

import functools
from typing import Callable

import cv2
import numpy as np

from argen_rl.generation.au_motion import FaceFrame

MAX_INTENSITY = 5.0
GAIN_RANGE = (-0.9, 0.35)
"""Clip of the summed log-gain (x0.41 .. x1.42 luminance)."""
AMBIENT_OCCLUSION = 7.0
"""Log-gain per IOD of groove depth (a 0.03 IOD deep groove darkens its bottom by ~19 %)."""
RELIEF = 0.45
"""Log-gain per unit slope of the relief towards / away from the light."""
SHADOW_TINT = np.array([0.82, 1.0, 1.12], np.float32)
"""Per-channel exponent of the gain (R, G, B): skin shadows are warmer and more saturated than
lit skin (light scattered under the skin comes out red), so creases are not grey."""


# --- drawing primitives (pixels of the reference crop) ---------------------------------------
def _stroke(shape: tuple[int, int], lines: list[np.ndarray], sigma: float) -> np.ndarray:
    """Soft polylines: a Gaussian cross-section of width ``sigma`` px, peak 1."""
    m = np.zeros(shape, np.float32)
    for ln in lines:
        cv2.polylines(m, [np.round(np.asarray(ln) * 16).astype(np.int32)], False, 1.0, 1, cv2.LINE_AA, shift=4)
    m = cv2.GaussianBlur(m, (0, 0), max(sigma, 0.5))
    peak = float(m.max())
    return m * (1.0 / peak) if peak > 0 else m


def _blob(U: np.ndarray, V: np.ndarray, cu: float, cv: float, su: float, sv: float, mirror: bool = True) -> np.ndarray:
    g = np.exp(-0.5 * (((U - cu) / su) ** 2 + ((V - cv) / sv) ** 2))
    if mirror:
        g = g + np.exp(-0.5 * (((U + cu) / su) ** 2 + ((V - cv) / sv) ** 2))
    return g.astype(np.float32)


def _bezier(p0, p1, p2, n: int = 16) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 2 * np.asarray(p0) + 2 * (1 - t) * t * np.asarray(p1) + t ** 2 * np.asarray(p2)


@functools.lru_cache(maxsize=8)
def _variation(h: int, w: int, sigma: float) -> np.ndarray:
    """Slow variation (0.56..1.0) of wrinkle depth along a line; fixed pattern per crop size."""
    rng = np.random.default_rng(11)
    n = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
    n /= float(n.std()) + 1e-6
    return (0.78 + 0.22 * np.tanh(n)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _pits(h: int, w: int, sigma: float) -> np.ndarray:
    """Fixed pattern of small pits (<= 0, unit std before clipping): a wrinkled chin boss."""
    rng = np.random.default_rng(17)
    n = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
    n /= float(n.std()) + 1e-6
    return np.minimum(n, 0.0)


def apply_gain(image: np.ndarray, log_gain: np.ndarray) -> np.ndarray:
    """image * exp(log_gain * SHADOW_TINT) (per-channel exponent: warm shadows); uint8.

    Computed only inside the bounding box of the non-zero gain (about half the crop: the layers
    are confined to the face) and channel-first, (3, h, w), so numpy's loops run along rows; a zero
    gain is exactly the identity (exp(0) = 1, floor(v + 0.5) = v), so the result is the same as
    over the whole frame."""
    out = image.copy()
    rows, cols = np.flatnonzero(log_gain.any(1)), np.flatnonzero(log_gain.any(0))
    if not len(rows):
        return out
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    gain = np.exp(log_gain[None, y0:y1, x0:x1] * SHADOW_TINT.reshape(3, 1, 1))
    roi = image[y0:y1, x0:x1].transpose(2, 0, 1).astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(roi * gain + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    return out


# --- skin mask and light ------------------------------------------------------------------------
FACE_HULL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
SKIN_SAMPLES = (50, 101, 36, 205, 187, 123, 117, 118, 280, 330, 266, 425, 411, 352, 346, 347, 108, 337, 151)


def skin_mask(image: np.ndarray, points: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """Soft mask (float32 [0, 1]) of skin inside the face-mesh hull: chroma (CrCb) distance to the
    reference's own cheeks and forehead, so hair, glasses frames and hats are left out."""
    h, w = image.shape[:2]
    ycc = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2YCrCb).astype(np.float32)
    r = max(int(round(0.04 * frame.iod)), 1)
    samples = []
    for i in SKIN_SAMPLES:
        x, y = np.round(points[i]).astype(int)
        patch = ycc[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1].reshape(-1, 3)
        if len(patch):
            samples.append(patch)
    s = np.concatenate(samples)[:, 1:]
    mu = np.median(s, 0)
    scale = np.maximum(1.4826 * np.median(np.abs(s - mu), 0), 2.0)       # robust spread (MAD)
    d2 = (((ycc[..., 1:] - mu) / scale) ** 2).sum(-1)
    colour = np.exp(-0.5 * np.maximum(d2 - 4.0, 0.0) / 4.0)               # 1 within ~2 sigma
    hull = np.zeros((h, w), np.float32)
    cv2.fillPoly(hull, [np.round(points[list(FACE_HULL)]).astype(np.int32)], 1.0)
    hull = cv2.GaussianBlur(hull, (0, 0), max(0.05 * frame.iod, 1.0))
    return cv2.GaussianBlur((colour * hull).astype(np.float32), (0, 0), max(0.015 * frame.iod, 0.7))


def light_direction(image: np.ndarray, points: np.ndarray, frame: FaceFrame) -> np.ndarray:
    """Unit 2-vector (image x, y) towards the light, from the reference's own shading: mostly
    from above (portraits are lit from above), tilted towards the brighter cheek."""
    lum = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    r = max(int(round(0.08 * frame.iod)), 1)

    def mean_at(i: int) -> float:
        x, y = np.round(points[i]).astype(int)
        patch = lum[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1]
        return float(patch.mean()) if patch.size else 0.0

    a, b = mean_at(205), mean_at(425)                    # the two cheeks
    sign = 1.0 if (points[425] - points[205]) @ frame.ex > 0 else -1.0
    lateral = float(np.clip(sign * (b - a) / max(a + b, 1.0) * 4.0, -0.7, 0.7))
    d = lateral * frame.ex - frame.ey                    # ey points down the face
    return d / np.linalg.norm(d)


class SkinShading:
    """Per-reference appearance layers: log-gain maps at intensity 5, built lazily and cached."""

    def __init__(self, image: np.ndarray, points: np.ndarray, frame: FaceFrame | None = None):
        self.shape = image.shape[:2]
        self.points = np.asarray(points, np.float64)
        self.frame = frame or FaceFrame.from_landmarks(self.points)
        self.P = self.frame.to_face(self.points)
        h, w = self.shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
        rx, ry = xs - self.frame.origin[0], ys - self.frame.origin[1]
        self.U = ((rx * self.frame.ex[0] + ry * self.frame.ex[1]) / self.frame.iod).astype(np.float32)
        self.V = ((rx * self.frame.ey[0] + ry * self.frame.ey[1]) / self.frame.iod).astype(np.float32)
        self.skin = skin_mask(image, self.points, self.frame)
        self.light = light_direction(image, self.points, self.frame)
        self.variation = _variation(h, w, 0.12 * self.frame.iod)
        self.eye_v = float(self.P[[33, 133, 362, 263], 1].mean())
        self._bases: dict[int, np.ndarray] = {}

    def px(self, uv) -> np.ndarray:
        """Face coordinates (IOD) -> crop pixels."""
        uv = np.asarray(uv, np.float64)
        return self.frame.origin + self.frame.iod * (uv[..., :1] * self.frame.ex + uv[..., 1:2] * self.frame.ey)

    def pt(self, i: int) -> np.ndarray:
        """Landmark ``i`` in face coordinates."""
        return self.P[i]

    # relief primitives (height maps, IOD units)
    def groove(self, lines_uv: list[np.ndarray], width: float, depth: float) -> np.ndarray:
        """Grooves ``depth`` deep along ``lines_uv`` (face coords), Gaussian cross-section
        ``width`` IOD; the depth varies slowly along each line, as real wrinkles do."""
        g = _stroke(self.shape, [self.px(ln) for ln in lines_uv], width * self.frame.iod)
        return -depth * g * self.variation

    def bulge(self, cu: float, cv: float, su: float, sv: float, height: float, mirror: bool = True) -> np.ndarray:
        return height * _blob(self.U, self.V, cu, cv, su, sv, mirror)

    def shading(self, height: np.ndarray) -> np.ndarray:
        """Log-gain of a relief: ambient occlusion in grooves + slope towards / away from the light."""
        gy, gx = np.gradient(height * self.frame.iod)   # height in px per px: the slope
        lx, ly = self.light
        return AMBIENT_OCCLUSION * np.minimum(height, 0.0) - RELIEF * (gx * lx + gy * ly)

    def basis(self, au: int) -> np.ndarray | None:
        """(H, W) float32 log-gain of AU ``au`` at intensity 5 (skin-masked); None without a layer."""
        fn = LAYERS.get(au)
        if fn is None:
            return None
        if au not in self._bases:
            self._bases[au] = (self.shading(fn(self)) * self.skin).astype(np.float32)
        return self._bases[au]

    def log_gain(self, aus: dict[int, float]) -> np.ndarray | None:
        """Summed, clipped log-gain for AU intensities (None when no AU has a layer)."""
        total = None
        for au, val in sorted(aus.items()):
            b = self.basis(au)
            if b is None or val <= 0:
                continue
            total = b * (val / MAX_INTENSITY) if total is None else total + b * (val / MAX_INTENSITY)
        return None if total is None else np.clip(total, *GAIN_RANGE)

    def shade(self, image: np.ndarray, aus: dict[int, float]) -> np.ndarray:
        """``image`` (the reference or its neutralised texture) with the AUs' layers; uint8."""
        g = self.log_gain(aus)
        return image.copy() if g is None else apply_gain(image, g)


# --- the layers: height maps at intensity 5 (face coordinates: u right, v down, IOD) ----------
def _brow_top(s: SkinShading, u: np.ndarray) -> np.ndarray:
    idx = [107, 66, 105, 63, 70, 336, 296, 334, 293, 300]
    P = s.P[idx]
    order = np.argsort(P[:, 0])
    return np.interp(u, P[order, 0], P[order, 1])


def _forehead_lines(s: SkinShading) -> list[np.ndarray]:
    top_v = float(s.pt(10)[1])
    u = np.linspace(-0.95, 0.95, 25)
    brow = _brow_top(s, u)
    height = max(float(np.median(brow)) - top_v, 0.3)
    return [np.stack([u, brow - frac * height + 0.012 * np.sin(3.1 * u + 1.7 * k)], 1)
            for k, frac in enumerate((0.2, 0.37, 0.54))]


def au1_layer(s: SkinShading) -> np.ndarray:   # inner brow raiser: lines in the centre of the forehead
    w = _blob(s.U, s.V, 0.0, 0.0, 0.34, 9.0, mirror=False)
    return s.groove(_forehead_lines(s), 0.028, 0.03) * w


def au2_layer(s: SkinShading) -> np.ndarray:   # outer brow raiser: lines over the outer brows
    w = np.minimum(_blob(s.U, s.V, 0.62, 0.0, 0.25, 9.0), 1.0)
    return s.groove(_forehead_lines(s), 0.028, 0.026) * w


def _glabella(s: SkinShading, vertical: float, transverse: float) -> np.ndarray:
    bi_r, bi_l = s.pt(107), s.pt(336)
    v0 = 0.5 * (bi_r[1] + bi_l[1])
    gap = max(0.5 * abs(bi_l[0] - bi_r[0]), 0.12)
    lines = []
    for sgn in (-1.0, 1.0):
        u0 = sgn * 0.4 * gap
        lines.append(np.array([[u0 + sgn * 0.02, v0 - 0.05], [u0, v0 + 0.05], [u0 - sgn * 0.015, v0 + 0.15]]))
    h = s.groove(lines, 0.025, vertical) + s.bulge(0.0, v0 + 0.05, 0.04, 0.09, 0.3 * vertical, mirror=False)
    if transverse:
        root_v = float(s.pt(168)[1])
        h += s.groove([np.array([[-0.13, root_v + 0.015], [0.0, root_v - 0.01], [0.13, root_v + 0.015]])],
                      0.025, transverse)
    return h


def au4_layer(s: SkinShading) -> np.ndarray:   # brow lowerer: glabella furrows, hooded upper lids
    h = _glabella(s, 0.055, 0.02)
    # the lowered brow overhangs the upper lid: a recess above each eye (shadowed)
    h -= s.bulge(0.5, s.eye_v - 0.14, 0.2, 0.06, 0.03)
    return h


def _lower_lid_bunch(s: SkinShading, furrow: float, bulge: float, drop: float = 0.14) -> np.ndarray:
    """Bunched lower lid: a bulge just under the lid, the infraorbital furrow arc under it."""
    lines, ridge = [], []
    for outer, inner, low in ((33, 133, 145), (263, 362, 374)):
        o, i, c = s.pt(outer), s.pt(inner), s.pt(low)
        sgn = np.sign(o[0])
        lines.append(_bezier(i + [0.0, 0.6 * drop], c + [0.0, drop + 0.02], o + [0.04 * sgn, 0.7 * drop]))
        ridge.append(_bezier(i + [0.0, 0.3 * drop], c + [0.0, 0.5 * drop], o + [0.02 * sgn, 0.3 * drop]))
    return s.groove(lines, 0.03, furrow) - s.groove(ridge, 0.045, bulge)


def _crows_feet(s: SkinShading, depth: float) -> np.ndarray:
    lines = []
    for outer in (33, 263):
        o = s.pt(outer)
        sgn = np.sign(o[0])
        for ang in (-0.45, -0.05, 0.35):
            d = np.array([np.cos(ang) * sgn, np.sin(ang)])
            start = o + np.array([0.07 * sgn, 0.0]) + 0.02 * d
            lines.append(np.stack([start, start + 0.08 * d + [0, 0.01], start + 0.15 * d + [0, 0.03]]))
    return s.groove(lines, 0.02, depth)


def _nasolabial(s: SkinShading, depth: float, upper: float = 1.0, lower: float = 1.0) -> np.ndarray:
    """Nasolabial furrow from above the nose wing round outside the lip corner, with the cheek
    bulging over it; ``upper`` / ``lower`` weight its two halves."""
    lines = []
    for ala, corner in ((129, 61), (358, 291)):
        a, c = s.pt(ala), s.pt(corner)
        sgn = np.sign(a[0])
        start = a + np.array([0.04 * sgn, -0.05])
        end = c + np.array([0.07 * sgn, 0.05])
        mid = 0.5 * (start + end) + np.array([0.06 * sgn, 0.0])
        lines.append(_bezier(start, mid, end, 20))
    groove = s.groove(lines, 0.035, depth)
    mouth_v = float(s.P[[13, 14], 1].mean())
    nose_v = float(s.P[[129, 358], 1].mean())
    t = np.clip((s.V - nose_v) / max(mouth_v - nose_v, 0.1), 0.0, 1.0)
    cheek = s.bulge(0.42, 0.5 * (nose_v + mouth_v) - 0.05, 0.12, 0.14, 0.3 * depth)
    return (groove + cheek) * (upper * (1.0 - t) + lower * t)


def au6_layer(s: SkinShading) -> np.ndarray:   # cheek raiser
    h = _lower_lid_bunch(s, 0.025, 0.015)
    h += _crows_feet(s, 0.02)
    h += _nasolabial(s, 0.012, upper=1.0, lower=0.3)
    h += s.bulge(0.52, s.eye_v + 0.38, 0.16, 0.12, 0.03)          # the raised cheek
    return h


def au7_layer(s: SkinShading) -> np.ndarray:   # lid tightener: a tight bulge along the lower lid
    return _lower_lid_bunch(s, 0.012, 0.012, drop=0.09)


def _nose_wrinkles(s: SkinShading, depth: float) -> np.ndarray:
    root_v, bridge_v = float(s.pt(168)[1]), float(s.pt(6)[1])
    lines = []
    for k, dv in enumerate((-0.02, 0.045, 0.11)):        # short, bowed lines across the root
        v = root_v + 0.4 * (bridge_v - root_v) + dv
        half = 0.05 + 0.012 * k
        lines.append(np.array([[-half, v + 0.025], [-0.5 * half, v + 0.002], [0.0, v - 0.008],
                               [0.5 * half, v + 0.002], [half, v + 0.025]]))
    for sgn in (-1.0, 1.0):            # oblique lines down the sides of the nose
        for k in range(2):
            p0 = np.array([sgn * (0.12 + 0.03 * k), bridge_v + 0.08 + 0.06 * k])
            lines.append(np.stack([p0, p0 + [sgn * 0.06, 0.08], p0 + [sgn * 0.1, 0.16]]))
    return s.groove(lines, 0.022, depth)


def _nostrils(s: SkinShading, depth: float) -> np.ndarray:
    h = np.zeros(s.shape, np.float32)
    for ala in (129, 358):
        a = s.pt(ala)
        h -= depth * _blob(s.U, s.V, float(a[0]) * 0.75, float(a[1]) + 0.03, 0.05, 0.035, mirror=False)
    return h


def au9_layer(s: SkinShading) -> np.ndarray:   # nose wrinkler
    h = _nose_wrinkles(s, 0.03)
    h += _glabella(s, 0.01, 0.03)
    h += _nasolabial(s, 0.03, upper=1.0, lower=0.35)
    h += _lower_lid_bunch(s, 0.016, 0.01)
    h += _nostrils(s, 0.015)
    return h


def au10_layer(s: SkinShading) -> np.ndarray:  # upper lip raiser
    h = _nasolabial(s, 0.03, upper=1.0, lower=0.6)
    h += _nostrils(s, 0.012)
    sub = s.pt(2)                      # the raised lip bunches the skin under the nose
    h += s.bulge(0.0, float(sub[1]) + 0.05, 0.12, 0.04, 0.01, mirror=False)
    return h


def au11_layer(s: SkinShading) -> np.ndarray:  # nasolabial deepener
    return _nasolabial(s, 0.03, upper=0.7, lower=0.9)


def au12_layer(s: SkinShading) -> np.ndarray:  # lip corner puller: deep folds, bunched cheeks
    return _nasolabial(s, 0.032, upper=0.8, lower=1.0) + s.bulge(0.5, s.eye_v + 0.5, 0.17, 0.1, 0.02)


def au15_layer(s: SkinShading) -> np.ndarray:  # lip corner depressor: creases below the corners
    lines = []
    for corner in (61, 291):
        c = s.pt(corner)
        sgn = np.sign(c[0] - s.P[[61, 291], 0].mean())
        lines.append(_bezier(c + [0.04 * sgn, 0.03], c + [0.08 * sgn, 0.12], c + [0.07 * sgn, 0.24]))
    return s.groove(lines, 0.03, 0.025)


def au17_layer(s: SkinShading) -> np.ndarray:  # chin raiser: wrinkled chin boss, deep labiomental furrow
    lo, chin = s.pt(17), s.pt(152)
    v = float(lo[1] + 0.3 * (chin[1] - lo[1]))
    furrow = s.groove([np.array([[-0.18, v - 0.03], [0.0, v + 0.01], [0.18, v - 0.03]])], 0.035, 0.025)
    boss_v = float(lo[1] + 0.65 * (chin[1] - lo[1]))
    boss = _blob(s.U, s.V, 0.0, boss_v, 0.15, 0.09, mirror=False)
    pits = _pits(*s.shape, max(0.025 * s.frame.iod, 0.8))
    return furrow + s.bulge(0.0, boss_v - 0.03, 0.12, 0.07, 0.012, mirror=False) + 0.004 * pits * boss


def au20_layer(s: SkinShading) -> np.ndarray:  # lip stretcher: short creases beyond the corners
    lines = []
    for corner in (61, 291):
        c = s.pt(corner)
        sgn = np.sign(c[0] - s.P[[61, 291], 0].mean())
        lines.append(np.stack([c + [0.06 * sgn, -0.01], c + [0.12 * sgn, 0.0], c + [0.17 * sgn, 0.02]]))
    return s.groove(lines, 0.025, 0.015)


LAYERS: dict[int, Callable[[SkinShading], np.ndarray]] = {
    1: au1_layer, 2: au2_layer, 4: au4_layer, 6: au6_layer, 7: au7_layer, 9: au9_layer, 10: au10_layer,
    11: au11_layer, 12: au12_layer, 15: au15_layer, 17: au17_layer, 20: au20_layer,
}
"""AUs with a shading layer; AU5, AU16 and AU23-27 are geometry and mouth interior only."""


# --- neutralising a smile's texture ------------------------------------------------------------
_KEEP_POLYS = ((33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
               (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466),
               (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185))


def smile_regions(s: SkinShading) -> np.ndarray:
    """Soft mask (float32) of where a smile leaves shading: nasolabial folds, bunched cheeks and
    lower lids, crow's feet; not the eyes or lips themselves."""
    iod = s.frame.iod
    lines = []
    for ala, corner in ((129, 61), (358, 291)):
        a, c = s.pt(ala), s.pt(corner)
        sgn = np.sign(a[0])
        start, end = a + np.array([0.05 * sgn, -0.06]), c + np.array([0.1 * sgn, 0.1])
        lines.append(_bezier(start, 0.5 * (start + end) + [0.07 * sgn, 0.0], end, 20))
    m = np.minimum(_stroke(s.shape, [s.px(ln) for ln in lines], 0.07 * iod) * 1.6, 1.0)
    m = np.maximum(m, np.minimum(_blob(s.U, s.V, 0.5, s.eye_v + 0.25, 0.2, 0.12), 1.0))
    m = np.maximum(m, np.minimum(_blob(s.U, s.V, 0.8, s.eye_v + 0.02, 0.08, 0.08), 1.0))
    keep = np.zeros(s.shape, np.float32)
    for poly in _KEEP_POLYS:
        cv2.fillPoly(keep, [np.round(s.points[list(poly)]).astype(np.int32)], 1.0)
    keep = cv2.GaussianBlur(cv2.dilate(keep, np.ones((3, 3), np.uint8)), (0, 0), max(0.02 * iod, 0.7))
    return m * (1.0 - np.clip(keep, 0, 1)) * s.skin


def neutral_texture(image: np.ndarray, s: SkinShading, amount: float) -> np.ndarray:
    """``image`` with a smile's shading flattened by ``amount`` in [0, 1] (uint8).

    The luminance band-pass (structures between ~0.02 and ~0.15 IOD: folds and bulges, not pores)
    is divided out inside ``smile_regions``; colour and fine texture stay the reference's.
    """
    if amount <= 0:
        return image.copy()
    iod = s.frame.iod
    img = image.astype(np.float32) + 8.0
    fine = cv2.GaussianBlur(img, (0, 0), max(0.02 * iod, 0.8))
    coarse = cv2.GaussianBlur(img, (0, 0), 0.15 * iod)
    # per channel: a fold is darker *and* more saturated than the skin round it; dividing out the
    # band-pass of each channel returns both to the local skin
    band = np.log(fine) - np.log(coarse)
    g = -float(min(amount, 1.0)) * smile_regions(s)[..., None] * band
    out = img * np.exp(np.clip(g, -0.4, 0.4)) - 8.0
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
