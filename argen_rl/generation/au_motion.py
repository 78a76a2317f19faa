"""AU motion model: per-Action-Unit displacement fields on the 478 MediaPipe face-mesh points.

Every field is defined in a *face frame* measured on the reference face: origin at the midpoint
of the two eyes, u along the eye line (image right), v perpendicular to it (image down), unit =
inter-ocular distance (IOD, eye-centre to eye-centre). In that frame a mouth sits near v ~ 1.0,
the brows near v ~ -0.3, whatever the photo's size or roll, so one table of displacements fits
every face.

A field gives each mesh point's displacement at FACS intensity 5 ("E, maximum"); intensities are
linear (intensity 2.5 moves half as far) and may be negative (the neutralising step uses
negative AU12 / lips-part to take a smile or an open mouth off the reference). Fields are smooth
falloffs around handles (brow heads, lid margins, lip corners, the jaw), restricted by region so
that, e.g., a jaw drop moves the lower lip and chin but never the upper lip.

``neutralising(model)`` measures the smile and mouth opening of a reference from landmark
geometry against a neutral shape and returns the displacement that removes them (negative AU12
scaled to the smile; the inner lower lip moved onto the upper one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from argen_rl.face import landmarks as lm

# --- MediaPipe face-mesh index groups used by the motion model ----------------------------
# Ordered curves cut out of the face module's named contours (argen_rl.face.landmarks).
# INNER_LIPS runs 78 -> lower lip -> 308 -> upper lip -> 191; eyes run outer corner -> lower lid
# -> inner corner -> upper lid; brows list the upper edge then the lower edge.
INNER_LOWER_LIP = lm.INNER_LIPS[:11]                                    # 78 .. 308
INNER_UPPER_LIP = (lm.INNER_LIPS[0],) + tuple(reversed(lm.INNER_LIPS[10:]))  # 78 .. 308, same order
OUTER_LOWER_LIP = lm.MOUTH_OUTER[:11]                                   # 61 .. 291
OUTER_UPPER_LIP = (lm.MOUTH_OUTER[0],) + tuple(reversed(lm.MOUTH_OUTER[10:]))
LIP_CORNERS = (lm.MOUTH_RIGHT, INNER_LOWER_LIP[0], lm.MOUTH_LEFT, INNER_LOWER_LIP[-1])
UPPER_LID = lm.RIGHT_EYE[9:] + lm.LEFT_EYE[9:]
LOWER_LID = lm.RIGHT_EYE[1:8] + lm.LEFT_EYE[1:8]
EYE_CORNERS = (lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, lm.LEFT_EYE_INNER, lm.LEFT_EYE_OUTER)
BROWS = lm.RIGHT_BROW + lm.LEFT_BROW
# nostril wings and the skin beside them (moved by AU9 / AU10); chin pad (AU17, jaw)
NOSE_WINGS = (48, 64, 98, 115, 220, 129, 278, 294, 327, 344, 440, 358, 102, 331, 49, 279)
CHIN = (152, 175, 199, 200, 18, 148, 176, 149, 377, 400, 378, 171, 396, 208, 428, 32, 262)

# the open-mouth polygon (inner upper lip, then inner lower lip back), used by the mouth fill
MOUTH_POLYGON = INNER_UPPER_LIP + tuple(reversed(INNER_LOWER_LIP[1:-1]))

N_POINTS = lm.N_LANDMARKS


@dataclass(frozen=True)
class FaceFrame:
    """Similarity frame of a face: origin between the eyes, unit = inter-ocular distance."""

    origin: np.ndarray   # (2,) pixel
    ex: np.ndarray       # (2,) unit vector along the eye line
    ey: np.ndarray       # (2,) unit vector perpendicular, pointing down the face
    iod: float           # pixels

    @classmethod
    def from_landmarks(cls, pts: np.ndarray) -> "FaceFrame":
        eye_l = pts[[33, 133]].mean(0)
        eye_r = pts[[263, 362]].mean(0)
        if eye_l[0] > eye_r[0]:  # keep u pointing to image right whatever the mesh's handedness
            eye_l, eye_r = eye_r, eye_l
        d = (eye_r - eye_l).astype(np.float64)
        iod = float(np.hypot(*d))
        if iod < 1e-3:
            raise ValueError("degenerate landmarks: the two eyes coincide")
        ex = d / iod
        ey = np.array([-ex[1], ex[0]])
        return cls((eye_l + eye_r) / 2.0, ex, ey, iod)

    def to_face(self, pts: np.ndarray) -> np.ndarray:
        rel = np.asarray(pts, np.float64) - self.origin
        return np.stack([rel @ self.ex, rel @ self.ey], axis=-1) / self.iod

    def vec_to_image(self, d: np.ndarray) -> np.ndarray:
        """Face-frame displacement (IOD units) -> pixel displacement."""
        return (d[..., :1] * self.ex + d[..., 1:2] * self.ey) * self.iod

    @property
    def roll_deg(self) -> float:
        return float(np.degrees(np.arctan2(self.ex[1], self.ex[0])))


# --- field building blocks ---------------------------------------------------------------
def _gauss(P: np.ndarray, cu: float, cv: float, su: float, sv: float) -> np.ndarray:
    return np.exp(-0.5 * (((P[:, 0] - cu) / su) ** 2 + ((P[:, 1] - cv) / sv) ** 2))


def _pair(P: np.ndarray, cu: float, cv: float, su: float, sv: float) -> np.ndarray:
    """Gaussian bumps mirrored on both sides of the face (u = +cu and u = -cu)."""
    return _gauss(P, cu, cv, su, sv) + _gauss(P, -cu, cv, su, sv)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _mask(idx: tuple[int, ...]) -> np.ndarray:
    m = np.zeros(N_POINTS, bool)
    m[list(idx)] = True
    return m


_LOWER_LIPS = _mask(INNER_LOWER_LIP[1:-1] + OUTER_LOWER_LIP[1:-1])
_UPPER_LIPS = _mask(INNER_UPPER_LIP[1:-1] + OUTER_UPPER_LIP[1:-1])
_INNER_UPPER = _mask(INNER_UPPER_LIP[1:-1])
_CORNERS = _mask(LIP_CORNERS)
_BROWS = _mask(BROWS)
_UPPER_LID = _mask(UPPER_LID)
_LOWER_LID = _mask(LOWER_LID)
_NOSE_WINGS = _mask(NOSE_WINGS)
_CHIN = _mask(CHIN)


class _Geometry:
    """Reference-face quantities the fields need, in face units."""

    def __init__(self, P: np.ndarray):
        self.P = P
        ul = P[list(INNER_UPPER_LIP)]
        order = np.argsort(ul[:, 0])
        self.lip_u = ul[order, 0]
        self.lip_v = ul[order, 1]
        self.mouth_u = 0.5 * (P[61, 0] + P[291, 0])
        self.half_width = max(0.5 * abs(P[291, 0] - P[61, 0]), 0.2)
        self.mouth_v = float(P[list(INNER_UPPER_LIP + INNER_LOWER_LIP)].mean(0)[1])
        self.nose_v = float(P[lm.NOSE_TIP, 1])
        self.brow_v = float(P[list(BROWS), 1].mean())
        self.eye_v = float(P[list(EYE_CORNERS), 1].mean())

    def upper_lip_line(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, self.lip_u, self.lip_v)

    def lip_profile(self, u: np.ndarray, floor: float) -> np.ndarray:
        """1 at the mouth centre, ``floor`` at the corners (an opening mouth is an oval)."""
        x = np.clip(np.abs(u - self.mouth_u) / self.half_width, 0.0, 1.0)
        return floor + (1.0 - floor) * np.sqrt(1.0 - x ** 2)

    def above_eyes(self) -> np.ndarray:
        """Weight 1 on brows/forehead, 0 from the eye line down (brow AUs must not move eyes)."""
        v = self.P[:, 1]
        return _smoothstep((self.eye_v - 0.06 - v) / (self.eye_v - 0.06 - self.brow_v))

    def side(self) -> np.ndarray:
        return np.sign(self.P[:, 0] - self.mouth_u + 1e-9)


def _brow_field(g: _Geometry, cu: float, dv: float, du_medial: float, su: float, smooth_lid: bool = False) -> np.ndarray:
    """Brows (and forehead above them) move by ``dv`` down / ``du_medial`` towards the midline
    around handles at u = +-cu; nothing at or below the eye line moves. A raised brow lifts the
    upper lid by a quarter as much: its margin only (version 1) or, with ``smooth_lid``, the margin
    and the lid skin above it with a falloff (``_upper_lid_lift``), so no lid triangle folds."""
    P = g.P
    w = _pair(P, cu, g.brow_v, su, 0.35) * g.above_eyes()
    # the brow moves as a unit: brow points within su of a handle get at least 60 % of the peak
    near = _BROWS & (np.abs(np.abs(P[:, 0]) - cu) < su)
    w = np.where(near, np.maximum(w, 0.6 * w.max(initial=0.0)), w)
    d = np.zeros_like(P)
    d[:, 1] = dv * w
    d[:, 0] = -du_medial * g.side() * w
    if dv < 0 and smooth_lid:
        d += _upper_lid_lift(g, -0.25 * dv) * _pair(P, cu, g.eye_v, su, 1.0)[:, None]
    elif dv < 0:   # a raised brow lifts the upper lid a little (shared skin)
        d[_UPPER_LID, 1] += 0.25 * dv * _pair(P[_UPPER_LID], cu, g.eye_v, su, 1.0)
    return d


def _upper_lid_lift(g: _Geometry, amount: float | tuple[float, float], band: float = 0.2) -> np.ndarray:
    """Upper lids up by ``amount`` IOD over the pupil (per eye: (image-left, image-right)), zero at
    the corners; the lid skin up to ``band`` above the margin follows with a linear falloff, so
    the lid compresses evenly instead of the margin overtaking the fold above it."""
    P = g.P
    d = np.zeros_like(P)
    amounts = (amount, amount) if np.isscalar(amount) else amount
    for contour, a in zip((lm.RIGHT_EYE, lm.LEFT_EYE), amounts):
        cu = float(P[[contour[0], contour[8]], 0].mean())
        up = list(contour[8:]) + [contour[0]]
        order = np.argsort(P[up, 0])
        margin_v = np.interp(P[:, 0], P[up, 0][order], P[up, 1][order])
        x = np.clip(np.abs(P[:, 0] - cu) / 0.24, 0.0, 1.0)
        prof = np.sqrt(1.0 - x ** 2)
        above = margin_v - P[:, 1]
        is_margin = np.zeros(len(P), bool)
        is_margin[list(contour[9:])] = True
        w = np.where(is_margin, 1.0, np.where((above > 0) & (above < band), 1.0 - above / band, 0.0))
        d[:, 1] -= a * w * prof
    return d


def au1(g: _Geometry) -> np.ndarray:   # inner brow raiser
    return _brow_field(g, 0.22, -0.13, 0.0, 0.16)


def au2(g: _Geometry) -> np.ndarray:   # outer brow raiser
    return _brow_field(g, 0.62, -0.13, 0.0, 0.18)


def au4(g: _Geometry) -> np.ndarray:   # brow lowerer (down and together)
    return _brow_field(g, 0.30, 0.16, 0.09, 0.25)


def _lid_profile(g: _Geometry, idx_mask: np.ndarray) -> np.ndarray:
    # strongest over the pupil, zero at the eye corners
    P = g.P
    centre = 0.5  # eye centres sit at u = +-0.5 by construction of the face frame
    x = np.clip(np.abs(np.abs(P[:, 0]) - centre) / 0.22, 0, 1)
    return np.where(idx_mask, np.sqrt(1 - x ** 2), 0.0)


def au5(g: _Geometry) -> np.ndarray:   # upper lid raiser
    P = g.P
    d = np.zeros_like(P)
    d[:, 1] = -0.075 * _lid_profile(g, _UPPER_LID)
    # the lid fold above the margin goes up with it
    fold = _pair(P, 0.5, g.eye_v - 0.2, 0.25, 0.1) * (~_UPPER_LID & (P[:, 1] < g.eye_v - 0.05))
    d[:, 1] += -0.03 * fold
    return d


def au6(g: _Geometry) -> np.ndarray:   # cheek raiser
    P = g.P
    w = _pair(P, 0.55, g.eye_v + 0.42, 0.25, 0.2) * ((P[:, 1] > g.eye_v + 0.04) & ~_UPPER_LIPS & ~_LOWER_LIPS)
    d = np.zeros_like(P)
    d[:, 1] = -0.07 * w
    d[:, 1] += -0.045 * _lid_profile(g, _LOWER_LID)
    return d


def au7(g: _Geometry) -> np.ndarray:   # lid tightener
    d = np.zeros_like(g.P)
    d[:, 1] = -0.05 * _lid_profile(g, _LOWER_LID) + 0.015 * _lid_profile(g, _UPPER_LID)
    return d


def _corner_field(g: _Geometry, du: float, dv: float, s: float = 0.17) -> np.ndarray:
    """Both lip corners move ``du`` outward (negative: inward) and ``dv`` down, their
    surroundings with a Gaussian falloff of width ``s``."""
    P = g.P
    d = np.zeros_like(P)
    for corner in (61, 291):
        cu, cv = P[corner]
        w = _gauss(P, cu, cv, s, s * 1.2)
        sgn = np.sign(cu - g.mouth_u)
        d[:, 0] += sgn * du * w
        d[:, 1] += dv * w
    return d


def au12(g: _Geometry) -> np.ndarray:  # lip corner puller
    d = _corner_field(g, 0.13, -0.17)
    # the stretched upper lip rises a little off the teeth
    d[_UPPER_LIPS, 1] += -0.05 * g.lip_profile(g.P[_UPPER_LIPS, 0], 0.0)
    d += 0.5 * au6(g) * (g.P[:, 1] > g.eye_v + 0.2)[:, None]   # cheeks pushed up by the smile
    return d


def au15(g: _Geometry) -> np.ndarray:  # lip corner depressor
    return _corner_field(g, 0.02, 0.14, 0.15)


def au20(g: _Geometry) -> np.ndarray:  # lip stretcher
    return _corner_field(g, 0.12, 0.02, 0.18)


def au23(g: _Geometry) -> np.ndarray:  # lip tightener: narrower, thinner lips
    d = _corner_field(g, -0.06, 0.0, 0.15)
    d[_mask(OUTER_UPPER_LIP[1:-1]), 1] += 0.02
    d[_mask(OUTER_LOWER_LIP[1:-1]), 1] -= 0.02
    return d


def au24(g: _Geometry) -> np.ndarray:  # lip pressor
    d = _corner_field(g, -0.03, 0.0, 0.15)
    d[_mask(OUTER_UPPER_LIP[1:-1]), 1] += 0.03
    d[_mask(OUTER_LOWER_LIP[1:-1]), 1] -= 0.035
    return d


def au9(g: _Geometry) -> np.ndarray:   # nose wrinkler
    P = g.P
    d = np.zeros_like(P)
    d[_NOSE_WINGS, 1] = -0.06
    w = _pair(P, 0.25, 0.45, 0.15, 0.2) * ~_NOSE_WINGS
    d[:, 1] += -0.04 * w
    d[_UPPER_LIPS, 1] = -0.035 * g.lip_profile(P[_UPPER_LIPS, 0], 0.4)
    d += 0.4 * au4(g)
    return d


def au10(g: _Geometry) -> np.ndarray:  # upper lip raiser
    P = g.P
    d = np.zeros_like(P)
    d[_UPPER_LIPS, 1] = -0.09 * g.lip_profile(P[_UPPER_LIPS, 0], 0.3)
    d[_NOSE_WINGS, 1] = -0.03
    return d


def _lower_lip_down(g: _Geometry, amount: float, chin: float) -> np.ndarray:
    """Lower lip down by ``amount`` (oval profile), chin pad by ``chin``; the jaw stays."""
    P = g.P
    d = np.zeros_like(P)
    d[_LOWER_LIPS, 1] = amount * g.lip_profile(P[_LOWER_LIPS, 0], 0.2)
    d[_CHIN, 1] = chin
    return d


def au16(g: _Geometry) -> np.ndarray:  # lower lip depressor
    return _lower_lip_down(g, 0.10, 0.03)


def au17(g: _Geometry) -> np.ndarray:  # chin raiser (pushes the lower lip up)
    P = g.P
    d = np.zeros_like(P)
    w = _smoothstep((P[:, 1] - g.mouth_v - 0.1) / 0.35) * ~_LOWER_LIPS
    d[:, 1] = -0.07 * w
    d[_LOWER_LIPS, 1] = -0.04 * g.lip_profile(P[_LOWER_LIPS, 0], 0.2)
    return d


def au25(g: _Geometry) -> np.ndarray:  # lips part
    P = g.P
    d = _lower_lip_down(g, 0.06, 0.0)
    d[_INNER_UPPER, 1] = -0.02 * g.lip_profile(P[_INNER_UPPER, 0], 0.2)
    return d


def _jaw(g: _Geometry, drop: float) -> np.ndarray:
    """Jaw rotation seen from the front: everything below the upper-lip line goes down."""
    P = g.P
    below = P[:, 1] - g.upper_lip_line(P[:, 0])
    w = _smoothstep(below / 0.25)
    w = np.where(_UPPER_LIPS | _CORNERS, 0.0, w)
    w = np.where(_LOWER_LIPS, g.lip_profile(P[:, 0], 0.1), w)
    lateral = np.exp(-0.5 * ((P[:, 0] - g.mouth_u) / 0.75) ** 2)
    d = np.zeros_like(P)
    d[:, 1] = drop * w * np.where(_LOWER_LIPS, 1.0, 0.35 + 0.65 * lateral)
    # corners follow a little so the opening is a rounded oval
    d[_CORNERS, 1] = 0.2 * drop
    return d


def au26(g: _Geometry) -> np.ndarray:  # jaw drop (the dropping jaw draws the corners in: an oval)
    return _jaw(g, 0.30) + _corner_field(g, -0.05, 0.0, 0.12)


def au27(g: _Geometry) -> np.ndarray:  # mouth stretch
    return _jaw(g, 0.42) + _corner_field(g, -0.08, 0.0, 0.12)


AU_FIELDS_V1: dict[int, Callable[[_Geometry], np.ndarray]] = {
    1: au1, 2: au2, 4: au4, 5: au5, 6: au6, 7: au7, 9: au9, 10: au10, 12: au12, 15: au15,
    16: au16, 17: au17, 20: au20, 23: au23, 24: au24, 25: au25, 26: au26, 27: au27,
}
"""The first generator's fields (``WarpConfig.version = 1``)."""


# --- version 2 fields: FACS appearance changes (Ekman, Friesen & Hager 2002; Cohn, Ambadar &
# Ekman 2007), where the first fields left out part of an AU's movement --------------------------
def _nose_side(g: _Geometry) -> np.ndarray:
    """Skin beside the nose (the infraorbital triangle's lower part), not the lips or the eyes."""
    P = g.P
    return _pair(P, 0.24, g.eye_v + 0.45, 0.12, 0.14) * (~_UPPER_LIPS & ~_LOWER_LIPS & ~_LOWER_LID & ~_UPPER_LID)


def _brow_lowering(g: _Geometry, amount: float, together: float, cu: float, su: float,
                   room: float) -> np.ndarray:
    """The brows and the forehead above them move ``amount`` IOD down and ``together`` towards the
    midline (strongest within ``su`` of u = +-``cu``), the lid skin between each brow's lower edge
    and the upper-lid margin compressing linearly (the lowered brow pushes the lid fold down,
    FACS), nothing at or below the margin moving. The lowering is capped at ``room`` of that
    face's own brow-to-margin gap: a brow pushed past the lashes folds the lid skin over the eye
    (the warp then draws the eye as a dark streak)."""
    P = g.P
    u, v = P[:, 0], P[:, 1]
    edges = []
    for brow, contour in ((lm.RIGHT_BROW, lm.RIGHT_EYE), (lm.LEFT_BROW, lm.LEFT_EYE)):
        lower = list(brow[5:])
        margin = list(contour[8:]) + [contour[0]]
        edges.append((P[lower], P[margin]))
    lo_pts = np.concatenate([e[0] for e in edges])
    mg_pts = np.concatenate([e[1] for e in edges])
    o1, o2 = np.argsort(lo_pts[:, 0]), np.argsort(mg_pts[:, 0])
    # both curves smoothed along u (a polyline through 5 brow / 8 lid points has kinks that shear
    # the compressed lid skin into folds)
    grid = np.linspace(-1.5, 1.5, 301)
    kernel = np.exp(-0.5 * (np.arange(-12, 13) * 0.01 / 0.04) ** 2)
    kernel /= kernel.sum()

    def smooth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        c = np.convolve(np.pad(np.interp(grid, x, y), 12, mode="edge"), kernel, mode="valid")
        return np.interp(u, grid, c)
    brow_lo = smooth(lo_pts[o1, 0], lo_pts[o1, 1])
    lid = np.minimum(smooth(mg_pts[o2, 0], mg_pts[o2, 1]), np.interp(u, mg_pts[o2, 0], mg_pts[o2, 1]))
    gap = np.maximum(lid - brow_lo, 0.0)
    lateral = np.exp(-0.5 * ((np.abs(u) - cu) / su) ** 2) * (np.abs(u) < 1.2)
    drop = np.minimum(amount * lateral, room * gap)
    vert = np.where(v <= brow_lo, np.exp(-0.5 * ((brow_lo - v) / 0.35) ** 2),
                    np.clip((lid - v) / np.maximum(gap, 1e-6), 0.0, 1.0))
    vert = np.where(_UPPER_LID | _LOWER_LID | (v >= lid), 0.0, vert)
    d = np.zeros_like(P)
    d[:, 1] = drop * vert
    d[:, 0] = -together * g.side() * lateral * vert * np.clip(np.abs(u) / 0.1, 0.0, 1.0)
    return d


def au4_v2(g: _Geometry) -> np.ndarray:   # brow lowerer: down, together, pressing the upper lids
    """FACS: lowers the brows and pulls them together, the lid fold pushed down (the eye looks
    hooded), vertical furrows between the brows (shading layer); the upper lid pressed a little.
    The corrugator and depressor supercilii pull the brows' *inner* heads down and together most,
    so the lowering peaks at u = +-0.3 (sigma 0.3, up to 0.42 IOD): the oblique V of anger, the
    outer ends lowered about a third as much (the flat lowering before, peak at u = +-0.35 with
    sigma 0.35: FER2013 read 19 of 48 tuning-face anger draws as angry, the V 24)."""
    d = _brow_lowering(g, 0.42, 0.06, cu=0.3, su=0.3, room=0.9)
    d[_UPPER_LID, 1] += 0.015 * _lid_profile(g, _UPPER_LID)[_UPPER_LID]
    return d


def au5_v2(g: _Geometry) -> np.ndarray:   # upper lid raiser: white shows above the iris
    """Upper lid margin up 0.09 over the pupil, the lid skin above compressing with it
    (``_upper_lid_lift``), but at most 45 % of each eye's own opening: the margin is lashes, and
    a narrow (e.g. monolid) eye stretched further shows a dark smear, not sclera."""
    P = g.P
    amounts = []
    for contour in (lm.RIGHT_EYE, lm.LEFT_EYE):
        opening = float(P[list(contour[3:6]), 1].mean() - P[list(contour[11:14]), 1].mean())
        amounts.append(min(0.09, 0.45 * max(opening, 0.0)))
    return _upper_lid_lift(g, tuple(amounts))


def au7_v2(g: _Geometry) -> np.ndarray:   # lid tightener: lower lid up and straightened
    d = np.zeros_like(g.P)
    d[:, 1] = -0.06 * _lid_profile(g, _LOWER_LID) + 0.02 * _lid_profile(g, _UPPER_LID)
    return d


def au9_v2(g: _Geometry) -> np.ndarray:   # nose wrinkler
    """FACS: pulls the skin along the sides of the nose up towards the root, raises the nose wings
    and the infraorbital triangle (narrowing the eyes from below), lowers the medial brows and
    raises the centre of the upper lip."""
    P = g.P
    d = np.zeros_like(P)
    d[_NOSE_WINGS, 1] = -0.08
    d[:, 1] += -0.05 * _nose_side(g) * ~_NOSE_WINGS
    bridge = _mask((195, 5, 4, 1, 19, 94, 2, 164, 197))
    d[bridge, 1] += -0.015
    d[:, 1] += -0.035 * _lid_profile(g, _LOWER_LID)
    d[_UPPER_LIPS, 1] = -0.05 * g.lip_profile(P[_UPPER_LIPS, 0], 0.35)
    d += _brow_field(g, 0.2, 0.08, 0.03, 0.15)
    return d


def _angular_profile(g: _Geometry, u: np.ndarray, floor: float) -> np.ndarray:
    """1 over the middle half of the mouth, down to ``floor`` at the corners (AU10's squared lip)."""
    x = np.clip(np.abs(u - g.mouth_u) / g.half_width, 0.0, 1.0)
    return floor + (1.0 - floor) * (1.0 - _smoothstep((x - 0.35) / 0.65))


def au10_v2(g: _Geometry) -> np.ndarray:  # upper lip raiser
    """FACS: raises the upper lip (its centre most, giving it an angular shape), deepens the
    nasolabial furrow and raises the nose wings and the skin beside them a little."""
    P = g.P
    d = np.zeros_like(P)
    d[_UPPER_LIPS, 1] = -0.12 * _angular_profile(g, P[_UPPER_LIPS, 0], 0.25)
    d[_NOSE_WINGS, 1] = -0.035
    d[:, 1] += -0.025 * _nose_side(g) * ~_NOSE_WINGS
    d[_CORNERS, 1] += -0.015
    return d


def au11(g: _Geometry) -> np.ndarray:     # nasolabial deepener: mostly shading (appearance layer)
    P = g.P
    d = np.zeros_like(P)
    d[_UPPER_LIPS, 1] = -0.025 * (1.0 - g.lip_profile(P[_UPPER_LIPS, 0], 0.0))
    d[:, 1] += -0.025 * _pair(P, 0.4, g.mouth_v - 0.2, 0.1, 0.12) * ~_UPPER_LIPS
    return d


def au15_v2(g: _Geometry) -> np.ndarray:  # lip corner depressor
    d = _corner_field(g, 0.02, 0.15, 0.15)
    P = g.P
    d[_LOWER_LIPS, 1] += 0.03 * (1.0 - g.lip_profile(P[_LOWER_LIPS, 0], 0.0))
    return d


def au16_v2(g: _Geometry) -> np.ndarray:  # lower lip depressor: down, flattened, stretched
    P = g.P
    d = np.zeros_like(P)
    d[_LOWER_LIPS, 1] = 0.12 * _angular_profile(g, P[_LOWER_LIPS, 0], 0.3)
    d[_CHIN, 1] = 0.03
    d += _corner_field(g, 0.03, 0.01, 0.12)
    return d


def au1_v2(g: _Geometry) -> np.ndarray:   # inner brow raiser
    """Inner brows up, and the inner part of the upper lids with them (FACS: AU1 can pull the
    medial upper lid up, the slanted lid of sadness)."""
    d = _brow_field(g, 0.22, -0.17, 0.0, 0.16, smooth_lid=True)
    P = g.P
    medial = np.clip(1.0 - (np.abs(P[:, 0]) - 0.3) / 0.25, 0.0, 1.0) * (np.abs(P[:, 0]) < 0.55)
    d += _upper_lid_lift(g, 0.02) * medial[:, None]
    return d


def au2_v2(g: _Geometry) -> np.ndarray:   # outer brow raiser: the arched brow
    return _brow_field(g, 0.62, -0.16, 0.0, 0.18, smooth_lid=True)


def au6_v2(g: _Geometry) -> np.ndarray:   # cheek raiser: stronger lift, narrowed eyes
    return 1.2 * au6(g)


def au12_v2(g: _Geometry) -> np.ndarray:  # lip corner puller: up and back, the upper lip off the teeth
    d = _corner_field(g, 0.15, -0.2)
    d[_UPPER_LIPS, 1] += -0.06 * g.lip_profile(g.P[_UPPER_LIPS, 0], 0.0)
    d += 0.6 * au6(g) * (g.P[:, 1] > g.eye_v + 0.2)[:, None]
    return d


def au20_v2(g: _Geometry) -> np.ndarray:  # lip stretcher: corners out and a little down, lips flattened
    """FACS: pulls the lip corners laterally (and, with the platysma, somewhat down), elongating and
    flattening the lips; the stretched lower lip is pulled down off the lower teeth."""
    d = _corner_field(g, 0.20, 0.08, 0.2)
    P = g.P
    flat = 1.0 - g.lip_profile(P[:, 0], 0.0)           # the lips' lateral parts follow the corners
    d[_LOWER_LIPS, 1] += 0.06 * g.lip_profile(P[_LOWER_LIPS, 0], 0.0)   # lower lip pulled tight, down
    d[_UPPER_LIPS, 1] += 0.01 * flat[_UPPER_LIPS]
    return d


def au23_v2(g: _Geometry) -> np.ndarray:  # lip tightener: narrower, thinner lips
    d = _corner_field(g, -0.08, 0.0, 0.15)
    d[_mask(OUTER_UPPER_LIP[1:-1]), 1] += 0.03
    d[_mask(OUTER_LOWER_LIP[1:-1]), 1] -= 0.03
    return d


def au26_v2(g: _Geometry) -> np.ndarray:  # jaw drop: a rounder oval
    return _jaw(g, 0.36) + _corner_field(g, -0.08, 0.0, 0.12)


def _below_nose(fn: Callable[[_Geometry], np.ndarray]) -> Callable[[_Geometry], np.ndarray]:
    """Version 2 of a mouth AU's field: nothing at or above the nose tip moves (the corner fields'
    Gaussian tails reached the nose wings: a lip stretcher moved the nose by up to 0.03 IOD)."""
    def field(g: _Geometry) -> np.ndarray:
        w = _smoothstep((g.P[:, 1] - g.nose_v) / 0.12)
        return fn(g) * w[:, None]

    field.__name__ = f"{fn.__name__}_below_nose"
    field.__doc__ = fn.__doc__
    return field


# The mesh's lips are four nested rings per lip (outer contour, two intermediate rings, inner
# contour), each 11 points from the image-left corner to the image-right corner.
UPPER_LIP_RINGS = ((61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291),
                   (76, 184, 74, 73, 72, 11, 302, 303, 304, 408, 306),
                   (62, 183, 42, 41, 38, 12, 268, 271, 272, 407, 292),
                   (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308))
LOWER_LIP_RINGS = ((61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291),
                   (76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306),
                   (62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292),
                   (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308))


def band_lips(P: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``d`` (478, 2) with the intermediate lip rings set between their outer and inner contour
    points, by where they sit between them on the face ``P`` (in place; returns ``d``)."""
    for rings in (UPPER_LIP_RINGS, LOWER_LIP_RINGS):
        outer, inner = np.array(rings[0]), np.array(rings[3])
        span = P[inner] - P[outer]
        n2 = np.maximum((span ** 2).sum(1), 1e-9)
        for ring in rings[1:3]:
            mid = np.array(ring)
            t = np.clip(((P[mid] - P[outer]) * span).sum(1) / n2, 0.0, 1.0)[:, None]
            d[mid] = (1.0 - t) * d[outer] + t * d[inner]
    return d


def _lip_bands(fn: Callable[[_Geometry], np.ndarray]) -> Callable[[_Geometry], np.ndarray]:
    """Version 2: the two intermediate lip rings move with the lip, interpolated between the outer
    and inner contour by where they sit between them on the reference. The fields move the
    contours (``_UPPER_LIPS`` / ``_LOWER_LIPS``); intermediate points left behind folded the lip
    triangles over each other (a jaw drop inverted 13 triangles on grace_hopper), which the
    warp renders as a jagged seam of mirrored pixels."""
    def field(g: _Geometry) -> np.ndarray:
        return band_lips(g.P, fn(g))

    field.__name__ = fn.__name__
    field.__doc__ = fn.__doc__
    return field


AU_FIELDS: dict[int, Callable[[_Geometry], np.ndarray]] = {au: _lip_bands(fn) for au, fn in {
    **AU_FIELDS_V1, 1: au1_v2, 2: au2_v2, 4: au4_v2, 5: au5_v2, 6: au6_v2, 7: au7_v2, 9: au9_v2, 10: au10_v2,
    11: au11, 12: au12_v2, 15: _below_nose(au15_v2), 16: _below_nose(au16_v2), 20: _below_nose(au20_v2),
    23: _below_nose(au23_v2), 24: _below_nose(au24), 26: _below_nose(au26_v2), 27: _below_nose(au27),
}.items()}
"""Version 2 fields (``WarpConfig.version = 2``, the default)."""
SUPPORTED_AUS: tuple[int, ...] = tuple(sorted(AU_FIELDS))
MAX_INTENSITY = 5.0


def check_aus(aus: dict[int, float]) -> dict[int, float]:
    """Validate a {AU: intensity 0..5} mapping; unknown AUs are an error naming the supported ones."""
    out = {}
    for au, val in aus.items():
        au = int(au)
        if au not in AU_FIELDS:
            raise ValueError(f"AU{au} has no displacement field; supported: {list(SUPPORTED_AUS)}")
        val = float(val)
        if not 0.0 <= val <= MAX_INTENSITY:
            raise ValueError(f"AU{au} intensity {val} outside 0..{MAX_INTENSITY:g}")
        out[au] = val
    return out


class AUMotionModel:
    """Displacement bases (pixels per unit of FACS intensity) for one reference face."""

    def __init__(self, points: np.ndarray, fields: dict[int, Callable] | None = None):
        self.fields = AU_FIELDS if fields is None else fields
        if points.shape != (N_POINTS, 2):
            raise ValueError(f"expected ({N_POINTS}, 2) landmarks, got {points.shape}")
        self.points = points.astype(np.float64)
        self.frame = FaceFrame.from_landmarks(self.points)
        self.face_points = self.frame.to_face(self.points)
        self._geom = _Geometry(self.face_points)
        self._basis: dict[int | str, np.ndarray] = {}
        # where AU1 cancels AU4's lowering: everywhere (version 1); version 2 only medially, so
        # 1+4 without AU2 leaves the outer brows lowered: the oblique brow of sadness
        u = np.abs(self.face_points[:, 0])
        self._medial = (np.ones(len(u)) if self.fields is AU_FIELDS_V1
                        else np.clip(1.0 - (u - 0.25) / 0.35, 0.0, 1.0))

    def basis(self, au: int) -> np.ndarray:
        """(478, 2) pixel displacement of AU ``au`` per unit intensity."""
        if au not in self._basis:
            field = self.fields[au](self._geom) / MAX_INTENSITY
            self._basis[au] = self.frame.vec_to_image(field)
        return self._basis[au]

    def displacement(self, aus: dict[int, float]) -> np.ndarray:
        """Sum of AU fields at the given (possibly negative) intensities, pixels (478, 2).

        One interaction, from FACS: AU1+4 raises the inner brows *and* draws them together (the
        fear / sadness brow). AU4's lowering is cancelled by as much AU1 as is present, keeping
        its drawing-together; without this, 1+2+4 cancelled to a flat, lowered brow and the FER
        network read fear renders as neutral (p(fear) 0.19 -> 0.47 on grace_hopper when AU4 did
        not lower the brows).
        """
        d = np.zeros_like(self.points)
        for au, val in aus.items():
            if val:
                d += val * self.basis(au)
        medial = min(aus.get(1, 0.0), aus.get(4, 0.0))
        # version 2: AU2 does the same laterally (1+2+4, fear: the whole brow raised and drawn
        # together, flattened, not lowered); without AU2 the outer brow stays lowered (1+4, sadness)
        lateral = min(aus.get(2, 0.0), aus.get(4, 0.0)) if self.fields is not AU_FIELDS_V1 else 0.0
        if medial > 0 or lateral > 0:
            if "au4_lowering" not in self._basis:
                lowering = self.basis(4).copy()
                lowering -= np.outer(lowering @ self.frame.ex, self.frame.ex)   # drop the drawing-together
                self._basis["au4_lowering"] = lowering
            cancel = medial * self._medial + lateral * (1.0 - self._medial)
            d -= self._basis["au4_lowering"] * cancel[:, None]
        return d


# --- neutralising an expression already on the reference ---------------------------------
# Neutral-face geometry in IOD units (eye-centre distance). A relaxed mouth's corners sit at
# about the height of the inner-lip midline (grace_hopper, neutral: +0.003) and the mouth is
# ~0.85-0.9 IOD wide (grace_hopper: 0.86); the smiling astronaut measures lift 0.156, width 1.02.
@dataclass(frozen=True)
class NeutralShape:
    """The neutral mouth a smile is measured against and how much cheek goes with it."""

    corner_lift: float = 0.02    # IOD; a smile is removed down to corners this far above the lip midline
    mouth_width: float = 0.90    # IOD
    au6_per_au12: float = 0.7    # AU6 removed per unit of AU12 removed (a Duchenne smile raises the cheeks)
    detect_lift: float = 0.02    # a smile is only *detected* above this lift or ``mouth_width``
    lip_bands: bool = False      # close a mouth moving the intermediate lip rings with the lips (``band_lips``)


NEUTRAL_V1 = NeutralShape()
NEUTRAL_V2 = NeutralShape(corner_lift=-0.01, au6_per_au12=1.0, lip_bands=True)
"""Version 2 removes a detected smile down to a little below the midline and takes more cheek with
it: measured on the three smiling TUNING faces with FER2013, a de-smiled face with the corners left
at +0.02 still read happy (0.40 / 0.37 / 0.14), at -0.01 with 1.0 x AU6 0.13 / 0.21 / 0.10. A
neutral face (grace_hopper: lift +0.003, width 0.86) is not touched."""
NEUTRAL_CORNER_LIFT = NEUTRAL_V1.corner_lift
NEUTRAL_MOUTH_WIDTH = NEUTRAL_V1.mouth_width
SMILE_AU6 = NEUTRAL_V1.au6_per_au12
MAX_NEUTRALISE = 8.0                         # a broad smile needs more than one "E" of AU12


@dataclass(frozen=True)
class MouthState:
    corner_lift: float   # IOD units; > 0 = corners above the lip midline (a smile)
    width: float         # corner-to-corner distance, IOD units
    opening: float       # inner-lip gap at the mouth centre, IOD units


def mouth_state(points: np.ndarray) -> MouthState:
    """Smile and mouth opening measured from landmark geometry (in IOD units)."""
    P = FaceFrame.from_landmarks(points).to_face(points)
    mid_v = 0.5 * (P[13, 1] + P[14, 1])
    lift = mid_v - 0.5 * (P[61, 1] + P[291, 1])
    width = abs(P[291, 0] - P[61, 0])
    gap = float(np.mean(P[[87, 14, 317], 1] - P[[82, 13, 312], 1]))
    return MouthState(float(lift), float(width), max(gap, 0.0))


def smile_intensity(model: AUMotionModel, neutral: NeutralShape = NEUTRAL_V1) -> float:
    """AU12 intensity that explains the reference's smile: the larger of its corner-lift and
    widening excesses over the neutral shape, each divided by what one unit of this face's AU12
    field produces (measured by applying the field)."""
    state = mouth_state(model.points)
    if state.corner_lift <= neutral.detect_lift and state.width <= neutral.mouth_width:
        return 0.0
    unit = mouth_state(model.points + model.basis(12))
    lift = max(state.corner_lift - neutral.corner_lift, 0.0) / max(unit.corner_lift - state.corner_lift, 1e-6)
    widen = max(state.width - neutral.mouth_width, 0.0) / max(unit.width - state.width, 1e-6)
    return float(min(max(lift, widen), MAX_NEUTRALISE))


def close_mouth_field(model: AUMotionModel, base: np.ndarray, lip_bands: bool = False) -> np.ndarray:
    """Pixel displacement, added to ``base``, that closes an open mouth: the jaw (outer lower
    lip, chin) comes up by the mean gap and each inner lower-lip point lands exactly on its
    upper-lip partner *as displaced by* ``base`` (so the lips meet and never cross)."""
    g, P = model._geom, model.face_points
    upper, lower = list(INNER_UPPER_LIP[1:-1]), list(INNER_LOWER_LIP[1:-1])
    gap = float(np.mean(P[lower, 1] - P[upper, 1]))
    d = model.frame.vec_to_image(_jaw(g, -max(gap, 0.0)))
    pts = model.points
    d[lower] = (pts[upper] + base[upper]) - (pts[lower] + base[lower])
    if lip_bands:   # version 2: the outer lower lip follows the jaw, the rings between follow both
        band_lips(model.face_points, d)
    return d


def neutralising(model: AUMotionModel, enabled: bool = True,
                 neutral: NeutralShape = NEUTRAL_V1) -> tuple[np.ndarray, dict[str, float]]:
    """Displacement (478, 2 pixels) taking a smile / open mouth off the reference, and a record.

    The smile is removed with negative AU12 scaled to the measured excess over the neutral shape;
    an open mouth is closed point by point (``close_mouth_field``).
    """
    disp = np.zeros_like(model.points)
    if not enabled:
        return disp, {}
    state = mouth_state(model.points)
    info: dict[str, float] = {}
    smile = smile_intensity(model, neutral)
    if smile > 0.25:
        # a smile raises the cheeks too (AU6, Duchenne): lower them with it
        disp += -smile * model.basis(12) - neutral.au6_per_au12 * smile * model.basis(6)
        info["au12"] = -round(smile, 3)
        info["au6"] = -round(neutral.au6_per_au12 * smile, 3)
    if state.opening > 0.01:
        disp += close_mouth_field(model, disp, neutral.lip_bands)
        info["mouth_opening_iod"] = round(state.opening, 4)
    return disp, info


# --- blinks (AU45) -----------------------------------------------------------------------------
_EYES = ((lm.RIGHT_EYE, lm.RIGHT_IRIS), (lm.LEFT_EYE, lm.LEFT_IRIS))
BLINK_MEET = 0.8
"""Where the lids meet in a blink, as a fraction of the lid gap from the upper lid (the upper lid
does most of the closing; the lower lid rises a little)."""


def blink_displacement(points: np.ndarray, closure: float) -> np.ndarray:
    """(478, 2) pixel displacement that closes both eyes by ``closure`` in [0, 1] (AU45), from the
    current lid positions (so a blink also closes an eye widened by AU5): the lid margins, and
    everything between them (iris), move onto the meeting line; the lid skin up to 0.15 IOD above
    the upper margin follows with a linear falloff."""
    d = np.zeros_like(points, dtype=np.float64)
    if closure <= 0:
        return d
    frame = FaceFrame.from_landmarks(points)
    P = frame.to_face(points)
    disp_v = np.zeros(len(P))
    for contour, _iris in _EYES:
        up = np.array(contour[8:] + contour[:1])          # inner corner -> upper lid -> outer corner
        lo = np.array(contour[:9])                         # outer corner -> lower lid -> inner corner
        o1, o2 = np.argsort(P[up, 0]), np.argsort(P[lo, 0])
        u = P[:, 0]
        top = np.interp(u, P[up, 0][o1], P[up, 1][o1])
        bottom = np.interp(u, P[lo, 0][o2], P[lo, 1][o2])
        meet = top + BLINK_MEET * (bottom - top)
        inside = (u >= P[up, 0].min()) & (u <= P[up, 0].max())
        margin = np.zeros(len(P), bool)
        margin[list(contour[1:8]) + list(contour[9:])] = True
        between = inside & (margin | ((P[:, 1] > top) & (P[:, 1] < bottom)))
        skin = inside & ~between & (P[:, 1] <= top) & (P[:, 1] > top - 0.15)
        disp_v = np.where(between, meet - P[:, 1], disp_v)
        disp_v = np.where(skin, (meet - top) * (1.0 - (top - P[:, 1]) / 0.15), disp_v)
    return np.outer(closure * disp_v, frame.ey) * frame.iod
