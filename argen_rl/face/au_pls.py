"""AU intensities read by inverting py-feat's data-fitted AU + pose -> mesh model (``"pls"``).

Why a second reader: the ``geometric`` estimator's gains were set from the warp generator's own
displacement fields, so a warp clip reads back as it was built (shared DESIGN.md §6). This reader
shares nothing with the generator: its displacement model is py-feat's linear PLS model
``au_to_mesh_pls_v4.npz`` (``face.pls_mesh``; fitted by py-feat on CelebV-HQ faces), and the
generator takes no field from it (``GENERATOR_PLS_AUS`` is empty; the AUs listed there are left
out of every expert vote, see ``voting_aus``).

Per frame (mediapipe's 478 points WITH depth, ``FaceMesh.landmarks(img, depth=True)``):

1. Model frame: the model's mesh is frontal, y up, z towards the viewer, ~81 units between the
   irises. The image points (x, y down, z away from the camera) are turned into it by
   (x, -y, -z) and a 3-D similarity Procrustes fit (rotation + scale + translation, Umeyama) onto
   the model's rest mesh (its intercept: AU = 0, pose = 0) on ``ANCHORS`` (eye corners, nose
   bridge and tip: points expressions barely move). Anchoring on every point instead lets a
   moving mouth drag the whole face: a smile then read as brow lowering (AU4 2.4 on py-feat's
   scale at the apex of single_face.mp4, 0.9 with anchors + the rigid terms of step 3).
2. Observed displacement: with a neutral reference of the same face (a clip's frame 0, the
   default for T > 1) d = aligned(frame) - aligned(reference): identity cancels. A single image
   without a reference is compared with the rest mesh itself (d = aligned - intercept), which
   also reads the person's own face shape as AU activity: single images are coarse (the table
   in docs/face.md shows how coarse).
3. Inversion: d ~= sum_au a_au * F_au + sum_pose p * G_pose + rigid, solved by bounded least
   squares (scipy ``lsq_linear``, BVLS: a >= 0, everything else free) over the ``FIT_POINTS`` in
   3-D. F_au is the model's displacement per unit of AU ``au`` masked to where the AU acts:
   points of the inner face whose displacement is at least ``support`` (0.3) of that AU's largest
   one there. Unmasked, the linear fit puts several AUs' largest moves on the face outline
   (points 93, 234, 323, 454: pose and identity leak into the fit) and on far-away features
   (AU1's field also lowers the upper lip, AU5's raises the chin), so one real movement is
   explained by a mixture of unrelated AUs. G_pose are the model's pitch / yaw / roll inputs
   (how the frontalised mesh still changes with head pose); ``rigid`` is a small residual
   similarity motion (3 translations, 3 small-angle rotations, 1 scale) so that what step 1's
   anchors got slightly wrong is not read as an AU. ``FIT_POINTS`` are the 468 mesh points
   without the face oval (``landmarks.FACE_OVAL``) and without the irises.
4. Scale: py-feat's AU scale is 0..1 (its detector's outputs); 1 = our "E", so intensities are
   a x 5. ``estimate`` clips them to 0..5 (``MAX_INTENSITY``); ``read`` keeps values above 5
   (real, strong expressions reach 1.5 on py-feat's scale: the linear model was fitted on
   detector probabilities that saturate), so experts can still rank strong AUs.

All 20 model AUs are solved together (AUs 11, 14, 23, 24, 28, 43 absorb movements that would
otherwise leak into the 14 reported ones, e.g. a blink is AU43); ``estimate`` reports
``AU_SET``'s 14 and ``read`` all 20 plus the pose terms.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from argen_rl.face import landmarks as L
from argen_rl.face.au import AU_SET, MAX_INTENSITY
from argen_rl.face.landmarks import FaceMesh
from argen_rl.face.pls_mesh import GENERATOR_PLS_AUS, PLSMeshModel, load_pls_mesh

PYFEAT_TO_FACS = MAX_INTENSITY        # py-feat 1.0 = FACS "E" = 5 on our scale
SUPPORT = 0.3                         # share of an AU's largest inner displacement kept in its mask
FIT_POINTS: tuple[int, ...] = tuple(i for i in range(468) if i not in set(L.FACE_OVAL))
ANCHORS: tuple[int, ...] = tuple(L.STABLE_POINTS) + (L.NOSE_TIP, 4, 5)
N_RIGID = 7                           # 3 translations, 3 small rotations, 1 scale
_IMAGE_TO_MODEL = np.array([1.0, -1.0, -1.0])   # image (x right, y down, z away) -> model (y up, z to viewer)


def voting_aus(au_set: tuple[int, ...] = AU_SET) -> tuple[int, ...]:
    """The AUs an expert may vote with: ``au_set`` minus the generator's PLS AUs (module docstring)."""
    return tuple(au for au in au_set if au not in GENERATOR_PLS_AUS)


def procrustes(src: np.ndarray, dst: np.ndarray, idx) -> np.ndarray:
    """All of ``src`` (N, D) mapped by the similarity transform that best fits src[idx] onto dst[idx]."""
    a, b = src[list(idx)], dst[list(idx)]
    ma, mb = a.mean(0), b.mean(0)
    a0, b0 = a - ma, b - mb
    u, s, vt = np.linalg.svd(b0.T @ a0 / len(a))
    sign = np.ones(src.shape[1])
    sign[-1] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ np.diag(sign) @ vt
    scale = float((s * sign).sum() / a0.var(0).sum())
    return (src - ma) @ (scale * rot).T + mb


@dataclass(frozen=True)
class PLSReading:
    """What the inversion found, per frame (NaN rows: no face)."""

    aus: np.ndarray          # (T, 20) intensities >= 0 (5 = py-feat 1.0, not clipped), ``pls_aus`` order
    pose: np.ndarray         # (T, 3) the model's pitch / yaw / roll terms (change vs the reference)
    residual: np.ndarray     # (T,) RMS of what the model did not explain, in IOD units


@functools.lru_cache(maxsize=4)
def _design(support: float) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """(3P, 20 + 3 + 7) design matrix on FIT_POINTS (masked AU fields, pose, rigid motion), the
    rest mesh, the AUs."""
    m: PLSMeshModel = load_pls_mesh()
    pts = np.asarray(FIT_POINTS)
    cols = []
    for i, _au in enumerate(m.aus):
        field = m.coef[i][pts]
        size = np.linalg.norm(field, axis=1)
        cols.append(np.where((size >= support * size.max())[:, None], field, 0.0).ravel())
    for i in range(len(m.aus), len(m.coef)):
        cols.append(m.coef[i][pts].ravel())
    rest = np.asarray(m.intercept)
    c = rest[pts] - rest[pts].mean(0)
    scale = float(np.linalg.norm(rest[L.RIGHT_IRIS[0]] - rest[L.LEFT_IRIS[0]]))
    for k in range(3):                                   # translations
        cols.append(np.tile(np.eye(3)[k], (len(pts), 1)).ravel())
    for k in range(3):                                   # small rotations about the centroid
        cols.append(np.cross(np.eye(3)[k], c).ravel() / scale)
    cols.append(c.ravel() / scale)                       # scale
    return np.stack(cols, 1), rest, m.aus


class PLSAUEstimator:
    """py-feat's PLS mesh model inverted by non-negative least squares (module docstring)."""

    name = "pls"
    au_set = AU_SET

    def __init__(self, support: float = SUPPORT) -> None:
        from scipy.optimize import lsq_linear

        self._lsq = lsq_linear
        self.X, self.rest, self.pls_aus = _design(support)
        # ||X a - y|| = ||R a - Q'y|| + const (X = QR): the bounded solve runs on 30 x 30
        self._Q, self._R = np.linalg.qr(self.X)
        self.n_aus = len(self.pls_aus)
        self._cols = [self.pls_aus.index(au) for au in AU_SET]
        self._lb = np.r_[np.zeros(self.n_aus), np.full(self.X.shape[1] - self.n_aus, -np.inf)]
        self._pose = slice(self.n_aus, self.X.shape[1] - N_RIGID)
        self._ub = np.full(self.X.shape[1], np.inf)
        iris = self.rest[L.RIGHT_IRIS[0]] - self.rest[L.LEFT_IRIS[0]]
        self.iod = float(np.linalg.norm(iris))
        self.mesh = FaceMesh()

    # -- geometry ------------------------------------------------------------------------------
    def align(self, lm: np.ndarray) -> np.ndarray:
        """(478, 3) image landmarks (x, y, depth) -> the model frame (module docstring, step 1)."""
        return procrustes(np.asarray(lm, np.float64) * _IMAGE_TO_MODEL, self.rest, ANCHORS)

    def solve(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """(478, 3) model-frame displacement -> (20 AU intensities >= 0, 3 pose terms, RMS residual IOD)."""
        y = d[list(FIT_POINTS)].ravel()
        r = self._lsq(self._R, self._Q.T @ y, bounds=(self._lb, self._ub), method="bvls")
        res = float(np.sqrt(np.mean((self.X @ r.x - y) ** 2) * 3) / self.iod)
        return np.maximum(r.x[:self.n_aus], 0.0) * PYFEAT_TO_FACS, r.x[self._pose], res

    # -- readers -------------------------------------------------------------------------------
    def read_landmarks(self, lm: np.ndarray, ref_lm: np.ndarray | None) -> PLSReading:
        """(T, 478, 3) landmarks with depth (NaN rows = no face) and a (478, 3) neutral reference of
        the same face, or None for readings against the model's rest mesh."""
        lm = np.asarray(lm, dtype=np.float64)
        if lm.ndim == 2:
            lm = lm[None]
        if lm.ndim != 3 or lm.shape[1:] != (L.N_LANDMARKS, 3):
            raise ValueError(f"the pls AU reader needs landmarks with depth (T, 478, 3) "
                             f"(FaceMesh.landmarks(img, depth=True)), got {lm.shape}")
        base = self.rest
        if ref_lm is not None:
            ref_lm = np.asarray(ref_lm, dtype=np.float64)
            if ref_lm.shape != (L.N_LANDMARKS, 3) or not np.isfinite(ref_lm).all():
                raise ValueError(f"expected a finite (478, 3) reference with depth, got {ref_lm.shape}")
            base = self.align(ref_lm)
        T = len(lm)
        aus = np.full((T, self.n_aus), np.nan, np.float32)
        pose = np.full((T, 3), np.nan, np.float32)
        res = np.full(T, np.nan, np.float32)
        for t, pts in enumerate(lm):
            if np.isfinite(pts).all():
                aus[t], pose[t], res[t] = self.solve(self.align(pts) - base)
        return PLSReading(aus, pose, res)

    def read(self, frames: np.ndarray, reference: np.ndarray | None = None) -> PLSReading:
        """(T, H, W, 3) uint8 frames of ONE video (or one HxWx3 image). ``reference``: None (the
        first frame with a face for T > 1; the model's rest mesh for one image), an HxWx3 image
        of the same face, or its (478, 3) landmarks with depth."""
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected frames (T, H, W, 3), got {frames.shape}")
        lm = self.mesh.landmarks_video(frames, depth=True)
        return self.read_landmarks(lm, self._reference(reference, lm))

    def _reference(self, reference, lm: np.ndarray) -> np.ndarray | None:
        if reference is None:
            if len(lm) == 1:
                return None
            found = np.flatnonzero(np.isfinite(lm).all(axis=(1, 2)))
            if not len(found):
                return None
            return lm[found[0]]
        reference = np.asarray(reference)
        if reference.shape == (L.N_LANDMARKS, 3) and reference.dtype != np.uint8:
            return reference
        if reference.ndim == 3 and reference.shape[-1] == 3:
            ref = self.mesh.landmarks(reference, depth=True)
            if ref is None:
                raise ValueError("no face found in the reference image")
            return ref
        raise ValueError(f"reference must be an HxWx3 image or (478, 3) landmarks with depth, got {reference.shape}")

    # -- the AUEstimator protocol (au.py) --------------------------------------------------------
    def estimate(self, frames: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 -> (T, 14) intensities 0..5 in AU_SET order; NaN rows where no face."""
        return np.clip(self.read(frames, reference).aus[:, self._cols], 0.0, MAX_INTENSITY)

    def estimate_from_landmarks(self, lm: np.ndarray, ref_lm: np.ndarray | None) -> np.ndarray:
        """(T, 478, 3) landmarks with depth and a (478, 3) reference (None: the rest mesh) -> (T, 14)."""
        return np.clip(self.read_landmarks(lm, ref_lm).aus[:, self._cols], 0.0, MAX_INTENSITY)
