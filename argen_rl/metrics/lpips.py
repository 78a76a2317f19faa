"""LPIPS (Zhang et al. 2018, v0.1): our own network, weights from local files.

d(x0, x1) = sum_l mean_{h,w} || w_l * (f̂_l(x0) - f̂_l(x1)) ||^2, where f̂_l are channel-unit-
normalised activations of 5 backbone layers and w_l the learned linear heads.

- Backbones (our definitions; layer indices match torchvision's ``features`` so its ImageNet
  checkpoints load): AlexNet (taps after ReLU 1, 4, 7, 9, 11) or VGG-16 (3, 8, 15, 22, 29).
- Linear heads: the ``lpips`` package's ``weights/v0.1/{alex,vgg}.pth`` (keys
  ``lin<k>.model.1.weight``), found in an installed ``lpips`` package or given by path.
- Input: float (N, 3, H, W) in [-1, 1]; the v0.1 scaling layer is applied inside.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import torch.nn as nn

_CFG = {
    # (features layout, tap indices, channels per tap)
    "alex": ([("c", 3, 64, 11, 4, 2), "r", "m", ("c", 64, 192, 5, 1, 2), "r", "m",
              ("c", 192, 384, 3, 1, 1), "r", ("c", 384, 256, 3, 1, 1), "r",
              ("c", 256, 256, 3, 1, 1), "r", "m"], (1, 4, 7, 9, 11), (64, 192, 384, 256, 256)),
    "vgg": ([*[("c", 3, 64, 3, 1, 1), "r", ("c", 64, 64, 3, 1, 1), "r", "M"],
             *[("c", 64, 128, 3, 1, 1), "r", ("c", 128, 128, 3, 1, 1), "r", "M"],
             *[("c", 128, 256, 3, 1, 1), "r", ("c", 256, 256, 3, 1, 1), "r", ("c", 256, 256, 3, 1, 1), "r", "M"],
             *[("c", 256, 512, 3, 1, 1), "r", ("c", 512, 512, 3, 1, 1), "r", ("c", 512, 512, 3, 1, 1), "r", "M"],
             *[("c", 512, 512, 3, 1, 1), "r", ("c", 512, 512, 3, 1, 1), "r", ("c", 512, 512, 3, 1, 1), "r", "M"]],
            (3, 8, 15, 22, 29), (64, 128, 256, 512, 512)),
}
BACKBONE_FILES = {"alex": "alexnet-owt-7be5be79.pth", "vgg": "vgg16-397923af.pth"}

LPIPS_HELP = (
    "LPIPS needs (1) ImageNet backbone weights, torchvision's {backbone} (BSD-3-Clause; "
    "https://download.pytorch.org/models/{backbone}), and (2) the LPIPS linear heads "
    "weights/v0.1/{net}.pth of the lpips package (BSD-2-Clause; `pip install --no-deps lpips` "
    "or copy the file). See docs/evaluation.md."
)


def _layer(spec) -> nn.Module:
    if spec == "r":
        return nn.ReLU(inplace=False)
    if spec == "m":
        return nn.MaxPool2d(3, 2)
    if spec == "M":
        return nn.MaxPool2d(2, 2)
    _, cin, cout, k, s, p = spec
    return nn.Conv2d(cin, cout, k, s, p)


class LPIPS(nn.Module):
    """Perceptual distance; ``forward(x0, x1) -> (N,)``."""

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in _CFG:
            raise ValueError(f"unknown LPIPS backbone {net!r}; expected 'alex' or 'vgg'")
        layout, taps, chans = _CFG[net]
        self.net_name = net
        self.features = nn.Sequential(*[_layer(s) for s in layout[: taps[-1] + 1]])
        self.taps = taps
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in chans)
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1))
        self.requires_grad_(False)

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        x = (x - self.shift) / self.scale
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10))
        return out

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        d = 0.0
        for lin, f0, f1 in zip(self.lins, self._taps(x0), self._taps(x1)):
            d = d + lin((f0 - f1) ** 2).mean(dim=(2, 3))
        return d.view(-1)

    def load_heads(self, path: str | Path) -> None:
        """Load the lpips package's linear heads (keys ``lin<k>.model.1.weight``)."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        mapped = {f"{k.split('.')[0][3:]}.weight": v for k, v in state.items() if k.startswith("lin")}
        try:
            self.lins.load_state_dict(mapped, strict=True)
        except RuntimeError as err:
            raise ValueError(f"{path}: not LPIPS v0.1 {self.net_name} heads: {err}") from None

    def load_backbone(self, path: str | Path) -> None:
        """Load torchvision-format ImageNet weights (``features.<i>.weight``); classifier ignored."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        feats = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        feats = {k: v for k, v in feats.items() if int(k.split(".")[0]) < len(self.features)}
        try:
            self.features.load_state_dict(feats, strict=True)
        except RuntimeError as err:
            raise ValueError(f"{path}: not a {self.net_name} ImageNet state dict: {err}") from None


def installed_heads(net: str) -> Path | None:
    """weights/v0.1/<net>.pth of an installed ``lpips`` package (found without importing it)."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "weights" / "v0.1" / f"{net}.pth"
    return path if path.is_file() else None


def load_lpips(backbone: str | Path, heads: str | Path | None = None, net: str = "alex") -> LPIPS:
    """LPIPS with local weights; FileNotFoundError naming the missing file otherwise."""
    help_text = LPIPS_HELP.format(backbone=BACKBONE_FILES[net] if net in BACKBONE_FILES else "?", net=net)
    model = LPIPS(net)
    backbone = Path(backbone).expanduser()
    if not backbone.is_file():
        raise FileNotFoundError(f"LPIPS backbone weights not found: {backbone}. {help_text}")
    heads_path = Path(heads).expanduser() if heads is not None else installed_heads(net)
    if heads_path is None or not heads_path.is_file():
        raise FileNotFoundError(f"LPIPS linear heads not found: {heads_path or f'v0.1/{net}.pth'}. {help_text}")
    model.load_backbone(backbone)
    model.load_heads(heads_path)
    return model.eval()
