"""`argen asi`: identity frames + AU knowledge + RAG prompts -> contexts.jsonl (ARGen §3.2)."""
from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="ASI stage: pick neutral identity frames, retrieve FACS AU descriptions for each scarce "
                  "emotion, write prompts (template | qwen-vl | fixed), filter them for AU compliance and "
                  "save contexts.jsonl with text/image embeddings.")


@app.callback(invoke_without_command=True)
def asi(
    dataset: Path = typer.Option(..., "--dataset", help="dataset root (DFEW / FERV39k / CK+ / folder layout)"),
    out: Path = typer.Option(..., "--out", help="output folder (contexts.jsonl, identities/, summary)"),
    writer: str = typer.Option(None, "--writer", help="template | qwen-vl | fixed (overrides the config)"),
    config: Path = typer.Option(None, "--config", help="ASI YAML config (see docs/asi.md); defaults otherwise"),
    seed: int = typer.Option(None, "--seed", help="seed (overrides the config); same seed -> same contexts"),
    qwen_dir: Path = typer.Option(None, "--qwen-dir", help="local Qwen2.5-VL directory (writer qwen-vl)"),
    workers: int = typer.Option(None, "--workers", min=0, help="Ray clip workers (0 = one process; the writer "
                                "gets its own actor); same output either way"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bars"),
) -> None:
    """Write one context per (identity, scarce emotion) pair and variant, plus a summary."""
    from argen_rl.asi.config import ASIConfig
    from argen_rl.asi.pipeline import run_asi
    from argen_rl.cli_errors import report
    from argen_rl.config import load_config, validate_config

    overrides = {}
    if writer is not None:
        overrides["writer.name"] = writer
    if seed is not None:
        overrides["seed"] = seed
    if qwen_dir is not None:
        overrides["writer.qwen_dir"] = str(qwen_dir)
    if workers is not None:
        overrides["parallel.workers"] = workers
    try:
        if config is not None:
            cfg = load_config(config, ASIConfig, overrides)
        else:
            data: dict = {}
            for dotted, value in overrides.items():
                node = data
                *parents, last = dotted.split(".")
                for p in parents:
                    node = node.setdefault(p, {})
                node[last] = value
            cfg = validate_config(data, ASIConfig, "command line")
        cfg.check_files(str(config) if config is not None else "command line")
        result = run_asi(dataset, out, cfg, progress=not quiet)
    except RuntimeError as err:     # a model that failed to load: one line too
        report(err)
    s = result.summary
    typer.echo(json.dumps({k: s[k] for k in ("clips", "scarce", "neutral_clips", "identities", "frames_checked",
                                             "frames_rejected", "rejection_reasons", "writer", "contexts",
                                             "fallback_prompts", "hallucination", "timings")}, indent=2))
    typer.echo(f"contexts: {result.contexts_path}\nsummary:  {out / 'asi_summary.json'}")
