"""Reward ablation on Ray Tune: ``python experiments/reward_ablation.py --config experiments/configs/ablation_warp_cpu.yaml``.

One trial per row of the config (ARGen's T, T+F, T+Q, T+F+Q, +E rows, a random policy, a fixed
action); each trains with ``argen_rl.train`` and is judged on held-out contexts by one fixed
evaluation reward. Writes ablation.csv / ablation.md / ablation.png / summary.json. Rerun the
same command after an interruption to resume (Tuner.restore + training checkpoints). Everything
is ``argen_rl.ablation.job.run_ablation_job`` (``argen tune run`` calls the same).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(config: str | Path, iterations: int | None = None, name: str | None = None,
         storage_path: str | None = None):
    from argen_rl.ablation.job import report_text, run_ablation_job

    result = run_ablation_job(config, iterations=iterations, name=name, storage_path=storage_path)
    out, err = report_text(result)
    print(out)
    if err:
        print(err, file=sys.stderr)
    return result


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="ablation YAML")
    p.add_argument("--iterations", type=int, default=None, help="override train.iterations")
    p.add_argument("--name", default=None, help="override the experiment name")
    p.add_argument("--storage-path", default=None, help="override storage_path")
    return p.parse_args(argv)


if __name__ == "__main__":
    a = _parse()
    res = main(a.config, a.iterations, a.name, a.storage_path)
    sys.exit(0 if res.complete else 1)
