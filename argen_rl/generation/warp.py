"""The CPU generator: animate an expression on a real face by warping and shading it per AU.

For each request (``WarpConfig.version = 2``, the default; docs/generation.md has the details,
measurements and before/after images):

1. landmarks of the reference (``argen_rl.face.landmarks.FaceMesh``, 478 points); the face is
   cropped to a square of ``params.size`` with a margin and the eyes levelled;
2. neutralise: the reference's smile and mouth opening are measured from landmark geometry and
   removed by a negative AU12 (+AU6) and a field that closes the lips; the smile's *texture*
   (nasolabial folds, bunched cheeks) is flattened and an open mouth's teeth are inpainted
   (``appearance.neutral_texture``, ``warp_engine.close_mouth_texture``); all of it ramps in with
   the expression, so a smiling photo loses its smile under any target emotion;
3. target AUs: FACS letters map to rendered strength (``rendered_intensity``: letter A renders at
   ``letter_floor`` of the full E strength, so every letter gives a visible, labelled sample),
   with a seeded per-AU gain jitter;
4. timing (``generation.dynamics``): the per-frame intensity follows the policy's Eq. 12 curve
   (``params.intensity_curve``) with a minimal onset (``onset_s``), so no frame step carries more
   than half of the change; seeded blinks and a slight seeded head motion;
5. geometry: S = ``params.steps`` keyframes (always including the apex frame) are warped exactly
   (piecewise-affine, ``warp_engine``); frames between two keyframes interpolate the keyframes'
   *warp maps* (their geometry), not their pixels, so nothing ghosts and blinks can fall anywhere;
6. appearance: the reference is shaded per AU *before* warping (``appearance.SkinShading``:
   wrinkles, folds, furrows, bulges as lit relief, colour and light from the reference), and the
   open mouth is painted as a shaded cavity with teeth in the reference's colours.

Frame 0 *is* the aligned reference, bit for bit (intensity 0, as in TI2V, where the first frame is
the conditioning image).

``version = 1`` keeps the previous generator (geometry-only fields, the flat mouth fill and smile
folds, the raw curve, pixel cross-fades between keyframes, no blinks, letters rendered linearly)
for side-by-side benchmarks; it is the only thing that switch changes.

Seeds: ``params.seed`` draws the gain jitter, the head motion and the blinks: candidates with
different seeds differ, the same seed reproduces the video bit for bit.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Callable, Literal, Sequence

import cv2
import numpy as np

from argen_rl.config import StrictModel
from argen_rl.generation.appearance import SkinShading, neutral_texture
from argen_rl.generation.au_motion import (
    AU_FIELDS, AU_FIELDS_V1, MAX_INTENSITY, NEUTRAL_V1, NEUTRAL_V2, AUMotionModel, FaceFrame,
    blink_displacement, check_aus, neutralising,
)
from argen_rl.generation.dynamics import (
    apex_frame, blink_closure, follow_curve, head_motion, onset_frames_for, rigid,
)
from argen_rl.generation.params import intensity_curve
from argen_rl.generation.warp_engine import (
    MouthStyle, PiecewiseAffineWarp, align_face, border_anchors, close_mouth_texture, draw_lip_seam, fill_mouth,
    mouth_opening,
    shade_smile_folds, teeth_exposure, teeth_in_gap, triangulate,
)
from argen_rl.types import GenRequest, Video


class NoFaceError(ValueError):
    """The reference image has no detectable face."""


class WarpConfig(StrictModel):
    """Settings of the AU-warp generator (all part of its generator_id)."""

    version: Literal[1, 2] = 2
    """2: AU fields + appearance layers + natural timing (this module's docstring). 1: the previous
    geometry-only generator, kept so benchmarks can show both in one run."""
    margin: float = 0.3
    """Crop margin on each side, as a fraction of the face mesh's extent."""
    border_anchors: int = 16
    """Fixed anchor points round the frame border (keep the background still)."""
    neutralise: bool = True
    """Take a smile / open mouth off the reference before applying the target AUs."""
    mouth_fill: bool = True
    """Paint a cavity with teeth where the lips part."""
    smile_folds: bool = True
    """version 1 only: darken nasolabial folds with AU12 (version 2 shades every AU's relief)."""
    appearance: bool = True
    """version 2: shade wrinkles, folds and bulges per AU (off: geometry and mouth only)."""
    letter_floor: float = 0.7
    """version 2: rendered strength of FACS letter A (intensity 1) as a fraction of letter E;
    letters in between are linear (A 0.70, B 0.775, C 0.85, D 0.925, E 1.0 of the full fields).
    Measured with FER2013 on the TUNING faces (ASI draws): 0.55 read 27 of 72 clips, 0.70 32 of 72."""
    onset_s: float = 0.5
    """version 2: minimal expression onset (and offset), seconds (see ``dynamics``)."""
    blink_rate_per_min: float = 17.0
    """version 2: spontaneous blinks per minute (0: none)."""
    blink_s: float = 0.3
    """version 2: duration of one blink, seconds."""
    au_gain_jitter: float = 0.08
    """Seeded per-AU gain variation between candidates (log-normal sigma)."""
    head_roll_deg: float = 1.5
    """Max seeded head roll over the clip, degrees."""
    head_shift: float = 0.03
    """Max seeded head shift over the clip, in inter-ocular distances."""
    fps: float = 8.0
    """Frame rate written into each Video (and used for onset and blink timing)."""
    cache_size: int = 32
    """Reference faces (landmarks, crop, triangulation, shading) kept between calls: a candidate
    pool renders one reference K times."""


@dataclass
class _Reference:
    image: np.ndarray            # aligned crop (frame 0)
    points: np.ndarray           # (478, 2) in the crop
    anchors: np.ndarray
    warp: PiecewiseAffineWarp
    motion: AUMotionModel
    neutral_disp: np.ndarray     # (478, 2) pixels: removes the reference's own expression
    closed_image: np.ndarray | None   # crop with an open mouth's interior inpainted (None: closed)
    neutralise: dict[str, float]
    neutral_image: np.ndarray    # version 2: texture with the smile flattened, mouth inpainted
    shading: SkinShading | None  # version 2 appearance layers
    mouth_style: MouthStyle


def rendered_intensity(value: float, floor: float) -> float:
    """FACS intensity (0..5, A = 1 .. E = 5) -> the intensity the fields are drawn at.

    From A to E linear between ``floor`` x 5 and 5; below A (0..1) linear from 0, so 0 stays the
    identity. ``floor`` = 0.2 is the plain linear scale (A = 1/5 of E).
    """
    v = float(value)
    if v <= 1.0:
        return v * MAX_INTENSITY * floor
    return MAX_INTENSITY * (floor + (1.0 - floor) * (v - 1.0) / 4.0)


class WarpGenerator:
    """AU-warp generator; see the module docstring. Implements ``generation.base.Generator``."""

    name = "warp"

    def __init__(self, config: WarpConfig | dict | None = None, fields: dict[int, Callable] | None = None):
        """``fields`` replaces the AU field table (``au_motion.AU_FIELDS`` / ``AU_FIELDS_V1`` by
        version) for experiments such as the PLS comparison of ``benchmarks/expression_bench.py``;
        the generator id then records the fields' names."""
        if config is None:
            config = WarpConfig()
        elif isinstance(config, dict):
            config = WarpConfig(**config)
        self.config = config
        self.fields = fields
        ident = config.model_dump()
        if fields is not None:
            ident["fields"] = {str(k): getattr(f, "__name__", repr(f)) for k, f in sorted(fields.items())}
        digest = hashlib.sha1(json.dumps(ident, sort_keys=True).encode()).hexdigest()
        self.generator_id = f"warp-{digest[:10]}"
        self._mesh = None
        self._cache: OrderedDict[tuple, _Reference] = OrderedDict()
        self._lock = threading.Lock()   # Serve may call one generator from several threads
        self.warps = 0   # total frames warped by this generator (cost counter)

    # -- 1.-2. reference analysis (cached) -------------------------------------------------
    def _landmarks(self, image: np.ndarray) -> np.ndarray | None:
        if self._mesh is None:
            from argen_rl.face.landmarks import FaceMesh

            self._mesh = FaceMesh()
        return self._mesh.landmarks(image)

    def reference(self, image: np.ndarray, size: int) -> _Reference:
        """Aligned crop, landmarks, triangulation, motion model and shading of a reference."""
        check_image(image)
        key = (hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), image.shape, size)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        pts = self._landmarks(image)
        if pts is None:
            raise NoFaceError("no face found in the reference image")
        cfg = self.config
        v2 = cfg.version == 2
        face = align_face(image, np.asarray(pts, np.float64), size, cfg.margin)
        anchors = border_anchors(size, cfg.border_anchors)
        motion = AUMotionModel(face.points, self.fields or (AU_FIELDS if v2 else AU_FIELDS_V1))
        neutral_disp, neutral_info = neutralising(motion, cfg.neutralise, NEUTRAL_V2 if v2 else NEUTRAL_V1)
        # triangulate the neutralised shape: every target is built from it, and its closed,
        # unsmiling mouth gives a clean upper-lip/lower-lip strip (see triangulate)
        topo = np.concatenate([face.points + neutral_disp, anchors])
        tri = triangulate(topo, FaceFrame.from_landmarks(face.points))
        closed = (close_mouth_texture(face.image, face.points, motion.frame, lip_tone=v2)
                  if neutral_info.get("mouth_opening_iod") else None)
        shading, neutral_image = None, closed if closed is not None else face.image
        if v2:
            shading = SkinShading(face.image, face.points, motion.frame)
            smile = -neutral_info.get("au12", 0.0)
            if smile > 0:
                neutral_image = neutral_texture(neutral_image, shading, min(1.0, smile / SMILE_TEXTURE_FULL))
        ref = _Reference(
            image=face.image, points=face.points, anchors=anchors,
            warp=PiecewiseAffineWarp(np.concatenate([face.points, anchors]), tri, size, folds_behind=v2),
            motion=motion, neutral_disp=neutral_disp, neutralise=neutral_info, closed_image=closed,
            neutral_image=neutral_image, shading=shading if cfg.appearance else None,
            mouth_style=MouthStyle.from_reference(face.image, face.points) if v2 else MouthStyle.flat(),
        )
        with self._lock:
            self._cache[key] = ref
            while len(self._cache) > cfg.cache_size:
                self._cache.popitem(last=False)
        return ref

    # -- 3.-6. one video --------------------------------------------------------------------
    def generate(self, requests: Sequence[GenRequest]) -> list[Video]:
        return [self.generate_one(r) for r in requests]

    def generate_one(self, request: GenRequest) -> Video:
        p = request.params
        aus = check_aus(request.target_aus)
        ref = self.reference(request.image, p.size)
        rng = np.random.default_rng(p.seed)
        cfg = self.config
        v2 = cfg.version == 2

        # seeded per-AU gains (sorted so the draw does not depend on dict order)
        gains = {au: float(np.exp(rng.normal(0.0, cfg.au_gain_jitter))) for au in sorted(aus)}
        strength = {au: rendered_intensity(v, cfg.letter_floor) if v2 else v for au, v in aus.items()}
        target = {au: min(strength[au] * gains[au], MAX_INTENSITY * 1.1) for au in aus}
        peak_disp = ref.neutral_disp + ref.motion.displacement(target)   # (478, 2) px at the apex

        F = p.frames
        curve = frame_intensity(F, p.a, p.b)
        head = head_motion(rng, F, cfg.head_roll_deg, cfg.head_shift * ref.motion.frame.iod)
        K = min(p.steps, F - 1)
        if not v2:
            return self._generate_v1(ref, request, target, peak_disp, curve, head, K, gains)

        intensity = follow_curve(curve, onset_frames_for(cfg.onset_s, cfg.fps))
        apex = apex_frame(intensity)
        blink = blink_closure(rng, F, cfg.fps, cfg.blink_rate_per_min, cfg.blink_s, keep_open=(0, apex))
        keys = keyframes(F, K, apex)
        # what is rendered between keyframes: their geometry and intensity, linearly interpolated
        rendered = np.interp(np.arange(F), keys, intensity[keys])
        centre = ref.points.mean(0)
        key_pts = {int(k): rigid(ref.points + intensity[k] * peak_disp, centre, *head[k]) for k in keys}
        # apex texture: neutralised reference shaded with the target AUs; frames blend towards it
        apex_tex = ref.shading.shade(ref.neutral_image, target) if ref.shading is not None else ref.neutral_image
        frames = np.empty((F,) + ref.image.shape, np.uint8)
        frames[0] = ref.image
        key_maps: dict[int, tuple[np.ndarray, np.ndarray]] = {0: ref.warp.identity_maps()}
        warps = 0

        def key_map(k: int) -> tuple[np.ndarray, np.ndarray]:
            nonlocal warps
            if k not in key_maps:
                key_maps[k] = ref.warp.maps(np.concatenate([key_pts[k], ref.anchors]))
                warps += 1
            return key_maps[k]

        seg = 0
        for f in range(1, F):
            while keys[seg + 1] < f:
                seg += 1
            k0, k1 = int(keys[seg]), int(keys[seg + 1])
            t = (f - k0) / (k1 - k0)
            pts = (1 - t) * key_pts[k0] + t * key_pts[k1]
            if blink[f] > 0:
                pts = pts + blink_displacement(pts, blink[f])
                mx, my = ref.warp.maps(np.concatenate([pts, ref.anchors]))
                warps += 1
            elif f == k1:
                mx, my = key_map(k1)
            else:
                mx, my = _lerp_maps(key_map(k0), key_map(k1), t)
            e = float(rendered[f])
            src = _blend_texture(ref.image, apex_tex, e)
            img = frames[f]             # remapped in place: the mouth is painted onto the frame itself
            cv2.remap(src, mx, my, cv2.INTER_LINEAR, dst=img, borderMode=cv2.BORDER_REPLICATE)
            if cfg.mouth_fill:
                up, lo, caps = teeth_in_gap({au: e * v for au, v in target.items()})
                pf = FaceFrame.from_landmarks(pts)
                gap = mouth_opening(pts, pf)
                # a cavity fades in as the lips part (no one-frame jump when the gap passes 1 px);
                # a reference's own open mouth shows through while it closes
                opacity = float(np.clip((gap - 0.5) / 2.0, 0.0, 1.0))
                if ref.closed_image is not None:
                    opacity *= e
                    if gap < 1.5:
                        draw_lip_seam(img, pts, pf, e)     # the warp closed this mouth: give it a seam
                fill_mouth(img, pts, pf, up, lo, opacity, style=ref.mouth_style, caps=caps)
        ref.warp.calls += warps
        with self._lock:
            self.warps += warps
        meta = {
            "generator": self.name, "generator_id": self.generator_id, "version": 2, "params": asdict(p),
            "target_aus": aus, "rendered_aus": {au: round(v, 3) for au, v in target.items()},
            "neutralise": ref.neutralise, "keyframes": [int(k) for k in keys], "warps": warps,
            "curve": curve.round(4).tolist(), "intensity": rendered.round(4).tolist(), "apex_frame": apex,
            "blink": blink.round(3).tolist(), "head": head.round(4).tolist(), "au_gains": gains,
        }
        return Video(frames, fps=cfg.fps, meta=meta)

    def _generate_v1(self, ref: _Reference, request: GenRequest, target: dict[int, float], peak_disp: np.ndarray,
                     intensity: np.ndarray, head: np.ndarray, K: int, gains: dict[int, float]) -> Video:
        """The previous generator (``version = 1``): keyframes on the raw curve, flat mouth fill and
        smile folds painted after the warp, pixel cross-fades in between."""
        p, cfg = request.params, self.config
        F = p.frames
        keys = np.round(np.linspace(0, F - 1, K + 1)).astype(int)
        centre = ref.points.mean(0)
        key_frames = {0: ref.image}
        for f in keys[1:]:
            pts = rigid(ref.points + intensity[f] * peak_disp, centre, *head[f])
            img = ref.warp.warp(ref.image, np.concatenate([pts, ref.anchors]), ref.closed_image,
                                min(1.0, 2.0 * intensity[f]))
            frame_aus = {au: intensity[f] * v for au, v in target.items()}
            if cfg.smile_folds and frame_aus.get(12, 0.0) > 0:
                shade_smile_folds(img, pts, FaceFrame.from_landmarks(pts), frame_aus[12] / MAX_INTENSITY)
            if cfg.mouth_fill:
                up, lo = teeth_exposure(frame_aus)
                opacity = 1.0 if ref.closed_image is None else min(1.0, 2.0 * intensity[f])
                fill_mouth(img, pts, FaceFrame.from_landmarks(pts), up, lo, opacity)
            key_frames[int(f)] = img
        with self._lock:
            self.warps += K
        frames = np.empty((F,) + ref.image.shape, np.uint8)
        for k0, k1 in zip(keys[:-1], keys[1:]):
            img0, img1 = key_frames[int(k0)].astype(np.float32), key_frames[int(k1)].astype(np.float32)
            for f in range(k0, k1 + 1):
                t = (f - k0) / (k1 - k0)
                frames[f] = key_frames[f] if f in key_frames else np.round((1 - t) * img0 + t * img1).astype(np.uint8)
        meta = {
            "generator": self.name, "generator_id": self.generator_id, "version": 1, "params": asdict(p),
            "target_aus": dict(request.target_aus), "rendered_aus": {au: round(v, 3) for au, v in target.items()},
            "neutralise": ref.neutralise, "keyframes": keys.tolist(), "warps": K,
            "curve": intensity.round(4).tolist(), "intensity": intensity.round(4).tolist(),
            "apex_frame": apex_frame(intensity), "au_gains": gains,
        }
        return Video(frames, fps=cfg.fps, meta=meta)


SMILE_TEXTURE_FULL = 2.0
"""Measured smile (AU12 intensity removed) at which the smile's texture is fully flattened."""


def keyframes(frames: int, k: int, apex: int) -> np.ndarray:
    """K keyframes at ``round(linspace(0, F-1, K+1))[1:]`` (plus frame 0), the interior one nearest
    to ``apex`` moved onto it, so the apex is always rendered exactly; with no interior keyframe
    the apex is added (K + 1 warps)."""
    keys = np.round(np.linspace(0, frames - 1, k + 1)).astype(int)
    if apex in keys:
        return keys
    interior = keys[1:-1]
    if len(interior):
        keys[1 + int(np.argmin(np.abs(interior - apex)))] = apex
        return np.unique(keys)
    return np.unique(np.append(keys, apex))


def frame_intensity(frames: int, a: float, b: float) -> np.ndarray:
    """The policy's per-frame curve in [0, 1]: 0 at frame 0 (the reference), then the ARGen
    Eq. 12 curve over frames 1..F-1 (``intensity_curve``), peaking at exactly 1. Version 2
    renders ``dynamics.follow_curve`` of it."""
    return intensity_curve(frames, a, b)


def _lerp_maps(m0: tuple[np.ndarray, np.ndarray], m1: tuple[np.ndarray, np.ndarray],
               t: float) -> tuple[np.ndarray, np.ndarray]:
    return cv2.addWeighted(m0[0], 1.0 - t, m1[0], t, 0.0), cv2.addWeighted(m0[1], 1.0 - t, m1[1], t, 0.0)


def _blend_texture(ref: np.ndarray, apex: np.ndarray, e: float) -> np.ndarray:
    """(1 - e) ref + e apex: the reference's texture turns into the apex texture (neutralised and
    shaded) exactly as fast as the geometry moves, so texture never leads the motion (a smile's
    folds fading faster than the smile would make one frame step carry most of the change)."""
    if apex is ref or e <= 0:
        return ref
    return cv2.addWeighted(ref, 1.0 - e, apex, e, 0.0)


def check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"reference image must be uint8 HxWx3 RGB, got {got}")
    if min(image.shape[:2]) < 32:
        raise ValueError(f"reference image too small ({image.shape[1]}x{image.shape[0]}); need >= 32 px")
