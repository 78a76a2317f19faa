"""The original-vs-augmented experiment on the sample dataset in DFEW layout, with an augmented
root written the way the augmentation writer does (new rows in copies of the train CSVs + new
frame folders + provenance sidecars), and a corrupt clip that must be skipped and reported."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from argen_rl.recognition.cli import app
from argen_rl.recognition.experiment import (FoldResult, evaluation_splits, plan_folds, read_provenance,
                                             run_recognition, summarize, to_markdown, write_results)
from argen_rl.recognition.train import RecognitionConfig
from argen_rl.video_io import read_frame_folder, write_image


def test_folds_cover_every_clip_once_as_test(roots):
    from argen_rl.data import read_dataset

    index = read_dataset(roots[0], progress=False)
    splits = evaluation_splits(index)
    assert [s[0] for s in splits] == ["1", "2", "3", "4", "5"]
    tested = [c.clip_id for _, _, test in splits for c in test]
    assert sorted(tested) == sorted(c.clip_id for c in index.clips)
    for _, train, test in splits:
        assert not {c.clip_id for c in train} & {c.clip_id for c in test}
    with pytest.raises(ValueError, match="fold"):
        evaluation_splits(index, folds=[9])


def _cfg(**kw) -> RecognitionConfig:
    return RecognitionConfig(**{**dict(epochs=2, batch_size=8, width=8, input_size=32, frames=4, seed=0,
                                       schedule="cosine", crop_scale=(0.5, 1.0)), **kw})


def test_original_vs_augmented_table(roots, tmp_path):
    orig, aug = roots
    cfg = _cfg(val_fraction=0.2)
    res = run_recognition(orig, aug, ["res18_lstm"], cfg, folds=[1, 2], progress=False)
    assert [(r.data, r.fold) for r in res] == [("original", "1"), ("augmented", "1"),
                                                ("original", "2"), ("augmented", "2")]
    o1, a1 = res[0], res[1]
    assert a1.n_train == o1.n_train + 2 and a1.n_test == o1.n_test  # same test clips
    assert a1.n_val == o1.n_val > 0 and 1 <= o1.best_epoch <= 2      # validation from the training fold
    assert a1.generated["n"] == 2 and a1.generated["without_provenance"] == 2 and not o1.generated
    assert any("00002" in k for r in res for k in r.skipped)        # corrupt clip reported
    rows = summarize(res)
    assert [r["Data"] for r in rows] == ["original", "augmented"]
    wars = [100 * r.metrics.war for r in res if r.data == "original"]
    assert rows[0]["WAR"] == pytest.approx(np.mean(wars))
    assert rows[0]["WAR_std"] == pytest.approx(np.std(wars, ddof=1))  # over folds
    assert rows[1]["dUAR"] == pytest.approx(rows[1]["UAR"] - rows[0]["UAR"])
    md = to_markdown(rows)
    assert "| Res18_LSTM | Original |" in md and "| Res18_LSTM | +ARGen |" in md and "AR-FE" in md
    assert f"{rows[0]['WAR']:.2f} ± {rows[0]['WAR_std']:.2f}" in md
    files = write_results(res, tmp_path)
    folds = json.loads(files["json"].read_text())
    assert [f["n_val"] for f in folds] == [r.n_val for r in res] and folds[0]["history"][0]["epoch"] == 1
    # a result survives the JSON round trip a Tune trial reports it through
    back = FoldResult.from_json(json.loads(json.dumps(a1.to_json())))
    assert back.metrics.uar == a1.metrics.uar and (back.metrics.confusion == a1.metrics.confusion).all()


def test_validation_and_test_never_see_generated_clips_or_their_sources(roots, tmp_path):
    orig, aug = roots
    cfg = _cfg(val_fraction=0.3)
    plan = plan_folds(orig, aug, cfg, folds=[4], progress=False)[0]
    val_id, test_id = plan.val[0].clip_id, plan.test[0].clip_id
    # a provenance sidecar per generated clip, as argen_rl.augment.writer writes them; two more
    # clips made from a validation clip's and a test clip's identity frame
    aug2 = tmp_path / "aug2"
    shutil.copytree(aug, aug2, symlinks=True)
    frames = read_frame_folder(orig / "Clip" / "clip_224x224" / "00003")
    sources = {"90001": "00003", "90002": "00003", "90003": val_id, "90004": test_id}
    for cid, src in sources.items():
        if cid in ("90003", "90004"):
            for i, f in enumerate(frames, 1):
                write_image(aug2 / "Clip" / "clip_224x224" / cid / f"{i:05d}.jpg", f)
            with open(aug2 / "EmoLabel_DataSplit" / "train(single-labeled)" / "set_4.csv", "a") as fh:
                fh.write(f"{cid},6\n")
        side = aug2 / "_argen_augment" / "clips" / f"{cid}.json"
        side.parent.mkdir(parents=True, exist_ok=True)
        side.write_text(json.dumps({"clip_id": cid, "index_id": cid, "status": "accepted", "label": "fear",
                                    "source_clip": src, "context_id": f"ctx-{cid}",
                                    "provenance": {"generator_id": "warp-abc123"}}))
    (aug2 / "_argen_augment" / "clips" / "broken.json").write_text("{not json")
    prov, problems = read_provenance(aug2)
    assert set(prov) == set(sources) and len(problems) == 1 and "broken.json" in problems[0]
    plan = plan_folds(orig, aug2, cfg, folds=[4], progress=False)[0]
    assert [c.clip_id for c in plan.val][0] == val_id                 # the same split with or without them
    assert sorted(c.clip_id for c in plan.generated) == ["90001", "90002"]
    assert "validation clip" in plan.left_out["90003"] and "test clip" in plan.left_out["90004"]
    roles = [set(plan.ids()[k]) for k in ("train", "val", "test", "generated")]
    assert all(a.isdisjoint(b) for i, a in enumerate(roles) for b in roles[i + 1:])
    res = run_recognition(orig, aug2, ["res18_transformer"], _cfg(val_fraction=0.3, epochs=1), folds=[4],
                          progress=False)
    g = res[1].generated
    assert g["n"] == 2 and g["by_generator"] == {"warp-abc123": 2} and g["by_status"] == {"accepted": 2}
    assert set(g["left_out"]) == {"90003", "90004"}


def test_cli_rejects_a_bad_model_before_training(roots):
    orig, _ = roots
    bad = CliRunner().invoke(app, ["run", "--data", str(orig), "--models", "res50_gru"])
    assert bad.exit_code != 0 and "res50_gru" in str(bad.exception)


@pytest.mark.parametrize("name", ["recognition_dfew_gpu.yaml", "recognition_clip_gpu.yaml", "recognition_cpu.yaml"])
def test_shipped_grid_configs_validate(name):
    from pathlib import Path

    from argen_rl.config import load_config
    from argen_rl.recognition.grid import RecognitionGridConfig

    cfg = load_config(Path(__file__).resolve().parents[2] / "experiments" / "configs" / name, RecognitionGridConfig)
    assert cfg.models and cfg.train.frames in (4, 16)
    if name == "recognition_dfew_gpu.yaml":          # the recipe docs/recognition.md states
        t = cfg.train
        assert (t.lr, t.momentum, t.weight_decay, t.epochs, t.step_epochs, t.batch_size) == (0.01, 0.9, 1e-4, 100, 40, 32)
        assert cfg.resources.gpu == 1 and len(cfg.models) == 4
