"""`argen metrics fvd|diversity` on the sample dataset and a folder of generated mp4s + sidecars."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from argen_rl.cli import app
from argen_rl.data import build_sample_dataset
from argen_rl.metrics.i3d import InceptionI3d
from argen_rl.metrics.inputs import load_generated
from argen_rl.metrics.lpips import LPIPS
from argen_rl.video_io import write_mp4


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory, astronaut, grace_hopper):
    d = tmp_path_factory.mktemp("gen")
    rng = np.random.default_rng(0)
    for k, (img, ctx, emo) in enumerate([(astronaut, "c1", "fear"), (astronaut, "c1", "fear"),
                                         (grace_hopper, "c2", "surprise"), (grace_hopper, "c2", "surprise"),
                                         (grace_hopper, "c3", "fear")]):
        base = img[:448:4, :448:4]
        frames = np.stack([np.roll(base, int(rng.integers(0, 6)) + t, axis=1) for t in range(8)])
        write_mp4(d / f"vid{k}.mp4", frames)
        (d / f"vid{k}.json").write_text(json.dumps({"request": {"emotion": emo, "context_id": ctx},
                                                    "generator_id": "test"}))
    (d / "broken.mp4").write_bytes(b"\x00" * 100)
    return d


def test_load_generated_reads_sidecars_and_reports_broken_files(gen_dir):
    vs = load_generated(gen_dir, frames=16, progress=False)
    assert vs.ids == [f"vid{k}" for k in range(5)] and "broken" in vs.skipped
    assert vs.conditions == ["c1", "c1", "c2", "c2", "c3"] and vs.emotions[2] == "surprise"
    assert vs.videos[0].shape == (16, 112, 112, 3)
    assert len(load_generated(gen_dir, emotions=["fear"], progress=False)) == 3


def test_diversity_cli_ssim_and_lpips(gen_dir, tmp_path):
    net = LPIPS("alex")
    torch.save({f"features.{k}": v for k, v in net.features.state_dict().items()}, tmp_path / "bb.pth")
    torch.save({f"lin{k}.model.1.weight": torch.rand_like(l.weight) for k, l in enumerate(net.lins)},
               tmp_path / "alex.pth")
    out = tmp_path / "div.json"
    r = CliRunner().invoke(app, ["metrics", "diversity", "--videos", str(gen_dir), "--out", str(out),
                                 "--lpips-backbone", str(tmp_path / "bb.pth"),
                                 "--lpips-heads", str(tmp_path / "alex.pth")])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert res["ssim"]["conditions"] == 2 and res["ssim"]["pairs"] == 2
    assert res["ssim"]["diversity"] > 0 and res["lpips"]["diversity"] > 0
    assert set(res["ssim"]["per_emotion"]) == {"fear", "surprise"}
    r = CliRunner().invoke(app, ["metrics", "diversity", "--videos", str(gen_dir), "--lpips-backbone",
                                 str(tmp_path / "nope.pth")])
    # a missing weights file is one line naming it, exit 2 (argen_rl.cli_errors), not a traceback
    assert r.exit_code == 2 and "nope.pth" in r.output and "Traceback" not in r.output


def test_fvd_cli_random_i3d(gen_dir, tmp_path):
    root = build_sample_dataset(tmp_path / "dfew", "dfew")
    torch.manual_seed(0)
    torch.save(InceptionI3d().state_dict(), tmp_path / "rgb_imagenet.pt")
    out = tmp_path / "fvd.json"
    r = CliRunner().invoke(app, ["metrics", "fvd", "--real", str(root), "--fake", str(gen_dir),
                                 "--i3d", str(tmp_path / "rgb_imagenet.pt"), "--emotions", "fear",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    res = json.loads(out.read_text())
    assert res["n_real"] == 3 and res["n_fake"] == 3 and res["fvd"] >= 0
    assert "tfvd" in res and "sfvd_note" in res and any("rank-deficient" in w for w in res["warnings"])
    r = CliRunner().invoke(app, ["metrics", "fvd", "--real", str(root), "--fake", str(gen_dir),
                                 "--i3d", str(tmp_path / "missing.pt")])
    assert r.exit_code == 2 and "missing.pt" in r.output and "Traceback" not in r.output
