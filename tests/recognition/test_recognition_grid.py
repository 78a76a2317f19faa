"""The recognition grid as Ray Tune trials: 2 models x 2 folds x 2 data variants on the sample
dataset (DFEW layout) with an augmented root, started with the real entry point, killed (SIGKILL
of the whole process group) while trials are mid-training, and finished with ``--resume``: the
table is written and every trial's numbers equal an uninterrupted in-process run's."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from argen_rl.recognition.cli import app
from argen_rl.recognition.experiment import run_recognition
from argen_rl.recognition.grid import RecognitionGridConfig

pytestmark = [pytest.mark.slow, pytest.mark.ray]

REPO = Path(__file__).resolve().parents[2]


def _config(roots, out: Path) -> dict:
    orig, aug = roots
    return {"data": str(orig), "augmented": str(aug), "out": str(out),
            "models": ["res18_lstm", "vgg13_transformer"], "folds": [1, 2], "torch_threads": 1,
            "resources": {"cpu": 1, "gpu": 0},
            "train": {"epochs": 3, "batch_size": 8, "width": 8, "input_size": 32, "frames": 4,
                      "val_fraction": 0.2, "schedule": "cosine", "crop_scale": [0.5, 1.0], "seed": 0}}


def _trial_states(exp: Path, epochs: int = 3) -> tuple[list[str], list[str]]:
    """Trials that trained every epoch, and trials with a checkpoint but epochs still to go, read
    from the trial's own run folder: Tune copies result.json into the experiment folder only when it
    snapshots the experiment, which on a fast grid is after the last trial ends."""
    done, running = [], []
    for d in exp.glob("*_f*_*"):
        metrics = d / "run" / "metrics.csv"
        rows = len(metrics.read_text().splitlines()) - 1 if metrics.is_file() else 0
        if rows >= epochs:
            done.append(d.name)
        elif rows > 0 and (d / "run" / "checkpoints" / "last.pt").is_file():
            running.append(d.name)
    return done, running


def _run_until_mid_trial(cfg_path: Path, exp: Path, timeout: float = 600) -> tuple[list[str], list[str]]:
    """Start the grid; SIGKILL its process group once one trial is done and another has a
    checkpoint but no result yet."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    proc = subprocess.Popen([sys.executable, str(REPO / "experiments" / "recognition.py"), "-c", str(cfg_path),
                             "--no-progress"], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - t0 < timeout:
            done, running = _trial_states(exp)
            if done and running:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return done, running
            time.sleep(0.02)
        pytest.fail(f"the grid ended (rc {proc.poll()}) before a trial was caught mid-training:\n"
                    f"{proc.stderr.read().decode()[-2000:] if proc.poll() is not None else 'timeout'}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for _ in range(100):                               # Ray's processes share the group
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)


def test_grid_killed_mid_trial_resumes_to_the_uninterrupted_numbers(roots, tmp_path):
    out = tmp_path / "grid"
    cfg_path = tmp_path / "grid.yaml"
    cfg_path.write_text(yaml.safe_dump(_config(roots, out)))
    done, running = _run_until_mid_trial(cfg_path, out / "tune" / "recognition")
    assert done and running and not (out / "recognition.md").exists()

    r = CliRunner().invoke(app, ["run", "-c", str(cfg_path), "--resume", "--no-progress"])
    assert r.exit_code == 0, r.output + repr(r.exception)
    assert "| Res18_LSTM | Original |" in r.output and "| VGG13_Transformer | +ARGen |" in r.output
    md = (out / "recognition.md").read_text()
    assert md.startswith("| Method | Data | WAR | UAR") and md.count("±") >= 8
    folds = json.loads((out / "recognition_folds.json").read_text())
    assert len(folds) == 8
    assert {(f["model"], f["fold"], f["data"]) for f in folds} == {
        (m, k, d) for m in ("res18_lstm", "vgg13_transformer") for k in ("1", "2") for d in ("original", "augmented")}
    resumed = {f"{f['model']}_f{f['fold']}_{f['data']}" for f in folds if f["resumed_from"]}
    assert resumed and resumed <= set(running) | set(_trial_states(out / "tune" / "recognition")[0])
    for f in folds:                                        # Tune's records of every trial
        trial = out / "tune" / "recognition" / f"{f['model']}_f{f['fold']}_{f['data']}"
        assert (trial / "progress.csv").is_file() and (trial / "run" / "metrics.csv").is_file()
        assert len(f["history"]) == 3 and f["n_val"] > 0
    splits = json.loads((out / "splits.json").read_text())
    assert set(splits) == {"1", "2"} and not set(splits["1"]["val"]) & set(splits["1"]["test"])

    # the uninterrupted reference: the same trials in this process
    cfg = RecognitionGridConfig.model_validate(_config(roots, out))
    ref = run_recognition(Path(cfg.data), Path(cfg.augmented), cfg.models, cfg.train, cfg.folds, progress=False)
    by_key = {(f["model"], f["fold"], f["data"]): f for f in folds}
    for r_ in ref:
        got = by_key[(r_.model, r_.fold, r_.data)]
        assert got["confusion"] == r_.metrics.confusion.tolist(), (r_.model, r_.fold, r_.data)
        assert [h["train/loss"] for h in got["history"]] == [h["train/loss"] for h in r_.history]
        assert got["best_epoch"] == r_.best_epoch

    # an existing grid is never silently redone or mixed with another config
    again = CliRunner().invoke(app, ["run", "-c", str(cfg_path), "--no-progress"])
    assert again.exit_code != 0 and "--resume" in str(again.exception)
    other = CliRunner().invoke(app, ["run", "-c", str(cfg_path), "--resume", "--epochs", "4", "--no-progress"])
    assert other.exit_code != 0 and "different config" in str(other.exception)
    nothing = CliRunner().invoke(app, ["run", "-c", str(cfg_path), "--resume", "--out", str(tmp_path / "none")])
    assert nothing.exit_code != 0 and "no Tune experiment" in str(nothing.exception)
