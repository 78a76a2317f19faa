"""A training run from a config file: what ``argen train run`` and ``experiments/train_policy.py``
(also the ``ray job submit`` entry point) both call; neither holds logic of its own."""
from __future__ import annotations

import json
from pathlib import Path


def run_training(config: str | Path, run_dir: str | None = None, iterations: int | None = None,
                 fresh: bool = False, progress: bool = True) -> dict:
    """Load the YAML (with overrides), check every path before Ray starts, build the sample
    contexts when asked, train (resuming unless ``fresh``) and evaluate; returns the summary."""
    from argen_rl.config import load_config
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.loop import train

    overrides = {k: v for k, v in {"run_dir": run_dir, "iterations": iterations}.items() if v is not None}
    if fresh:
        overrides["resume"] = False
    cfg = load_config(config, TrainConfig, overrides)
    cfg.check_files(str(config))          # a missing contexts file / model folder fails before Ray starts
    if cfg.build_sample_contexts and not Path(cfg.env.contexts).exists():
        from argen_rl.asi.sample_contexts import ensure_sample_contexts

        folder = Path(cfg.env.contexts)
        folder = folder.parent if folder.suffix == ".jsonl" else folder
        print(f"sample dataset -> ASI -> contexts in {folder} ...", flush=True)
        ensure_sample_contexts(folder, progress=progress)
    return train(cfg, progress=progress)


def summary_text(summary: dict) -> str:
    """The lines a run prints at the end: held-out evaluation, cache, iteration time, run dir."""
    ev = summary.get("eval", {})
    return json.dumps({k: ev.get(k) for k in ("greedy", "random", "mid", "best", "n_contexts")}
                      | {"cache": summary.get("cache_final"),
                         "time/iteration_s_mean": summary.get("time/iteration_s_mean"),
                         "run_dir": summary["run_dir"]}, indent=1)
