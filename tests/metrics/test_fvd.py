"""FVD: Fréchet distance against independent formulas, grouped variants, I3D end to end."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from argen_rl.metrics.fvd import (SmallGroupWarning, frechet_distance, fvd_from_features,
                                  group_fvd, i3d_features, preprocess_videos)
from argen_rl.metrics.i3d import InceptionI3d, load_i3d


def _closed_form_diag(mu1, d1, mu2, d2):
    # diagonal covariances: Tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (sqrt(d1) - sqrt(d2))^2
    return float(((mu1 - mu2) ** 2).sum() + ((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum())


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_frechet_matches_closed_form_for_diagonal_covariances(method):
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    d1, d2 = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    got = frechet_distance(mu1, np.diag(d1), mu2, np.diag(d2), method=method)
    assert got == pytest.approx(_closed_form_diag(mu1, d1, mu2, d2), rel=1e-9)


def test_frechet_full_covariances_match_rotated_closed_form():
    # rotating both Gaussians by the same orthogonal Q leaves the distance unchanged
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    d1, d2 = rng.uniform(0.2, 2, 5), rng.uniform(0.2, 2, 5)
    s1, s2 = q @ np.diag(d1) @ q.T, q @ np.diag(d2) @ q.T
    expected = _closed_form_diag(mu1, d1, mu2, d2)  # ||Q(mu1-mu2)|| = ||mu1-mu2||
    for method in ("sqrtm", "eigh"):
        assert frechet_distance(q @ mu1, s1, q @ mu2, s2, method=method) == pytest.approx(expected, rel=1e-7)


def test_methods_agree_on_real_sample_covariances_and_self_distance_is_zero():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(300, 20)) @ rng.normal(size=(20, 20))
    b = rng.normal(size=(250, 20)) * 1.5 + 0.3
    d_sqrtm = fvd_from_features(a, b, method="sqrtm")
    assert d_sqrtm == pytest.approx(fvd_from_features(a, b, method="eigh"), rel=1e-6)
    assert d_sqrtm > 1.0
    assert fvd_from_features(a, a) == pytest.approx(0.0, abs=1e-6)


def test_singular_covariances_use_offset_and_stay_finite():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 40)), rng.normal(size=(6, 40))  # rank 4 / 5 in 40 dims
    d = fvd_from_features(a, b)
    assert np.isfinite(d) and d > 0
    assert d == pytest.approx(fvd_from_features(a, b, method="eigh"), rel=1e-3)


def test_group_fvd_is_mean_of_per_group_values_and_reports_small_groups():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(size=(50, 3)) + 0.5
    rg = ["s1"] * 30 + ["s2"] * 29 + ["lonely"]
    fg = ["s1"] * 25 + ["s2"] * 22 + ["tiny"] * 3
    with pytest.warns(SmallGroupWarning, match="skipped 2 group"):
        res = group_fvd(real, rg, fake, fg)
    assert set(res.per_group) == {"s1", "s2"} and set(res.skipped) == {"lonely", "tiny"}
    rg_a, fg_a = np.array(rg), np.array(fg)
    s1 = fvd_from_features(real[rg_a == "s1"], fake[fg_a == "s1"])
    s2 = fvd_from_features(real[rg_a == "s2"], fake[fg_a == "s2"])
    assert res.value == pytest.approx((s1 + s2) / 2)
    # a group smaller than dim + 1 is computed but flagged
    with pytest.warns(SmallGroupWarning, match="rank-deficient"):
        res = group_fvd(rng.normal(size=(6, 8)), ["a"] * 6, rng.normal(size=(6, 8)), ["a"] * 6)
    assert res.small == ["a"] and np.isfinite(res.value)


def test_preprocess_follows_stylegan_v_conventions():
    v = np.zeros((5, 40, 30, 3), np.uint8)
    v[:, :, :, 0] = 255
    x = preprocess_videos([v])
    assert x.shape == (1, 3, 16, 224, 224)
    assert torch.allclose(x[0, 0], torch.ones(1)) and torch.allclose(x[0, 1], -torch.ones(1))
    with pytest.raises(ValueError, match="uint8"):
        preprocess_videos([v.astype(np.float32)])


def test_missing_i3d_weights_error_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="rgb_imagenet.pt.*piergiaj"):
        load_i3d(tmp_path / "rgb_imagenet.pt")


def test_random_weight_i3d_end_to_end(tmp_path, astronaut):
    torch.manual_seed(0)
    model = InceptionI3d().eval()
    path = tmp_path / "rgb_imagenet.pt"
    torch.save(model.state_dict(), path)
    loaded = load_i3d(path)  # the real loading path (strict state-dict match)
    # four short "videos" of the real photo: zooms and shifts over time
    vids = []
    for k in range(4):
        frames = [np.roll(astronaut[::4, ::4], shift=(k * 3 + t, t), axis=(0, 1)) for t in range(8)]
        vids.append(np.stack(frames).astype(np.uint8))
    feats = i3d_features(loaded, vids, batch_size=2, size=112, progress=False)
    assert feats.shape == (4, 400) and np.isfinite(feats).all()
    np.testing.assert_allclose(feats, i3d_features(model, vids, size=112, progress=False), rtol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fvd_from_features(feats, feats) == pytest.approx(0.0, abs=1e-8)
    bad = {k: v for k, v in model.state_dict().items() if not k.startswith("Mixed_5c")}
    torch.save(bad, path)
    with pytest.raises(ValueError, match="Mixed_5c"):
        load_i3d(path)


class _FakeStyleGANVDetector(torch.nn.Module):
    """Same call signature as StyleGAN-V's i3d_torchscript.pt (tiny, for the loader test)."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(3, 400)

    def forward(self, x: torch.Tensor, rescale: bool = True, resize: bool = True,
                return_features: bool = False) -> torch.Tensor:
        feats = self.proj(x.mean(dim=(2, 3, 4)))
        return feats if return_features else feats.softmax(dim=1)


def test_torchscript_detector_is_detected_and_called_for_features(tmp_path):
    scripted = torch.jit.script(_FakeStyleGANVDetector())
    path = tmp_path / "i3d_torchscript.pt"
    scripted.save(str(path))
    model = load_i3d(path)
    x = preprocess_videos([np.full((16, 8, 8, 3), 200, np.uint8)], size=32)
    out = model(x)
    assert out.shape == (1, 400)
    torch.testing.assert_close(out, scripted(x, rescale=False, resize=False, return_features=True))
