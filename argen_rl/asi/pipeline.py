"""The ASI stage end to end: dataset -> identity frames -> RAG prompts -> contexts (ARGen §3.2).

With ``parallel.workers: N`` (``argen asi --workers N``) step 2 runs on N Ray clip workers and
the prompt writer on its own actor (``argen_rl.asi.parallel``); the output is the same byte for
byte. Steps (each writes files a person can open, under ``out``):

1. index the dataset, count classes, decide the scarce emotions;
2. select one identity frame per neutral clip      -> identities/<clip>.png, identities.csv,
                                                      identity_rejections.csv, identities_sheet.png
3. (optional) AU statistics of the scarce clips     -> centres of sampled intensities
4. per identity x scarce emotion x variant: retrieve N AU candidates, write the prompt, filter it
   for AU compliance, embed text and image          -> contexts.jsonl, text_emb.npy, image_emb.npy
5. summary (counts, rejection reasons, hallucination rates) -> asi_summary.json; config used
   -> asi_config.yaml.
"""
from __future__ import annotations

import csv
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from argen_rl.asi.builder import ContextBuilder, ContextSpec, IdentityAnalyser, IdentityFeatures, context_seed
from argen_rl.asi.compliance import hallucination_rates
from argen_rl.asi.config import ASIConfig, IdentityConfig
from argen_rl.asi.contexts import write_contexts
from argen_rl.asi.identity import FrameRejection, IdentityChoice, IdentitySelector, candidate_indices
from argen_rl.asi.kb import load_kb
from argen_rl.config import dump_config
from argen_rl.io_utils import atomic_write_json, atomic_write_text
from argen_rl.paths import output_path, safe_name
from argen_rl.types import Clip, Context, Emotion
from argen_rl.video_io import FrameReadError, sample_indices, write_image


@dataclass
class Identity:
    clip: Clip
    frame_index: int
    mean_au: float
    image: np.ndarray
    path: Path
    subject: str | None = None
    features: IdentityFeatures | None = None


@dataclass
class ASIResult:
    contexts_path: Path
    contexts: list[Context]
    identities: list[Identity]
    summary: dict[str, Any] = field(default_factory=dict)


def load_candidate_frames(clip: Clip, max_frames: int | None) -> tuple[np.ndarray, list[int]]:
    """Distinct candidate frames of a clip and their indices in the clip (only those are decoded)."""
    from argen_rl.data import load_clip_frames
    from argen_rl.video_io import count_video_frames, read_video_sampled

    n = len(clip.frames) if clip.frames is not None else count_video_frames(clip.video_path)
    idx = candidate_indices(n, max_frames)
    if max_frames is None or n <= max_frames:
        return load_clip_frames(clip, None), idx.tolist()
    frames = load_clip_frames(clip, max_frames) if clip.frames is not None else \
        read_video_sampled(clip.video_path, max_frames)
    pos = {int(i): k for k, i in enumerate(sample_indices(n, max_frames))}   # drop the repeats
    return frames[[pos[int(i)] for i in idx]], idx.tolist()


@dataclass
class ClipAnalysis:
    """What step 2 learns about one neutral clip (on a worker or here)."""

    clip: Clip
    choice: IdentityChoice | None            # None: unreadable
    features: IdentityFeatures | None = None
    error: str | None = None


def analyse_clip(clip: Clip, cfg: IdentityConfig, selector: IdentitySelector,
                 analyser: IdentityAnalyser) -> ClipAnalysis:
    """Decode a neutral clip's candidate frames, pick its identity frame (ARGen Eq. 6) and measure
    that frame's identity features. Runs on ASI's clip workers (argen_rl.asi.parallel)."""
    try:
        frames, idx = load_candidate_frames(clip, cfg.frames_per_clip)
    except FrameReadError as err:
        return ClipAnalysis(clip, None, error=f"unreadable: {err}")
    choice = selector.select(clip.clip_id, frames, idx)
    feats = analyser.features(choice.image) if choice.image is not None else None
    return ClipAnalysis(clip, choice, feats)


def analyse_clips(clips: list[Clip], cfg: ASIConfig, workers: list):
    """ClipAnalysis per clip, in clip order: here, or mapped over the Ray clip workers."""
    if not workers:
        selector, analyser = IdentitySelector(cfg.identity), IdentityAnalyser(cfg.clip_dir)
        return (analyse_clip(c, cfg.identity, selector, analyser) for c in clips)
    from ray.util import ActorPool

    return ActorPool(workers).map(lambda w, c: w.analyse.remote(c), clips)


def select_identities(clips: list[Clip], cfg: ASIConfig, out: Path, progress: bool = True, workers: list | None = None
                      ) -> tuple[list[Identity], list[FrameRejection], list[IdentityChoice]]:
    """Step 2: one identity frame per neutral clip (ARGen Eq. 6), in clip order."""
    icfg = cfg.identity
    identities, rejections, choices = [], [], []
    bar = tqdm(total=len(clips), desc="asi: identity frames", unit="clip", disable=not progress)
    for a in analyse_clips(clips, cfg, workers or []):   # lazy: no clip is analysed past the last needed
        bar.update(1)
        clip = a.clip
        if a.choice is None:
            rejections.append(FrameRejection(clip.clip_id, -1, [a.error or "unreadable"]))
            continue
        rejections += a.choice.rejections
        choices.append(a.choice)
        if a.choice.frame_index is None:
            rejections.append(FrameRejection(clip.clip_id, -1, ["no frame passed the checks"]))
            continue
        path = write_image(output_path(out / "identities", clip.clip_id, suffix=".png"), a.choice.image)
        identities.append(Identity(clip, a.choice.frame_index, a.choice.mean_au, a.choice.image, path,
                                   features=a.features))
        if icfg.max_identities is not None and len(identities) >= icfg.max_identities:
            break
    bar.close()
    return identities, rejections, choices


def contact_sheet(identities: list[Identity], tile: int = 160, cols: int = 6) -> np.ndarray:
    """All identity frames in one image, each labelled with its clip, frame and mean AU (Eq. 23)."""
    import cv2

    rows = (len(identities) + cols - 1) // cols
    sheet = np.full((rows * (tile + 22), min(cols, len(identities)) * tile, 3), 255, np.uint8)
    for k, ident in enumerate(identities):
        r, c = divmod(k, cols)
        y, x = r * (tile + 22), c * tile
        sheet[y:y + tile, x:x + tile] = cv2.resize(ident.image, (tile, tile), interpolation=cv2.INTER_AREA)
        label = f"{ident.clip.clip_id} f{ident.frame_index} AU {ident.mean_au:.2f}"
        cv2.putText(sheet, label[:24], (x + 3, y + tile + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return sheet


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return atomic_write_text(path, buf.getvalue())


def reason_counts(rejections: list[FrameRejection]) -> dict[str, int]:
    """Rejections per reason category ('blurred', 'too dark', 'no face detected', ...)."""
    c: Counter = Counter()
    for r in rejections:
        for reason in r.reasons:
            c[reason.split(":")[0].strip()] += 1
    return dict(sorted(c.items()))


def run_asi(dataset: Path, out: Path, cfg: ASIConfig, progress: bool = True) -> ASIResult:
    """The whole stage (module docstring); with ``cfg.parallel.workers`` > 0 on Ray actors."""
    if cfg.parallel.workers == 0:
        return _run_asi(dataset, out, cfg, progress, [], None)
    from argen_rl.asi import parallel
    from argen_rl.ray_init import start_ray

    started = start_ray(cfg.parallel.address)
    workers, writer = parallel.launch(cfg)
    try:
        return _run_asi(dataset, out, cfg, progress, workers, parallel.RemoteWriter(writer))
    finally:
        parallel.shutdown(workers + [writer])
        if started:
            import ray

            ray.shutdown()


def _run_asi(dataset: Path, out: Path, cfg: ASIConfig, progress: bool, workers: list, writer) -> ASIResult:
    from argen_rl.data import class_counts, read_dataset, scarce_classes

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    # 1. dataset, scarce emotions
    index = read_dataset(Path(dataset), progress=progress)
    counts = class_counts(index.clips)
    scarce = [Emotion.parse(e) for e in cfg.scarce] if cfg.scarce else scarce_classes(counts, ratio=cfg.scarce_ratio)
    if not scarce:
        raise ValueError(f"{dataset}: no scarce emotion (counts {({e.value: n for e, n in counts.items()})}); "
                         "set `scarce:` in the config")
    if Emotion.NEUTRAL in scarce:
        raise ValueError("neutral is scarce in this dataset: ASI takes identities from non-scarce neutral clips")
    if cfg.writer.name == "qwen-vl":   # fail before the identity pass, not after it
        from argen_rl.asi.qwen_vl import check_model_dir

        if not cfg.writer.qwen_dir:
            raise ValueError("writer 'qwen-vl' needs writer.qwen_dir (or --qwen-dir): a local Qwen2.5-VL directory")
        check_model_dir(cfg.writer.qwen_dir)
    neutral = [c for c in index.clips if c.emotion is Emotion.NEUTRAL]
    if not neutral:
        raise ValueError(f"{dataset}: no neutral clips to take identity frames from")

    # 2. identities
    t = time.perf_counter()
    identities, rejections, choices = select_identities(neutral, cfg, out, progress, workers)
    for ident in identities:
        ident.subject = ident.clip.subject   # read_dataset fills it from a clips.csv sidecar
    timings["identities_s"] = round(time.perf_counter() - t, 2)
    _write_csv(out / "identity_rejections.csv", [r.row() for r in rejections],
               ["clip_id", "frame_index", "reasons", "sharpness", "brightness", "contrast", "min_side",
                "eye_openness"])
    _write_csv(out / "identities.csv",
               [{"clip_id": i.clip.clip_id, "subject": i.subject, "frame_index": i.frame_index,
                 "mean_au": round(i.mean_au, 4), "image": i.path.relative_to(out).as_posix()} for i in identities],
               ["clip_id", "subject", "frame_index", "mean_au", "image"])
    if not identities:
        raise RuntimeError(f"no identity frame survived the checks; see {out / 'identity_rejections.csv'}")
    write_image(out / "identities_sheet.png", contact_sheet(identities))

    # 3. knowledge base (+ optional dataset AU statistics)
    kb = load_kb(cfg.kb_path)
    centres = {}
    if cfg.au_stats:
        centres = _au_stats(index, scarce, kb, cfg)

    # 4. contexts
    t = time.perf_counter()
    builder = ContextBuilder(cfg, writer=writer, kb=kb)
    built = build_contexts(builder, identities, scarce, cfg, progress)
    contexts, meta, reports = [b.context for b in built], [b.meta for b in built], [b.report for b in built]
    path = write_contexts(out, contexts, meta)
    timings["contexts_s"] = round(time.perf_counter() - t, 2)
    timings["total_s"] = round(time.perf_counter() - t0, 2)

    # 5. summary
    summary = {
        "dataset": str(dataset), "dataset_kind": index.name, "clips": len(index.clips),
        "skipped_clips": len(index.skipped), "class_counts": {e.value: n for e, n in counts.items()},
        "scarce": [e.value for e in scarce], "neutral_clips": len(neutral),
        "identities": len(identities),
        "clips_without_identity": sorted(c.clip_id for c in choices if c.frame_index is None),
        "frames_checked": sum(len(c.candidates) + len(c.rejections) for c in choices),
        "frames_rejected": sum(len(c.rejections) for c in choices),
        "rejection_reasons": reason_counts(rejections),
        "writer": cfg.writer.name, "contexts": len(contexts),
        "contexts_per_emotion": dict(Counter(c.emotion.value for c in contexts)),
        "fallback_prompts": sum(1 for m in meta if m.get("fallback")),
        "hallucination": hallucination_rates(reports),
        "au_centres": {e: {str(a): v for a, v in d.items()} for e, d in centres.items()},
        "text_emb_dim": int(len(contexts[0].text_emb)), "image_emb_dim": int(len(contexts[0].image_emb)),
        "image_embedder": builder.image_embedder, "seed": cfg.seed, "workers": cfg.parallel.workers,
        "timings": timings,
    }
    dump_config(cfg, out / "asi_config.yaml")
    atomic_write_json(out / "asi_summary.json", summary)
    return ASIResult(path, contexts, identities, summary)


def build_contexts(builder: ContextBuilder, identities: list[Identity], scarce: list[Emotion], cfg: ASIConfig,
                   progress: bool = True):
    """Step 4: one context per identity x scarce emotion x variant, by the shared context builder."""
    specs = [ContextSpec(ident.image, emo, context_seed(cfg.seed, ident.clip.clip_id, emo.value, v),
                         f"{safe_name(ident.clip.clip_id)}-{emo.value}-{v}", identity_image=ident.path,
                         source_clip=ident.clip.clip_id, subject=ident.subject, features=ident.features,
                         meta={"identity_frame": ident.frame_index})
             for ident in identities for emo in scarce for v in range(cfg.variants)]
    return builder.build_many(specs, progress=progress)


def _au_stats(index, scarce: list[Emotion], kb, cfg: ASIConfig) -> dict[str, dict[int, float]]:
    from argen_rl.asi.kb_stats import apply_centres, au_centres_from_facs, au_centres_from_video

    clips = [c for c in index.clips if c.emotion in scarce]
    if index.facs:
        centres = au_centres_from_facs(index.facs, clips)
    else:
        from argen_rl.data import load_clip_frames
        from argen_rl.face.au import AU_SET, make_au_estimator

        est = make_au_estimator(cfg.identity.au_estimator)
        videos = []
        for c in tqdm(clips, desc="asi: scarce-clip AU statistics", unit="clip"):
            try:
                videos.append((c.emotion, load_clip_frames(c, 16)))
            except FrameReadError:
                continue
        centres = au_centres_from_video(videos, lambda f: est.estimate(f), AU_SET)
    return apply_centres(kb, centres, cfg.retrieval.intensity_low, cfg.retrieval.intensity_high)
