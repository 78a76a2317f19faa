"""ASI on Ray: clip workers for the per-clip analysis, the prompt writer on its own actor.

- ``ClipWorker`` (``parallel.workers`` of them, ``worker_cpus`` each) decodes a neutral clip's
  candidate frames, runs identity selection (face-crop quality, face, eyes, hands, AUs) and
  measures the chosen frame's identity features (face mesh, cues, image embedding). The driver
  maps the clips over the workers with ``ray.util.ActorPool.map`` (results in clip order).
- ``WriterActor`` holds the prompt writer (``writer.num_gpus``: qwen-vl on a GPU); the context
  builder sends it every batch of ``writer.batch_size`` jobs at once and collects them in order
  (``RemoteWriter``).
- Everything else (retrieval, compliance, text embeddings in one batch, files) stays in the
  driver, so the output is byte-identical to the single-process run (tested).
"""
from __future__ import annotations

import os
from typing import Sequence

import ray

from argen_rl.asi.writers import WriteJob


@ray.remote
class ClipWorker:
    def __init__(self, identity_cfg: dict, clip_dir: str | None):
        from argen_rl.asi.builder import IdentityAnalyser
        from argen_rl.asi.config import IdentityConfig
        from argen_rl.asi.identity import IdentitySelector

        self.cfg = IdentityConfig.model_validate(identity_cfg)
        self.selector = IdentitySelector(self.cfg)
        self.analyser = IdentityAnalyser(clip_dir)

    def analyse(self, clip):
        from argen_rl.asi.pipeline import analyse_clip

        return analyse_clip(clip, self.cfg, self.selector, self.analyser)

    def pid(self) -> int:
        return os.getpid()


@ray.remote
class WriterActor:
    def __init__(self, context_cfg: dict):
        from argen_rl.asi.config import ContextConfig
        from argen_rl.asi.kb import load_kb
        from argen_rl.asi.writers import make_writer

        cfg = ContextConfig.model_validate(context_cfg)
        w = cfg.writer
        self.writer = make_writer(w.name, qwen_dir=w.qwen_dir, max_new_tokens=w.max_new_tokens,
                                  temperature=w.temperature, top_p=w.top_p, max_pixels=w.max_pixels,
                                  kb=load_kb(cfg.kb_path))

    def name(self) -> str:
        return self.writer.name

    def write_batch(self, jobs: Sequence[WriteJob]) -> list[str]:
        return self.writer.write_batch(jobs)


class RemoteWriter:
    """A PromptWriter whose batches run on a ``WriterActor``: ``submit`` queues, ``collect`` waits."""

    def __init__(self, actor):
        self.actor = actor
        self.name = ray.get(actor.name.remote())      # surfaces a load error here

    def submit(self, jobs: Sequence[WriteJob]):
        return self.actor.write_batch.remote(list(jobs))

    def collect(self, ref) -> list[str]:
        return ray.get(ref)

    def write_batch(self, jobs: Sequence[WriteJob]) -> list[str]:
        return self.collect(self.submit(jobs))


def launch(cfg) -> tuple[list, object]:
    """(clip workers, writer actor) for an ASIConfig with ``parallel.workers`` > 0."""
    p, w = cfg.parallel, cfg.writer
    workers = [ClipWorker.options(num_cpus=p.worker_cpus).remote(cfg.identity.model_dump(mode="json"), cfg.clip_dir)
               for _ in range(p.workers)]
    writer = WriterActor.options(num_cpus=w.num_cpus, num_gpus=w.num_gpus).remote(
        cfg.model_dump(mode="json", include={"retrieval", "writer", "kb_path", "clip_dir"}))
    return workers, writer


def shutdown(actors: Sequence) -> None:
    for a in actors:
        ray.kill(a, no_restart=True)
