"""The Serve app's one typed config (the ``args:`` of serve/config.yaml's application)."""
from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from argen_rl.asi.config import ContextConfig
from argen_rl.config import StrictModel
from argen_rl.types import GenParams


class FixedAction(StrictModel):
    """GenParams used when no policy checkpoint is configured (and the fields a policy does not choose)."""

    steps: int = 10
    """S: denoising steps (ti2v) / keyframes (warp)."""
    a: float = 2.0
    """Guidance-curve shape a (ARGen Eq. 12)."""
    b: float = 2.0
    """Guidance-curve shape b (ARGen Eq. 12)."""
    w_min: float = 7.5
    """Smallest frame-wise guidance weight."""
    w_max: float = 10.5
    """Largest frame-wise guidance weight."""
    frames: int = 16
    """F: frames per generated clip."""
    size: int = 256
    """Output side length (square)."""
    resample: int = Field(0, ge=0)
    """R: resampling iterations per denoising step (ti2v); each step costs R+1 UNet calls."""

    def params(self, seed: int, steps: int | None = None, a: float | None = None, b: float | None = None) -> GenParams:
        return GenParams(steps=self.steps if steps is None else steps, a=self.a if a is None else a,
                         b=self.b if b is None else b, w_min=self.w_min,
                         w_max=self.w_max, resample=self.resample, frames=self.frames, size=self.size, seed=seed)


class ServeConfig(StrictModel):
    """On-demand augmentation endpoint: generator, policy, limits and batching."""

    generator: str = "warp"
    """Generator name in argen_rl.generation.registry ("warp" on CPU, "ti2v" on GPU)."""
    generator_config: dict[str, Any] = Field(default_factory=dict)
    """Passed to make_generator(name, config) (e.g. the ti2v model directory)."""
    policy_checkpoint: str | None = None
    """Trained policy (Algorithm checkpoint or RLModule folder); None = use fixed_action."""
    fixed_action: FixedAction = Field(default_factory=FixedAction)
    """Generation parameters when there is no policy (steps, a, b) and always (the rest)."""
    context: ContextConfig = Field(default_factory=ContextConfig)
    """How an upload + emotion + seed becomes a context: ASI's context builder (retrieval, prompt
    writer, compliance filter, embeddings; argen_rl.asi.builder) with these settings."""
    num_replicas: int = 1
    """Generator deployment replicas."""
    num_gpus: float = 0.0
    """GPUs per generator replica (1 for ti2v on a GPU node)."""
    num_cpus: float = 0.0
    """CPUs reserved per generator replica (0 on a small CPU box; see RAY_NOTES)."""
    max_ongoing_requests: int = 32
    """Per replica; @serve.batch never batches more than this."""
    max_batch_size: int = 8
    """Most augment requests one generator call handles."""
    batch_wait_timeout_s: float = 0.05
    """How long a batch waits to fill before it runs."""
    max_count: int = 4
    """Largest `count` one request may ask for."""
    max_upload_bytes: int = 8_000_000
    """Uploads larger than this get 413."""
    max_image_pixels: int = 16_000_000
    """Images with more pixels (width x height) than this get 413."""
    min_image_side: int = 64
    """Images with a shorter side than this get 422 (too small to hold a usable face)."""
    replica_grpc_host: str | None = "127.0.0.1"
    """Host the replicas' inter-deployment gRPC server binds. Ray 2.60 hard-codes [::] (all
    interfaces) with no setting; argen rebinds it (serve/hardening.py). None = Ray's default:
    then firewall the replicas' ephemeral ports to the cluster's nodes."""

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, name: str) -> str:
        from argen_rl.generation.config import GenerationConfig

        return GenerationConfig.model_validate({"generator": name}).generator if name else name

    def check_files(self, source: str) -> None:
        """The policy checkpoint and model folders exist (ConfigError naming key and file), before
        Ray or Serve start."""
        from argen_rl.config import model_paths, require_paths

        require_paths(source, [("policy_checkpoint", self.policy_checkpoint, "any")]
                      + model_paths("generator_config", self.generator_config))
        self.context.check_files(source, prefix="context.")

    @model_validator(mode="after")
    def _batch_fits_a_request(self) -> "ServeConfig":
        if self.max_batch_size < self.max_count:
            raise ValueError(f"max_batch_size ({self.max_batch_size}) must be >= max_count ({self.max_count}): "
                             "a batch is counted in clips and one request must fit in it")
        if self.max_count < 1 or self.num_replicas < 1:
            raise ValueError("max_count and num_replicas must be >= 1")
        return self
