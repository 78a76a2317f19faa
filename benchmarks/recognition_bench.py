"""Recognition training at dataset scale: throughput, loader vs model time, and memory that must
not grow with the number of clips.

    python benchmarks/recognition_bench.py            # 200 vs 2000 clips, + GFLOPs per clip
    python benchmarks/recognition_bench.py --quick    # CI smoke: 40 vs 400 clips
    python benchmarks/recognition_bench.py --workers 1

Synthetic clips (frame folders of small JPEGs, 12-24 frames each, 7 classes) are written to a
temp folder. Each dataset size runs in a fresh process: two training epochs and two evaluation
passes of the streaming ``ClipDataset`` (res18_transformer at width 8, 32 px, 8 frames, batch 16,
an 8 MiB decode cache per dataset), reporting the second epoch's training clips/s, seconds
waiting for the loader vs in the model and cache hit rate, evaluation clips/s (cold and warm
cache), and the process's peak RSS. The baseline is the small run: the
ratio peak RSS(large) / peak RSS(small) is what is checked (it must stay within 1.2; the old
decode-everything path grew by the size of the decoded split, printed for comparison). The full
run also prints the forward GFLOPs per 16-frame clip of the four standard baselines (width 64) at
112 and 224 px, the basis of the GPU cost estimate in docs/recognition.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE, FRAMES, BATCH, CACHE_MB = 32, 8, 16, 8


def write_clips(root: Path, n: int, seed: int = 0) -> None:
    """``n`` clips as <root>/<class>_<k>/NNN.jpg: a moving bright blob on a class-coloured
    gradient, 48x48 px (decode cost of small face crops, not their look)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:48, 0:48]
    for k in range(n):
        c = k % 7
        folder = root / f"{c}_{k:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        base = np.stack([(xx * (c + 1) * 3) % 256, (yy * 5) % 256, np.full_like(xx, 36 * c)], -1)
        cy, cx, vy, vx = rng.uniform(10, 38), rng.uniform(10, 38), rng.normal(0, 1), rng.normal(0, 1)
        for t in range(int(rng.integers(12, 25))):
            blob = 120 * np.exp(-((yy - cy - vy * t) ** 2 + (xx - cx - vx * t) ** 2) / 40.0)
            img = np.clip(base + blob[..., None] + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(str(folder / f"{t:03d}.jpg"), img)


def _peak_rss_mb() -> tuple[float, float]:
    """(this process, its largest finished child) peak RSS in MiB (Linux: ru_maxrss is KiB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def child(root: Path, n: int, workers: int) -> None:
    """One measured run (in its own process): train one epoch, evaluate once, print JSON."""
    import torch

    torch.set_num_threads(1)
    from argen_rl.recognition.train import RecognitionConfig, evaluate, train_model
    from argen_rl.types import Clip, Emotion
    from argen_rl.video_io import list_frames

    folders = sorted(p for p in root.iterdir() if p.is_dir())[:n]
    clips = [Clip(p.name, Emotion.from_index(int(p.name.split("_")[0])), frames=list_frames(p)) for p in folders]
    cfg = RecognitionConfig(model="res18_transformer", epochs=2, batch_size=BATCH, width=8, input_size=SIZE,
                            frames=FRAMES, schedule="cosine", crop_scale=(0.5, 1.0), val_fraction=0.0,
                            device="cpu", num_workers=workers, cache_mb=CACHE_MB, seed=0)
    res = train_model(cfg, cfg.dataset(clips, train=True), progress=False)
    h = res.history[-1]                        # epoch 2: warm process, the cache has seen epoch 1
    test = cfg.dataset(clips, train=False)
    passes = []
    for _ in range(2):                         # like the per-epoch validation: the 2nd pass hits the cache
        t0 = time.perf_counter()
        metrics, _ = evaluate(res.model, test, cfg)
        passes.append(metrics.n / (time.perf_counter() - t0))
    rss, rss_child = _peak_rss_mb()
    print(json.dumps({"n": n, "workers": workers, "train_clips_per_s": h["train/clips_per_s"],
                      "eval_clips_per_s": passes[1], "eval_cold_clips_per_s": passes[0], "data_s": h["time/data_s"],
                      "model_s": h["time/model_s"], "epoch_s": h["time/epoch_s"], "rss_mb": rss,
                      "worker_rss_mb": rss_child, "cache_hit_rate": h["data/cache_hit_rate"],
                      "cache_mb": test.cache.nbytes / 2**20}))


def measure(root: Path, n: int, workers: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, __file__, "--child", str(n), "--root", str(root), "--workers", str(workers)],
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"run at {n} clips failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def flops_table() -> None:
    """Forward GFLOPs per 16-frame clip of the standard baselines (torch's FLOP counter)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from argen_rl.recognition.models import BASELINES, build_model

    torch.set_num_threads(1)
    print("\nforward GFLOPs per 16-frame clip (width 64; training step ~3x):")
    print(f"{'model':<20}{'112 px':>10}{'224 px':>10}{'params M':>10}")
    for name in BASELINES:
        model = build_model(name).eval()
        row = []
        for s in (112, 224):
            with torch.no_grad(), FlopCounterMode(display=False) as fc:
                model(torch.zeros(1, 16, 3, s, s))
            row.append(fc.get_total_flops() / 1e9)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(f"{name:<20}{row[0]:>10.1f}{row[1]:>10.1f}{params:>10.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke: 40 vs 400 clips, no FLOP table")
    ap.add_argument("--sizes", type=int, nargs=2, default=None, help="small and large clip counts")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers (0 = decode in the main process)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child is not None:
        child(a.root, a.child, a.workers)
        return
    small, large = a.sizes or ((40, 400) if a.quick else (200, 2000))
    with tempfile.TemporaryDirectory(prefix="recognition_bench_") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        write_clips(root, large)
        print(f"wrote {large} synthetic clips ({sum(1 for _ in root.rglob('*.jpg'))} JPEGs, 48 px) "
              f"in {time.perf_counter() - t0:.1f} s")
        print(f"res18_transformer width 8, {SIZE} px, {FRAMES} frames, batch {BATCH}, decode cache "
              f"{CACHE_MB} MiB/process, {a.workers} loader workers, 1 torch thread")
        runs = [measure(root, n, a.workers) for n in (small, large)]
    print(f"\n{'clips':>6}{'train clips/s':>15}{'eval clips/s cold/warm':>24}{'loader s':>10}{'model s':>9}"
          f"{'loader share':>14}{'cache hits':>12}{'peak RSS MiB':>14}")
    for r in runs:
        share = r["data_s"] / max(r["data_s"] + r["model_s"], 1e-9)
        rss = r["rss_mb"] + (r["worker_rss_mb"] if a.workers else 0.0)
        ev = f"{r['eval_cold_clips_per_s']:.1f} / {r['eval_clips_per_s']:.1f}"
        print(f"{r['n']:>6}{r['train_clips_per_s']:>15.1f}{ev:>24}{r['data_s']:>10.2f}"
              f"{r['model_s']:>9.2f}{share:>14.2f}{r['cache_hit_rate']:>12.2f}{rss:>14.0f}")
    rss = [r["rss_mb"] + (r["worker_rss_mb"] if a.workers else 0.0) for r in runs]
    avg_frames = 18
    decoded = (large - small) * avg_frames * SIZE * SIZE * 3 / 2**20
    print(f"\npeak RSS ratio {large}/{small} clips: {rss[1] / rss[0]:.3f} (must be <= 1.2; "
          f"+{rss[1] - rss[0]:.0f} MiB for {large - small} more clips)")
    print(f"decode-everything baseline: the {large - small} extra clips alone would add ~{decoded:.0f} MiB "
          f"decoded at {SIZE} px (~{decoded * (112 / SIZE) ** 2:.0f} MiB at 112 px)")
    print(f"train throughput ratio {large}/{small}: {runs[1]['train_clips_per_s'] / runs[0]['train_clips_per_s']:.2f}")
    if not a.quick:
        flops_table()


if __name__ == "__main__":
    main()
