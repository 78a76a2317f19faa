"""`argen train ...`: train the ARD policy (RLlib PPO) and evaluate it on held-out contexts."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="ARD policy: train with RLlib on the contextual-bandit env; evaluate the "
                  "greedy policy against random and mid-range actions.", no_args_is_help=True)


@app.command()
def run(
    config: Path = typer.Option(..., "--config", "-c", help="training YAML (experiments/configs/train_*.yaml)"),
    run_dir: str = typer.Option(None, help="override run_dir (use an absolute path under `ray job submit`)"),
    iterations: int = typer.Option(None, help="override the number of training iterations"),
    fresh: bool = typer.Option(False, "--fresh", help="ignore existing checkpoints (resume: false)"),
) -> None:
    """Train (resuming from the latest checkpoint in run_dir), then evaluate on held-out contexts."""
    from argen_rl.train.job import run_training, summary_text

    summary = run_training(config, run_dir=run_dir, iterations=iterations, fresh=fresh)   # errors: cli_errors
    typer.echo(summary_text(summary))
