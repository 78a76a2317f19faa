"""`argen recognize`: retrain the recognition baselines on original vs augmented data."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Recognition baselines (ResNet18/VGG13 + LSTM/Transformer): WAR, UAR, "
                  "scarce-class recall, original vs augmented.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Recognition baselines: WAR, UAR and scarce-class recall, original vs augmented."""


def _csv(value: str | None, cast=str) -> list | None:
    return None if value is None else [cast(v.strip()) for v in value.split(",") if v.strip()]


@app.command("run")
def run(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Grid YAML (experiments/configs/"
                                          "recognition_*.yaml); the options below override it."),
    data: Optional[Path] = typer.Option(None, help="Original dataset root (DFEW layout: 5 folds; or FERV39k)."),
    augmented: Optional[Path] = typer.Option(None, help="Augmented dataset root (`argen augment` output)."),
    out: Optional[Path] = typer.Option(None, help="Output folder (table, splits, Tune experiment)."),
    resume: bool = typer.Option(False, "--resume", help="Restore the interrupted grid in --out (Tuner.restore)."),
    models: Optional[str] = typer.Option(None, help="Comma-separated baselines (default: the paper's four)."),
    folds: Optional[str] = typer.Option(None, help="Comma-separated DFEW folds (default: all present)."),
    epochs: Optional[int] = typer.Option(None, help="Training epochs per trial."),
    batch_size: Optional[int] = typer.Option(None),
    lr: Optional[float] = typer.Option(None, help="SGD learning rate (same for all baselines)."),
    schedule: Optional[str] = typer.Option(None, help="step | multistep | cosine"),
    input_size: Optional[int] = typer.Option(None, help="Frame side (112 default, 224 as the paper)."),
    frames: Optional[int] = typer.Option(None, help="Frames per clip."),
    width: Optional[int] = typer.Option(None, help="Encoder base width (64 = standard)."),
    val_fraction: Optional[float] = typer.Option(None, help="Share of the training fold held out for validation."),
    max_clips: Optional[int] = typer.Option(None, help="Cap on training-fold clips (CPU budget)."),
    max_test_clips: Optional[int] = typer.Option(None, help="Cap on test clips (CPU budget)."),
    device: Optional[str] = typer.Option(None, help="auto | cpu | cuda | cuda:N"),
    amp: Optional[str] = typer.Option(None, help="auto | none | bf16 | fp16"),
    workers: Optional[int] = typer.Option(None, help="DataLoader workers per trial."),
    cpus_per_trial: Optional[float] = typer.Option(None, help="CPUs each Tune trial reserves."),
    gpus_per_trial: Optional[float] = typer.Option(None, help="GPUs each Tune trial reserves."),
    seed: Optional[int] = typer.Option(None),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Train every baseline on every fold (one Ray Tune trial each) and print the paper's table
    with deltas. Without a cluster this starts a private local Ray."""
    from argen_rl.config import load_config, validate_config
    from argen_rl.recognition.experiment import summarize, to_markdown
    from argen_rl.recognition.grid import RecognitionGridConfig, run_grid

    given = {"data": data, "augmented": augmented, "out": out, "models": _csv(models),
             "folds": _csv(folds, int), "max_test_clips": max_test_clips,
             "train.epochs": epochs, "train.batch_size": batch_size, "train.lr": lr,
             "train.schedule": schedule, "train.input_size": input_size, "train.frames": frames,
             "train.width": width, "train.val_fraction": val_fraction, "train.max_clips": max_clips,
             "train.device": device, "train.amp": amp, "train.num_workers": workers, "train.seed": seed,
             "resources.cpu": cpus_per_trial, "resources.gpu": gpus_per_trial}
    overrides = {k: (str(v) if isinstance(v, Path) else v) for k, v in given.items() if v is not None}
    if config is not None:
        cfg = load_config(config, RecognitionGridConfig, overrides)
    else:
        nested: dict = {}
        for dotted, v in overrides.items():
            node = nested
            *parents, last = dotted.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = v
        cfg = validate_config(nested, RecognitionGridConfig, "command line")
    res = run_grid(cfg, resume=resume, progress=progress)
    for e in res.errors:
        typer.echo(f"trial failed: {e}", err=True)
    if res.unfinished:
        typer.echo(f"unfinished trials (rerun with --resume): {', '.join(res.unfinished)}", err=True)
    if res.results:
        typer.echo(to_markdown(summarize(res.results)))
        typer.echo("wrote " + ", ".join(str(p) for p in res.files.values()))
    if not res.complete:
        raise typer.Exit(1)
