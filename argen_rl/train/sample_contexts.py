"""Contexts for a quick run: the embedded sample dataset passed through the real ASI stage.

``ensure_sample_contexts(folder)`` builds the sample dataset (``argen data sample``) and runs
ASI on it (``argen asi``: identity frames, KB retrieval, template prompts, MiniLM and FER+geometry
embeddings) into ``folder`` unless a ``contexts.jsonl`` is already there. Used by the CPU
training config, the env benchmark and the tests.
"""
from __future__ import annotations

from pathlib import Path


def ensure_sample_contexts(folder: str | Path, max_identities: int = 4, frames_per_clip: int = 4,
                           progress: bool = False) -> Path:
    """contexts.jsonl in ``folder`` (built once; reused when present)."""
    folder = Path(folder)
    jsonl = folder / "contexts.jsonl"
    if jsonl.is_file():
        return jsonl
    from argen_rl.asi.config import ASIConfig
    from argen_rl.asi.pipeline import run_asi
    from argen_rl.data import build_sample_dataset

    dataset = folder.parent / f"{folder.name}_dataset"
    if not (dataset / "README.txt").is_file():
        build_sample_dataset(dataset, "dfew")
    cfg = ASIConfig.model_validate({"identity": {"max_identities": max_identities,
                                                 "frames_per_clip": frames_per_clip}})
    run_asi(dataset, folder, cfg, progress=progress)
    return jsonl
