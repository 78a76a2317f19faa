"""The CPU generator: animate an expression on a real face by warping it along AU motion fields.

For each request:

1. landmarks of the reference (``argen_rl.face.landmarks.FaceMesh``, 478 points); the face is
   cropped to a square of ``params.size`` with a margin and the eyes levelled, so the video is
   face-centred;
2. neutralise: the reference's smile and mouth opening are measured from landmark geometry
   against a neutral shape and removed by a negative AU12 scaled to the smile and a field that
   closes the lips, added to the target (a smiling photo must lose its smile to look surprised);
3. per-frame intensity (ARGen Eq. 12 curve, see below) times the target AUs
   (``GenRequest.target_aus``, FACS 0..5) gives each frame's mesh displacement (the linear
   AU motion model of ``au_motion``), plus a small seeded head motion;
4. S = ``params.steps`` keyframes are warped (piecewise-affine over a Delaunay triangulation,
   ``warp_engine``) and get a painted mouth cavity where the lips part (and shaded smile folds
   with AU12); frames between two keyframes are cross-faded. Fewer keyframes: cheaper, choppier.

Frame 0 and the curve: frame 0 *is* the aligned reference (intensity 0, as in TI2V, where the
first frame is the conditioning image). Frames 1..F-1 take the intensity
``intensity_curve(F, a, b)`` (the one Eq. 12 curve of ``generation.params`` with w_min = 0,
w_max = 1: peak = 1 = the target AUs at full strength, lowest generated frame = 0). So a=b=1
jumps to the full expression at frame 1 and holds it; b=1, a>1 ramps up to an apex on the last
frame; a=b=2 rises to an apex mid-clip and relaxes back to the reference. Keyframes sit at ``round(linspace(0, F-1, K+1))[1:]`` with K = min(S, F-1).

Seeds: ``params.seed`` draws per-AU gain jitter (log-normal, sigma ``au_gain_jitter``) and a
smooth head motion (roll + shift, zero at frame 0): candidates with different seeds differ,
the same seed reproduces the video bit for bit.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from argen_rl.config import StrictModel
from argen_rl.generation.au_motion import (
    MAX_INTENSITY, AUMotionModel, FaceFrame, check_aus, neutralising,
)
from argen_rl.generation.params import intensity_curve
from argen_rl.generation.warp_engine import (
    PiecewiseAffineWarp, align_face, border_anchors, close_mouth_texture, fill_mouth, shade_smile_folds,
    teeth_exposure, triangulate,
)
from argen_rl.types import GenRequest, Video


class NoFaceError(ValueError):
    """The reference image has no detectable face."""


class WarpConfig(StrictModel):
    """Settings of the AU-warp generator (part of its generator_id)."""

    margin: float = 0.3
    """Crop margin on each side, as a fraction of the face mesh's extent."""
    border_anchors: int = 16
    """Fixed anchor points round the frame border (keep the background still)."""
    neutralise: bool = True
    """Take a smile / open mouth off the reference before applying the target AUs."""
    mouth_fill: bool = True
    """Paint a dark cavity with teeth where the lips part."""
    smile_folds: bool = True
    """Shade nasolabial folds in proportion to AU12 (a smile's folds are texture, not geometry)."""
    au_gain_jitter: float = 0.08
    """Seeded per-AU gain variation between candidates (log-normal sigma)."""
    head_roll_deg: float = 1.5
    """Max seeded head roll over the clip, degrees."""
    head_shift: float = 0.03
    """Max seeded head shift over the clip, in inter-ocular distances."""
    fps: float = 8.0
    """Frame rate written into each Video."""
    cache_size: int = 32
    """Reference faces (landmarks, crop, triangulation) kept between calls: a candidate pool
    renders one reference K times."""


@dataclass
class _Reference:
    image: np.ndarray            # aligned crop
    points: np.ndarray           # (478, 2) in the crop
    anchors: np.ndarray
    warp: PiecewiseAffineWarp
    motion: AUMotionModel
    neutral_disp: np.ndarray     # (478, 2) pixels: removes the reference's own expression
    closed_image: np.ndarray | None   # crop with an open mouth's interior inpainted (None: closed)
    neutralise: dict[str, float]


class WarpGenerator:
    """AU-warp generator; see the module docstring. Implements ``generation.base.Generator``."""

    name = "warp"

    def __init__(self, config: WarpConfig | dict | None = None):
        if config is None:
            config = WarpConfig()
        elif isinstance(config, dict):
            config = WarpConfig(**config)
        self.config = config
        digest = hashlib.sha1(json.dumps(config.model_dump(), sort_keys=True).encode()).hexdigest()
        self.generator_id = f"warp-{digest[:10]}"
        self._mesh = None
        self._cache: OrderedDict[tuple, _Reference] = OrderedDict()
        self._lock = threading.Lock()   # Serve may call one generator from several threads
        self.warps = 0   # total keyframes warped by this generator (cost counter)

    # -- 1. reference analysis (cached) ---------------------------------------------------
    def _landmarks(self, image: np.ndarray) -> np.ndarray | None:
        if self._mesh is None:
            from argen_rl.face.landmarks import FaceMesh

            self._mesh = FaceMesh()
        return self._mesh.landmarks(image)

    def reference(self, image: np.ndarray, size: int) -> _Reference:
        """Aligned crop, landmarks, triangulation and motion model of a reference image."""
        check_image(image)
        key = (hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), image.shape, size)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        pts = self._landmarks(image)
        if pts is None:
            raise NoFaceError("no face found in the reference image")
        face = align_face(image, np.asarray(pts, np.float64), size, self.config.margin)
        anchors = border_anchors(size, self.config.border_anchors)
        motion = AUMotionModel(face.points)
        neutral_disp, neutral_info = neutralising(motion, self.config.neutralise)
        # triangulate the neutralised shape: every target is built from it, and its closed,
        # unsmiling mouth gives a clean upper-lip/lower-lip strip (see triangulate)
        topo = np.concatenate([face.points + neutral_disp, anchors])
        tri = triangulate(topo, FaceFrame.from_landmarks(face.points))
        ref = _Reference(
            image=face.image, points=face.points, anchors=anchors,
            warp=PiecewiseAffineWarp(np.concatenate([face.points, anchors]), tri, size),
            motion=motion, neutral_disp=neutral_disp, neutralise=neutral_info,
            closed_image=(close_mouth_texture(face.image, face.points, motion.frame)
                          if neutral_info.get("mouth_opening_iod") else None),
        )
        with self._lock:
            self._cache[key] = ref
            while len(self._cache) > self.config.cache_size:
                self._cache.popitem(last=False)
        return ref

    # -- 2.-4. one video --------------------------------------------------------------------
    def generate(self, requests: Sequence[GenRequest]) -> list[Video]:
        return [self.generate_one(r) for r in requests]

    def generate_one(self, request: GenRequest) -> Video:
        p = request.params
        aus = check_aus(request.target_aus)
        ref = self.reference(request.image, p.size)
        rng = np.random.default_rng(p.seed)
        cfg = self.config

        # seeded per-AU gains (sorted so the draw does not depend on dict order)
        gains = {au: float(np.exp(rng.normal(0.0, cfg.au_gain_jitter))) for au in sorted(aus)}
        target = {au: min(aus[au] * gains[au], MAX_INTENSITY * 1.1) for au in aus}
        peak_disp = ref.neutral_disp + ref.motion.displacement(target)   # (478, 2) px at the apex

        F = p.frames
        intensity = frame_intensity(F, p.a, p.b)
        head = _head_motion(rng, F, cfg.head_roll_deg, cfg.head_shift * ref.motion.frame.iod)
        K = min(p.steps, F - 1)
        keys = np.round(np.linspace(0, F - 1, K + 1)).astype(int)

        centre = ref.points.mean(0)
        key_frames = {0: ref.image}
        for f in keys[1:]:
            pts = ref.points + intensity[f] * peak_disp
            pts = _rigid(pts, centre, *head[f])
            # an open-mouthed reference is closed by the neutralising step: squeeze the
            # inpainted (lip-coloured) interior, not its teeth, as the expression ramps in
            img = ref.warp.warp(ref.image, np.concatenate([pts, ref.anchors]), ref.closed_image,
                                min(1.0, 2.0 * intensity[f]))
            frame_aus = {au: intensity[f] * v for au, v in target.items()}
            if cfg.smile_folds and frame_aus.get(12, 0.0) > 0:
                shade_smile_folds(img, pts, FaceFrame.from_landmarks(pts), frame_aus[12] / MAX_INTENSITY)
            if cfg.mouth_fill:
                up, lo = teeth_exposure(frame_aus)
                # a reference that already shows its mouth interior keeps it in early frames
                opacity = 1.0 if ref.closed_image is None else min(1.0, 2.0 * intensity[f])
                fill_mouth(img, pts, FaceFrame.from_landmarks(pts), up, lo, opacity)
            key_frames[int(f)] = img
        with self._lock:
            self.warps += K

        # in-between frames: linear cross-fade of the two neighbouring keyframes
        frames = np.empty((F,) + ref.image.shape, np.uint8)
        for k0, k1 in zip(keys[:-1], keys[1:]):
            img0, img1 = key_frames[int(k0)].astype(np.float32), key_frames[int(k1)].astype(np.float32)
            for f in range(k0, k1 + 1):
                t = (f - k0) / (k1 - k0)
                frames[f] = key_frames[f] if f in key_frames else np.round((1 - t) * img0 + t * img1).astype(np.uint8)
        meta = {
            "generator": self.name, "generator_id": self.generator_id, "params": asdict(p),
            "target_aus": aus, "neutralise": ref.neutralise, "keyframes": keys.tolist(),
            "warps": K, "intensity": intensity.round(4).tolist(), "au_gains": gains,
        }
        return Video(frames, fps=cfg.fps, meta=meta)


def frame_intensity(frames: int, a: float, b: float) -> np.ndarray:
    """Per-frame expression intensity in [0, 1]: 0 at frame 0 (the reference), then the ARGen
    Eq. 12 curve over frames 1..F-1 (``intensity_curve``), peaking at exactly 1."""
    return intensity_curve(frames, a, b)


def check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"reference image must be uint8 HxWx3 RGB, got {got}")
    if min(image.shape[:2]) < 32:
        raise ValueError(f"reference image too small ({image.shape[1]}x{image.shape[0]}); need >= 32 px")


def _head_motion(rng: np.random.Generator, frames: int, roll_deg: float, shift_px: float) -> np.ndarray:
    """(F, 3) smooth (roll radians, dx, dy) per frame, exactly 0 at frame 0."""
    tau = np.linspace(0.0, 1.0, frames)[:, None]
    freq = rng.uniform(0.5, 1.5, size=3)
    phase = rng.uniform(0, 2 * np.pi, size=3)
    amp = rng.uniform(-1, 1, size=3) * np.array([np.radians(roll_deg), shift_px, shift_px])
    return amp * (np.sin(2 * np.pi * freq * tau + phase) - np.sin(phase))


def _rigid(pts: np.ndarray, centre: np.ndarray, roll: float, dx: float, dy: float) -> np.ndarray:
    c, s = np.cos(roll), np.sin(roll)
    rel = pts - centre
    return np.stack([c * rel[:, 0] - s * rel[:, 1], s * rel[:, 0] + c * rel[:, 1]], 1) + centre + [dx, dy]
