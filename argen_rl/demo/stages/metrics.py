"""Stage 6: generation metrics on the accepted generated clips. Diversity (1 - SSIM, weights-free)
always runs; LPIPS when its weights are configured; FVD / sFVD / tFVD when the I3D weights file
exists, otherwise the report says 'not available: <missing file>'."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from argen_rl.demo.runner import DemoRun


def _clean(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def generated_clips(run: DemoRun) -> tuple[list[np.ndarray], list[dict]]:
    """Frames (16, uniform) and manifest rows of every accepted generated clip."""
    from argen_rl.video_io import read_frame_folder, sample_indices

    aug = run.summary("augment")
    videos, rows = [], []
    for c in aug["clips"]:
        if c["status"] == "rejected" or not c.get("path"):
            continue
        v = read_frame_folder(Path(aug["root"]) / c["path"])
        videos.append(v[sample_indices(len(v), 16)])
        rows.append(c)
    return videos, rows


def diversity(videos: list[np.ndarray], rows: list[dict], distance, progress: bool) -> dict:
    from argen_rl.metrics.diversity import diversity_by_condition

    by_ctx = diversity_by_condition(videos, [r["context_id"] for r in rows], distance, progress=progress)
    per_emotion: dict[str, list[float]] = {}
    label = {r["context_id"]: r["label"] for r in rows}
    for cond, v in by_ctx.per_condition.items():
        per_emotion.setdefault(label[cond], []).append(v)
    return {"value": _clean(by_ctx.value), "by": "context_id", "pairs": by_ctx.pairs,
            "conditions": len(by_ctx.per_condition), "single_clip_conditions": len(by_ctx.singletons),
            "per_emotion": {e: float(np.mean(v)) for e, v in per_emotion.items()}}


def fvd(run: DemoRun, videos: list[np.ndarray], rows: list[dict]) -> dict:
    m = run.cfg.metrics
    path = Path(m.i3d)
    if not path.is_file():
        return {"status": f"not available: {path} (I3D weights; see docs/evaluation.md)"}
    from argen_rl.metrics.fvd import compute_fvd_suite
    from argen_rl.metrics.i3d import load_i3d
    from argen_rl.metrics.inputs import load_videos

    emotions = sorted({r["label"] for r in rows})
    real = load_videos(Path(run.summary("data")["root"]), emotions=emotions)
    model = load_i3d(path)
    res = compute_fvd_suite(model, real.videos, videos, None, None, real.emotions, [r["label"] for r in rows],
                            batch_size=m.fvd_batch_size)
    return {"status": "computed", "weights": str(path), **res}


def run(run: DemoRun) -> dict:
    from argen_rl.metrics.diversity import lpips_distance, ssim_distance

    videos, rows = generated_clips(run)
    if not videos:
        raise RuntimeError("no generated clip was accepted by calibration: nothing to measure "
                           "(see augment/dataset/_argen_augment/manifest.jsonl)")
    m = run.cfg.metrics
    out: dict = {"n_videos": len(videos), "diversity_ssim": diversity(videos, rows, ssim_distance, run.progress)}
    if m.lpips_backbone:
        from argen_rl.metrics.lpips import load_lpips

        model = load_lpips(Path(m.lpips_backbone), Path(m.lpips_heads) if m.lpips_heads else None)
        out["diversity_lpips"] = diversity(videos, rows, lpips_distance(model), run.progress)
    else:
        out["diversity_lpips"] = {"status": "not available: no lpips_backbone configured (see docs/evaluation.md)"}
    out["fvd"] = fvd(run, videos, rows)
    return out
