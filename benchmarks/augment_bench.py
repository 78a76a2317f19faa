"""Augmentation throughput: clips/s in process vs on 1 and 2 generator actors (the env's actors).

    python benchmarks/augment_bench.py            # sample dataset, target 8 per class, 224 px x 16 frames
    python benchmarks/augment_bench.py --quick    # CI smoke: target 5, 96 px x 12 frames

Each setting runs the same augmentation of the sample dataset (DFEW layout; its scarce classes
surprise, disgust, fear; warp generator, fixed action, FER + AU label calibration, frames written
as JPEG) into a fresh output root and counts the attempts (clips generated and judged) per second
of wall time. With actors the driver judges and writes one batch while the actors generate the
next. The three outputs are checked to be identical (sidecars, frames). Baseline for the ratios:
the in-process run of the same invocation. Actors reserve no CPU (num_cpus 0; see RAY_NOTES); their
start (loading the generator, ~2-5 s) is inside their time, as a user pays it. One small in-process
warm-up run first loads the driver's models (face mesh, FER), which every later run reuses.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def config(root: Path, contexts: Path, out: Path, actors: int, target: int, size: int, frames: int):
    from argen_rl.augment.config import AugmentConfig

    return AugmentConfig.model_validate({
        "dataset": str(root), "out": str(out), "contexts": str(contexts), "target_count": target,
        "generation": {"generator": "warp", "frames": frames, "size": size, "clips_per_call": 2},
        "fixed_action": {"steps": 8, "a": 2.0, "b": 2.0}, "seed": 0, "flush_every": 10,
        "rollout": {"num_actors": actors, "num_cpus": 0, "prefix": "augment-bench"}})


def signature(out: Path) -> tuple:
    """What must be equal between settings: every sidecar (no creation time) and frame file."""
    side = []
    for p in sorted((out / "_argen_augment").glob("*/*.json")):
        rec = json.loads(p.read_text())
        rec["provenance"].pop("created_utc")
        side.append((p.name, json.dumps(rec, sort_keys=True)))
    frames = [(str(p.relative_to(out)), p.read_bytes()) for p in sorted(out.rglob("*.jpg"))
              if not any(q.is_symlink() for q in [p, *p.parents])]
    return tuple(side), tuple(frames)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI smoke run")
    a = p.parse_args()
    target, size, frames = (5, 96, 12) if a.quick else (8, 224, 16)

    import ray
    import torch

    from argen_rl.asi.sample_contexts import ensure_sample_contexts
    from argen_rl.augment.writer import augment
    from argen_rl.data import build_sample_dataset

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = build_sample_dataset(tmp / "sample", "dfew")
        contexts = ensure_sample_contexts(tmp / "contexts", root)
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            sigs = []
            warm = config(root, contexts, tmp / "warm", 0, 3, size, frames)
            augment(warm.model_copy(update={"classes": ["disgust"]}), progress=False)
            for actors in (0, 1, 2):
                cfg = config(root, contexts, tmp / f"out{actors}", actors, target, size, frames)
                t0 = time.perf_counter()
                s = augment(cfg, progress=False)
                dt = time.perf_counter() - t0
                rows.append({"actors": actors, "attempts": s.totals["attempts"], "written": s.totals["written"],
                             "seconds": dt})
                sigs.append(signature(s.out))
        finally:
            ray.shutdown()
    same = all(x == sigs[0] for x in sigs[1:])
    base = rows[0]["attempts"] / rows[0]["seconds"]
    print(f"augment_bench: sample dataset (DFEW layout), target {target} per scarce class, warp {size}px x "
          f"{frames} frames, calibration fer+au, clips_per_call 2, batches_in_flight 3, {os.cpu_count()} CPUs")
    print(f"{'setting':<22}{'attempts':>9}{'written':>9}{'seconds':>9}{'clips/s':>9}{'x in-process':>14}")
    for r in rows:
        name = "in-process" if r["actors"] == 0 else f"{r['actors']} actor{'s' if r['actors'] > 1 else ''}"
        rate = r["attempts"] / r["seconds"]
        print(f"{name:<22}{r['attempts']:>9d}{r['written']:>9d}{r['seconds']:>9.1f}{rate:>9.2f}{rate / base:>14.2f}")
    print(f"identical outputs (sidecars + frames) across settings: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
