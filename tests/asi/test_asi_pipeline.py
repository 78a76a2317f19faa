"""`argen asi` on the sample DFEW-layout dataset (real photos, official layout)."""
import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from argen_rl.asi.cli import app
from argen_rl.asi.config import ASIConfig
from argen_rl.asi.contexts import load_contexts
from argen_rl.asi.pipeline import run_asi
from argen_rl.data.sample import build_sample_dataset
from argen_rl.types import Emotion

SMALL = {"identity": {"frames_per_clip": 5, "max_identities": 3}}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample_dataset(tmp_path_factory.mktemp("asi_data") / "dfew", layout="dfew", seed=0)


@pytest.mark.slow
def test_cli_writes_contexts_and_rerun_is_byte_identical(sample, tmp_path):
    cfg = tmp_path / "asi.yaml"
    cfg.write_text("identity:\n  frames_per_clip: 5\n  max_identities: 3\nvariants: 2\n")
    runner = CliRunner()
    outs = []
    for name in ("a", "b"):
        res = runner.invoke(app, ["--dataset", str(sample), "--out", str(tmp_path / name), "--writer", "template",
                                  "--config", str(cfg), "--seed", "5", "--quiet"])
        assert res.exit_code == 0, res.output
        outs.append(tmp_path / name)
    a, b = ((o / "contexts.jsonl").read_bytes() for o in outs)
    assert a == b
    ctxs = load_contexts(outs[0])
    assert len(ctxs) == 3 * 3 * 2                        # identities x scarce emotions x variants
    assert {c.emotion for c in ctxs} == {Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR}
    for c in ctxs:
        assert c.identity_image.is_file() and "(AU" not in c.prompt and c.writer == "template"
        assert c.text_emb.shape == (384,) and c.image_emb.ndim == 1 and c.aus
        assert set(c.aus) == set(c.intensities) and all(1.0 <= v <= 5.0 for v in c.intensities.values())
        assert c.subject in {"hopper", "hopper_mirror"}          # from the sample's clips.csv
    assert (outs[0] / "identities_sheet.png").is_file() and (outs[0] / "identities.csv").is_file()
    assert ctxs[0].prompt != ctxs[1].prompt               # variants differ
    summary = json.loads((outs[0] / "asi_summary.json").read_text())
    assert summary["identities"] == 3 and summary["contexts"] == 18
    assert summary["hallucination"]["rate_after"] == 0.0
    assert "hallucination" in res.output
    np.testing.assert_array_equal(np.load(outs[0] / "text_emb.npy"), np.load(outs[1] / "text_emb.npy"))
    # a different seed gives different prompts
    res = runner.invoke(app, ["--dataset", str(sample), "--out", str(tmp_path / "c"), "--config", str(cfg),
                              "--seed", "6", "--quiet"])
    assert res.exit_code == 0 and (tmp_path / "c" / "contexts.jsonl").read_bytes() != a


@pytest.mark.slow
def test_bad_frames_are_reported_not_fatal(sample, tmp_path):
    frames = sorted((sample / "Clip" / "clip_224x224" / "00023").glob("*.jpg"))
    data = frames[0].read_bytes()
    frames[0].write_bytes(data[: len(data) // 3])               # truncated JPEG
    try:
        cfg = ASIConfig.model_validate({**SMALL, "identity": {"frames_per_clip": 5, "max_identities": 2,
                                                             "quality": {"min_sharpness": 1e9}}})
        with pytest.raises(RuntimeError, match="no identity frame survived"):
            run_asi(sample, tmp_path, cfg, progress=False)
        rows = list(csv.DictReader((tmp_path / "identity_rejections.csv").open()))
        assert any(r["clip_id"] == "00023" and r["reasons"].startswith("unreadable") for r in rows)
        assert any(r["reasons"].startswith("blurred") and float(r["sharpness"]) > 0 for r in rows)
    finally:
        frames[0].write_bytes(data)


@pytest.mark.slow
def test_qwen_vl_writer_through_the_stage(sample, tmp_path, tiny_qwen_dir):
    cfg = ASIConfig.model_validate({"identity": {"frames_per_clip": 4, "max_identities": 1},
                                    "writer": {"name": "qwen-vl", "qwen_dir": str(tiny_qwen_dir),
                                               "max_new_tokens": 16}})
    res = run_asi(sample, tmp_path, cfg, progress=False)
    assert len(res.contexts) == 3
    rows = [json.loads(line) for line in (tmp_path / "contexts.jsonl").read_text().splitlines()]
    for c, r in zip(res.contexts, rows):
        assert c.writer == "qwen-vl" and c.prompt.strip() and "(AU" not in c.prompt
        assert isinstance(r["meta"]["raw_prompt"], str)
    assert res.summary["hallucination"]["rate_after"] == 0.0


def test_shipped_example_config_is_the_default():
    from pathlib import Path

    import argen_rl.asi
    from argen_rl.config import load_config

    cfg = load_config(Path(argen_rl.asi.__file__).parent / "data" / "asi.yaml", ASIConfig)
    assert cfg == ASIConfig()


@pytest.mark.slow
def test_au_statistics_from_ckplus_facs_files(tmp_path_factory, tmp_path):
    root = build_sample_dataset(tmp_path_factory.mktemp("asi_ck") / "ck", layout="ckplus", seed=0)
    cfg = ASIConfig.model_validate({"identity": {"frames_per_clip": 4, "max_identities": 1}, "au_stats": True})
    res = run_asi(root, tmp_path, cfg, progress=False)
    centres = res.summary["au_centres"]
    assert set(centres) == {"surprise", "disgust", "fear"}
    assert set(map(int, centres["disgust"])) <= {9, 10, 15, 16, 17, 25, 26}
    assert all(1.0 <= v <= 3.5 for d in centres.values() for v in d.values())


@pytest.mark.slow
def test_no_rag_ablation_writes_without_descriptions(sample, tmp_path):
    """retrieval.n_candidates = 0 (Table 5 "VLM-only"): the writer sees no AU descriptions; the
    generator's targets are the emotion's prototype AUs."""
    from argen_rl.asi.kb import load_kb

    kb = load_kb()
    cfg = ASIConfig.model_validate({"identity": {"frames_per_clip": 3, "max_identities": 1},
                                    "retrieval": {"n_candidates": 0}})
    res = run_asi(sample, tmp_path, cfg, progress=False)
    assert len(res.contexts) == 3
    for c in res.contexts:
        assert c.prompt.endswith(f"changes from neutral to {c.emotion.value}.")   # the noun = the name here
        assert c.aus == kb.emotion_aus(c.emotion)
    assert res.summary["hallucination"]["asserted_before"] == 0


def test_missing_qwen_dir_fails_before_any_work(sample, tmp_path):
    cfg = ASIConfig.model_validate({"writer": {"name": "qwen-vl", "qwen_dir": str(tmp_path / "no_model")}})
    with pytest.raises(FileNotFoundError, match="no_model is not a Qwen2.5-VL model directory"):
        run_asi(sample, tmp_path / "out", cfg, progress=False)
    assert not (tmp_path / "out" / "identities").exists()
