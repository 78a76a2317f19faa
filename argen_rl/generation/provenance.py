"""Write a generated video as mp4 + GIF + a JSON provenance sidecar, each file atomically.

The sidecar says exactly how the video was made (prompt, emotion, target AUs, generation
parameters, seed, generator id, model hash, a hash of the reference image) so any generated
clip in an augmented dataset can be traced and regenerated. It is written last: a sidecar
present means the video files beside it are complete.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path

import numpy as np

from argen_rl.io_utils import atomic_write_json
from argen_rl.types import GenRequest, Video
from argen_rl.video_io import write_gif, write_mp4

SIDECAR_VERSION = 1


def image_sha1(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


def provenance_record(video: Video, request: GenRequest, generator_id: str) -> dict:
    """The sidecar content for one generated video."""
    meta = video.meta
    return {
        "version": SIDECAR_VERSION,
        "prompt": request.prompt,
        "emotion": str(request.emotion),
        "target_aus": {str(k): float(v) for k, v in sorted(request.target_aus.items())},
        "params": dataclasses.asdict(request.params),
        "seed": request.params.seed,
        "generator_id": generator_id,
        # the weights' (or, for the warp, the config's) fingerprint; generator_id embeds a prefix
        "model_hash": meta.get("model_hash", generator_id.rsplit("-", 1)[-1]),
        "context_id": request.context_id,
        "reference_sha1": image_sha1(request.image),
        "frames": int(video.frames.shape[0]),
        "size": [int(video.frames.shape[2]), int(video.frames.shape[1])],
        "fps": video.fps,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "generator_meta": {k: v for k, v in meta.items() if k not in ("params", "generator_id")},
    }


def write_video_with_provenance(path_stem: str | Path, video: Video, request: GenRequest, generator_id: str,
                                gif: bool = True) -> tuple[Path, Path | None, Path]:
    """Write ``<stem>.mp4``, ``<stem>.gif`` (unless ``gif=False``) and ``<stem>.json``.

    Returns (mp4, gif or None, json). Every file is written to a temp name and renamed, the
    sidecar last, so an interrupted run never leaves a half-written video behind a sidecar.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    mp4 = write_mp4(stem.with_suffix(".mp4"), video.frames, fps=video.fps)
    gif_path = write_gif(stem.with_suffix(".gif"), video.frames, fps=video.fps) if gif else None
    record = provenance_record(video, request, generator_id)
    record["files"] = {"mp4": mp4.name, "gif": gif_path.name if gif_path else None}
    sidecar = atomic_write_json(stem.with_suffix(".json"), record)
    return mp4, gif_path, sidecar
