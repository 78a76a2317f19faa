"""Run (or resume) the ablation grid on Ray Tune and write its table.

Each row is one trial of ``ablation_trainable`` reserving ``cpus_per_trial`` CPUs. Resuming:
rerunning with the same ``storage_path``/``name`` restores the experiment with
``Tuner.restore`` (finished trials are kept, unfinished / errored ones rerun) and a rerun train
row continues from its latest training checkpoint (``argen_rl.train.loop``'s resume), so an
interrupted ablation loses at most the iterations since the last checkpoint.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ray import tune

from argen_rl.ablation.config import AblationConfig
from argen_rl.ablation.report import write_report
from argen_rl.io_utils import atomic_write_json

CONFIG_FILE = "ablation_config.json"


@dataclass
class AblationResult:
    rows: list[dict]
    """One metrics dict per configured row, in config order (``status`` says ok / error)."""
    files: dict[str, Path]
    """csv, markdown, png, summary."""
    restored: bool
    """True when an existing experiment was resumed with Tuner.restore."""
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(r.get("status") == "ok" for r in self.rows)


def absolute(cfg: AblationConfig) -> AblationConfig:
    """Tune workers run in their trial folders: make every path absolute first."""
    d = cfg.model_dump(mode="json")
    d["storage_path"] = str(Path(cfg.storage_path).resolve())
    d["train"]["env"]["contexts"] = str(Path(cfg.train.env.contexts).resolve())
    d["train"]["run_dir"] = str(Path(cfg.train.run_dir).resolve())
    if cfg.out_dir:
        d["out_dir"] = str(Path(cfg.out_dir).resolve())
    return AblationConfig.model_validate(d)


class TrialProgress(tune.Callback):
    """Advances a tqdm bar as trials finish. The bar is not pickled with the experiment state
    (a restored run just fills the bar when it ends)."""

    def __init__(self, bar) -> None:
        self.bar = bar

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(last=trial.config["row"]["name"])

    on_trial_error = on_trial_complete

    def __getstate__(self) -> dict:
        return {"bar": None}


def _fingerprint(cfg: AblationConfig) -> str:
    d = cfg.model_dump(mode="json")
    d.pop("out_dir", None)
    d.pop("max_concurrent_trials", None)
    return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()


def run_ablation(cfg: AblationConfig, progress: bool = True) -> AblationResult:
    from tqdm.auto import tqdm

    from argen_rl.ablation.trial import ablation_trainable
    from argen_rl.train.loop import init_ray

    cfg = absolute(cfg)
    exp_dir = Path(cfg.storage_path) / cfg.name
    stored = exp_dir / CONFIG_FILE
    fp = _fingerprint(cfg)
    if stored.is_file() and json.loads(stored.read_text())["fingerprint"] != fp:
        raise ValueError(f"{exp_dir} holds an ablation started with a different config; "
                         "use another name/storage_path or delete that folder")
    trainable = tune.with_resources(
        tune.with_parameters(ablation_trainable, ablation=cfg.model_dump(mode="json")),
        {"cpu": cfg.cpus_per_trial})
    bar = tqdm(total=len(cfg.rows), desc="ablation trials", unit="trial", disable=not progress)
    started = init_ray(cfg.train)
    try:
        restored = tune.Tuner.can_restore(str(exp_dir))
        if restored:
            tuner = tune.Tuner.restore(str(exp_dir), trainable, resume_unfinished=True,
                                       resume_errored=True)
        else:
            exp_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_json(stored, {"fingerprint": fp, "config": cfg.model_dump(mode="json")})
            tuner = tune.Tuner(
                trainable,
                param_space={"row": tune.grid_search([r.model_dump(mode="json") for r in cfg.rows])},
                tune_config=tune.TuneConfig(
                    max_concurrent_trials=cfg.max_concurrent_trials,
                    trial_name_creator=lambda t: t.config["row"]["name"],
                    trial_dirname_creator=lambda t: "row_" + "".join(
                        ch if ch.isalnum() or ch in "-_" else "_" for ch in t.config["row"]["name"])),
                run_config=tune.RunConfig(name=cfg.name, storage_path=cfg.storage_path, verbose=0,
                                          callbacks=[TrialProgress(bar)],
                                          failure_config=tune.FailureConfig(max_failures=1)))
        grid = tuner.fit()
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
        if started:
            import ray

            ray.shutdown()
    by_name, errors = {}, []
    for res in grid:
        name = res.config["row"]["name"]
        kind = res.config["row"].get("kind", "train")
        if res.error is not None:
            errors.append(f"{name}: {type(res.error).__name__}: {str(res.error).splitlines()[0][:300]}")
            by_name[name] = {"row": name, "kind": kind, "status": "error"}
        elif (res.metrics or {}).get("phase") != "done":
            # stopped before its evaluation (e.g. Ctrl-C): rerun the command to resume it
            by_name[name] = {"row": name, "kind": kind, "status": "unfinished",
                             "train/iterations": (res.metrics or {}).get("train/iteration")}
        else:
            by_name[name] = {**res.metrics, "status": "ok"}
    rows = [by_name.get(r.name, {"row": r.name, "kind": r.kind, "status": "missing"}) for r in cfg.rows]
    oracle = next((r for r in rows if any(k.startswith("oracle/") for k in r)), None)
    if oracle is not None:    # the judge's per-context best action (judged in the random row)
        rows.append({"row": "oracle (judge)", "kind": "oracle", "status": "ok",
                     **{"judge/" + k[len("oracle/"):]: v for k, v in oracle.items() if k.startswith("oracle/")}})
    out_dir = Path(cfg.out_dir) if cfg.out_dir else exp_dir
    files = write_report(rows, out_dir, cfg.eval_weights)
    keep = ("row", "kind", "status", "eval/composite", "eval/steps", "eval/quality", "eval/face",
            "eval/expression", "eval/naturalness", "eval/mean_steps", "eval/best", "eval/n_contexts",
            "cache/hit_rate", "train/iterations", "train/resumed_from", "train/time_per_iteration_s",
            "time/trial_s")
    files["summary"] = atomic_write_json(out_dir / "summary.json", {
        "experiment": str(exp_dir), "restored": restored, "eval_weights": cfg.eval_weights,
        "eval_split": cfg.eval_split, "errors": errors,
        "rows": [{k: v for k, v in r.items() if k in keep or k.startswith("judge/")} for r in rows]})
    return AblationResult(rows, files, restored, errors)
