"""Train the ARD policy: ``python experiments/train_policy.py --config experiments/configs/train_warp_cpu.yaml``.

Also the ``ray job submit`` entry point::

    RAY_AUTH_MODE=token ray job submit --address http://127.0.0.1:8265 --working-dir . -- \\
        python experiments/train_policy.py --config experiments/configs/train_warp_cpu.yaml \\
        --run-dir /abs/path/runs/train

Inside a job, ``ray.init()`` joins the job's cluster (RAY_ADDRESS); run alone it starts a
private local Ray. Everything else is ``argen_rl.train.job.run_training`` (``argen train run``
calls the same function).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# run as a script (python experiments/train_policy.py): make the repository importable
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(config: str | Path, run_dir: str | None = None, iterations: int | None = None,
         fresh: bool = False) -> dict:
    from argen_rl.train.job import run_training, summary_text

    summary = run_training(config, run_dir=run_dir, iterations=iterations, fresh=fresh)
    print(summary_text(summary))
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
