"""The ASI stage end to end: dataset -> identity frames -> RAG prompts -> contexts (ARGen §3.2).

Steps (each writes files a person can open, under ``out``):

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
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from argen_rl.asi.compliance import ComplianceFilter, ComplianceReport, hallucination_rates
from argen_rl.asi.config import ASIConfig
from argen_rl.asi.contexts import write_contexts
from argen_rl.asi.cues import identity_cues
from argen_rl.asi.identity import FrameRejection, IdentityChoice, candidate_indices, select_identity_frame
from argen_rl.asi.kb import load_kb
from argen_rl.asi.text_embed import embed_texts
from argen_rl.asi.writers import FixedWriter, clip_token_counter, fit_prompt, make_writer
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


@dataclass
class ASIResult:
    contexts_path: Path
    contexts: list[Context]
    identities: list[Identity]
    summary: dict[str, Any] = field(default_factory=dict)


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """Independent, order-free stream per (seed, identity, emotion, variant): stable across runs
    and unaffected by which other contexts are written."""
    return np.random.default_rng([seed] + [zlib.crc32(str(k).encode()) for k in keys])


def load_candidate_frames(clip: Clip, max_frames: int | None) -> tuple[np.ndarray, list[int]]:
    """Distinct candidate frames of a clip and their indices in the clip."""
    from argen_rl.data import load_clip_frames

    if clip.frames is not None:
        n = len(clip.frames)
        idx = candidate_indices(n, max_frames)
        frames = load_clip_frames(clip, None if max_frames is None or n <= max_frames else max_frames)
        if max_frames is not None and n > max_frames:   # drop the repeats of uniform sampling
            pos = {int(i): k for k, i in enumerate(sample_indices(n, max_frames))}
            frames = frames[[pos[int(i)] for i in idx]]
        return frames, idx.tolist()
    video = load_clip_frames(clip, None)
    idx = candidate_indices(len(video), max_frames)
    return video[idx], idx.tolist()


def select_identities(clips: list[Clip], cfg: ASIConfig, out: Path, progress: bool = True
                      ) -> tuple[list[Identity], list[FrameRejection], list[IdentityChoice]]:
    """Step 2: one identity frame per neutral clip (ARGen Eq. 6)."""
    from argen_rl.face.au import make_au_estimator
    from argen_rl.face.detect import make_detector

    icfg = cfg.identity
    detector = make_detector(icfg.detector)
    estimator = make_au_estimator(icfg.au_estimator)
    identities, rejections, choices = [], [], []
    for clip in tqdm(clips, desc="asi: identity frames", unit="clip", disable=not progress):
        if icfg.max_identities is not None and len(identities) >= icfg.max_identities:
            break
        try:
            frames, idx = load_candidate_frames(clip, icfg.frames_per_clip)
        except FrameReadError as err:
            rejections.append(FrameRejection(clip.clip_id, -1, [f"unreadable: {err}"]))
            continue
        local = select_identity_frame(clip.clip_id, frames, icfg.quality, detector.detect,
                                      lambda img: estimator.estimate(img, reference=None))
        # report clip frame indices, not positions among the candidates
        for r in local.rejections:
            r.frame_index = idx[r.frame_index]
        local.candidates = {idx[k]: v for k, v in local.candidates.items()}
        rejections += local.rejections
        choices.append(local)
        if local.frame_index is None:
            rejections.append(FrameRejection(clip.clip_id, -1, ["no frame passed the checks"]))
            continue
        local.frame_index = idx[local.frame_index]
        path = write_image(output_path(out / "identities", clip.clip_id, suffix=".png"), local.image)
        identities.append(Identity(clip, local.frame_index, local.mean_au, local.image, path))
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
    identities, rejections, choices = select_identities(neutral, cfg, out, progress)
    for ident in identities:
        ident.subject = ident.clip.subject   # read_dataset fills it from a clips.csv sidecar
    timings["identities_s"] = round(time.perf_counter() - t, 2)
    _write_csv(out / "identity_rejections.csv", [r.row() for r in rejections],
               ["clip_id", "frame_index", "reasons", "sharpness", "brightness", "contrast", "min_side"])
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
    contexts, meta, reports, embedder_name = build_contexts(identities, scarce, kb, cfg, progress)
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
        "image_embedder": embedder_name, "seed": cfg.seed, "timings": timings,
    }
    dump_config(cfg, out / "asi_config.yaml")
    atomic_write_json(out / "asi_summary.json", summary)
    return ASIResult(path, contexts, identities, summary)


def build_contexts(identities: list[Identity], scarce: list[Emotion], kb, cfg: ASIConfig, progress: bool = True
                   ) -> tuple[list[Context], list[dict], list[ComplianceReport], str]:
    """Step 4: retrieve, write, filter and embed one context per identity x scarce emotion x variant."""
    from argen_rl.asi.image_embed import make_image_embedder
    from argen_rl.asi.retrieval import AURetriever
    from argen_rl.face.landmarks import FaceMesh

    mesh = FaceMesh()
    lm_memo: dict[int, np.ndarray | None] = {}   # id(identity image) -> landmarks, measured once

    def landmarks_of(img: np.ndarray) -> np.ndarray | None:
        if id(img) not in lm_memo:
            lm_memo[id(img)] = mesh.landmarks(img)
        return lm_memo[id(img)]

    retriever = AURetriever(kb, cfg.retrieval.text_model)
    w = cfg.writer
    writer = make_writer(w.name, landmarks_fn=landmarks_of, qwen_dir=w.qwen_dir, max_new_tokens=w.max_new_tokens,
                         temperature=w.temperature, top_p=w.top_p, max_pixels=w.max_pixels, seed=cfg.seed)
    filt = ComplianceFilter(kb)
    count_tokens = clip_token_counter(w.generator_tokenizer)
    embedder = make_image_embedder(cfg.clip_dir)
    contexts, meta, reports = [], [], []
    total = len(identities) * len(scarce) * cfg.variants
    bar = tqdm(total=total, desc=f"asi: prompts ({writer.name})", unit="ctx", disable=not progress)
    for ident in identities:
        lm = landmarks_of(ident.image)
        image_emb = embedder.embed(ident.image, lm)
        cues = identity_cues(ident.image, lm).text()
        for emo in scarce:
            for v in range(cfg.variants):
                ctx, m, rep = _make_context(ident, emo, v, cfg, retriever, writer, filt, image_emb, cues)
                ctx.generator_prompt = fit_prompt(ctx.prompt, count_tokens, w.generator_tokens, last=cues)
                m["generator_prompt_cut"] = ctx.generator_prompt != ctx.prompt
                contexts.append(ctx)
                meta.append(m)
                reports.append(rep)
                bar.update(1)
    bar.close()
    text_emb = embed_texts([c.prompt for c in contexts], cfg.retrieval.text_model)
    for c, e in zip(contexts, text_emb):
        c.text_emb = e
    return contexts, meta, reports, embedder.name


def _make_context(ident: Identity, emo: Emotion, v: int, cfg: ASIConfig, retriever, writer, filt: ComplianceFilter,
                  image_emb: np.ndarray, cues: str) -> tuple[Context, dict, ComplianceReport]:
    rc = cfg.retrieval
    rng = rng_for(cfg.seed, ident.clip.clip_id, emo.value, v)
    if rc.n_candidates > 0:
        retrieved = retriever.retrieve(emo, rng, n=rc.n_candidates, top_m=rc.top_m, identity_cues=cues,
                                       low=rc.intensity_low, high=rc.intensity_high)
        shown = retrieved
    else:   # no RAG (Table 5 "VLM-only"): the writer sees no AU knowledge; targets = the prototype
        proto = [r for r in retriever.kb.records_for(emo) if r.prototype]
        if not proto:
            raise ValueError(f"the knowledge base has no prototype record for {emo.value!r}")
        inten = retriever.kb.sample_intensities(proto, rng, low=rc.intensity_low, high=rc.intensity_high)
        retrieved, shown = [retriever.kb.candidate(proto[0], inten, rng)], []
    raw = writer.write(ident.image, emo, shown)
    prompt, rep = filt.filter(raw, emo)
    m: dict[str, Any] = {"records": [c.record_id for c in retrieved], "scores": [c.score for c in retrieved],
                         "identity_frame": ident.frame_index, "raw_prompt": raw, "dropped": rep.dropped}
    if not prompt.strip():
        prompt = FixedWriter().write(ident.image, emo, retrieved)
        m["fallback"] = "empty after compliance filtering: fixed prompt"
    # target AUs: union of the retrieved candidates, with the prompt's one intensity vector (Eq. 8)
    inten: dict[int, float] = {}
    for c in retrieved:
        inten.update(c.intensities)
    ctx = Context(
        context_id=f"{safe_name(ident.clip.clip_id)}-{emo.value}-{v}", identity_image=ident.path, emotion=emo,
        prompt=prompt, aus=sorted(inten), intensities=dict(sorted(inten.items())), image_emb=image_emb,
        source_clip=ident.clip.clip_id, subject=ident.subject, writer=writer.name,
    )
    return ctx, m, rep


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
