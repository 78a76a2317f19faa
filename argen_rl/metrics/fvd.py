"""Fréchet Video Distance and its grouped variants sFVD / tFVD (ARGen supp. Eq. 27-33).

Pipeline (StyleGAN-V conventions): uint8 videos (N, T, H, W, 3) -> ``T`` frames (16) sampled
uniformly -> every frame resized to 224x224 -> scaled to [-1, 1] -> I3D -> 400-d Kinetics
logits per video -> Gaussian statistics -> Fréchet distance.
"""
from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from argen_rl.video_io import sample_indices

FVD_FRAMES = 16
FVD_SIZE = 224


class SmallGroupWarning(UserWarning):
    """A group has too few videos for a full-rank covariance; its FVD is unstable."""


def preprocess_videos(videos: Sequence[np.ndarray], frames: int = FVD_FRAMES,
                      size: int = FVD_SIZE) -> torch.Tensor:
    """uint8 (T, H, W, 3) videos -> float (N, 3, frames, size, size) in [-1, 1]."""
    out = []
    for v in videos:
        v = np.asarray(v)
        if v.dtype != np.uint8 or v.ndim != 4 or v.shape[-1] != 3:
            raise ValueError(f"FVD expects uint8 (T, H, W, 3) videos, got {v.dtype} {v.shape}")
        x = torch.from_numpy(v[sample_indices(len(v), frames)]).permute(0, 3, 1, 2).float()
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        out.append((x / 127.5 - 1.0).clamp(-1, 1).permute(1, 0, 2, 3))
    return torch.stack(out)


@torch.no_grad()
def i3d_features(model: nn.Module, videos: Sequence[np.ndarray], batch_size: int = 4,
                 frames: int = FVD_FRAMES, size: int = FVD_SIZE, progress: bool = True) -> np.ndarray:
    """(N, 400) float64 I3D logits of uint8 videos (ARGen supp. Eq. 27's feature set)."""
    device = next(model.parameters(), torch.empty(0)).device
    feats = []
    for i in tqdm(range(0, len(videos), batch_size), desc="I3D features", disable=not progress,
                  unit="batch"):
        x = preprocess_videos(videos[i:i + batch_size], frames, size).to(device)
        feats.append(model(x).double().cpu().numpy())
    if not feats:
        raise ValueError("no videos given")
    return np.concatenate(feats)


def gaussian_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance (ARGen supp. Eq. 27-28)."""
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"need at least 2 feature vectors (N, D), got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _trace_sqrt_product_sqrtm(s1: np.ndarray, s2: np.ndarray, eps: float) -> float:
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        # singular product (few samples): offset both covariances by eps * I, as in the FID code
        off = np.eye(len(s1)) * eps
        covmean = scipy.linalg.sqrtm((s1 + off) @ (s2 + off))
    if np.iscomplexobj(covmean):
        imag = np.abs(covmean.imag).max()
        scale = max(1.0, np.abs(covmean.real).max())
        if imag > 1e-3 * scale:
            raise ValueError(f"matrix square root has a large imaginary part ({imag:.3g}); "
                             "the covariances are badly conditioned (too few samples?)")
        covmean = covmean.real
    return float(np.trace(covmean))


def _trace_sqrt_product_eigh(s1: np.ndarray, s2: np.ndarray) -> float:
    # Tr sqrt(S1 S2) = Tr sqrt(S1^1/2 S2 S1^1/2); the inner matrix is symmetric PSD
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root1 @ s2 @ root1
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     method: str = "sqrtm", eps: float = 1e-6) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2)  (ARGen supp. Eq. 29).

    ``method="sqrtm"`` is the conventional scipy square root (with the eps*I fallback for
    singular products and a check that discarded imaginary parts are tiny); ``"eigh"`` uses
    the symmetric form, which is real by construction.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"shape mismatch: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}")
    if method == "sqrtm":
        tr_covmean = _trace_sqrt_product_sqrtm(s1, s2, eps)
    elif method == "eigh":
        tr_covmean = _trace_sqrt_product_eigh(s1, s2)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'sqrtm' or 'eigh'")
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean, 0.0))


def fvd_from_features(real: np.ndarray, fake: np.ndarray, method: str = "sqrtm") -> float:
    """FVD between two feature sets (N_r, D) and (N_f, D)."""
    return frechet_distance(*gaussian_stats(real), *gaussian_stats(fake), method=method)


@dataclass
class GroupFVD:
    """Mean of per-group FVDs (sFVD over subjects, tFVD over expression classes)."""

    value: float
    per_group: dict[Hashable, float]
    skipped: dict[Hashable, str] = field(default_factory=dict)
    small: list[Hashable] = field(default_factory=list)  # computed, but below the stable size


def group_fvd(real: np.ndarray, real_groups: Sequence[Hashable], fake: np.ndarray,
              fake_groups: Sequence[Hashable], method: str = "sqrtm") -> GroupFVD:
    """ARGen supp. Eq. 30-33: per-group statistics, per-group FVD, mean over groups.

    Groups present on only one side, or with fewer than 2 videos on a side, are skipped and
    reported. A group with fewer videos than feature dimensions + 1 gets a rank-deficient
    covariance: it is computed, listed in ``small`` and a ``SmallGroupWarning`` is issued.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if len(real) != len(real_groups) or len(fake) != len(fake_groups):
        raise ValueError("one group label per feature row is needed")
    rg, fg = np.asarray(real_groups, dtype=object), np.asarray(fake_groups, dtype=object)
    dim = real.shape[1]
    per_group: dict[Hashable, float] = {}
    skipped: dict[Hashable, str] = {}
    small: list[Hashable] = []
    for g in sorted(set(rg) | set(fg), key=str):
        n_r, n_f = int((rg == g).sum()), int((fg == g).sum())
        if min(n_r, n_f) < 2:
            skipped[g] = f"{n_r} real / {n_f} generated videos (need >= 2 each)"
            continue
        if min(n_r, n_f) < dim + 1:
            small.append(g)
        per_group[g] = fvd_from_features(real[rg == g], fake[fg == g], method)  # Eq. 30-32
    if small:
        warnings.warn(f"{len(small)} group(s) have fewer videos than the feature dimension + 1 "
                      f"({dim + 1}); their covariance is rank-deficient and FVD unstable: "
                      f"{', '.join(map(str, small[:8]))}{' ...' if len(small) > 8 else ''}",
                      SmallGroupWarning, stacklevel=2)
    if skipped:
        warnings.warn(f"skipped {len(skipped)} group(s): "
                      + "; ".join(f"{g}: {r}" for g, r in list(skipped.items())[:8]),
                      SmallGroupWarning, stacklevel=2)
    value = float(np.mean(list(per_group.values()))) if per_group else float("nan")  # Eq. 33
    return GroupFVD(value, per_group, skipped, small)


def compute_fvd_suite(model: nn.Module, real_videos: Sequence[np.ndarray],
                      fake_videos: Sequence[np.ndarray], real_subjects: Sequence[Hashable] | None = None,
                      fake_subjects: Sequence[Hashable] | None = None,
                      real_classes: Sequence[Hashable] | None = None,
                      fake_classes: Sequence[Hashable] | None = None, batch_size: int = 4,
                      progress: bool = True) -> dict:
    """FVD, and sFVD / tFVD where subject / class labels are given, from uint8 videos."""
    real = i3d_features(model, real_videos, batch_size, progress=progress)
    fake = i3d_features(model, fake_videos, batch_size, progress=progress)
    out: dict = {"fvd": fvd_from_features(real, fake), "n_real": len(real), "n_fake": len(fake)}
    if real_subjects is not None and fake_subjects is not None:
        s = group_fvd(real, real_subjects, fake, fake_subjects)
        out.update(sfvd=s.value, sfvd_groups=len(s.per_group), sfvd_skipped=len(s.skipped))
    if real_classes is not None and fake_classes is not None:
        t = group_fvd(real, real_classes, fake, fake_classes)
        out.update(tfvd=t.value, tfvd_groups=len(t.per_group), tfvd_skipped=len(t.skipped))
    return out
