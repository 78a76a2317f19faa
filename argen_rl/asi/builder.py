"""One library call from (face image, emotion, seed) to a generation ``Context``: ASI's real path.

``ContextBuilder(cfg).build(image, emotion, seed)`` is what ``argen asi`` runs for every
(identity, scarce emotion, variant), what Serve runs for every upload, and what the tests and the
quick training contexts use. The steps, for each context:

1. identity features of the image (measured once per image): 478-point face mesh, the identity
   cues a writer may state (``argen_rl.asi.cues``) and the image embedding (FER features +
   normalised geometry, or CLIP);
2. retrieval (ARGen Eq. 7-9): ``n_candidates`` records of the emotion among its ``top_m`` most
   similar to "<emotion> facial expression. <cues>", one intensity vector for all of them, drawn
   from ``np.random.default_rng(seed)``; ``n_candidates: 0`` = no RAG (the prototype's AUs are the
   targets, the writer sees no descriptions); an emotion without records (neutral) has no targets;
3. the prompt writer (template / qwen-vl / fixed), a batch of prompts per call; the writer may
   live on its own Ray actor (``asi.parallel.RemoteWriter``, ``WRITER_QUEUE`` batches queued);
4. the AU compliance filter (supp. G); a prompt left empty falls back to the fixed prompt;
5. the generator prompt: the prompt cut to the text encoder's 77 tokens, cues last (``fit_prompt``);
6. the text embedding (MiniLM) of every prompt, in one batch.

Targets: the union of the retrieved candidates' AUs with the prompt's one intensity vector.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from tqdm.auto import tqdm

from argen_rl.asi.compliance import ComplianceFilter, ComplianceReport
from argen_rl.asi.config import ContextConfig
from argen_rl.asi.cues import identity_cues
from argen_rl.asi.kb import AUKnowledgeBase, Candidate, load_kb
from argen_rl.asi.writers import FixedWriter, PromptWriter, WriteJob, clip_token_counter, fit_prompt, make_writer
from argen_rl.types import Context, Emotion

WRITER_QUEUE = 4
"""Batches queued on a remote writer at once (the writer never waits; the images in flight stay bounded)."""

Seed = int | Sequence[int]
"""Entropy of ``np.random.default_rng``: an int (Serve's request seed) or a list of ints."""


def context_seed(seed: int, *keys: object) -> list[int]:
    """Independent, order-free entropy per (seed, identity, emotion, variant): stable across runs
    and unaffected by which other contexts are written."""
    return [int(seed)] + [zlib.crc32(str(k).encode()) for k in keys]


@dataclass
class IdentityFeatures:
    """What the builder measures once per identity image."""

    landmarks: np.ndarray | None      # (478, 2) face mesh, None when no face is found
    cues: str                         # identity cues text (argen_rl.asi.cues)
    image_emb: np.ndarray             # float32 (D,)


@dataclass
class ContextSpec:
    """One context to build."""

    image: np.ndarray                 # uint8 HxWx3 RGB identity image
    emotion: Emotion
    seed: Seed
    context_id: str
    identity_image: Path | None = None    # where the image is stored (None: never stored, e.g. an upload)
    source_clip: str | None = None
    subject: str | None = None
    features: IdentityFeatures | None = None   # measured elsewhere (ASI's workers); else here
    meta: dict[str, Any] = field(default_factory=dict)   # extra meta stored with the context


@dataclass
class BuiltContext:
    context: Context
    meta: dict[str, Any]              # retrieved records and scores, raw writer output, dropped statements
    report: ComplianceReport


class IdentityAnalyser:
    """Face mesh + image embedder: ``features(image) -> IdentityFeatures`` (also run on ASI's
    workers). The models load on first use."""

    def __init__(self, clip_dir: str | None = None):
        self.clip_dir = clip_dir
        self._mesh = self._embedder = None

    @property
    def mesh(self):
        if self._mesh is None:
            from argen_rl.face.landmarks import FaceMesh

            self._mesh = FaceMesh()
        return self._mesh

    @property
    def embedder(self):
        if self._embedder is None:
            from argen_rl.asi.image_embed import make_image_embedder

            self._embedder = make_image_embedder(self.clip_dir)
        return self._embedder

    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        return self.mesh.landmarks(image)

    def features(self, image: np.ndarray) -> IdentityFeatures:
        lm = self.mesh.landmarks(image)
        return IdentityFeatures(lm, identity_cues(image, lm).text(), self.embedder.embed(image, lm))


class ContextBuilder:
    """(image, emotion, seed) -> Context; see the module docstring."""

    def __init__(self, cfg: ContextConfig | None = None, writer: PromptWriter | None = None,
                 kb: AUKnowledgeBase | None = None, token_counter=None, analyser: IdentityAnalyser | None = None):
        from argen_rl.asi.retrieval import AURetriever

        self.cfg = cfg = cfg if cfg is not None else ContextConfig()
        self.kb = kb if kb is not None else load_kb(cfg.kb_path)
        self.analyser = analyser or IdentityAnalyser(cfg.clip_dir)
        self.retriever = AURetriever(self.kb, cfg.retrieval.text_model)
        w = cfg.writer
        self.writer = writer if writer is not None else make_writer(
            w.name, landmarks_fn=self.analyser.landmarks, qwen_dir=w.qwen_dir, max_new_tokens=w.max_new_tokens,
            temperature=w.temperature, top_p=w.top_p, max_pixels=w.max_pixels, kb=self.kb)
        self.filter = ComplianceFilter(self.kb)
        self.count_tokens = token_counter or clip_token_counter(w.generator_tokenizer)

    @property
    def image_embedder(self) -> str:
        from argen_rl.asi.image_embed import ClipImageEmbedder, FaceImageEmbedder

        return (ClipImageEmbedder if self.cfg.clip_dir else FaceImageEmbedder).name

    # -- the one call ----------------------------------------------------------------------------
    def build(self, image: np.ndarray, emotion: Emotion | str, seed: Seed, context_id: str | None = None) -> Context:
        """One context for a face image and a target emotion (text embedding included)."""
        e = Emotion.parse(emotion)
        cid = context_id or f"ctx-{e.value}-{seed}"
        return self.build_many([ContextSpec(image, e, seed, cid)])[0].context

    def build_many(self, specs: Sequence[ContextSpec], progress: bool = False) -> list[BuiltContext]:
        """Many contexts; the writer gets ``writer.batch_size`` prompts per call, MiniLM all of
        them in one batch. Output depends only on the specs (not on where the writer runs)."""
        # 1. identity features, once per image
        memo: dict[int, IdentityFeatures] = {}
        feats = []
        for s in specs:
            if s.features is None and id(s.image) not in memo:
                memo[id(s.image)] = self.analyser.features(s.image)
            feats.append(s.features or memo[id(s.image)])
        # 2. retrieval and the writer's jobs
        rngs = [np.random.default_rng(s.seed) for s in specs]
        picks = [self._retrieve(s.emotion, f.cues, rng) for s, f, rng in zip(specs, feats, rngs)]
        jobs = [WriteJob(s.image, s.emotion, shown, f.cues, int(rng.integers(2**31)))
                for s, f, (_, shown), rng in zip(specs, feats, picks, rngs)]
        # 3. the writer, in batches (remote writers get every batch at once and answer in order)
        raws = self._write(jobs, progress)
        # 4.-5. compliance, fallback, generator prompt
        out = []
        for s, f, (retrieved, _), raw in zip(specs, feats, picks, raws):
            out.append(self._finish(s, f, retrieved, raw))
        # 6. text embeddings in one batch
        from argen_rl.asi.text_embed import embed_texts

        for b, emb in zip(out, embed_texts([b.context.prompt for b in out], self.cfg.retrieval.text_model)):
            b.context.text_emb = emb
        return out

    # -- steps -----------------------------------------------------------------------------------
    def _retrieve(self, e: Emotion, cues: str, rng: np.random.Generator) -> tuple[list[Candidate], list[Candidate]]:
        """(targets, what the writer is shown)."""
        rc = self.cfg.retrieval
        records = self.kb.records_for(e)
        if not records:                    # neutral: nothing to move
            return [], []
        if rc.n_candidates > 0:
            got = self.retriever.retrieve(e, rng, n=rc.n_candidates, top_m=rc.top_m, identity_cues=cues,
                                          low=rc.intensity_low, high=rc.intensity_high)
            return got, got
        # no RAG (Table 5 "VLM-only"): the writer sees no AU knowledge; targets = the prototype
        proto = [r for r in records if r.prototype]
        if not proto:
            raise ValueError(f"the knowledge base has no prototype record for {e.value!r}")
        inten = self.kb.sample_intensities(proto, rng, low=rc.intensity_low, high=rc.intensity_high)
        return [self.kb.candidate(proto[0], inten, rng)], []

    def _write(self, jobs: list[WriteJob], progress: bool) -> list[str]:
        size = self.cfg.writer.batch_size
        batches = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        bar = tqdm(total=len(jobs), desc=f"asi: prompts ({self.writer.name})", unit="ctx", disable=not progress)
        out: list[str] = []
        submit = getattr(self.writer, "submit", None)
        if submit is not None:             # a remote writer: keep WRITER_QUEUE batches queued, collect in order
            pending = [submit(b) for b in batches[:WRITER_QUEUE]]
            for i, b in enumerate(batches):
                out += self.writer.collect(pending[i])
                pending[i] = None          # drop the reference: the object store may free it
                if i + WRITER_QUEUE < len(batches):
                    pending.append(submit(batches[i + WRITER_QUEUE]))
                bar.update(len(b))
        else:
            for b in batches:
                out += self.writer.write_batch(b)
                bar.update(len(b))
        bar.close()
        if len(out) != len(jobs):
            raise RuntimeError(f"prompt writer returned {len(out)} prompts for {len(jobs)} jobs")
        return out

    def _finish(self, s: ContextSpec, f: IdentityFeatures, retrieved: list[Candidate], raw: str) -> BuiltContext:
        prompt, rep = self.filter.filter(raw, s.emotion)
        meta: dict[str, Any] = {"records": [c.record_id for c in retrieved], "scores": [c.score for c in retrieved],
                                **s.meta, "raw_prompt": raw, "dropped": rep.dropped}
        if not prompt.strip():
            prompt = FixedWriter().write(s.image, s.emotion, retrieved)
            meta["fallback"] = "empty after compliance filtering: fixed prompt"
        inten: dict[int, float] = {}
        for c in retrieved:                # one intensity vector per prompt (Eq. 8)
            inten.update(c.intensities)
        ctx = Context(
            context_id=s.context_id, identity_image=s.identity_image, emotion=s.emotion, prompt=prompt,
            aus=sorted(inten), intensities=dict(sorted(inten.items())), image_emb=f.image_emb,
            source_clip=s.source_clip, subject=s.subject, writer=self.writer.name,
        )
        ctx.generator_prompt = fit_prompt(prompt, self.count_tokens, self.cfg.writer.generator_tokens, last=f.cues)
        meta["generator_prompt_cut"] = ctx.generator_prompt != prompt
        return BuiltContext(ctx, meta, rep)
