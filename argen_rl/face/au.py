"""Facial Action Unit intensities (0..5, FACS-like) for ``AU_SET``, three backends.

``pls`` (``face.au_pls``): py-feat's data-fitted AU -> mesh model inverted by non-negative least
squares; shares nothing with the warp generator, so rewards and calibration read AUs with it.

``geometric`` (default, offline): AUs from 478-point mediapipe landmarks measured against a
NEUTRAL REFERENCE of the same face (a video's first frame) or, for a single image, against a
canonical neutral shape (``neutral_reference()``, see below). Per frame:

1. Face frame of the reference: origin midway between the eye centres, u along the eye line
   (image right), v perpendicular (image down), unit = eye-centre distance (IOD). This is the
   same frame as the warp generator's motion model, so lengths here are comparable with it.
2. Each frame is aligned to the reference with a similarity transform (Umeyama least squares)
   on points that expressions barely move (``landmarks.STABLE_POINTS``: the four eye corners and
   the nose bridge), which removes head translation, in-plane rotation and scale.
3. Scalar measurements (``_measures``) are taken on both shapes; their differences
   d = frame - reference, in IOD units, go through a per-measure dead zone (``DEAD_ZONES``: the
   landmark noise of that measure, see below) and are turned into intensities by the per-AU
   formulas below, then clipped to 0..5.

Landmarks come from per-frame detection (mediapipe static mode), not tracking: on 12 identical
frames tracking mode moves the measures by up to 0.055 IOD (the region of interest it derives
from the previous frame differs from the detector's), per-frame detection by exactly 0.

Per-AU formulas (x+ = max(x, 0); heights are measured upwards from the eye-corner line, so a
positive d(height) means "moved up"; d(chin) > 0 means the chin moved down):

  AU1  inner brow raiser    G1  * d(inner_brow_height)+
  AU2  outer brow raiser    G2  * d(outer_brow_height)+
  AU4  brow lowerer         G4  * ( (-d(brow_height))+ + (-d(inner_brow_gap)/2)+ )   down and/or together
  AU5  upper lid raiser     G5  * d(upper_lid_height)+
  AU6  cheek raiser         G6  * d(cheek_height)+
  AU7  lid tightener        G7  * ( d(lower_lid_height) - K67 * d(cheek_height)+ )+  lower-lid rise not due to AU6
  AU9  nose wrinkler  \\     [AU9, AU10] = 5 * M^-1 [d(ala_height), d(upper_lip_height)]  (2x2 unmixing:
  AU10 upper lip raiser /    AU9 lifts the nose wings most, AU10 the upper lip most), each clipped
  AU12 lip corner puller    G12 * lift+,  lift = d(corner_height) + K26 * d(chin)+   (jaw drop lowers corners)
  AU15 lip corner depressor G15 * (-lift)+
  AU17 chin raiser          G17 * (-d(chin))+
  AU20 lip stretcher        G20 * ( d(mouth_half_width) - K1220 * lift+ )+          widening not due to AU12
  AU25 lips part            G25 * d(inner_lip_gap)+
  AU26 jaw drop             G26 * d(chin)+

Gains: each G maps the displacement of a maximal ("E") action to 5. The maximal displacements
(IOD units) are typical FACS magnitudes and equal those of the warp generator's motion fields
(generation/au_motion.py), so a face warped to intensity x reads back near x: inner/outer brow
0.13, brow lowering 0.09 + 0.06 medial, upper lid 0.075, cheek 0.07, lower lid 0.05, corner
lift 0.10, corner depression 0.10, mouth half-width 0.12, chin raise 0.07, lip gap 0.08, chin
drop 0.30.

``canonical neutral``: ``data/neutral_face_478.json`` holds the mesh of matplotlib's
grace_hopper.jpg (a neutral, closed-mouth frontal face), in the face frame above, made left-right
symmetric (averaged with its mirror image; ``build_neutral_reference``). Single images compared
with it also pick up the person's own face shape (brow height, mouth width), so single-image
AUs are coarser than video AUs measured against the same person's first frame.

``pyfeat``: py-feat's Detector (its XGBoost AU model on HOG features; needs its weights in the
local py-feat resource folder, which it otherwise downloads from the HF hub). Outputs are AU
probabilities/intensities in 0..1, reported here x5. It measures each frame on its own (the
reference is not used).
"""
from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from argen_rl.face import landmarks as L
from argen_rl.face.landmarks import FaceMesh

AU_SET: tuple[int, ...] = (1, 2, 4, 5, 6, 7, 9, 10, 12, 15, 17, 20, 25, 26)
MAX_INTENSITY = 5.0
NEUTRAL_FILE = Path(__file__).with_name("data") / "neutral_face_478.json"

# Maximal ("E") displacement of each measure, IOD units -> gain 5 / displacement.
G1 = 5.0 / 0.13
G2 = 5.0 / 0.13
G4 = 5.0 / 0.15      # 0.09 lowering + 0.06 medial pull per side
G5 = 5.0 / 0.075
G6 = 5.0 / 0.07
G7 = 5.0 / 0.05
G12 = 5.0 / 0.10
G15 = 5.0 / 0.10
G17 = 5.0 / 0.07
G20 = 5.0 / 0.12
G25 = 5.0 / 0.08
G26 = 5.0 / 0.30
K67 = 0.65           # lower-lid rise per unit cheek rise (a cheek raise pushes the lower lid up)
K26 = 0.10           # corner drop per unit chin drop (an opening jaw pulls the corners down;
                     # the mesh shows ~0.1 on faces warped to open the jaw)
K1220 = 1.30         # mouth widening per unit corner lift in a smile
# Columns: maximal AU9, AU10; rows: nose-wing rise, upper-lip rise they cause (IOD units).
M_9_10 = np.array([[0.06, 0.03],
                   [0.035, 0.09]])
# |d| below these is landmark noise: the largest change of each measure over 16-frame 256x256
# videos of the same still face (grace_hopper, astronaut) under head motion alone (roll +-2 deg,
# shift +-6 px, scale +-2 %), per-frame detection. Measures far from the alignment anchors (chin,
# upper lip) are the noisiest.
DEAD_ZONES = {
    "inner_brow_height": 0.018, "outer_brow_height": 0.010, "brow_height": 0.016,
    "inner_brow_gap": 0.014, "upper_lid_height": 0.008, "lower_lid_height": 0.008,
    "cheek_height": 0.012, "ala_height": 0.013, "upper_lip_height": 0.020, "corner_height": 0.016,
    "mouth_half_width": 0.010, "chin": 0.022, "inner_lip_gap": 0.012,
}

# Landmark groups the measures use (mediapipe indices; see landmarks.py for names).
_INNER_BROW = (L.RIGHT_BROW_INNER, L.LEFT_BROW_INNER, 55, 285)
_MID_BROW = (L.RIGHT_BROW_MID, L.LEFT_BROW_MID, 52, 282)
_OUTER_BROW = (L.RIGHT_BROW_OUTER, L.LEFT_BROW_OUTER, 46, 276)
_EYE_CORNERS = (L.RIGHT_EYE_OUTER, L.RIGHT_EYE_INNER, L.LEFT_EYE_INNER, L.LEFT_EYE_OUTER)
_CHEEKS = L.RIGHT_CHEEK + L.LEFT_CHEEK
_ALAE = (L.RIGHT_ALA, L.LEFT_ALA, 98, 327, 64, 294)
_UPPER_LIP = (L.UPPER_LIP_TOP, 37, 267, 39, 269)   # outer edge: the inner edge shows when the jaw drops
_CHIN = (L.CHIN, 148, 377, 175)
_LIP_GAP_PAIRS = ((13, 14), (82, 87), (312, 317), (81, 178), (311, 402))

MEASURES = ("inner_brow_height", "outer_brow_height", "brow_height", "inner_brow_gap",
            "upper_lid_height", "lower_lid_height", "cheek_height", "ala_height", "upper_lip_height",
            "corner_height", "mouth_half_width", "chin", "inner_lip_gap")


# ------------------------------------------------------------------ geometry helpers

def face_frame(lm: np.ndarray) -> np.ndarray:
    """(478, 2) pixel landmarks -> the same points in the face frame (IOD units, v down)."""
    right, left = L.eye_centres(lm)
    d = (left - right).astype(np.float64)
    iod = float(np.hypot(*d))
    if not np.isfinite(iod) or iod < 1e-6:
        raise ValueError("degenerate landmarks: the eye centres coincide")
    ex = d / iod
    ey = np.array([-ex[1], ex[0]])
    rel = lm.astype(np.float64) - (right + left) / 2.0
    return np.stack([rel @ ex, rel @ ey], axis=-1) / iod


def similarity_align(src: np.ndarray, dst: np.ndarray, idx: Sequence[int] = L.STABLE_POINTS) -> np.ndarray:
    """Map all of ``src`` by the similarity transform that best fits src[idx] onto dst[idx] (Umeyama)."""
    a, b = src[list(idx)].astype(np.float64), dst[list(idx)].astype(np.float64)
    ma, mb = a.mean(0), b.mean(0)
    a0, b0 = a - ma, b - mb
    cov = b0.T @ a0 / len(a)
    u, s, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ sign @ vt
    scale = np.trace(np.diag(s) @ sign) / a0.var(0).sum()
    return (src.astype(np.float64) - ma) @ (scale * rot).T + mb


def _measures(P: np.ndarray) -> dict[str, float]:
    """Scalar shape measures of one aligned face (IOD units; heights positive upwards)."""
    v = P[:, 1]
    eye_v = v[list(_EYE_CORNERS)].mean()
    right_eye_v = v[[L.RIGHT_EYE_OUTER, L.RIGHT_EYE_INNER]].mean()
    left_eye_v = v[[L.LEFT_EYE_OUTER, L.LEFT_EYE_INNER]].mean()
    inner_gap = (P[[L.LEFT_BROW_INNER, 285], 0].mean() - P[[L.RIGHT_BROW_INNER, 55], 0].mean())
    return {
        "inner_brow_height": eye_v - v[list(_INNER_BROW)].mean(),
        "outer_brow_height": eye_v - v[list(_OUTER_BROW)].mean(),
        "brow_height": eye_v - v[list(_INNER_BROW + _MID_BROW)].mean(),
        "inner_brow_gap": inner_gap,
        "upper_lid_height": 0.5 * ((right_eye_v - v[L.RIGHT_UPPER_LID]) + (left_eye_v - v[L.LEFT_UPPER_LID])),
        "lower_lid_height": 0.5 * ((right_eye_v - v[L.RIGHT_LOWER_LID]) + (left_eye_v - v[L.LEFT_LOWER_LID])),
        "cheek_height": eye_v - v[list(_CHEEKS)].mean(),
        "ala_height": eye_v - v[list(_ALAE)].mean(),
        "upper_lip_height": eye_v - v[list(_UPPER_LIP)].mean(),
        "corner_height": eye_v - v[[L.MOUTH_RIGHT, L.MOUTH_LEFT]].mean(),
        "mouth_half_width": 0.5 * (P[L.MOUTH_LEFT, 0] - P[L.MOUTH_RIGHT, 0]),
        "chin": v[list(_CHIN)].mean() - eye_v,
        "inner_lip_gap": float(np.mean([v[b] - v[a] for a, b in _LIP_GAP_PAIRS])),
    }


def _dead_zone(x: float, dz: float) -> float:
    return float(np.sign(x) * max(abs(x) - dz, 0.0))


def intensities_from_deltas(d: dict[str, float]) -> np.ndarray:
    """The per-AU formulas of the module docstring: measure differences -> (len(AU_SET),) 0..5."""
    pos = lambda x: max(x, 0.0)  # noqa: E731
    au9, au10 = 5.0 * np.linalg.solve(M_9_10, [d["ala_height"], d["upper_lip_height"]])
    lift = d["corner_height"] + K26 * pos(d["chin"])
    values = {
        1: G1 * pos(d["inner_brow_height"]),
        2: G2 * pos(d["outer_brow_height"]),
        4: G4 * (pos(-d["brow_height"]) + pos(-d["inner_brow_gap"] / 2.0)),
        5: G5 * pos(d["upper_lid_height"]),
        6: G6 * pos(d["cheek_height"]),
        7: G7 * pos(d["lower_lid_height"] - K67 * pos(d["cheek_height"])),
        9: pos(au9),
        10: pos(au10),
        12: G12 * pos(lift),
        15: G15 * pos(-lift),
        17: G17 * pos(-d["chin"]),
        20: G20 * pos(d["mouth_half_width"] - K1220 * pos(lift)),
        25: G25 * pos(d["inner_lip_gap"]),
        26: G26 * pos(d["chin"]),
    }
    return np.clip(np.array([values[au] for au in AU_SET], dtype=np.float32), 0.0, MAX_INTENSITY)


# ------------------------------------------------------------------ canonical neutral shape

def _mirror_permutation(P: np.ndarray) -> np.ndarray:
    """Index of each point's left-right partner on a (roughly symmetric) face-frame mesh."""
    from scipy.optimize import linear_sum_assignment

    mirrored = P * np.array([-1.0, 1.0])
    d = np.linalg.norm(P[:, None, :] - mirrored[None, :, :], axis=-1)
    rows, cols = linear_sum_assignment(d)      # one-to-one matching (nearest-neighbour is not)
    perm = np.empty(len(P), dtype=int)
    perm[rows] = cols
    return perm


def build_neutral_reference(img: np.ndarray) -> np.ndarray:
    """Face-frame mesh of a neutral frontal face, symmetrised with its mirror image (478, 2)."""
    lm = FaceMesh().landmarks(img)
    if lm is None:
        raise ValueError("no face found in the neutral reference image")
    P = face_frame(lm)
    perm = _mirror_permutation(P)
    return ((P + P[perm] * np.array([-1.0, 1.0])) / 2.0).astype(np.float32)


@functools.lru_cache(maxsize=1)
def neutral_reference() -> np.ndarray:
    """The canonical neutral shape (478, 2), face frame, IOD units (see the module docstring)."""
    data = json.loads(NEUTRAL_FILE.read_text())
    pts = np.asarray(data["points"], dtype=np.float32)
    if pts.shape != (L.N_LANDMARKS, 2):
        raise ValueError(f"{NEUTRAL_FILE}: expected 478x2 points, got {pts.shape}")
    pts.setflags(write=False)
    return pts


# ------------------------------------------------------------------ estimators

class AUEstimator(Protocol):
    name: str
    au_set: tuple[int, ...]

    def estimate(self, frames: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray: ...

    def estimate_from_landmarks(self, lm: np.ndarray, ref_lm: np.ndarray) -> np.ndarray: ...


class GeometricAUEstimator:
    """Landmark-geometry AU intensities relative to a neutral reference (module docstring)."""

    name = "geometric"
    au_set = AU_SET

    def __init__(self, dead_zone_scale: float = 1.0, tracking: bool = False) -> None:
        self.dead_zones = {k: dead_zone_scale * v for k, v in DEAD_ZONES.items()}
        self.tracking = tracking      # True: ~1.4x faster mesh, but biased (module docstring)
        self.mesh = FaceMesh()

    def estimate_from_landmarks(self, lm: np.ndarray, ref_lm: np.ndarray) -> np.ndarray:
        """(T, 478, 2) pixel landmarks (NaN rows = no face) and a (478, 2) reference -> (T, 14).

        Rows without a face are NaN. The reference may be in pixels or already in the face frame.
        """
        lm = np.asarray(lm, dtype=np.float64)
        if lm.ndim == 2:
            lm = lm[None]
        if lm.ndim != 3 or lm.shape[1:] != (L.N_LANDMARKS, 2):
            raise ValueError(f"expected landmarks (T, 478, 2), got {lm.shape}")
        ref_lm = np.asarray(ref_lm, dtype=np.float64)
        if ref_lm.shape != (L.N_LANDMARKS, 2) or not np.isfinite(ref_lm).all():
            raise ValueError(f"expected a finite (478, 2) reference, got {ref_lm.shape}")
        ref = face_frame(ref_lm)
        ref_m = _measures(ref)
        out = np.full((len(lm), len(AU_SET)), np.nan, dtype=np.float32)
        for t, pts in enumerate(lm):
            if not np.isfinite(pts).all():
                continue
            m = _measures(similarity_align(pts, ref))
            d = {k: _dead_zone(m[k] - ref_m[k], self.dead_zones[k]) for k in MEASURES}
            out[t] = intensities_from_deltas(d)
        return out

    def _reference_landmarks(self, reference: np.ndarray | None, lm: np.ndarray) -> np.ndarray | None:
        if reference is None:
            if len(lm) == 1:
                return neutral_reference()
            found = np.flatnonzero(np.isfinite(lm).all(axis=(1, 2)))
            return lm[found[0]] if len(found) else None   # first frame with a face
        reference = np.asarray(reference)
        if reference.shape == (L.N_LANDMARKS, 2):
            return reference
        if reference.ndim == 3 and reference.shape[-1] == 3:
            ref = self.mesh.landmarks(reference)
            if ref is None:
                raise ValueError("no face found in the reference image")
            return ref
        raise ValueError(f"reference must be an HxWx3 image or (478, 2) landmarks, got {reference.shape}")

    def estimate(self, frames: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 frames of one video -> (T, 14) intensities in AU_SET order.

        reference: None (first frame with a face for T > 1, the canonical neutral shape for a
        single image), an HxWx3 image of the same face, or its (478, 2) landmarks.
        Frames without a face give NaN rows.
        """
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"expected frames (T, H, W, 3), got {frames.shape}")
        lm = self.mesh.landmarks_video(frames, tracking=self.tracking) if len(frames) > 1 else \
            self._single(frames[0])
        ref = self._reference_landmarks(reference, lm)
        if ref is None:
            return np.full((len(frames), len(AU_SET)), np.nan, dtype=np.float32)
        return self.estimate_from_landmarks(lm, ref)

    def _single(self, img: np.ndarray) -> np.ndarray:
        pts = self.mesh.landmarks(img)
        return np.full((1, L.N_LANDMARKS, 2), np.nan, np.float32) if pts is None else pts[None]


PYFEAT_MODELS = {"face_model": "retinaface", "landmark_model": "mobilefacenet", "au_model": "xgb"}


class PyFeatAUEstimator:
    """py-feat's Detector (XGBoost AU model); needs py-feat and its weights on disk (offline)."""

    name = "pyfeat"
    au_set = AU_SET

    def __init__(self, device: str = "cpu") -> None:
        if importlib.util.find_spec("feat") is None:
            raise ImportError("the 'pyfeat' AU backend needs py-feat: pip install 'argen-rl[pyfeat]' "
                              "(py-feat>=0.6), plus its model weights (see docs/face.md)")
        import feat
        from feat.utils.io import get_resource_path

        detector_cls = getattr(feat, "Detector", None) or getattr(feat, "Detectorv1")
        self.resource_dir = Path(get_resource_path())
        try:
            self.detector = detector_cls(**PYFEAT_MODELS, emotion_model=None, identity_model=None,
                                         device=device, **_pyfeat_optional_none(detector_cls))
        except Exception as err:   # hub miss offline: LocalEntryNotFoundError / OSError / HTTP errors
            wanted = ", ".join(f"{k}={v}" for k, v in PYFEAT_MODELS.items())
            raise FileNotFoundError(
                f"py-feat weights missing ({wanted}); py-feat looks for them under {self.resource_dir} "
                f"(HF cache layout, repos py-feat/retinaface, py-feat/mobilefacenet, py-feat/xgb_au) and "
                f"cannot download them offline. Copy them there from a machine with network access. "
                f"Cause: {type(err).__name__}: {err}") from err

    def estimate(self, frames: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """(T, H, W, 3) uint8 -> (T, 14) = py-feat AU outputs (0..1) x 5; NaN rows where no face."""
        import torch

        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        x = torch.from_numpy(np.ascontiguousarray(frames.transpose(0, 3, 1, 2)))
        fex = self.detector.detect(x, data_type="tensor", progress_bar=False)
        out = np.full((len(frames), len(AU_SET)), np.nan, dtype=np.float32)
        cols = [f"AU{au:02d}" for au in AU_SET]
        missing = [c for c in cols if c not in fex.columns]
        if missing:
            raise ValueError(f"py-feat output lacks {missing}; has {list(fex.aus.columns)}")
        for frame_idx, group in fex.groupby("frame"):
            best = group.sort_values("FaceScore", ascending=False).iloc[0] if "FaceScore" in group else group.iloc[0]
            out[int(frame_idx)] = np.clip(best[cols].to_numpy(np.float32) * MAX_INTENSITY, 0, MAX_INTENSITY)
        return out

    def estimate_from_landmarks(self, lm: np.ndarray, ref_lm: np.ndarray) -> np.ndarray:
        raise ValueError("the pyfeat backend measures AUs from pixels (HOG features); use estimate(frames) "
                         "or the geometric backend for landmark input")


def _pyfeat_optional_none(detector_cls) -> dict:
    """Switch off py-feat's gaze model where its Detector has one (not needed for AUs)."""
    import inspect

    params = inspect.signature(detector_cls.__init__).parameters
    return {"gaze_model": None} if "gaze_model" in params else {}


def _pls_estimator() -> AUEstimator:
    from argen_rl.face.au_pls import PLSAUEstimator   # imports this module: loaded on first use

    return PLSAUEstimator()


AU_ESTIMATORS = {"geometric": GeometricAUEstimator, "pyfeat": PyFeatAUEstimator, "pls": _pls_estimator}


@functools.lru_cache(maxsize=None)
def make_au_estimator(name: str = "geometric") -> AUEstimator:
    """``"geometric"`` (landmarks vs neutral reference, offline; the warp generator's own
    displacement scale), ``"pls"`` (py-feat's data-fitted AU -> mesh model inverted, independent
    of the generator: ``face.au_pls``) or ``"pyfeat"``; one per process."""
    try:
        cls = AU_ESTIMATORS[name]
    except KeyError:
        raise ValueError(f"unknown AU estimator {name!r}; expected one of {sorted(AU_ESTIMATORS)}") from None
    return cls()
