"""Typed training configuration (one YAML file, one docstring per field)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from argen_rl.config import StrictModel
from envs.config import EnvConfig


class PolicyModelConfig(StrictModel):
    d_model: int = 64
    """Width of the text / image tokens fused by self-attention (ARGen Eq. 13)."""
    num_heads: int = 4
    """Self-attention heads."""
    hidden: int = 128
    """Width of the MLP before the three heads."""


class PPOSettings(StrictModel):
    train_batch_size: int = 32
    """Episodes (= contexts, one step each) per training iteration; the paper's batch size B."""
    minibatch_size: int = 16
    """SGD minibatch inside an iteration."""
    num_epochs: int = 4
    """Passes over each batch (PPO's clipping keeps re-use safe; samples are expensive)."""
    lr: float = 3e-4
    """Adam learning rate (RLlib's PPO learner uses Adam, as the paper does)."""
    entropy_coeff: float = 0.01
    """Entropy bonus summed over the three heads (keeps exploring early)."""
    clip_param: float = 0.2
    """PPO ratio clip."""
    vf_loss_coeff: float = 0.5
    """Weight of the value (baseline) loss."""


class EvalConfig(StrictModel):
    random_actions: int = 8
    """Uniform-random actions scored per held-out context for the random baseline (0 = all of
    the Cartesian set, i.e. the exact expectation)."""
    split: Literal["heldout", "train", "all"] = "heldout"
    """Contexts to evaluate on."""
    judge: bool = True
    """Score every policy with the fixed judge (argen_rl.metrics.fixed_judge: the held-out
    classifier's read, naturalness, identity, diversity, FVD), which no policy trains on."""
    oracle: bool = True
    """Judge every action of every evaluation context: gives the per-context best action by the
    judge (the oracle) and the judge's whole landscape (costs the Cartesian set's size in clips
    per context)."""
    size: int | None = None
    """Square side of the clips the judge reads (None = env.generation.size). Training may run
    at a size the rewards can afford (64 px) while the judge reads clips at the size they are
    used at: the held-out classifier barely reads a 64 px face (docs/training.md)."""
    frames: int | None = None
    """Frames of the judged clips (None = env.generation.frames)."""
    thumb_size: int = 64
    """Side of the clip copies the set-level metrics (diversity, FVD) read."""
    lpips_backbone: str | None = None
    """LPIPS backbone weights (diversity/lpips); None = 1 - SSIM only (docs/evaluation.md)."""
    lpips_heads: str | None = None
    """LPIPS linear heads (None: the installed lpips package's)."""
    i3d: str | None = None
    """I3D weights for FVD of each policy's clips against ``fvd_real``; None or a missing file =
    FVD not computed (its status says why)."""
    fvd_real: str | None = None
    """Real videos for FVD: a dataset root or a folder of clips (argen_rl.metrics.inputs)."""


class RayConfig(StrictModel):
    address: str | None = None
    """Ray cluster to join; None = the job's cluster under `ray job submit` (RAY_ADDRESS), else
    a private local instance."""
    num_cpus: int = 2
    """CPUs of the private local instance (ignored when joining a cluster)."""
    num_env_runners: int = 0
    """Remote env runners (0 = sample in the driver; each remote one reserves 1 CPU)."""
    num_envs_per_env_runner: int = 1
    """Envs stepped per runner (each step waits on its pool, so >1 mostly helps with many actors)."""
    sample_timeout_s: float = 600.0
    """How long an env runner may take to collect its share of a batch."""


class TrainConfig(StrictModel):
    env: EnvConfig
    """The bandit env (contexts, action sets, generation, rewards, generator actors)."""
    build_sample_contexts: bool = False
    """If env.contexts does not exist, first build the embedded sample dataset and run the ASI
    stage on it into that folder (argen_rl/asi/sample_contexts.py: 4 identities x 3 scarce
    emotions)."""
    run_dir: str = "runs/train"
    """Where checkpoints, TensorBoard events, metrics.jsonl, plots and summary.json go."""
    iterations: int = 20
    """Training iterations (each = train_batch_size episodes)."""
    checkpoint_every: int = 5
    """Save a checkpoint every N iterations (and always after the last)."""
    resume: bool = True
    """Continue from the latest checkpoint in run_dir/checkpoints when there is one."""
    seed: int = 0
    """Seeds RLlib (torch, env runners) and the env's context / pool sampling."""
    model: PolicyModelConfig = Field(default_factory=PolicyModelConfig)
    """Policy network sizes."""
    ppo: PPOSettings = Field(default_factory=PPOSettings)
    """PPO hyper-parameters."""
    eval: EvalConfig = Field(default_factory=EvalConfig)
    """Held-out evaluation after training."""
    ray: RayConfig = Field(default_factory=RayConfig)
    """Where and how wide to run."""

    def check_files(self, source: str, prefix: str = "") -> None:
        """Every configured input exists (ConfigError naming key and file otherwise); run before
        Ray starts. ``env.contexts`` may be missing when ``build_sample_contexts`` will build it."""
        from argen_rl.config import model_paths, require_paths

        checks = [] if self.build_sample_contexts else [(f"{prefix}env.contexts", self.env.contexts, "any")]
        checks += [(f"{prefix}eval.{k}", getattr(self.eval, k), "any")
                   for k in ("lpips_backbone", "lpips_heads", "fvd_real") if getattr(self.eval, k)]
        require_paths(source, checks + model_paths(f"{prefix}env.generation.generator_config",
                                                   self.env.generation.generator_config))
