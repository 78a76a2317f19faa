"""Tiny random TI2V components (the true diffusers classes, a few channels), built from config."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from argen_rl.generation.ti2v.components import prepare_components
from argen_rl.generation.ti2v.pipeline import TI2VPipeline
from argen_rl.generation.ti2v.random_init import random_components

TOKENIZER_DIR = Path(__file__).parent / "fixtures" / "tiny_clip_tokenizer"


@pytest.fixture(scope="session")
def tiny_components():
    c = random_components("tiny", TOKENIZER_DIR, seed=0)
    return prepare_components(c, torch.device("cpu"), torch.float32)


@pytest.fixture()
def tiny_pipe(tiny_components):
    """K = 4 so a 6-frame video takes 5 sampling runs."""
    return TI2VPipeline(tiny_components, window=4)


class TinyFER(torch.nn.Module):
    """A small real (random) differentiable classifier: (N,3,H,W) in [-1,1] -> logits (N,7)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.head = torch.nn.Linear(8, 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.conv(x)).mean(dim=(2, 3)))


@pytest.fixture()
def tiny_fer() -> TinyFER:
    return TinyFER()
