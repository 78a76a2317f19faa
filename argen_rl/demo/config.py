"""Typed demo configuration: one YAML file (experiments/configs/demo.yaml) with a section per
stage, each section the stage's OWN config class, so a user can diff the demo's budgets against
a full run's config."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from argen_rl.asi.config import ASIConfig
from argen_rl.augment.config import AugmentConfig
from argen_rl.config import StrictModel
from argen_rl.recognition.train import RecognitionConfig
from argen_rl.train.config import TrainConfig


class DataSection(StrictModel):
    root: str | None = None
    """Dataset root in its official layout; null = build the synthetic sample dataset
    (argen_rl.data.sample, DFEW layout) inside the run folder."""
    sample_seed: int = 0
    """Seed of the sample dataset when it is built."""
    scarce_ratio: float = 0.5
    """Scarce if count < ratio * total / 7 (ARGen §3; the data layer's rule)."""


class RecognitionSection(StrictModel):
    models: list[str] = ["res18_transformer"]
    """Baselines trained on original and on original + generated clips."""
    folds: list[int] | None = [1]
    """DFEW folds to run (null = all five)."""
    max_test_clips: int | None = None
    """Cap on test clips per fold (class-stratified); null = all."""
    train: RecognitionConfig = Field(default_factory=RecognitionConfig)
    """How each baseline is trained (argen_rl.recognition.train.RecognitionConfig)."""


class MetricsSection(StrictModel):
    i3d: str = "weights/i3d/rgb_imagenet.pt"
    """I3D weights for FVD (docs/evaluation.md); when the file is missing the report says
    'not available: <file>' and FVD is skipped."""
    lpips_backbone: str | None = None
    """ImageNet backbone weights for LPIPS diversity (optional; 1-SSIM always runs)."""
    lpips_heads: str | None = None
    """LPIPS v0.1 linear heads (default: an installed lpips package's, found by path)."""
    fvd_batch_size: int = 4
    """Videos per I3D forward pass."""


class ReportSection(StrictModel):
    grid_clips: int = 9
    """Generated clips shown as GIFs in the report's sample grid."""
    gif_side: int = 160
    """Longest side of each grid GIF in pixels."""


class DemoConfig(StrictModel):
    torch_threads: int | None = Field(1, ge=1)
    """torch intra-op threads in the demo process (null = torch's default). 1 is robust on a small
    or shared CPU: measured here under load, a recognition SGD step took 0.09 s on 1 thread and
    0.8 s on 2 (threads spin-waiting for each other)."""
    seed: int = 0
    """Written into every stage that takes a seed (ASI, training, augmentation, recognition)."""
    data: DataSection = Field(default_factory=DataSection)
    """Where the data comes from."""
    asi: ASIConfig = Field(default_factory=ASIConfig)
    """ASI stage (argen_rl.asi.config.ASIConfig); the demo uses the template writer."""
    train: TrainConfig
    """Policy training (argen_rl.train.config.TrainConfig). ``env.contexts`` and ``run_dir`` are
    set by the demo (the ASI stage's contexts.jsonl, <out>/train); the YAML values are ignored."""
    augment: AugmentConfig
    """Augmentation with label calibration (argen_rl.augment.config.AugmentConfig). ``dataset``,
    ``out``, ``contexts`` and ``policy_checkpoint`` are set by the demo (the data stage's root,
    <out>/augment/dataset, the ASI contexts, the trained checkpoint); the YAML values are ignored."""
    recognition: RecognitionSection = Field(default_factory=RecognitionSection)
    """Recognition baselines, original vs augmented."""
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    """FVD / diversity."""
    report: ReportSection = Field(default_factory=ReportSection)
    """What the HTML report shows."""


DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "demo.yaml"


def load_demo_config(path: str | Path | None = None) -> DemoConfig:
    from argen_rl.config import load_config

    return load_config(Path(path) if path else DEFAULT_CONFIG, DemoConfig)
