"""`argen data ...`: inspect a dataset (`summary`) and build the synthetic sample dataset (`sample`)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import typer

app = typer.Typer(help="Datasets: summarise DFEW / FERV39k / CK+ / folder datasets; build the "
                  "synthetic sample dataset.", no_args_is_help=True)


@app.command()
def summary(
    root: Path = typer.Argument(..., help="dataset root in its official layout"),
    kind: str = typer.Option("auto", help="auto | dfew | ferv39k | ckplus | folder"),
    frames_dir: str = typer.Option(None, help="frame folder relative to ROOT when not the usual one "
                                   "(e.g. Clip/clip_224x224_16f for DFEW)"),
    out: Path = typer.Option(None, help="folder for class_counts.csv, skipped.csv and "
                             "class_distribution.png (default: runs/data_summary/<dataset>)"),
    verify: bool = typer.Option(False, help="decode every frame now and list clips with an "
                                "undecodable frame as skipped (slow on full datasets)"),
    ratio: float = typer.Option(0.5, help="scarce if count < ratio * total / 7 (ARGen §3)"),
    recall: Path = typer.Option(None, help="baseline per-class recall (JSON or CSV emotion,recall); "
                                "scarce classes must then also have recall < 0.5"),
    no_contempt: bool = typer.Option(False, "--no-contempt", help="CK+: list contempt as skipped "
                                     "(7-class tasks)"),
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks", help="accept clip folders / files "
                                         "that are symlinks to places outside ROOT (default: skipped)"),
) -> None:
    """Class counts, scarce classes and skipped clips (with reasons) of a dataset; writes a class
    distribution bar chart (PNG) and CSVs of counts and skipped clips."""
    from argen_rl.data.readers import read_dataset
    from argen_rl.data.report import plot_class_distribution, write_counts_csv, write_skipped_csv
    from argen_rl.data.scarce import class_counts, load_recall_report, scarce_classes, scarce_threshold

    # errors (missing / not-a-folder root, unsafe paths, bad recall file): one line, exit 2
    index = read_dataset(root, kind, frames_dir, verify=verify, include_contempt=not no_contempt,
                         follow_symlinks=follow_symlinks)
    rec = load_recall_report(recall) if recall else None
    counts = class_counts(index.clips)
    scarce = scarce_classes(counts, rec, ratio=ratio) if index.clips else []
    thr = scarce_threshold(counts, ratio)
    total = sum(counts.values())
    typer.echo(f"{index.name} dataset at {root}: {total} clips indexed, {len(index.skipped)} skipped")
    for e, n in counts.items():
        mark = "  <- scarce" if e in scarce else ""
        extra = f"  recall {rec[e]:.2f}" if rec and e in rec else ""
        typer.echo(f"  {e.value:<9} {n:>7}  {100 * n / max(total, 1):5.1f}%{extra}{mark}")
    typer.echo(f"scarce (count < {ratio:g} x total/7 = {thr:.1f}"
               f"{' and recall < 0.5' if rec else ''}): {', '.join(e.value for e in scarce) or 'none'}")
    if index.skipped:
        by_reason = Counter(_reason_kind(s.reason) for s in index.skipped)
        typer.echo("skipped, by reason: " + "; ".join(f"{n} x {r}" for r, n in by_reason.most_common()))
        for s in index.skipped[:20]:   # names from the dataset may hold control characters
            typer.echo(_printable(f"  {s.clip_id}: {s.reason}  [{s.path}]"))
        if len(index.skipped) > 20:
            typer.echo(f"  ... {len(index.skipped) - 20} more in skipped.csv")
    for note in index.notes[:10]:
        typer.echo(_printable(f"note: {note}"))
    out = out or Path("runs") / "data_summary" / index.name
    write_counts_csv(out / "class_counts.csv", counts, scarce)
    write_skipped_csv(out / "skipped.csv", index)
    png = plot_class_distribution(out / "class_distribution.png", counts, scarce, thr,
                                  f"{index.name}: {total} clips ({root.name})")
    typer.echo(f"wrote {png}, {out / 'class_counts.csv'}, {out / 'skipped.csv'}")
    if not index.clips:
        typer.secho("error: no clip could be indexed (see the skip reasons above; --frames-dir?)", fg="red", err=True)
        raise typer.Exit(1)


def _printable(text: str) -> str:
    """One terminal line: control characters (escape sequences, newlines) shown as \\x.., not sent."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _reason_kind(reason: str) -> str:
    """A skip reason without its file path / numbers, for grouping ('label 9 outside' -> 'label N outside')."""
    head = reason.split(": /")[0]
    return re.sub(r"\d+", "N", head)[:80]


@app.command()
def sample(
    out: Path = typer.Argument(None, help="where to write it (default: runs/sample_<layout>)"),
    layout: str = typer.Option("dfew", help="dfew | ferv39k | ckplus | folder"),
    seed: int = typer.Option(0, help="random seed (the dataset is deterministic for a seed)"),
) -> None:
    """Build the small, long-tailed SYNTHETIC sample dataset (real public-domain photos from
    installed packages under slow zoom/pan/rotation; 50 clips, surprise/disgust/fear scarce)."""
    from argen_rl.cli_errors import report
    from argen_rl.data.sample import LAYOUTS, build_sample_dataset, default_sample_root

    if layout not in LAYOUTS:
        typer.secho(f"error: unknown layout {layout!r}; expected one of: {', '.join(LAYOUTS)}", fg="red", err=True)
        raise typer.Exit(2)
    try:
        with _spinner(f"building the {layout} sample dataset"):
            root = build_sample_dataset(out, layout, seed) if out else default_sample_root(layout, seed)
    except FileExistsError as err:
        report(err)
    typer.echo(f"wrote the synthetic {layout} sample dataset to {root} (see {root / 'README.txt'})")


def _spinner(text: str):
    from rich.console import Console

    return Console(stderr=True).status(text)
