"""Train the ARD policy: ``python experiments/train_policy.py --config experiments/configs/train_warp_cpu.yaml``.

Also the ``ray job submit`` entry point::

    RAY_AUTH_MODE=token ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python experiments/train_policy.py --config experiments/configs/train_warp_cpu.yaml \\
        --run-dir /abs/path/runs/train

Inside a job, ``ray.init()`` joins the job's cluster (RAY_ADDRESS); run alone it starts a
private local Ray. Everything else is ``argen_rl.train.loop.train``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# run as a script (python experiments/train_policy.py): make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(config: str | Path, run_dir: str | None = None, iterations: int | None = None,
         fresh: bool = False) -> dict:
    from argen_rl.config import load_config
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.loop import train

    overrides = {k: v for k, v in {"run_dir": run_dir, "iterations": iterations}.items() if v is not None}
    if fresh:
        overrides["resume"] = False
    cfg = load_config(config, TrainConfig, overrides)
    cfg.check_files(str(config))          # a missing contexts file / model folder fails before Ray starts
    if cfg.build_sample_contexts and not Path(cfg.env.contexts).exists():
        from argen_rl.train.sample_contexts import ensure_sample_contexts

        folder = Path(cfg.env.contexts)
        folder = folder.parent if folder.suffix == ".jsonl" else folder
        print(f"sample dataset -> ASI -> contexts in {folder} ...", flush=True)
        ensure_sample_contexts(folder, progress=True)
    summary = train(cfg)
    ev = summary.get("eval", {})
    print(json.dumps({k: ev.get(k) for k in ("greedy", "random", "mid", "best", "n_contexts")}
                     | {"cache": summary.get("cache_final"),
                        "time/iteration_s_mean": summary.get("time/iteration_s_mean"),
                        "run_dir": summary["run_dir"]}, indent=1))
    return summary


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="training YAML")
    p.add_argument("--run-dir", default=None, help="override run_dir (absolute under ray job submit)")
    p.add_argument("--iterations", type=int, default=None, help="override iterations")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    return p.parse_args(argv)


if __name__ == "__main__":
    a = _parse()
    main(a.config, run_dir=a.run_dir, iterations=a.iterations, fresh=a.fresh)
