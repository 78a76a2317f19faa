"""Greedy inference: load just the policy module from a checkpoint and take argmax per head.

ARGen §3.3: at test time each head's most probable element is chosen. Loading needs only torch
and this package (no Algorithm, no env runners, no Ray cluster).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from argen_rl.policy.actions import ActionSpace, decode_action

MODULE_SUBDIR = Path("learner_group") / "learner" / "rl_module" / "default_policy"


def module_dir(checkpoint: str | Path) -> Path:
    """The RLModule folder inside an Algorithm checkpoint (or the folder itself if it is one)."""
    ckpt = Path(checkpoint)
    if (ckpt / MODULE_SUBDIR).is_dir():
        return ckpt / MODULE_SUBDIR
    if (ckpt / "module_state.pt").exists() or (ckpt / "module_state").exists() or \
            any(ckpt.glob("module_state*")):
        return ckpt
    raise FileNotFoundError(f"{ckpt}: no RLModule checkpoint here (expected {MODULE_SUBDIR}/)")


class GreedyPolicy:
    """Wraps an ``ArgenPolicyModule``: ``act(obs) -> (steps, a, b)`` by argmax per head."""

    def __init__(self, module, space: ActionSpace):
        if tuple(int(n) for n in module.action_space.nvec) != space.nvec:
            raise ValueError(f"module heads {tuple(module.action_space.nvec)} do not match the "
                             f"action space {space.nvec}")
        self.module = module.eval()
        self.space = space

    def act_indices(self, obs: np.ndarray) -> np.ndarray:
        """(D,) -> (3,) or (N, D) -> (N, 3) index triples, argmax of each head."""
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32))
        single = x.ndim == 1
        with torch.no_grad():
            heads = self.module.head_logits(x[None] if single else x)
        idx = torch.stack([h.argmax(dim=-1) for h in heads], dim=-1).numpy().astype(np.int64)
        return idx[0] if single else idx

    def act(self, obs: np.ndarray) -> tuple[int, float, float]:
        """One observation -> the greedy (steps, a, b)."""
        return decode_action(self.act_indices(obs), self.space)

    def probs(self, obs: np.ndarray) -> list[np.ndarray]:
        """Per-head action probabilities for one observation (for reports and plots)."""
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32))[None]
        with torch.no_grad():
            return [torch.softmax(h, -1)[0].numpy() for h in self.module.head_logits(x)]


def load_policy(checkpoint: str | Path, space: ActionSpace | None = None) -> GreedyPolicy:
    """Load the policy module (only) from an Algorithm checkpoint or an RLModule folder.

    ``space`` defaults to the action sets stored next to the checkpoint by the trainer
    (``action_space.json``), falling back to the module's head sizes with the default sets.
    """
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = module_dir(checkpoint).resolve()   # RLlib would read a relative path as a URI
    module = RLModule.from_checkpoint(str(path))
    if space is None:
        space = _stored_space(Path(checkpoint)) or ActionSpace()
    return GreedyPolicy(module, space)


def _stored_space(checkpoint: Path) -> ActionSpace | None:
    import json

    for folder in (checkpoint, checkpoint.parent):
        f = folder / "action_space.json"
        if f.is_file():
            d = json.loads(f.read_text())
            return ActionSpace(steps=tuple(d["steps"]), a=tuple(d["a"]), b=tuple(d["b"]))
    return None
