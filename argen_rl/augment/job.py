"""An augmentation run from a config file: what ``argen augment run`` and
``experiments/generate_augmentation.py`` both call."""
from __future__ import annotations

from pathlib import Path

from argen_rl.augment.writer import AugmentSummary


def run_augmentation(config: str | Path, dataset: str | None = None, out: str | None = None,
                     policy: str | None = None, target_count: int | None = None, seed: int | None = None,
                     num_actors: int | None = None, progress: bool = True) -> AugmentSummary:
    """Load the YAML (with overrides), check every input, resolve ``dataset: sample``, run (or
    resume) the augmentation."""
    from argen_rl.augment.config import AugmentConfig
    from argen_rl.augment.writer import augment
    from argen_rl.config import load_config

    overrides = {k: v for k, v in {"dataset": dataset, "out": out, "policy_checkpoint": policy,
                                   "target_count": target_count, "seed": seed,
                                   "rollout.num_actors": num_actors}.items() if v is not None}
    cfg = load_config(config, AugmentConfig, overrides)
    cfg.check_files(str(config))          # every input exists before anything is read or written
    if cfg.dataset == "sample" or not Path(cfg.dataset).exists():
        from argen_rl.data import default_sample_root

        if cfg.dataset != "sample":
            raise FileNotFoundError(f"dataset root not found: {cfg.dataset}")
        cfg = cfg.model_copy(update={"dataset": str(default_sample_root("dfew"))})
    return augment(cfg, progress=progress)


def summary_table(s: AugmentSummary) -> str:
    """Per-class counts and rejection rates, then where the files are."""
    lines = [f"{'class':10s} {'orig':>5s} {'target':>6s} {'written':>7s} {'rejected':>8s} {'attempts':>8s} "
             f"{'rej.rate':>8s} {'final':>5s}"]
    for name, r in s.per_class.items():
        rate = "" if r["rejection_rate"] is None else f"{r['rejection_rate']:.2f}"
        lines.append(f"{name:10s} {r['original']:5d} {str(r['target'] or ''):>6s} {r['written']:7d} "
                     f"{r['rejected']:8d} {r['attempts']:8d} {rate:>8s} {r['final']:5d}")
    import json

    lines.append(f"recognizer expert: {json.loads(s.files['summary'].read_text()).get('recognizer_expert')}")
    lines.append(f"new root: {s.out}\nmanifest: {s.files['manifest']}\nsummary: {s.files['summary']}")
    return "\n".join(lines)
