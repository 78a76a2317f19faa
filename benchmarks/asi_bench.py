"""ASI wall time: one process vs Ray clip workers (+ the writer's own actor), same output.

    python benchmarks/asi_bench.py            # sample dataset: 12 neutral clips x 16 frames, template writer
    python benchmarks/asi_bench.py --quick    # CI smoke: 4 clips x 4 frames, 2 workers only

Each setting runs the whole stage (``run_asi``: identity selection on every neutral clip, then
one context per identity x scarce emotion) into a fresh folder; its ``contexts.jsonl`` and
embeddings must be byte-identical to the one-process run's. Baseline for the ratio: the
one-process run of the same invocation, after an untimed warm-up run that loads the driver's
models (MiniLM, FER, face mesh). The workers load their own models inside their time, as a user
pays it. Workers reserve no CPU here (``worker_cpus: 0``; RAY_NOTES).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SAME = ("contexts.jsonl", "text_emb.npy", "image_emb.npy", "identities.csv", "identity_rejections.csv")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI smoke run")
    p.add_argument("--workers", type=int, nargs="+", default=None, help="worker counts to time (default 1 2; "
                   "--quick: 2)")
    a = p.parse_args()
    a.workers = a.workers or ([2] if a.quick else [1, 2])
    identity = {"frames_per_clip": 4, "max_identities": 4} if a.quick else {"frames_per_clip": 16}

    import ray
    import torch

    from argen_rl.asi.config import ASIConfig
    from argen_rl.asi.pipeline import run_asi
    from argen_rl.data import build_sample_dataset

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = build_sample_dataset(tmp / "sample", "dfew")
        warm = ASIConfig.model_validate({"identity": {"frames_per_clip": 2, "max_identities": 1}})
        run_asi(root, tmp / "warm", warm, progress=False)
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            for workers in [0, *a.workers]:
                cfg = ASIConfig.model_validate({"identity": identity,
                                                "parallel": {"workers": workers, "worker_cpus": 0}})
                t0 = time.perf_counter()
                res = run_asi(root, tmp / f"w{workers}", cfg, progress=False)
                dt = time.perf_counter() - t0
                files = {n: (res.contexts_path.parent / n).read_bytes() for n in SAME}
                t = res.summary["timings"]
                rows.append({"workers": workers, "seconds": dt, "identities_s": t["identities_s"],
                             "contexts_s": t["contexts_s"], "identities": len(res.identities),
                             "contexts": len(res.contexts), "frames": res.summary["frames_checked"],
                             "same": files == rows[0]["files"] if rows else True, "files": files})
        finally:
            ray.shutdown()
    base = rows[0]["seconds"]
    print(f"asi_bench: sample dataset (DFEW layout), {rows[0]['identities']} identities from "
          f"{rows[0]['frames']} frames, {rows[0]['contexts']} contexts, template writer, {os.cpu_count()} CPUs")
    print(f"{'setting':<34}{'seconds':>9}{'x one process':>15}{'identity stage s':>18}{'contexts s':>12}"
          f"{'same output':>13}")
    for r in rows:
        name = "one process" if r["workers"] == 0 else \
            f"{r['workers']} clip worker{'s' if r['workers'] > 1 else ''} + writer actor"
        print(f"{name:<34}{r['seconds']:>9.1f}{base / r['seconds']:>15.2f}{r['identities_s']:>18.1f}"
              f"{r['contexts_s']:>12.1f}{str(r['same']):>13}")
    if not all(r["same"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
