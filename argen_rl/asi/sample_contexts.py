"""Contexts for a quick run: a dataset (by default the embedded sample) through the real ASI stage.

``ensure_sample_contexts(folder)`` builds the sample dataset (``argen data sample``) and runs ASI
on it (``argen asi``: identity frames, KB retrieval, template prompts, MiniLM and FER+geometry
embeddings, through ``argen_rl.asi.builder``) into ``folder`` unless a ``contexts.jsonl`` is
already there. Used by the CPU training config (``build_sample_contexts: true``), augmentation of
the sample dataset, the env benchmark and the tests: there is no second, quicker way to make
contexts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence


def ensure_sample_contexts(folder: str | Path, dataset: str | Path | None = None,
                           emotions: Sequence[str] | None = None, max_identities: int = 4,
                           frames_per_clip: int = 4, progress: bool = False,
                           generator_tokenizer: str | None = None) -> Path:
    """contexts.jsonl in ``folder`` (built once; reused when present). ``dataset``: the root to
    take identities from (default: the sample dataset, built next to ``folder``); ``emotions``:
    the target emotions (default: the dataset's scarce classes); ``generator_tokenizer``: the
    generator's CLIP tokenizer folder, so generator prompts are fitted to its exact count."""
    folder = Path(folder)
    jsonl = folder / "contexts.jsonl"
    if jsonl.is_file():
        return jsonl
    from argen_rl.asi.config import ASIConfig
    from argen_rl.asi.pipeline import run_asi
    from argen_rl.data import build_sample_dataset

    if dataset is None:
        dataset = folder.parent / f"{folder.name}_dataset"
        if not (dataset / "README.txt").is_file():
            build_sample_dataset(dataset, "dfew")
    cfg = ASIConfig.model_validate({"identity": {"max_identities": max_identities, "frames_per_clip": frames_per_clip},
                                    "scarce": list(emotions) if emotions else None,
                                    "writer": {"generator_tokenizer": generator_tokenizer}})
    run_asi(Path(dataset), folder, cfg, progress=progress)
    return jsonl


def ensure_wheel_face_contexts(folder: str | Path, emotions: Sequence[str] = ("surprise", "disgust", "fear"),
                               seed: int = 0, splits: Sequence[str] = ("tuning", "held_out"),
                               faces: Sequence[str] | None = None) -> Path:
    """contexts.jsonl in ``folder`` (built once) whose identities are the real faces shipped in
    installed wheels (``argen_rl.data.wheel_faces``) of ``splits`` (only those named in
    ``faces`` when given), one context per face x emotion, subject =
    the face's name (so ``EnvConfig.heldout_subjects`` can hold out exactly the ``held_out``
    faces), made by ASI's one context builder (``argen_rl.asi.builder``: retrieval, template
    writer, compliance filter, embeddings)."""
    import numpy as np

    from argen_rl.asi.builder import ContextBuilder, ContextSpec, context_seed
    from argen_rl.asi.contexts import write_contexts
    from argen_rl.data.wheel_faces import wheel_faces
    from argen_rl.paths import output_path
    from argen_rl.types import Emotion
    from argen_rl.video_io import write_image

    folder = Path(folder)
    jsonl = folder / "contexts.jsonl"
    if jsonl.is_file():
        return jsonl
    specs = []
    for split in splits:
        for face in wheel_faces(split):   # type: ignore[arg-type]
            if faces is not None and face.name not in faces:
                continue
            image = np.array(face.image)
            path = write_image(output_path(folder / "identities", face.name, suffix=".png"), image)
            for name in emotions:
                e = Emotion.parse(name)
                specs.append(ContextSpec(image, e, context_seed(seed, face.name, e.value), f"{face.name}-{e.value}",
                                         identity_image=path, source_clip=face.source, subject=face.name))
    built = ContextBuilder().build_many(specs)
    write_contexts(folder, [b.context for b in built], [b.meta for b in built])
    return jsonl
