"""`argen tune run ...`: reward ablations on Ray Tune (see docs/ablation.md)."""
from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Reward ablations on Ray Tune: one trial per reward configuration plus a "
                  "random policy and a fixed action, all judged by one fixed evaluation reward.",
                  no_args_is_help=True)


@app.command()
def run(
    config: Path = typer.Option(..., "--config", "-c", help="ablation YAML (experiments/configs/ablation_*.yaml)"),
    iterations: int = typer.Option(None, help="override train.iterations of every train row"),
    name: str = typer.Option(None, help="override the experiment name (a new name starts afresh)"),
    storage_path: str = typer.Option(None, help="override Tune's storage folder"),
) -> None:
    """Run the ablation grid (or resume it: same name and storage path) and write its table."""
    from argen_rl.ablation.job import report_text, run_ablation_job

    res = run_ablation_job(config, iterations=iterations, name=name, storage_path=storage_path)
    out, err = report_text(res)
    typer.echo(out)
    if err:
        typer.echo(err, err=True)
    if not res.complete:
        raise typer.Exit(1)
