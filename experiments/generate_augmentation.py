"""Augment a dataset: ``python experiments/generate_augmentation.py --config experiments/configs/augment_sample.yaml``.

Generated clips for the scarce classes (policy's greedy action per context, or a fixed action),
vetted by SynFER-style label calibration, written in the dataset's own layout under a new root
with a provenance sidecar per clip and a manifest. Rerun the same command to resume.
Everything is ``argen_rl.augment.writer.augment``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(config: str | Path, dataset: str | None = None, out: str | None = None, policy: str | None = None,
         target_count: int | None = None, seed: int | None = None, progress: bool = True):
    from argen_rl.augment.config import AugmentConfig
    from argen_rl.augment.writer import augment
    from argen_rl.config import load_config

    overrides = {k: v for k, v in {"dataset": dataset, "out": out, "policy_checkpoint": policy,
                                   "target_count": target_count, "seed": seed}.items() if v is not None}
    cfg = load_config(config, AugmentConfig, overrides)
    cfg.check_files(str(config))          # every input exists before anything is read or written
    if cfg.dataset == "sample" or not Path(cfg.dataset).exists():
        from argen_rl.data import default_sample_root

        if cfg.dataset != "sample":
            raise FileNotFoundError(f"dataset root not found: {cfg.dataset}")
        cfg = cfg.model_copy(update={"dataset": str(default_sample_root("dfew"))})
    s = augment(cfg, progress=progress)
    print(f"{'class':10s} {'orig':>5s} {'target':>6s} {'written':>7s} {'rejected':>8s} {'attempts':>8s} {'rej.rate':>8s} {'final':>5s}")
    for name, r in s.per_class.items():
        rate = "" if r["rejection_rate"] is None else f"{r['rejection_rate']:.2f}"
        print(f"{name:10s} {r['original']:5d} {str(r['target'] or ''):>6s} {r['written']:7d} {r['rejected']:8d} "
              f"{r['attempts']:8d} {rate:>8s} {r['final']:5d}")
    import json

    print(f"recognizer expert: {json.loads(s.files['summary'].read_text()).get('recognizer_expert')}")
    print(f"new root: {s.out}\nmanifest: {s.files['manifest']}\nsummary: {s.files['summary']}")
    return s


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="augmentation YAML")
    p.add_argument("--dataset", default=None, help="override the original dataset root ('sample' = the sample dataset)")
    p.add_argument("--out", default=None, help="override the new root")
    p.add_argument("--policy", default=None, help="override the policy checkpoint")
    p.add_argument("--target-count", type=int, default=None, help="override the per-class target")
    p.add_argument("--seed", type=int, default=None, help="override the base seed")
    return p.parse_args(argv)


if __name__ == "__main__":
    a = _parse()
    main(a.config, a.dataset, a.out, a.policy, a.target_count, a.seed)
