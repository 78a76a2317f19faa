"""Diversity: weights-free 1-SSIM and our LPIPS (random weights, real head-file format)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from argen_rl.metrics.diversity import diversity_by_condition, lpips_distance, ssim_distance
from argen_rl.metrics.lpips import LPIPS, load_lpips


def _clip(img, shift, frames=4, size=64):
    import cv2

    small = cv2.resize(img, (size + 16, size + 16), interpolation=cv2.INTER_AREA)
    return np.stack([small[shift + t: shift + t + size, shift: shift + size] for t in range(frames)])


def test_ssim_diversity_is_zero_for_copies_and_grows_with_difference(astronaut, grace_hopper):
    a = _clip(astronaut, 0)
    assert ssim_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    near, far = ssim_distance(a, _clip(astronaut, 2)), ssim_distance(a, _clip(grace_hopper, 0))
    assert 0 < near < far <= 2
    # different lengths / sizes are aligned, not rejected
    assert np.isfinite(ssim_distance(a, _clip(grace_hopper, 0, frames=7, size=48)))


def test_diversity_by_condition_averages_pairs_then_conditions(astronaut, grace_hopper):
    v = [_clip(astronaut, 0), _clip(astronaut, 0), _clip(astronaut, 3), _clip(grace_hopper, 1),
         _clip(astronaut, 5)]
    cond = ["ctx1", "ctx1", "ctx1", "ctx2", "ctx3"]
    res = diversity_by_condition(v, cond, progress=False)
    d01, d02, d12 = (ssim_distance(v[i], v[j]) for i, j in ((0, 1), (0, 2), (1, 2)))
    assert res.pairs == 3 and res.singletons == ["ctx2", "ctx3"]
    assert res.per_condition == {"ctx1": pytest.approx((d01 + d02 + d12) / 3)}
    assert res.value == pytest.approx((d01 + d02 + d12) / 3)
    with pytest.raises(ValueError, match="condition labels"):
        diversity_by_condition(v, cond[:2])


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_loads_local_weights_and_behaves_like_a_distance(net, tmp_path, astronaut, grace_hopper):
    torch.manual_seed(0)
    ref = LPIPS(net)
    for m in ref.features:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight)
    # files in the published formats: torchvision ``features.<i>`` and lpips ``lin<k>.model.1``
    backbone = {f"features.{k}": v for k, v in ref.features.state_dict().items()}
    backbone["classifier.1.weight"] = torch.zeros(3)  # ignored
    heads = {f"lin{k}.model.1.weight": torch.rand_like(l.weight) for k, l in enumerate(ref.lins)}
    torch.save(backbone, tmp_path / "backbone.pth")
    torch.save(heads, tmp_path / f"{net}.pth")
    model = load_lpips(tmp_path / "backbone.pth", tmp_path / f"{net}.pth", net=net)
    assert torch.equal(model.lins[2].weight, heads["lin2.model.1.weight"])
    dist = lpips_distance(model)
    a = _clip(astronaut, 0, frames=2)
    assert dist(a, a) == pytest.approx(0.0, abs=1e-7)
    near, far = dist(a, _clip(astronaut, 2, frames=2)), dist(a, _clip(grace_hopper, 0, frames=2))
    assert 0 < near < far
    assert dist(a, _clip(grace_hopper, 0, frames=2)) == pytest.approx(dist(_clip(grace_hopper, 0, frames=2), a), rel=1e-5)


def test_lpips_missing_weights_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="alexnet-owt-7be5be79.pth"):
        load_lpips(tmp_path / "alexnet-owt-7be5be79.pth")
    torch.save({}, tmp_path / "b.pth")
    with pytest.raises(FileNotFoundError, match="linear heads"):
        load_lpips(tmp_path / "b.pth", tmp_path / "missing_alex.pth")
    torch.save({"features.0.weight": torch.zeros(2)}, tmp_path / "b.pth")
    torch.save({f"lin{k}.model.1.weight": torch.zeros(1, c, 1, 1) for k, c in enumerate((64, 192, 384, 256, 256))},
               tmp_path / "alex.pth")
    with pytest.raises(ValueError, match="not a alex ImageNet state dict"):
        load_lpips(tmp_path / "b.pth", tmp_path / "alex.pth")
