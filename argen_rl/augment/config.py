"""Typed configuration of an augmentation run (one YAML file; one docstring per field)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from argen_rl.calibration.calibrator import CalibrationConfig
from argen_rl.config import StrictModel
from argen_rl.generation.config import GenerationConfig
from envs.config import RolloutConfig


class ActionConfig(StrictModel):
    steps: int = 8
    """S (warp keyframes / ti2v denoising steps) used when no policy checkpoint is given."""
    a: float = 2.0
    """Eq. 12 curve shape a of the fixed action."""
    b: float = 2.0
    """Eq. 12 curve shape b of the fixed action."""


class GenerationSettings(GenerationConfig):
    size: int = 224
    """Square frame side (DFEW's clip_224x224 is 224)."""


class ActorSettings(RolloutConfig):
    """The env's generator actors (envs/rollout.py), used for videos: ``num_actors``,
    ``num_cpus`` / ``num_gpus`` per actor, restarts and retries apply; ``scorer``, ``dispatch``
    and ``cache`` do not (no reward is computed: the cache holds rewards, not frames)."""

    num_actors: int = 0
    """Generator actors on Ray; 0 = generate in this process. The clips are the same either way."""


class CalibrationSettings(CalibrationConfig):
    enabled: bool = True
    """Vet every clip with the experts before writing it (SynFER label calibration)."""
    recognizer_checkpoint: str | None = None
    """A trained recognizer (argen_rl.calibration.recognizer format) used as the "recognizer"
    expert; it is added to the experts automatically when given."""
    recognizer: Literal["auto", "off"] = "auto"
    """Without a checkpoint: auto = train a recognizer on the ORIGINAL dataset (saved as
    _argen_augment/recognizer.pt, reused on reruns) and let it vote, whenever every class has at
    least recognizer_min_clips clips; summary.json says whether it is on and why."""
    recognizer_min_clips: int = Field(50, ge=1)
    """Clips per class (all 7) the original needs before auto trains a recognizer expert. A class
    with fewer gives a recognizer that rarely predicts it (and it is the scarce classes that are
    judged); 50 is DFEW-scale caution (its rarest class, disgust, has ~146 clips per fold set)."""
    recognizer_train: dict = {}
    """RecognitionConfig fields for that training (default: the recognition stage's recipe;
    e.g. {model: res18_lstm, width: 16, input_size: 64, frames: 8, epochs: 10} on a CPU)."""


class AugmentConfig(StrictModel):
    dataset: str
    """Root of the ORIGINAL dataset (never modified)."""
    kind: Literal["auto", "dfew", "ferv39k", "folder"] = "auto"
    """Its layout (auto = detected); the generated clips are written in the same layout."""
    frames_dir: str | None = None
    """Frame folder relative to the root when it is not the usual one (as for read_dataset)."""
    out: str
    """The NEW root of the augmented dataset (must not exist, or be this run's own output)."""
    originals: Literal["symlink", "copy"] = "symlink"
    """How the original clips appear in the new root: symlinks (cheap) or full copies."""
    follow_symlinks: bool = False
    """Accept clip folders / files of the original that are symlinks to places outside its root
    (default: they are skipped with a reason and never linked into the new root)."""
    contexts: str
    """contexts.jsonl (or its folder) from the ASI stage: identity image, target emotion, prompt,
    AUs and embeddings per context; clips of class e are made from the contexts of emotion e."""
    build_sample_contexts: bool = False
    """If ``contexts`` does not exist, build it from ``dataset`` (the sample dataset: it names
    subjects) for the classes being augmented, with the ASI stage (argen_rl/asi/sample_contexts.py)."""
    classes: list[str] | Literal["scarce"] = "scarce"
    """Classes to augment: "scarce" (argen_rl.data.scarce_classes) or a list of names."""
    scarce_ratio: float = 0.5
    """The scarce rule's ratio (count < ratio * total / 7)."""
    target_count: int | None = None
    """Clips per augmented class after augmentation, originals included; None = the mean class
    size (total / 7, rounded up)."""
    policy_checkpoint: str | None = None
    """Trained ARD policy (argen train's checkpoint); its greedy action is used per context.
    None = ``fixed_action`` for every context."""
    fixed_action: ActionConfig = Field(default_factory=ActionConfig)
    """The action when there is no policy."""
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    """How clips are generated."""
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    """Label calibration (experts, agreement rule, reject or relabel)."""
    rollout: ActorSettings = Field(default_factory=ActorSettings)
    """Where clips are generated: in this process or on N generator actors (num_gpus: 1 each
    for ti2v on a GPU cluster)."""
    batches_in_flight: int = Field(3, ge=1)
    """Generation batches (of ``generation.clips_per_call`` clips) submitted ahead of calibration,
    in process and on actors alike (so the batches, and ti2v's batched samples, are the same
    either way); actors + 1 keeps every actor busy while the driver judges a batch."""
    max_attempts_factor: float = 3.0
    """Give up on a class after ceil(factor * needed) attempts (rejections included)."""
    seed: int = 0
    """Base seed: clip k of a class uses seed + crc32(context id) + k; same seed = same clips."""
    flush_every: int = 10
    """Rebuild the split-CSV copies and the manifest every N written clips (and at the end)."""

    def check_files(self, source: str) -> None:
        """Every configured input exists (ConfigError naming key and file otherwise), before
        anything is read or written. ``dataset: sample`` and a ``contexts`` that
        ``build_sample_contexts`` will build are allowed to be missing."""
        from argen_rl.config import model_paths, require_paths

        checks = [("dataset", None if self.dataset == "sample" else self.dataset, "dir"),
                  ("contexts", None if self.build_sample_contexts else self.contexts, "any"),
                  ("policy_checkpoint", self.policy_checkpoint, "any"),
                  ("calibration.recognizer_checkpoint", self.calibration.recognizer_checkpoint, "any")]
        require_paths(source, checks + model_paths("generation.generator_config", self.generation.generator_config))

    @field_validator("classes")
    @classmethod
    def _classes(cls, v):
        if v == "scarce":
            return v
        from argen_rl.types import EMOTIONS7, Emotion

        out = [Emotion.parse(x).value for x in v]
        bad = [x for x in out if Emotion(x) not in EMOTIONS7]
        if bad:
            raise ValueError(f"classes must be among the 7 canonical classes, got {bad}")
        return out
