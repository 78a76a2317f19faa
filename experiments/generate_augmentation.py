"""Augment a dataset: ``python experiments/generate_augmentation.py --config experiments/configs/augment_sample.yaml``.

Generated clips for the scarce classes (policy's greedy action per context, or a fixed action),
vetted by SynFER-style label calibration, written in the dataset's own layout under a new root
with a provenance sidecar per clip and a manifest. Rerun the same command to resume.
Everything is ``argen_rl.augment.job.run_augmentation`` (``argen augment run`` calls the same).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(config: str | Path, dataset: str | None = None, out: str | None = None, policy: str | None = None,
         target_count: int | None = None, seed: int | None = None, num_actors: int | None = None):
    from argen_rl.augment.job import run_augmentation, summary_table

    s = run_augmentation(config, dataset=dataset, out=out, policy=policy, target_count=target_count, seed=seed,
                         num_actors=num_actors)
    print(summary_table(s))
    return s


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="augmentation YAML")
    p.add_argument("--dataset", default=None, help="override the original dataset root ('sample' = the sample dataset)")
    p.add_argument("--out", default=None, help="override the new root")
    p.add_argument("--policy", default=None, help="override the policy checkpoint")
    p.add_argument("--target-count", type=int, default=None, help="override the per-class target")
    p.add_argument("--seed", type=int, default=None, help="override the base seed")
    p.add_argument("--actors", type=int, default=None, help="generator actors (0 = in this process)")
    return p.parse_args(argv)


if __name__ == "__main__":
    a = _parse()
    main(a.config, a.dataset, a.out, a.policy, a.target_count, a.seed, a.actors)
