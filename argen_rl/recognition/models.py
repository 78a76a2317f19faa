"""Recognition baselines of the ARGen paper: a per-frame CNN encoder + a temporal head.

Encoders (our own definitions, no torchvision): ResNet-18 (BasicBlock x [2, 2, 2, 2]) and VGG-13
with batch norm; both end in global average pooling -> a 8*width-d frame feature (512 at the
paper's width 64). Temporal heads: a 2-layer LSTM or a 2-layer Transformer encoder, hidden 256
(the paper's setting), then a linear layer to the 7 classes (``EMOTIONS7`` order).

``width`` (channels of the first stage) is a CPU budget option: 64 is the standard network.
"""
from __future__ import annotations

import torch
import torch.nn as nn

ENCODERS = ("res18", "vgg13")
HEADS = ("lstm", "transformer")
MODEL_NAMES = tuple(f"{e}_{h}" for e in ENCODERS for h in HEADS)
DISPLAY_NAMES = {"res18_lstm": "Res18_LSTM", "res18_transformer": "Res18_Transformer",
                 "vgg13_lstm": "VGG13_LSTM", "vgg13_transformer": "VGG13_Transformer"}


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


class VideoClassifier(nn.Module):
    """(N, T, 3, H, W) float frames -> (N, num_classes) logits."""

    def __init__(self, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.encoder, self.head = encoder, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        feats = self.encoder(x.flatten(0, 1)).view(n, t, -1)
        return self.head(feats)


def build_model(name: str, num_classes: int = 7, width: int = 64, hidden: int = 256) -> VideoClassifier:
    """``name`` in MODEL_NAMES, e.g. "res18_transformer"."""
    if name not in MODEL_NAMES:
        raise ValueError(f"unknown recognition model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    enc_name, head_name = name.split("_")
    encoder = ResNet18Encoder(width) if enc_name == "res18" else VGG13Encoder(width)
    head_cls = LSTMHead if head_name == "lstm" else TransformerHead
    return VideoClassifier(encoder, head_cls(encoder.out_dim, num_classes, hidden=hidden))
