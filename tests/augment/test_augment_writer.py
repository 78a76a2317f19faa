"""The augmentation writer on the sample dataset: generated clips (real warp videos of the sample's
real faces, vetted by label calibration) land in a NEW root in the dataset's own layout, the data
readers load them back with the right counts, the original tree is byte-for-byte untouched, reruns
are identical and resume without duplicates."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from argen_rl.augment.config import AugmentConfig
from argen_rl.augment.writer import META_DIR, augment, load_manifest
from argen_rl.data import build_sample_dataset, class_counts, read_dataset
from argen_rl.types import Emotion
from tests.tree_tools import tree_hash

SIZE = 96          # small frames keep the module quick; the layout does not care


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_contexts):
    """The three layouts of the sample dataset; contexts from ASI on the sample (session fixture:
    the same clip ids, so DFEW's fold logic finds their source clips)."""
    base = tmp_path_factory.mktemp("aug")
    roots = {kind: build_sample_dataset(base / f"sample_{kind}", kind) for kind in ("dfew", "ferv39k", "folder")}
    return {"base": base, "roots": roots, "contexts": sample_contexts}


def config(sample, kind: str, out: Path, **over) -> AugmentConfig:
    d = {"dataset": str(sample["roots"][kind]), "out": str(out), "contexts": str(sample["contexts"]),
         "target_count": 5, "generation": {"generator": "warp", "frames": 12, "size": SIZE},
         "fixed_action": {"steps": 8, "a": 2.0, "b": 2.0}, "seed": 0, "flush_every": 3}
    d.update(over)
    return AugmentConfig.model_validate(d)


@pytest.fixture(scope="module")
def dfew_run(sample):
    root = sample["roots"]["dfew"]
    before = tree_hash(root)
    cfg = config(sample, "dfew", sample["base"] / "out_dfew")
    summary = augment(cfg, progress=False)
    return {"cfg": cfg, "summary": summary, "before": before, "root": root}


def test_dfew_written_in_layout_and_read_back_with_right_counts(dfew_run):
    s, root = dfew_run["summary"], dfew_run["root"]
    assert tree_hash(root) == dfew_run["before"], "the original dataset was modified"
    original = read_dataset(root, progress=False)
    augmented = read_dataset(s.out, progress=False)
    assert augmented.name == "dfew" and not augmented.skipped
    before, after = class_counts(original.clips), class_counts(augmented.clips)
    # the sample's scarce classes (surprise 3, disgust 2, fear 3) are filled towards the target of 5
    # with the clips the calibrator keeps (it rejects what its experts do not read as the label,
    # so a class may stop short after max_attempts_factor x needed attempts)
    for e in (Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR):
        r = s.per_class[e.value]
        assert r["original"] == before[e] and r["final"] == after[e] == before[e] + r["written"], (e, r)
        assert r["written"] <= 5 - before[e] and r["attempts"] == r["written"] + r["rejected"]
        assert r["reached_target"] == (r["final"] == 5)
        assert r["written"] == 5 - before[e] or r["attempts"] == math.ceil(3.0 * (5 - before[e]))
    assert s.totals["written"] > 0
    for e in (Emotion.HAPPY, Emotion.SAD, Emotion.NEUTRAL, Emotion.ANGRY):
        assert after[e] == before[e]
    new = [c for c in augmented.clips if c.clip_id not in {o.clip_id for o in original.clips}]
    assert len(new) == sum(s.per_class[e]["written"] for e in s.per_class) == s.totals["written"]
    for c in new:
        assert c.fold is None                  # in every train(single-labeled) CSV, no test CSV
        assert c.clip_id.startswith("argen_") and len(c.frames) == 12
        assert c.subject                       # clips.csv copy names the identity's subject
        from argen_rl.data import load_clip_frames

        frames = load_clip_frames(c, n=None)
        assert frames.shape == (12, SIZE, SIZE, 3)
    # DFEW protocol: generated clips join the training split of every fold except the one that
    # tests their identity frame's source clip (no identity leak), and never a test split
    from argen_rl.data import dfew_split

    source = {r["index_id"]: r["source_clip"] for r in load_manifest(s.out) if r.get("index_id")}
    fold_of = {c.clip_id: c.fold for c in original.clips}
    assert all(fold_of.get(source[c.clip_id]) for c in new)  # every source clip has a test fold
    for k in range(1, 6):
        train, test = dfew_split(augmented, k)
        trained = {c.clip_id for c in train}
        for c in new:
            assert (c.clip_id in trained) == (fold_of[source[c.clip_id]] != k), (c.clip_id, k)
        assert not {c.clip_id for c in new} & {c.clip_id for c in test}
    # originals appear in the new root as symlinks into the original, CSVs as real copies
    some = next(c for c in original.clips)
    assert (s.out / "Clip" / "clip_224x224" / some.clip_id).is_symlink()
    csv_copy = s.out / "EmoLabel_DataSplit" / "train(single-labeled)" / "set_1.csv"
    assert not csv_copy.is_symlink()
    orig_text = (root / "EmoLabel_DataSplit" / "train(single-labeled)" / "set_1.csv").read_text()
    assert csv_copy.read_text().startswith(orig_text)


def test_provenance_sidecars_manifest_and_rejection_rate(dfew_run):
    s = dfew_run["summary"]
    rows = load_manifest(s.out)
    assert len(rows) == s.totals["attempts"]
    accepted = [r for r in rows if r["status"] != "rejected"]
    for r in rows:
        side = s.out / META_DIR / ("clips" if r["status"] != "rejected" else "rejected") / f"{r['clip_id']}.json"
        rec = json.loads(side.read_text())
        p = rec["provenance"]
        assert p["generator_id"].startswith("warp-") and p["prompt"] and p["target_aus"]
        assert p["params"]["steps"] == 8 and p["seed"] == p["params"]["seed"]
        assert rec["action"] == {"steps": 8, "a": 2.0, "b": 2.0, "source": "fixed"}
        v = rec["calibration"]
        assert set(v["votes"]) == {"fer", "au"} and v["label"] == r["class"]
        assert v["accepted"] == (r["status"] == "accepted")
    for r in accepted:
        assert (s.out / r["path"]).is_dir() and not (s.out / r["path"]).is_symlink()
    summary = json.loads((s.out / META_DIR / "summary.json").read_text())
    for name, pc in summary["per_class"].items():
        assert pc["rejection_rate"] == pytest.approx(pc["rejected"] / pc["attempts"])
    assert summary["totals"]["rejection_rate"] == pytest.approx(s.totals["rejected"] / s.totals["attempts"])
    # the recognizer expert is on by default, but the sample has 2-3 clips per scarce class: off, and why
    assert summary["recognizer_expert"].startswith("off:") and "recognizer_min_clips=50" in summary["recognizer_expert"]


def test_rerun_is_identical_and_resumes_without_duplicates(dfew_run, sample):
    s, cfg = dfew_run["summary"], dfew_run["cfg"]
    snapshot = {p: p.read_bytes() for p in s.out.rglob("*") if p.is_file() and not p.is_symlink()
                and META_DIR not in p.parts}
    again = augment(cfg, progress=False)
    assert again.written_now == 0 and again.per_class == s.per_class
    assert {p: p.read_bytes() for p in snapshot} == snapshot
    # an interrupted run: copy the finished output, then undo its last clips as a crash would
    out2 = sample["base"] / "out_dfew_interrupted"
    shutil.copytree(s.out, out2, symlinks=True)
    rows = load_manifest(out2)
    accepted = [r for r in rows if r["status"] != "rejected"]
    rejected = [r for r in rows if r["status"] == "rejected"]
    assert len(accepted) >= 2, rows
    lost = accepted[-2:]
    shutil.rmtree(out2 / lost[0]["path"])         # crashed before the frames were complete
    (out2 / META_DIR / "clips" / f"{lost[0]['clip_id']}.json").unlink()
    (out2 / META_DIR / "clips" / f"{lost[1]['clip_id']}.json").unlink()   # frames done, no sidecar
    for r in rejected[-1:]:                       # judged, crashed before its verdict was written
        (out2 / META_DIR / "rejected" / f"{r['clip_id']}.json").unlink()
    resumed = augment(cfg.model_copy(update={"out": str(out2)}), progress=False)
    assert resumed.written_now == 2 + len(rejected[-1:])
    assert resumed.per_class == s.per_class
    assert load_manifest(out2)[-1]["clip_id"] == rows[-1]["clip_id"]
    for p, data in snapshot.items():              # same seed: the same frames, byte for byte
        assert (out2 / p.relative_to(s.out)).read_bytes() == data, p
    assert tree_hash(dfew_run["root"]) == dfew_run["before"]


@pytest.mark.parametrize("kind", ["ferv39k", "folder"])
def test_other_layouts_read_back(sample, kind):
    root = sample["roots"][kind]
    before_hash = tree_hash(root)
    originals = "copy" if kind == "folder" else "symlink"     # both ways of carrying the originals
    cfg = config(sample, kind, sample["base"] / f"out_{kind}", classes=["surprise", "fear"],
                 target_count=4, calibration={"enabled": False}, originals=originals)
    s = augment(cfg, progress=False)
    assert tree_hash(root) == before_hash
    original, augmented = read_dataset(root, progress=False), read_dataset(s.out, progress=False)
    assert augmented.name == kind
    assert len(augmented.skipped) == len(original.skipped)
    before, after = class_counts(original.clips), class_counts(augmented.clips)
    assert after[Emotion.SURPRISE] == after[Emotion.FEAR] == 4
    assert after[Emotion.DISGUST] == before[Emotion.DISGUST]
    new = [c for c in augmented.clips if c.clip_id not in {o.clip_id for o in original.clips}]
    assert len(new) == (4 - before[Emotion.SURPRISE]) + (4 - before[Emotion.FEAR])
    links = [p for p in s.out.rglob("*") if p.is_symlink()]
    assert (not links) if originals == "copy" else links
    if kind == "ferv39k":
        assert all(c.split == "train" for c in new)
        assert all(c.clip_id.startswith("ARGen_generated_") for c in new)
    else:
        assert all(c.clip_id.startswith(("surprise_argen_", "fear_argen_")) for c in new)


def test_policy_checkpoint_chooses_the_action(sample, tmp_path, monkeypatch):
    """A policy module of the true architecture (random init, biased heads) saved and loaded:
    its greedy action is what every clip is generated with."""
    import gymnasium as gym
    import torch

    from argen_rl.asi.contexts import load_contexts
    from argen_rl.policy.actions import ActionSpace
    from argen_rl.policy.module import ArgenPolicyModule

    ctx = load_contexts(sample["contexts"])[0]
    dim = ctx.text_emb.shape[0] + ctx.image_emb.shape[0]
    space = ActionSpace()
    m = ArgenPolicyModule(observation_space=gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32),
                          action_space=space.gym_space(),
                          model_config={"text_dim": ctx.text_emb.shape[0], "d_model": 16, "hidden": 32})
    with torch.no_grad():
        m.head_steps.bias[:] = torch.tensor([50., 0., 0., 0.])   # steps 4
        m.head_a.bias[:] = torch.tensor([0., 0., 50.])           # a 4
        m.head_b.bias[:] = torch.tensor([50., 0., 0.])           # b 1
    m.save_to_path(str(tmp_path / "policy"))
    monkeypatch.chdir(tmp_path)              # a relative checkpoint path (RLlib reads it as a URI)
    bad = config(sample, "dfew", tmp_path / "out", classes=["disgust"], target_count=3,
                 policy_checkpoint="no_such_policy", calibration={"enabled": False})
    with pytest.raises(FileNotFoundError, match="policy checkpoint not found"):
        augment(bad, progress=False)
    assert not (tmp_path / "out").exists()   # nothing written before the parts load
    cfg = bad.model_copy(update={"policy_checkpoint": "policy"})
    s = augment(cfg, progress=False)
    rows = load_manifest(s.out)
    assert len(rows) == 1 and rows[0]["calibration"] is None
    assert rows[0]["action"] == {"steps": 4, "a": 4.0, "b": 1.0, "source": "policy"}
    assert rows[0]["provenance"]["params"]["steps"] == 4


def test_refuses_unsafe_or_unsupported_outputs(sample, tmp_path):
    root = sample["roots"]["dfew"]
    with pytest.raises(ValueError, match="must not be inside the original"):
        augment(config(sample, "dfew", root / "augmented"), progress=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not an augmentation output"):
        augment(config(sample, "dfew", tmp_path / "busy"), progress=False)
    ck = build_sample_dataset(tmp_path / "ck", "ckplus")
    with pytest.raises(ValueError, match="supported layouts"):
        augment(config(sample, "dfew", tmp_path / "o", dataset=str(ck)), progress=False)
    with pytest.raises(ValueError, match="unknown emotion"):
        config(sample, "dfew", tmp_path / "o", classes=["bored"])
    with pytest.raises(ValueError, match="7 canonical"):
        config(sample, "dfew", tmp_path / "o", classes=["contempt"])
    assert not (root / "augmented").exists()


def test_same_out_with_another_config_is_refused(dfew_run):
    other = dfew_run["cfg"].model_copy(update={"seed": 1})
    with pytest.raises(FileExistsError, match="different augmentation config"):
        augment(other, progress=False)


def test_cli_augment_run(sample, tmp_path):
    import yaml
    from typer.testing import CliRunner

    from argen_rl.cli import app

    cfg = config(sample, "folder", tmp_path / "cli_out", classes=["disgust"], target_count=3,
                 calibration={"enabled": False}).model_dump(mode="json")
    path = tmp_path / "augment.yaml"
    path.write_text(yaml.safe_dump(cfg))
    res = CliRunner().invoke(app, ["augment", "run", "--config", str(path)])
    assert res.exit_code == 0, res.output
    assert "disgust" in res.output and "manifest" in res.output
    assert class_counts(read_dataset(tmp_path / "cli_out", progress=False).clips)[Emotion.DISGUST] == 3
    res = CliRunner().invoke(app, ["augment", "run", "--config", str(tmp_path / "missing.yaml")])
    assert res.exit_code != 0


def test_relabel_mode_writes_a_disputed_clip_under_the_experts_label(sample, tmp_path):
    """Contexts filed as surprise but carrying happy's AUs (6, 12) on the neutral identity make
    smiling clips: the AU expert disputes "surprise" and, in relabel mode, they are written as
    happy clips (and do not count towards surprise)."""
    import dataclasses

    from argen_rl.asi.contexts import load_contexts, write_contexts

    smiles = [dataclasses.replace(c, aus=[6, 12], intensities={6: 3.0, 12: 3.0})
              for c in load_contexts(sample["contexts"])
              if c.emotion is Emotion.SURPRISE and c.subject == "hopper"]
    ctx_path = write_contexts(tmp_path / "ctx", smiles)
    cfg = config(sample, "folder", tmp_path / "out", contexts=str(ctx_path), classes=["surprise"],
                 target_count=4, max_attempts_factor=1.0,
                 calibration={"experts": ["au"], "mode": "relabel"})
    s = augment(cfg, progress=False)
    rows = load_manifest(s.out)
    assert rows and all(r["status"] == "relabelled" and r["label"] == "happy" for r in rows), rows
    assert s.per_class["surprise"]["relabelled_out"] == len(rows)
    assert s.per_class["happy"]["relabelled_in"] == len(rows)
    before = class_counts(read_dataset(sample["roots"]["folder"], progress=False).clips)
    after = class_counts(read_dataset(s.out, progress=False).clips)
    assert after[Emotion.HAPPY] == before[Emotion.HAPPY] + len(rows)
    assert after[Emotion.SURPRISE] == before[Emotion.SURPRISE]
    assert s.per_class["surprise"]["reached_target"] is False


def test_recognizer_expert_is_trained_on_the_original_when_it_has_enough_clips(sample, tmp_path):
    """recognizer: auto with a threshold the sample meets (>= 2 clips in every class): a tiny
    recognizer of the true architecture is trained on the ORIGINAL clips, saved in the run's meta
    folder, votes on every clip, and is reused by a rerun."""
    tiny = {"model": "res18_lstm", "width": 8, "input_size": 32, "frames": 4, "epochs": 1, "batch_size": 16,
            "device": "cpu", "cache_mb": 0}
    cfg = config(sample, "dfew", tmp_path / "out", classes=["surprise"], target_count=4, max_attempts_factor=1.0,
                 calibration={"experts": ["au"], "recognizer_min_clips": 2, "recognizer_train": tiny})
    s = augment(cfg, progress=False)
    summary = json.loads((s.out / META_DIR / "summary.json").read_text())
    assert summary["recognizer_expert"].startswith("on:"), summary["recognizer_expert"]
    ckpt = s.out / META_DIR / "recognizer.pt"
    assert ckpt.is_file()
    rows = load_manifest(s.out)
    assert rows and all(set(r["calibration"]["probs"]) == {"au", "recognizer"} for r in rows)
    stamp = ckpt.stat().st_mtime_ns
    again = augment(cfg, progress=False)
    assert again.written_now == 0 and ckpt.stat().st_mtime_ns == stamp


def _sidecars(out: Path) -> dict[str, dict]:
    """Every provenance sidecar (accepted and rejected) without its creation time."""
    rows = {}
    for p in sorted((out / META_DIR).glob("*/*.json")):
        rec = json.loads(p.read_text())
        rec["provenance"].pop("created_utc")
        rows[f"{p.parent.name}/{p.name}"] = rec
    return rows


def _frames(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jpg"))
            if not any(q.is_symlink() for q in [p, *p.parents])}


@pytest.mark.ray
@pytest.mark.slow
def test_two_actors_write_the_same_clips_and_resume_after_sigkill(dfew_run, tmp_path):
    """`argen augment run --actors 2` (the env's generator actors, CPU) killed with SIGKILL after
    a few clips, then rerun: the same clips as the in-process run (ids, frames, sidecars but their
    creation time, manifest), none twice."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil
    import yaml

    root = Path(__file__).resolve().parents[2]
    ref = dfew_run["summary"].out
    out = tmp_path / "actors"
    cfg = dfew_run["cfg"].model_dump(mode="json") | {"out": str(out), "rollout": {"num_actors": 1, "num_cpus": 0}}
    path = tmp_path / "augment.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "argen_rl.cli", "augment", "run", "-c", str(path), "--actors", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    env.pop("RAY_ADDRESS", None)
    total = len(_sidecars(ref))
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    tree: set[int] = set()
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline and len(list((out / META_DIR).glob("*/*.json"))) < 3:
        try:
            tree |= {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)          # the driver and everything in its session
    proc.wait()
    for pid in tree:                             # Ray processes it started that left the session
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
    partial = len(_sidecars(out))
    assert 3 <= partial < total, f"killed after {partial} of {total} attempts"
    res = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert _sidecars(out) == _sidecars(ref)
    assert _frames(out) == _frames(ref)
    rows, ref_rows = load_manifest(out), load_manifest(ref)
    assert [r["clip_id"] for r in rows] == [r["clip_id"] for r in ref_rows]
    assert len({r["clip_id"] for r in rows}) == len(rows)          # no attempt twice
    summary = json.loads((out / META_DIR / "summary.json").read_text())
    assert summary["per_class"] == dfew_run["summary"].per_class and summary["generator_actors"] == 2
    assert 0 < summary["totals"]["generated_this_call"] <= total - partial + 2   # a killed write may be redone
