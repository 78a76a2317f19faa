"""Reward ablation on Ray Tune: ``python experiments/reward_ablation.py --config experiments/configs/ablation_warp_cpu.yaml``.

One trial per row of the config (ARGen's T, T+F, T+Q, T+F+Q, +E rows, a random policy, a fixed
action); each trains with ``argen_rl.train`` and is judged on held-out contexts by one fixed
evaluation reward. Writes ablation.csv / ablation.md / ablation.png / summary.json. Rerun the
same command after an interruption to resume (Tuner.restore + training checkpoints).
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
         storage_path: str | None = None, progress: bool = True):
    from argen_rl.ablation.config import AblationConfig
    from argen_rl.ablation.runner import run_ablation
    from argen_rl.config import load_config

    overrides = {k: v for k, v in {"train.iterations": iterations, "name": name,
                                   "storage_path": storage_path}.items() if v is not None}
    cfg = load_config(config, AblationConfig, overrides)
    cfg.train.check_files(str(config), prefix="train.")   # before Ray / Tune start
    if cfg.train.build_sample_contexts and not Path(cfg.train.env.contexts).exists():
        from envs.sample_contexts import build_sample_contexts

        folder = Path(cfg.train.env.contexts)
        folder = folder.parent if folder.suffix == ".jsonl" else folder
        print(f"building sample contexts in {folder} ...", flush=True)
        build_sample_contexts(folder)
    result = run_ablation(cfg, progress=progress)
    print(result.files["markdown"].read_text())
    for err in result.errors:
        print(f"ERROR {err}", file=sys.stderr)
    if not result.complete:
        print("some rows are not finished: rerun the same command to resume", file=sys.stderr)
    print("\n".join(f"{k}: {v}" for k, v in result.files.items()))
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
