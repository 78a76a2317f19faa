"""The ARD policy network as an RLlib RLModule (new API stack).

ARGen Eq. 13: pi(S, a, b | s) = pi_S(S | s) * pi_a(a | s) * pi_b(b | s), where the state s is the
context's text embedding and identity-image embedding fused by self-attention, followed by an
MLP with three categorical heads. The observation the env emits is ``concat(text_emb,
image_emb)``; ``model_config["text_dim"]`` says where to split it.

``_forward`` returns the three heads' logits concatenated under ``Columns.ACTION_DIST_INPUTS``;
RLlib's ``TorchMultiCategorical`` splits them per head, so an action's log-likelihood is the sum
of the three heads' log-probabilities (ARGen Eq. 21) and sampling draws each head independently.
A value head (``ValueFunctionAPI``) gives PPO its baseline; with one-step episodes it estimates
the expected reward of the context.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ray.rllib.core.columns import Columns
from ray.rllib.core.distribution.torch.torch_distribution import TorchMultiCategorical
from ray.rllib.core.rl_module.apis.value_function_api import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule

DEFAULT_MODEL_CONFIG: dict[str, Any] = {
    "text_dim": 384,     # MiniLM sentence embedding size
    "d_model": 64,       # token width after projection
    "num_heads": 4,      # self-attention heads
    "hidden": 128,       # MLP width
}


class EmbeddingFusion(nn.Module):
    """Two tokens (text, image) -> one self-attention layer -> mean-pooled state vector."""

    def __init__(self, text_dim: int, image_dim: int, d_model: int, num_heads: int):
        super().__init__()
        self.text_dim = text_dim
        self.text_proj = nn.Sequential(nn.LayerNorm(text_dim), nn.Linear(text_dim, d_model))
        self.image_proj = nn.Sequential(nn.LayerNorm(image_dim), nn.Linear(image_dim, d_model))
        self.token_type = nn.Parameter(torch.zeros(2, d_model))  # which token is text / image
        self.attn = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        text, image = obs[..., : self.text_dim], obs[..., self.text_dim :]
        tokens = torch.stack([self.text_proj(text), self.image_proj(image)], dim=-2)
        tokens = tokens + self.token_type
        attended, _ = self.attn(tokens, tokens, tokens, need_weights=False)
        return self.norm(tokens + attended).mean(dim=-2)


class ArgenPolicyModule(TorchRLModule, ValueFunctionAPI):
    """Fused (text, image) embedding -> MLP -> heads for S, a and b (+ value head)."""

    def setup(self) -> None:
        cfg = {**DEFAULT_MODEL_CONFIG, **(self.model_config or {})}
        obs_dim = int(self.observation_space.shape[0])
        text_dim = int(cfg["text_dim"])
        if not 0 < text_dim < obs_dim:
            raise ValueError(f"text_dim={text_dim} must split the {obs_dim}-d observation "
                             "into non-empty text and image parts")
        self.nvec = [int(n) for n in self.action_space.nvec]
        d, h = int(cfg["d_model"]), int(cfg["hidden"])

        self.fusion = EmbeddingFusion(text_dim, obs_dim - text_dim, d, int(cfg["num_heads"]))
        self.trunk = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        # ARGen Eq. 13: one categorical head per action set.
        self.head_steps = nn.Linear(h, self.nvec[0])
        self.head_a = nn.Linear(h, self.nvec[1])
        self.head_b = nn.Linear(h, self.nvec[2])
        if not self.inference_only:
            self.value_head = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 1))
        self.action_dist_cls = TorchMultiCategorical.get_partial_dist_cls(
            space=self.action_space, input_lens=self.nvec)

    def head_logits(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits of the three heads (S, a, b) for a batch of observations."""
        z = self.trunk(self.fusion(obs))
        return self.head_steps(z), self.head_a(z), self.head_b(z)

    def _forward(self, batch: dict[str, Any], **kwargs) -> dict[str, Any]:
        logits = torch.cat(self.head_logits(batch[Columns.OBS]), dim=-1)
        return {Columns.ACTION_DIST_INPUTS: logits}

    def compute_values(self, batch: dict[str, Any], embeddings: Any = None) -> torch.Tensor:
        # The value branch reads the fused state only, so its loss shapes the shared fusion
        # but not the policy MLP.
        return self.value_head(self.fusion(batch[Columns.OBS])).squeeze(-1)
