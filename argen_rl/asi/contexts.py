"""Generation contexts on disk: ``contexts.jsonl`` + ``text_emb.npy`` + ``image_emb.npy``.

Row i of both arrays belongs to line i of the jsonl. Identity image paths are stored relative to
the folder; an identity image that lies elsewhere is copied into ``identities/`` first, so a
contexts folder is self-contained and can be moved, copied or shared as a whole. Reading applies
the path policy (``argen_rl.paths``): an ``identity_image`` must be a relative path that stays in
the folder (no absolute path, no ``..``, no symlink out), so a contexts.jsonl from elsewhere cannot
make the env or the augment writer read files outside it. Every file is written atomically;
arrays first, the jsonl last, so a reader never finds a jsonl without its embeddings.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from argen_rl.io_utils import atomic_write_bytes, read_jsonl, write_jsonl
from argen_rl.paths import Root, output_path, safe_name
from argen_rl.types import Context, Emotion

CONTEXTS_FILE, TEXT_EMB_FILE, IMAGE_EMB_FILE = "contexts.jsonl", "text_emb.npy", "image_emb.npy"


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _stack(contexts: list[Context], attr: str) -> np.ndarray:
    vecs = [getattr(c, attr) for c in contexts]
    missing = [c.context_id for c, v in zip(contexts, vecs) if v is None]
    if missing:
        raise ValueError(f"contexts without {attr}: {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    dims = {np.asarray(v).shape for v in vecs}
    if len(dims) != 1:
        raise ValueError(f"{attr} vectors differ in shape: {sorted(dims)}")
    return np.stack([np.asarray(v, np.float32).ravel() for v in vecs])


def _inside(img: Path, folder: Path) -> Path:
    """``img`` relative to ``folder``; an image elsewhere is first copied into ``identities/``
    (name: sanitised stem + content hash, so distinct images never collide)."""
    try:
        return img.resolve().relative_to(folder.resolve())
    except ValueError:
        pass
    data = img.read_bytes()
    name = f"{safe_name(img.stem, 60)}-{hashlib.sha1(data).hexdigest()[:10]}{safe_name(img.suffix or '.png', 8)}"
    dest = output_path(folder / "identities", name)
    if not dest.is_file():
        atomic_write_bytes(dest, data)
    return dest.relative_to(folder)


def context_row(c: Context, folder: Path) -> dict[str, Any]:
    img = _inside(Path(c.identity_image), folder)
    return {
        "context_id": c.context_id, "identity_image": img.as_posix(), "emotion": c.emotion.value,
        "prompt": c.prompt, "aus": [int(a) for a in c.aus],
        "intensities": {str(int(k)): round(float(v), 4) for k, v in sorted(c.intensities.items())},
        "source_clip": c.source_clip, "subject": c.subject, "writer": c.writer,
        **({"generator_prompt": c.generator_prompt} if c.generator_prompt is not None else {}),
    }


def write_contexts(out_dir: str | Path, contexts: list[Context], meta: list[dict[str, Any]] | None = None) -> Path:
    """Write contexts (with their embeddings) to ``out_dir``; returns the jsonl path.

    ``meta`` (optional, one dict per context) is stored under each row's ``"meta"`` key
    (retrieved record ids, raw writer output, ...) and ignored by ``load_contexts``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if not contexts:
        raise ValueError("write_contexts: no contexts to write")
    if meta is not None and len(meta) != len(contexts):
        raise ValueError(f"write_contexts: {len(meta)} meta rows for {len(contexts)} contexts")
    ids = [c.context_id for c in contexts]
    if len(set(ids)) != len(ids):
        raise ValueError("write_contexts: duplicate context ids")
    text, image = _stack(contexts, "text_emb"), _stack(contexts, "image_emb")
    rows = [context_row(c, out) for c in contexts]     # copies identity images from elsewhere in
    if meta is not None:
        for r, m in zip(rows, meta):
            r["meta"] = m
    atomic_write_bytes(out / TEXT_EMB_FILE, _npy_bytes(text))
    atomic_write_bytes(out / IMAGE_EMB_FILE, _npy_bytes(image))
    return write_jsonl(out / CONTEXTS_FILE, rows)


def load_contexts(path: str | Path) -> list[Context]:
    """Read ``contexts.jsonl`` (or its folder) with embeddings filled in; relative image paths
    are resolved against the folder."""
    p = Path(path)
    folder, jsonl = (p, p / CONTEXTS_FILE) if p.is_dir() else (p.parent, p)
    if not jsonl.is_file():
        raise FileNotFoundError(f"contexts file not found: {jsonl}")
    rows = read_jsonl(jsonl)
    embs = {}
    for name in (TEXT_EMB_FILE, IMAGE_EMB_FILE):
        f = folder / name
        if not f.is_file():
            raise FileNotFoundError(f"{jsonl}: embeddings file {f} is missing")
        arr = np.load(f, allow_pickle=False)
        if arr.ndim != 2 or len(arr) != len(rows):
            raise ValueError(f"{f}: shape {arr.shape} does not match {len(rows)} contexts in {jsonl}")
        embs[name] = arr
    out = []
    root = Root.of(folder)
    for i, r in enumerate(rows):
        try:
            img = root.child(r["identity_image"], "identity_image")   # relative, inside the folder
            out.append(Context(
                context_id=r["context_id"], identity_image=img,
                emotion=Emotion.parse(r["emotion"]), prompt=r["prompt"], aus=[int(a) for a in r["aus"]],
                intensities={int(k): float(v) for k, v in r["intensities"].items()},
                text_emb=embs[TEXT_EMB_FILE][i], image_emb=embs[IMAGE_EMB_FILE][i],
                source_clip=r.get("source_clip"), subject=r.get("subject"), writer=r.get("writer", "template"),
                generator_prompt=r.get("generator_prompt"),
            ))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{jsonl}:{i + 1}: bad context row: {err}") from None
    return out
