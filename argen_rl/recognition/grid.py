"""The recognition grid on Ray Tune: one trial per (model, fold, data variant).

``run_grid(cfg)`` plans the folds once in the driver (fails fast on a bad dataset, writes
``splits.json``), then runs ``recognition_trainable`` for every grid point, each reserving
``resources`` (e.g. 1 GPU + N CPUs for its DataLoader workers, so one GPU node runs as many
trials side by side as it has GPUs and a cluster runs the whole table). A trial reports every
epoch to Tune (progress.csv, TensorBoard events) and checkpoints into its own folder
``<out>/tune/<name>/<trial>/run/`` (``last.pt``, ``best.pt``, ``metrics.csv``).

``run_grid(cfg, resume=True)`` restores the experiment with ``Tuner.restore``: finished trials
are kept, interrupted ones rerun, continue from their last finished epoch and, being seeded per
epoch, end with the numbers of an uninterrupted run. On a cluster ``out`` must be a filesystem
every node mounts (the dataset must be anyway).

Outputs under ``out``: ``recognition.csv`` / ``.md`` / ``_folds.json`` (the table, as
``experiment.write_results``), ``splits.json`` (clip ids per fold and role), ``grid_config.json``
and the Tune experiment ``tune/<name>/``.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, field_validator
from ray import tune

from argen_rl.config import StrictModel
from argen_rl.io_utils import atomic_write_json
from argen_rl.recognition.experiment import (VARIANTS, FoldResult, order_results, plan_folds, run_trial,
                                             trial_name, write_results)
from argen_rl.recognition.models import BASELINES, MODEL_NAMES
from argen_rl.recognition.train import RecognitionConfig

CONFIG_FILE = "grid_config.json"


class TrialResources(StrictModel):
    cpu: float = 1.0
    """CPUs each trial reserves (its process + DataLoader workers)."""
    gpu: float = 0.0
    """GPUs each trial reserves (1 on a GPU node; 0.5 runs two trials per GPU)."""


class RayCluster(StrictModel):
    address: str | None = None
    """Ray cluster to join; None = the job's cluster under `ray job submit`, else a private local
    instance (argen_rl.train.loop.init_ray)."""
    num_cpus: int = 2
    """CPUs of the private local instance (ignored when joining a cluster)."""


class RecognitionGridConfig(StrictModel):
    """The whole table: models x folds x data variants, each a Tune trial."""

    data: str | None = None
    """Original dataset root (DFEW layout with 5 folds, or FERV39k)."""
    augmented: str | None = None
    """Augmented root (``argen augment`` output); None = the original rows only."""
    out: str = "runs/recognition"
    """Table, splits and the Tune experiment (``tune/<name>``) go here."""
    name: str = "recognition"
    """Tune experiment name."""
    models: list[str] = list(BASELINES)
    """Baselines to train (the paper's four by default)."""
    folds: list[int] | None = None
    """DFEW folds (None = all present)."""
    max_test_clips: int | None = None
    """Cap on test clips per fold (class-stratified); None = all."""
    train: RecognitionConfig = Field(default_factory=RecognitionConfig)
    """How every trial trains (the model field is set per trial)."""
    resources: TrialResources = Field(default_factory=TrialResources)
    """What each trial reserves."""
    max_concurrent_trials: int | None = None
    """Trials running at once (None = as many as the resources allow)."""
    max_failures: int = 1
    """Retries of a trial that raised (it restarts from its last checkpoint)."""
    reuse_actors: bool = True
    """Run the next trial in a finished trial's process (saves the ~5 s torch start per trial)."""
    torch_threads: int | None = None
    """torch intra-op threads per trial; None = the trial's CPU reservation."""
    ray: RayCluster = Field(default_factory=RayCluster)
    """Which Ray to run on."""

    @field_validator("models")
    @classmethod
    def _models(cls, v: list[str]) -> list[str]:
        bad = [m for m in v if m not in MODEL_NAMES]
        if bad or not v:
            raise ValueError(f"unknown model(s) {bad}; expected some of {', '.join(MODEL_NAMES)}")
        return v

    def variants(self) -> list[str]:
        return list(VARIANTS) if self.augmented else ["original"]

    def absolute(self) -> "RecognitionGridConfig":
        """Trials run in their own folders: make every path absolute first."""
        d = self.model_dump(mode="json")
        for k in ("data", "augmented", "out"):
            if d[k]:
                d[k] = str(Path(d[k]).expanduser().resolve())
        if d["train"]["clip_dir"]:
            d["train"]["clip_dir"] = str(Path(d["train"]["clip_dir"]).expanduser().resolve())
        return RecognitionGridConfig.model_validate(d)

    def fingerprint(self) -> str:
        """What the table depends on (not resources or concurrency)."""
        d = self.model_dump(mode="json")
        for k in ("resources", "max_concurrent_trials", "max_failures", "reuse_actors", "torch_threads", "ray"):
            d.pop(k)
        d["train"] = self.train.fingerprint()
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


class TrialProgress(tune.Callback):
    """Advances a tqdm bar as trials end (the bar is not pickled with the experiment state)."""

    def __init__(self, bar) -> None:
        self.bar = bar

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(last=trial_name(trial.config["model"], trial.config["fold"], trial.config["data"]))

    on_trial_error = on_trial_complete

    def __getstate__(self) -> dict:
        return {"bar": None}


@dataclass
class GridResult:
    results: list[FoldResult]
    """Finished trials, ordered fold / data / model."""
    files: dict[str, Path]
    restored: bool
    errors: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors and not self.unfinished


def recognition_trainable(config: dict, grid: dict) -> None:
    """Tune function trainable: ``config`` = {model, fold, data}; ``grid`` the whole
    RecognitionGridConfig (``tune.with_parameters``). Reports every epoch, then ``phase: done``
    with the test metrics and the serialized FoldResult."""
    import torch

    cfg = RecognitionGridConfig.model_validate(grid)
    torch.set_num_threads(cfg.torch_threads or max(1, int(cfg.resources.cpu)))
    train = cfg.train
    if train.num_workers is None and cfg.resources.gpu > 0:
        train = train.model_copy(update={"num_workers": max(0, int(cfg.resources.cpu) - 1)})
    fold = config["fold"]
    plans = plan_folds(Path(cfg.data), Path(cfg.augmented) if cfg.augmented else None, train,
                       [int(fold)] if fold.isdigit() else None, cfg.max_test_clips, progress=False)
    plan = next(p for p in plans if p.fold == fold)
    # the trial's own folder in the experiment (out/tune/<name>/<trial>/run): checkpoints and
    # metrics.csv live there (Tune writes the TensorBoard events beside it), so a restored or retried trial resumes from its
    # last finished epoch (Tune's own state snapshot can lag behind the last epoch)
    run_dir = Path(cfg.out) / "tune" / cfg.name / trial_name(config["model"], fold, config["data"]) / "run"

    def report(row: dict, ckpt_dir: Path | None) -> None:
        tune.report({"phase": "train", **{k: v for k, v in row.items() if v is not None}})

    res = run_trial(plan, config["model"], config["data"], train, run_dir=run_dir, progress=False,
                    tensorboard=False, on_epoch=report)
    tune.report({"phase": "done", "test/war": res.metrics.war, "test/uar": res.metrics.uar,
                 "best_epoch": res.best_epoch, "fold_result": json.dumps(res.to_json())})


def _prepare(cfg: RecognitionGridConfig, resume: bool) -> Path:
    exp_dir = Path(cfg.out) / "tune" / cfg.name
    stored = Path(cfg.out) / CONFIG_FILE
    exists = tune.Tuner.can_restore(str(exp_dir))
    if resume:
        if not exists:
            raise FileNotFoundError(f"--resume: no Tune experiment to restore at {exp_dir}")
        if not stored.is_file() or json.loads(stored.read_text())["fingerprint"] != cfg.fingerprint():
            raise ValueError(f"{exp_dir} was started with a different config (models, folds, data, "
                             "training settings); resume with the same config, or use another --out")
    elif exists:
        raise FileExistsError(f"{exp_dir} already holds a recognition grid: pass --resume to continue "
                              "it, or choose another --out / name")
    return exp_dir


def run_grid(cfg: RecognitionGridConfig, resume: bool = False, progress: bool = True) -> GridResult:
    """Run (or with ``resume`` restore) the grid and write the table (module docstring)."""
    from tqdm.auto import tqdm

    from argen_rl.train.loop import init_ray

    if not cfg.data:
        raise ValueError("the recognition grid needs data: the original dataset root")
    cfg = cfg.absolute()
    exp_dir = _prepare(cfg, resume)
    out = Path(cfg.out)
    plans = plan_folds(Path(cfg.data), Path(cfg.augmented) if cfg.augmented else None, cfg.train,
                       cfg.folds, cfg.max_test_clips, progress=progress)
    if not resume:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "splits.json", {p.fold: p.ids() for p in plans})
        atomic_write_json(out / CONFIG_FILE, {"fingerprint": cfg.fingerprint(), "config": cfg.model_dump(mode="json")})
    trainable = tune.with_resources(
        tune.with_parameters(recognition_trainable, grid=cfg.model_dump(mode="json")),
        {"cpu": cfg.resources.cpu, "gpu": cfg.resources.gpu})
    n_trials = len(cfg.models) * len(plans) * len(cfg.variants())
    bar = tqdm(total=n_trials, desc="recognition trials", unit="trial", disable=not progress)
    started = init_ray(cfg)
    try:
        if resume:
            tuner = tune.Tuner.restore(str(exp_dir), trainable, resume_unfinished=True, resume_errored=True)
        else:
            tuner = tune.Tuner(
                trainable,
                param_space={"model": tune.grid_search(cfg.models), "fold": tune.grid_search([p.fold for p in plans]),
                             "data": tune.grid_search(cfg.variants())},
                tune_config=tune.TuneConfig(
                    max_concurrent_trials=cfg.max_concurrent_trials, reuse_actors=cfg.reuse_actors,
                    trial_name_creator=lambda t: trial_name(t.config["model"], t.config["fold"], t.config["data"]),
                    trial_dirname_creator=lambda t: trial_name(t.config["model"], t.config["fold"], t.config["data"])),
                run_config=tune.RunConfig(
                    name=cfg.name, storage_path=str(out / "tune"), verbose=0, callbacks=[TrialProgress(bar)],
                    failure_config=tune.FailureConfig(max_failures=cfg.max_failures)))
        grid = tuner.fit()
    finally:
        bar.close()
        if started:
            import ray

            ray.shutdown()
    results, errors, unfinished = [], [], []
    for res in grid:
        name = trial_name(res.config["model"], res.config["fold"], res.config["data"])
        metrics = res.metrics or {}
        if res.error is not None:
            errors.append(f"{name}: {type(res.error).__name__}: {str(res.error).strip().splitlines()[-1][:300]}")
        elif metrics.get("phase") != "done":
            unfinished.append(name)
        else:
            results.append(FoldResult.from_json(json.loads(metrics["fold_result"])))
    results = order_results(results, cfg.models)
    files = write_results(results, out) if results else {}
    return GridResult(results, files, resume, errors, unfinished)

