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


@app.command("run")
def run(
    data: Path = typer.Option(..., help="Original dataset root (DFEW layout: 5 folds; or FERV39k)."),
    augmented: Optional[Path] = typer.Option(None, help="Augmented dataset root (same layout, "
                                             "generated clips added to the train CSVs)."),
    out: Path = typer.Option(Path("runs/recognition"), help="Output folder for CSV / Markdown / JSON."),
    models: str = typer.Option("res18_lstm,res18_transformer,vgg13_lstm,vgg13_transformer",
                               help="Comma-separated baselines."),
    folds: str = typer.Option("", help="Comma-separated DFEW folds (default: all present)."),
    epochs: int = typer.Option(20, help="Training epochs per run."),
    batch_size: int = typer.Option(8),
    lr: float = typer.Option(0.01, help="SGD learning rate (same for all baselines)."),
    schedule: str = typer.Option("cosine", help="cosine | step"),
    input_size: int = typer.Option(112, help="Frame side (112 for CPU, 224 standard)."),
    frames: int = typer.Option(16, help="Frames per clip."),
    width: int = typer.Option(64, help="Encoder base width (64 = standard)."),
    max_clips: Optional[int] = typer.Option(None, help="Cap on training clips (CPU budget)."),
    max_test_clips: Optional[int] = typer.Option(None, help="Cap on test clips (CPU budget)."),
    seed: int = typer.Option(0),
) -> None:
    """Train every baseline on every fold and print the paper's table with deltas."""
    from argen_rl.recognition.experiment import run_recognition, summarize, to_markdown, write_results
    from argen_rl.recognition.train import RecognitionConfig

    cfg = RecognitionConfig(epochs=epochs, batch_size=batch_size, lr=lr, schedule=schedule,
                            input_size=input_size, frames=frames, width=width, max_clips=max_clips,
                            seed=seed)
    model_list = [m.strip() for m in models.split(",") if m.strip()]
    for m in model_list:
        RecognitionConfig(model=m)  # fail fast on a typo, before any training
    fold_list = [int(f) for f in folds.split(",") if f.strip()] or None
    results = run_recognition(data, augmented, model_list, cfg, fold_list, max_test_clips)
    paths = write_results(results, out)
    typer.echo(to_markdown(summarize(results)))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))
