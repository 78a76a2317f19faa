"""A reward ablation from a config file: what ``argen tune run`` and
``experiments/reward_ablation.py`` both call."""
from __future__ import annotations

from pathlib import Path

from argen_rl.ablation.runner import AblationResult


def run_ablation_job(config: str | Path, iterations: int | None = None, name: str | None = None,
                     storage_path: str | None = None, progress: bool = True) -> AblationResult:
    """Load the YAML (with overrides), check the training paths before Ray / Tune start, build the
    sample contexts when asked, run (or resume) the grid."""
    from argen_rl.ablation.config import AblationConfig
    from argen_rl.ablation.runner import run_ablation
    from argen_rl.config import load_config

    overrides = {k: v for k, v in {"train.iterations": iterations, "name": name,
                                   "storage_path": storage_path}.items() if v is not None}
    cfg = load_config(config, AblationConfig, overrides)
    cfg.train.check_files(str(config), prefix="train.")
    if cfg.train.build_sample_contexts and not Path(cfg.train.env.contexts).exists():
        from argen_rl.asi.sample_contexts import ensure_sample_contexts

        folder = Path(cfg.train.env.contexts)
        folder = folder.parent if folder.suffix == ".jsonl" else folder
        print(f"building sample contexts in {folder} ...", flush=True)
        ensure_sample_contexts(folder, progress=progress)
    return run_ablation(cfg, progress=progress)


def report_text(result: AblationResult) -> tuple[str, str]:
    """(what goes to stdout: the table and the files, what goes to stderr: errors and a resume hint)."""
    out = result.files["markdown"].read_text() + "\n" + "\n".join(f"{k}: {v}" for k, v in result.files.items())
    err = [f"ERROR {e}" for e in result.errors]
    if not result.complete:
        err.append("some rows are not finished: rerun the same command to resume")
    return out, "\n".join(err)
