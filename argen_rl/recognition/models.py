"""Recognition baselines of the ARGen paper: a per-frame CNN encoder + a temporal head.

Encoders (our own definitions, no torchvision): ResNet-18 (BasicBlock x [2, 2, 2, 2]) and VGG-13
with batch norm; both end in global average pooling -> a 8*width-d frame feature (512 at the
paper's width 64). Temporal heads: a 2-layer LSTM or a 2-layer Transformer encoder, hidden 256
(the paper's setting), then a linear layer to the 7 classes (``EMOTIONS7`` order).

``width`` (channels of the first stage) is a CPU budget option: 64 is the standard network.

``clip_transformer`` is not in the paper's table: a frozen CLIP image encoder (a local
transformers ``CLIPVisionModel`` folder) gives one feature per frame and a small temporal
transformer with a class token classifies the sequence, the visual half of DFER-CLIP
(docs/recognition.md). Only the temporal part trains.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

ENCODERS = ("res18", "vgg13")
HEADS = ("lstm", "transformer")
BASELINES = tuple(f"{e}_{h}" for e in ENCODERS for h in HEADS)
"""The paper's four from-scratch baselines (ARGen Table 2)."""
CLIP_MODEL = "clip_transformer"
MODEL_NAMES = BASELINES + (CLIP_MODEL,)
DISPLAY_NAMES = {"res18_lstm": "Res18_LSTM", "res18_transformer": "Res18_Transformer",
                 "vgg13_lstm": "VGG13_LSTM", "vgg13_transformer": "VGG13_Transformer",
                 CLIP_MODEL: "CLIP_Transformer"}


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet18Encoder(nn.Module):
    """ResNet-18 trunk: 7x7/2 conv, 3x3/2 max pool, 4 stages of 2 BasicBlocks, global pool."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        stages, cin = [], width
        for i, cout in enumerate((width, 2 * width, 4 * width, 8 * width)):
            stride = 1 if i == 0 else 2
            stages += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.out_dim = 8 * width
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x)).mean(dim=(2, 3))


class VGG13Encoder(nn.Module):
    """VGG-13 (configuration B) with batch norm: 2-2-2-2-2 3x3 convs, 5 max pools, global pool."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for cout in (width, 2 * width, 4 * width, 8 * width, 8 * width):
            for _ in range(2):
                layers += [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
                cin = cout
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.out_dim = 8 * width
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class LSTMHead(nn.Module):
    """2-layer LSTM, hidden 256; the last time step's hidden state is classified."""

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 256, layers: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_dim, hidden, num_layers=layers, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(seq)
        return self.fc(out[:, -1])


class TransformerHead(nn.Module):
    """Linear projection to 256, learned positions, 2 Transformer encoder layers, mean pool."""

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 256, layers: int = 2,
                 heads: int = 4, max_len: int = 64) -> None:
        super().__init__()
        self.proj = nn.Linear(in_dim, hidden)
        self.pos = nn.Parameter(torch.zeros(1, max_len, hidden))
        nn.init.trunc_normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(hidden, heads, dim_feedforward=2 * hidden, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(hidden)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        t = seq.shape[1]
        if t > self.pos.shape[1]:
            raise ValueError(f"sequence of {t} frames exceeds max_len {self.pos.shape[1]}")
        x = self.encoder(self.proj(seq) + self.pos[:, :t])
        return self.fc(self.norm(x.mean(dim=1)))


def _head_fp32(head: nn.Module, feats: torch.Tensor) -> torch.Tensor:
    """The temporal head in float32 even under autocast (LSTM / attention over 16 steps cost
    nothing next to the encoder, and keep their numerics)."""
    with torch.autocast(device_type=feats.device.type, enabled=False):
        return head(feats.float())


class VideoClassifier(nn.Module):
    """(N, T, 3, H, W) float frames in [-1, 1] -> (N, num_classes) logits."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        frames = x.flatten(0, 1)
        first = next(self.encoder.parameters())
        if first.dim() == 4 and first.is_contiguous(memory_format=torch.channels_last):
            frames = frames.contiguous(memory_format=torch.channels_last)   # no copy from NTHWC uint8
        feats = self.encoder(frames).view(n, t, -1)
        return _head_fp32(self.head, feats)


# -- the frozen-CLIP baseline (DFER-CLIP's visual half) -------------------------------------------
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def load_clip_vision(path: str | Path):
    """A transformers ``CLIPVisionModel`` from a local folder (a CLIPVisionModel or a whole
    CLIPModel checkpoint, e.g. openai/clip-vit-base-patch32); clear errors for what is missing."""
    from transformers import CLIPVisionModel
    from transformers.utils import logging as hf_logging

    p = Path(path)
    if not p.is_dir():
        raise FileNotFoundError(f"CLIP weights folder not found: {p} (clip_dir: a local transformers "
                                "CLIPVisionModel/CLIPModel folder with config.json and model.safetensors; "
                                "see docs/recognition.md)")
    if not (p / "config.json").is_file():
        raise FileNotFoundError(f"{p}: no config.json; expected a transformers CLIPVisionModel/CLIPModel folder")
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()      # a CLIPModel folder's text weights are expected leftovers
    try:
        model, info = CLIPVisionModel.from_pretrained(p, local_files_only=True, output_loading_info=True)
    except OSError as err:
        raise FileNotFoundError(f"{p}: cannot load CLIP vision weights ({err})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
    if info["missing_keys"]:
        raise ValueError(f"{p}: the checkpoint lacks vision weights {sorted(info['missing_keys'])[:4]}; "
                         "a frozen backbone must not start from random weights")
    return model


class TemporalTransformerCls(nn.Module):
    """Class token + learned positions + pre-norm Transformer encoder layers; returns the class
    token (DFER-CLIP's Temporal_Transformer_Cls shape: width 512, 8 heads, MLP 1024, depth 1)."""

    def __init__(self, in_dim: int, num_classes: int, dim: int = 512, depth: int = 1, heads: int = 8,
                 mlp: int = 1024, max_len: int = 64) -> None:
        super().__init__()
        self.proj = nn.Linear(in_dim, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, max_len + 1, dim))
        nn.init.trunc_normal_(self.cls, std=0.02)
        nn.init.trunc_normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=mlp, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, num_classes)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        n, t = seq.shape[:2]
        if t + 1 > self.pos.shape[1]:
            raise ValueError(f"sequence of {t} frames exceeds max_len {self.pos.shape[1] - 1}")
        x = torch.cat([self.cls.expand(n, -1, -1), self.proj(seq)], dim=1) + self.pos[:, :t + 1]
        return self.fc(self.norm(self.encoder(x)[:, 0]))


class CLIPTemporalClassifier(nn.Module):
    """Frozen CLIP image encoder per frame (pooled, post-layernorm CLS feature) -> temporal
    transformer -> 7 logits. Input: (N, T, 3, S, S) in [-1, 1], S = the CLIP model's image_size."""

    frozen_prefix = "backbone."
    """State-dict keys under this prefix are the frozen weights: checkpoints leave them out."""

    def __init__(self, backbone: nn.Module, num_classes: int = 7, depth: int = 1) -> None:
        super().__init__()
        self.backbone = backbone.requires_grad_(False).eval()
        self.image_size = int(backbone.config.image_size)
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).view(1, 3, 1, 1), persistent=False)
        self.head = TemporalTransformerCls(int(backbone.config.hidden_size), num_classes, depth=depth)

    def train(self, mode: bool = True) -> "CLIPTemporalClassifier":
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            raise ValueError(f"the CLIP backbone takes {self.image_size}x{self.image_size} frames, got "
                             f"{x.shape[-2]}x{x.shape[-1]}: set input_size: {self.image_size}")
        pix = ((x.flatten(0, 1) + 1) / 2 - self.mean) / self.std
        with torch.no_grad():
            feats = self.backbone(pixel_values=pix).pooler_output.view(n, t, -1)
        return _head_fp32(self.head, feats)


def build_model(name: str, num_classes: int = 7, width: int = 64, hidden: int = 256,
                clip_dir: str | Path | None = None) -> nn.Module:
    """``name`` in MODEL_NAMES, e.g. "res18_transformer"; ``clip_transformer`` needs ``clip_dir``."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown recognition model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    if name == CLIP_MODEL:
        if clip_dir is None:
            raise ValueError(f"{CLIP_MODEL} needs clip_dir: a local CLIPVisionModel folder (docs/recognition.md)")
        return CLIPTemporalClassifier(load_clip_vision(clip_dir), num_classes)
    enc_name, head_name = name.split("_")
    encoder = ResNet18Encoder(width) if enc_name == "res18" else VGG13Encoder(width)
    head_cls = LSTMHead if head_name == "lstm" else TransformerHead
    return VideoClassifier(encoder, head_cls(encoder.out_dim, num_classes, hidden=hidden))


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The state dict without frozen weights (``frozen_prefix``): what checkpoints store."""
    prefix = getattr(model, "frozen_prefix", None)
    return {k: v for k, v in model.state_dict().items() if not (prefix and k.startswith(prefix))}


def load_trainable_state(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Inverse of ``trainable_state``: every non-frozen key must be present."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    prefix = getattr(model, "frozen_prefix", None)
    missing = [k for k in missing if not (prefix and k.startswith(prefix))]
    if missing or unexpected:
        raise ValueError(f"checkpoint does not match the model: missing {missing[:4]}, unexpected {unexpected[:4]}")
