"""The data-driven AU prior (py-feat's PLS AU -> mesh model) next to the hand-made AU fields.

``argen_rl.face.pls_mesh.load_pls_mesh()`` is py-feat 2.1.5's linear model from 20 AU intensities
(+ pose) to the 478 MediaPipe points, fitted on CelebV-HQ. Here its per-AU displacement is put in
the warp generator's face frame (u right, v down, unit = inter-ocular distance of the model's own
mean mesh), masked to the AU's region (``au_region_map.json``), and compared with the hand-made
(FACS-literature) field of ``generation.au_motion`` evaluated on the same mean mesh:

- ``cosine``: direction cosine of the two displacement fields over the region's points (2-D);
- ``ratio``: RMS magnitude hand-made (FACS intensity 5) / PLS (py-feat intensity 1), same points;
- ``in_region``: share of the PLS displacement energy that falls inside the region (the rest is
  the pose / identity leak the issue measured on the face outline).

``pls_field(au)`` is the masked PLS field scaled to FACS intensity 5 (py-feat's 1.0 = our E), in
the form ``au_motion.AUMotionModel`` takes, so a generator can be built with it for a rendering
comparison. The default generator takes a field from PLS only for the AUs listed in
``face.pls_mesh.GENERATOR_PLS_AUS`` (the AU reader of the rewards does not vote with those).

    python -m argen_rl.generation.pls_prior        # prints the comparison table
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from argen_rl.face.pls_mesh import load_pls_mesh
from argen_rl.generation.au_motion import AU_FIELDS, FaceFrame, _Geometry

N_POINTS = 478


@functools.lru_cache(maxsize=1)
def _mean_frame() -> tuple[np.ndarray, float]:
    """The PLS model's rest mesh in image-like 2-D (x right, y down) and its IOD."""
    m = load_pls_mesh()
    xy = m.intercept[:, :2] * np.array([1.0, -1.0])        # the model's y points up
    return xy, FaceFrame.from_landmarks(xy).iod


def pls_face_displacement(au: int, masked: bool = True) -> np.ndarray:
    """(478, 2) PLS displacement of AU ``au`` at py-feat intensity 1, face-frame IOD units."""
    m = load_pls_mesh()
    xy, iod = _mean_frame()
    d = m.displacement(au)[:, :2] * np.array([1.0, -1.0]) / iod
    if masked:
        region = m.region(au)
        if region is None:
            raise KeyError(f"AU{au} has no region in au_region_map.json")
        keep = np.zeros(N_POINTS, bool)
        keep[region] = True
        d = np.where(keep[:, None], d, 0.0)
    return d


def pls_field(au: int) -> Callable[[_Geometry], np.ndarray]:
    """A field function (au_motion's signature: face-frame displacement at intensity 5) from the
    masked PLS model; the same per-vertex displacement on every face, in IOD units."""
    d = pls_face_displacement(au)

    def field(g: _Geometry) -> np.ndarray:
        return d.copy()

    field.__name__ = f"pls_au{au}"
    return field


def comparable_aus() -> list[int]:
    """AUs with a hand-made field, a PLS coefficient and a PLS region."""
    m = load_pls_mesh()
    return sorted(au for au in AU_FIELDS if au in m.aus and m.region(au) is not None)


@dataclass(frozen=True)
class FieldComparison:
    au: int
    region_points: int
    cosine: float
    ratio: float
    hand_rms: float       # IOD, hand-made field at FACS 5, region points
    pls_rms: float        # IOD, PLS at py-feat 1, region points
    in_region: float      # share of the PLS energy inside the region


def compare(au: int, fields: dict[int, Callable] | None = None) -> FieldComparison:
    m = load_pls_mesh()
    xy, _ = _mean_frame()
    frame = FaceFrame.from_landmarks(xy)
    hand = (fields or AU_FIELDS)[au](_Geometry(frame.to_face(xy)))
    full = pls_face_displacement(au, masked=False)
    region = m.region(au)
    h, p = hand[region].ravel(), full[region].ravel()
    cos = float(h @ p / max(np.linalg.norm(h) * np.linalg.norm(p), 1e-12))
    h_rms = float(np.sqrt((hand[region] ** 2).sum(1).mean()))
    p_rms = float(np.sqrt((full[region] ** 2).sum(1).mean()))
    energy = (full ** 2).sum(1)
    return FieldComparison(au, len(region), cos, h_rms / max(p_rms, 1e-12), h_rms, p_rms,
                           float(energy[region].sum() / max(energy.sum(), 1e-12)))


def comparison_table(fields: dict[int, Callable] | None = None) -> list[str]:
    lines = ["| AU | region points | cosine (hand vs PLS) | hand RMS @E (IOD) | PLS RMS @1 (IOD) | ratio | PLS energy in region |",
             "|---|---|---|---|---|---|---|"]
    for au in comparable_aus():
        c = compare(au, fields)
        lines.append(f"| {au} | {c.region_points} | {c.cosine:+.2f} | {c.hand_rms:.3f} | {c.pls_rms:.3f} | "
                     f"{c.ratio:.1f} | {c.in_region:.0%} |")
    return lines


if __name__ == "__main__":
    for line in comparison_table():
        print(line)
