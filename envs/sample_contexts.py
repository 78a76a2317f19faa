"""Quick generation contexts from the embedded sample dataset, built with ASI's own parts.

The ASI stage (``argen asi``; ``argen_rl.train.sample_contexts.ensure_sample_contexts`` runs it
on the sample dataset) is the real producer of ``contexts.jsonl``. This helper makes a small
contexts folder in seconds without running it — one identity image per subject of the sample dataset
(the first frame of a neutral clip of that subject, else of its first clip) crossed with a few target emotions, AU sets from
ASI's knowledge base, prompts from ASI's template writer, MiniLM text embeddings and the
FER+geometry image embeddings — written with ``argen_rl.asi.contexts.write_contexts``, so the
env reads it exactly like ASI's output. Tests and the quick training config use it.
``build_wheel_face_contexts`` does the same for the real faces shipped in installed wheels
(``argen_rl.data.wheel_faces``: tuning faces to train on, held-out faces to evaluate on).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from argen_rl.types import Context, Emotion

DEFAULT_EMOTIONS = ("surprise", "disgust", "fear")   # the sample dataset's scarce classes


def build_sample_contexts(out_dir: str | Path, dataset_root: str | Path | None = None,
                          emotions: Sequence[str] = DEFAULT_EMOTIONS, intensity: float = 2.5) -> Path:
    """Write contexts for every (sample-dataset subject, emotion) pair; returns contexts.jsonl."""
    from argen_rl.data import build_sample_dataset, load_clip_frames, read_dataset

    out = Path(out_dir)
    root = Path(dataset_root) if dataset_root else out / "sample_dataset"
    if not (root.exists() and any(root.iterdir())):
        build_sample_dataset(root, "dfew")
    # DFEW's layout has no subject column; read_dataset fills Clip.subject from the sample
    # dataset's clips.csv (validated names), so identities can be grouped by person.
    index = read_dataset(root, progress=False)
    first: dict[str, object] = {}
    ordered = sorted(index.clips, key=lambda c: c.emotion is not Emotion.NEUTRAL)
    for clip in ordered:   # a neutral clip when the subject has one (the warp neutralises others)
        subject = clip.subject
        if subject and subject not in first:
            first[subject] = clip
    if not first:
        raise ValueError(f"{root}: no clip with a known subject")
    identities = [(subject, load_clip_frames(clip, n=1)[0], clip.clip_id) for subject, clip in sorted(first.items())]
    return write_identity_contexts(out, identities, emotions, intensity)


def build_wheel_face_contexts(out_dir: str | Path, emotions: Sequence[str] = DEFAULT_EMOTIONS,
                              intensity: float = 2.5, splits: Sequence[str] = ("tuning", "held_out")) -> Path:
    """Contexts whose identities are the real faces shipped in installed wheels
    (``argen_rl.data.wheel_faces``), subject = the face's name, so ``EnvConfig.heldout_subjects``
    can hold out exactly the ``held_out`` faces; returns contexts.jsonl."""
    from argen_rl.data.wheel_faces import wheel_faces

    identities = [(f.name, np.array(f.image), f.source) for split in splits for f in wheel_faces(split)]  # type: ignore[arg-type]
    return write_identity_contexts(Path(out_dir), identities, emotions, intensity)


def write_identity_contexts(out: Path, identities: Sequence[tuple[str, np.ndarray, str]],
                            emotions: Sequence[str], intensity: float) -> Path:
    """One context per (identity, emotion): (subject, RGB image, source) identities, AU sets from
    ASI's knowledge base at ``intensity``, template prompts, MiniLM text and FER+geometry image
    embeddings, written with ``argen_rl.asi.contexts.write_contexts``."""
    from argen_rl.asi.contexts import write_contexts
    from argen_rl.asi.image_embed import FaceImageEmbedder
    from argen_rl.asi.kb import load_kb
    from argen_rl.asi.text_embed import embed_texts
    from argen_rl.asi.writers import TemplateWriter
    from argen_rl.face.landmarks import FaceMesh
    from argen_rl.paths import output_path
    from argen_rl.video_io import write_image

    kb, mesh, embedder = load_kb(), FaceMesh(), FaceImageEmbedder()
    writer = TemplateWriter(landmarks_fn=mesh.landmarks)
    contexts: list[Context] = []
    for subject, img, source in identities:
        img_path = write_image(output_path(out / "identities", subject, suffix=".png"), img)
        image_emb = embedder.embed(img, mesh.landmarks(img))
        for name in emotions:
            e = Emotion.parse(name)
            aus = kb.emotion_aus(e)
            contexts.append(Context(
                context_id=f"{subject}-{e.value}", identity_image=img_path, emotion=e,
                prompt=writer.write(img, e, []), aus=aus,
                intensities={au: intensity for au in aus}, image_emb=image_emb,
                source_clip=source, subject=subject, writer="template"))  # type: ignore[attr-defined]
    for c, t in zip(contexts, embed_texts([c.prompt for c in contexts])):
        c.text_emb = t
    return write_contexts(out, contexts)

