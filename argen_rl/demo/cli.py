"""`argen demo`: the whole loop on the sample dataset (or a configured one) with one HTML report."""
from __future__ import annotations

from pathlib import Path

import typer


def demo_command(
    config: Path = typer.Option(None, "--config", "-c", help="demo YAML (default: experiments/configs/demo.yaml)"),
    out: Path = typer.Option(None, "--out", help="run folder (default: runs/demo-<UTC time>); pass an existing "
                             "one to resume from its last finished stage"),
    resume: bool = typer.Option(False, "--resume", help="continue the newest runs/demo-* folder"),
    fresh: bool = typer.Option(False, "--fresh", help="redo every stage even if its outputs exist"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
) -> None:
    """Data summary -> ASI -> policy training on local Ray (warp generator) -> augmentation with
    label calibration -> recognition original vs augmented -> metrics; writes
    <out>/report.html and report.json. Each stage's outputs are files, so an interrupted demo
    resumes from the last finished stage when run again with the same --out (or --resume)."""
    from argen_rl.demo.config import load_demo_config
    from argen_rl.demo.pipeline import default_out, latest_out, run_demo

    cfg = load_demo_config(config)      # a ConfigError is one line, exit 2 (argen_rl.cli_errors)
    if resume and out is None:
        out = latest_out()
        if out is None:
            typer.secho("error: --resume: no runs/demo-* folder to continue", fg="red", err=True)
            raise typer.Exit(2)
    out = out or default_out()
    typer.echo(f"demo run folder: {out}")
    report = run_demo(cfg, out, fresh=fresh, progress=not quiet, log=typer.echo)
    typer.echo(f"open {report}")
