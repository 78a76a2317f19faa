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
    """The lines a run prints at the end: every policy by the fixed judge, the greedy action per
    emotion x identity, the training objective for reference, cache, iteration time, run dir."""
    from argen_rl.train.evaluate import action_table

    ev = summary.get("eval", {})
    lines = []
    judged = ev.get("judged") or {}
    if judged:
        keys = [k for k in ("judge/read", "judge/p_apex", "judge/p_clip", "judge/naturalness", "identity/shape",
                            "identity/colour", "diversity/ssim", "diversity/lpips", "fvd")
                if any(k in m for m in judged.values())]
        lines.append(f"held-out evaluation by the fixed judge ({ev.get('n_contexts')} contexts):")
        lines.append(f"{'policy':<8}" + "".join(f"{k.split('/')[-1]:>13}" for k in keys))
        for name, m in judged.items():
            lines.append(f"{name:<8}" + "".join(f"{m.get(k, float('nan')):>13.4f}" for k in keys))
        for k, v in (ev.get("set_metric_status") or {}).items():
            lines.append(f"{k}: {v}")
    if ev.get("actions"):
        lines.append(action_table(ev["actions"]))
    lines.append(json.dumps({"training composite (reference)": {k: ev.get(k) for k in ("greedy", "random", "mid", "best")}}
                            | {"cache": summary.get("cache_final"),
                               "time/iteration_s_mean": summary.get("time/iteration_s_mean"),
                               "run_dir": summary["run_dir"]}, indent=1))
    return "\n".join(lines)
