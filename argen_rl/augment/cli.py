"""`argen augment run ...`: write generated clips for the scarce classes into a new copy of the
dataset's layout, vetted by label calibration (see docs/augmentation.md)."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Augmentation: generate clips for the scarce classes up to a target count, "
                  "calibrate their labels, write them in the dataset's own layout under a new root.",
                  no_args_is_help=True)


@app.command()
def run(
    config: Path = typer.Option(..., "--config", "-c", help="augmentation YAML (experiments/configs/augment_*.yaml)"),
    dataset: str = typer.Option(None, help="override the original dataset root"),
    out: str = typer.Option(None, help="override the new root (rerun with the same one to resume)"),
    policy: str = typer.Option(None, help="override the policy checkpoint (greedy actions)"),
    target_count: int = typer.Option(None, help="override clips per augmented class (originals included)"),
    seed: int = typer.Option(None, help="override the base seed"),
    actors: int = typer.Option(None, "--actors", min=0, help="generator actors on Ray (rollout.num_actors; "
                               "0 = generate in this process); the same clips either way"),
) -> None:
    """Generate, calibrate and write; prints the per-class summary (rejection rates included)."""
    from argen_rl.augment.job import run_augmentation, summary_table

    s = run_augmentation(config, dataset=dataset, out=out, policy=policy, target_count=target_count, seed=seed,
                         num_actors=actors)
    typer.echo(summary_table(s))
