"""SynFER semantic guidance (SynFER Eq. 4-6) on the text embedding of the TI2V sampler.

In the last ``last_fraction`` of the denoising steps, once per step:

    x0_hat = (x_t - sqrt(1 - abar_t) * eps_theta(x_t, t, c)) / sqrt(abar_t)      # SynFER Eq. 4
    L_g    = CE(f(D(x0_hat_new_frame)), y)                                      # SynFER Eq. 5
    c     <- c - lambda_g * grad_c L_g / ||grad_c L_g||_2                       # SynFER Eq. 6

with D the VAE decoder, f a differentiable expression classifier returning logits in EMOTIONS7
order, y the target emotion, and c the conditional text embedding (77 x D per request, the norm
taken per request). The paper prints Eq. 6 with a plus sign; with L_g a loss that would move
*away* from the target, so we descend (the text says the update guides toward class y).
Only the frame being generated (the last latent frame) is decoded and classified; the
conditioning frames are replaced by the noised reference anyway.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from argen_rl.types import Emotion

Classifier = Callable[[torch.Tensor], torch.Tensor]
"""fn(x: (N, 3, H, W) in [-1, 1]) -> logits (N, 7) in EMOTIONS7 order, differentiable."""


def default_classifier() -> Classifier:
    """The FER2013 mini-Xception from argen_rl.face.fer (differentiable ``logits_from_rgb``; it
    follows the input's device and dtype)."""
    try:
        from argen_rl.face.fer import ExpressionClassifier
    except ImportError as err:
        raise RuntimeError("semantic guidance needs a classifier: pass SemanticGuidance(classifier=...) "
                           f"or install the face stage (argen_rl.face.fer): {err}") from None
    return ExpressionClassifier().logits_from_rgb


@dataclass
class SemanticGuidance:
    """Options of SynFER semantic guidance. ``classifier=None`` uses the face stage's FER net;
    ``target=None`` guides each request toward its own emotion."""

    classifier: Classifier | None = None
    lambda_g: float = 0.5
    """Step size of the normalised text-embedding update (SynFER Eq. 6), in embedding units
    (a CLIP ViT-H prompt embedding has Frobenius norm ~250, so 0.5 is a gentle nudge per step)."""
    last_fraction: float = 0.3
    """Guide in the last ``ceil(last_fraction * S)`` of the S denoising steps."""
    target: Emotion | str | None = None

    def __post_init__(self) -> None:
        if not self.lambda_g > 0:
            raise ValueError(f"lambda_g must be > 0, got {self.lambda_g}")
        if not 0 < self.last_fraction <= 1:
            raise ValueError(f"last_fraction must be in (0, 1], got {self.last_fraction}")
        if self.target is not None:
            self.target = Emotion.parse(self.target)
            self.target.index  # contempt is not a 7-class target: fail now, not mid-sampling

    def first_step(self, num_steps: int) -> int:
        """Index of the first guided step among 0..S-1."""
        guided = max(1, round(self.last_fraction * num_steps + 1e-9))
        return num_steps - min(guided, num_steps)

    def loss(self, pipe, latents: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
             target_idx: torch.Tensor) -> torch.Tensor:
        """Per-request CE of the classifier on the decoded x0 prediction of the new frame;
        ``t`` is a scalar or a (B,) per-request timestep tensor."""
        b = latents.shape[0]
        unet = pipe.components.unet            # eager: the backward goes through it
        t_b = t.to(latents.device).reshape(-1).expand(b)
        eps = unet(latents.to(pipe.dtype), t_b, encoder_hidden_states=text_emb.to(pipe.dtype)).sample.float()
        abar = pipe.abar(t_b, b).view(-1, 1, 1, 1, 1)
        x0 = (latents - (1 - abar).sqrt() * eps) / abar.sqrt()                  # SynFER Eq. 4
        image = pipe.decode_latents(x0[:, :, -1])                                # (B, 3, H, W) in ~[-1, 1]
        clf = self.classifier if self.classifier is not None else pipe.default_classifier()
        logits = clf(image).float()
        return F.cross_entropy(logits, target_idx, reduction="none")            # SynFER Eq. 5

    def update(self, pipe, latents: torch.Tensor, t: torch.Tensor, text_emb: torch.Tensor,
               target_idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One guidance step: returns (updated embedding, loss before the update)."""
        emb = text_emb.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            loss = self.loss(pipe, latents.detach(), t, emb, target_idx)
            (grad,) = torch.autograd.grad(loss.sum(), emb)   # sum: each request gets its own gradient
        norm = grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (grad.ndim - 1)))
        new_emb = text_emb - self.lambda_g * grad / norm                         # SynFER Eq. 6 (descent)
        return new_emb.detach(), loss.detach()
